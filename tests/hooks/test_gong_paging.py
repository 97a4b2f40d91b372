"""
Paging checks Gong's cursor instead of trusting it; a resumed listing survives an expired cursor;
``test_connection`` calls only a Gong-shaped answer a success.

A scripted local server (pytest-httpserver) hands out the pages, cycles, duplicates and 400s.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from airflow_provider_gong.client.paging import MAX_EMPTY_PAGES
from airflow_provider_gong.exceptions import GongApiError, GongBadRequestError, GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook, UsersResume


def rendered(event: dict[str, Any]) -> str:
    """The text of one captured log event, with its ``%s`` arguments filled in."""
    args = event.get("positional_args")
    return str(event.get("event", "")) % tuple(args) if args else str(event.get("event", ""))


def _user(number: int) -> dict[str, Any]:
    return {"id": str(1000 + number), "emailAddress": f"user{number}@example.com"}


def _page(users: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    records: dict[str, Any] = {"totalRecords": 0, "currentPageSize": len(users), "currentPageNumber": 0}
    if cursor is not None:
        records["cursor"] = cursor
    return {"requestId": "req", "records": records, "users": users}


class Pages:
    """Answers ``GET /v2/users`` from a table: cursor (None for the first page) -> answer body."""

    def __init__(self, table: dict[str | None, Any], status: dict[str | None, int] | None = None) -> None:
        self.table = table
        self.status = status or {}
        self.cursors: list[str | None] = []

    def __call__(self, request: Request) -> Response:
        cursor = request.args.get("cursor")
        self.cursors.append(cursor)
        body = self.table[cursor]
        return Response(
            json.dumps(body), status=self.status.get(cursor, 200), content_type="application/json"
        )


@pytest.fixture
def paged(httpserver: HTTPServer, server_conn: Callable[..., str]) -> Callable[..., tuple[GongHook, Pages]]:
    def serve(
        table: dict[str | None, Any], status: dict[str | None, int] | None = None
    ) -> tuple[GongHook, Pages]:
        pages = Pages(table, status)
        httpserver.expect_request("/v2/users", method="GET").respond_with_handler(pages)
        return GongHook(server_conn(), max_retries=0), pages

    return serve


# ------------------------------------------------------------------------------------------- the cursor


def test_a_cursor_cycle_raises_instead_of_looping(paged: Callable[..., tuple[GongHook, Pages]]) -> None:
    hook, pages = paged(
        {
            None: _page([_user(1)], "A"),
            "A": _page([_user(2)], "B"),
            "B": _page([_user(3)], "A"),  # back to A: the same pages again, for ever
        }
    )

    with pytest.raises(GongApiError, match="cursor it had given before") as caught:
        list(hook.iter_users())

    assert caught.value.status_code == 200
    assert pages.cursors == [None, "A", "B"]  # stopped at the first repeated cursor, no fourth call


def test_empty_pages_handing_out_new_cursors_are_bounded(
    paged: Callable[..., tuple[GongHook, Pages]],
) -> None:
    table: dict[str | None, Any] = {None: _page([], "c0")}
    for number in range(MAX_EMPTY_PAGES + 50):
        table[f"c{number}"] = _page([], f"c{number + 1}")
    hook, pages = paged(table)

    with pytest.raises(GongApiError, match=f"{MAX_EMPTY_PAGES} empty pages in a row"):
        list(hook.iter_users())

    assert len(pages.cursors) == MAX_EMPTY_PAGES


def test_a_few_empty_pages_then_users_are_fine(paged: Callable[..., tuple[GongHook, Pages]]) -> None:
    hook, _ = paged({None: _page([], "a"), "a": _page([], "b"), "b": _page([_user(1)], None)})

    assert [user["id"] for user in hook.iter_users()] == ["1001"]


def test_overlapping_pages_drop_duplicates_by_id_and_log_the_count(
    paged: Callable[..., tuple[GongHook, Pages]], gong_logs: list[dict[str, Any]]
) -> None:
    first = [_user(n) for n in range(100)]
    second = [_user(n) for n in range(95, 150)]  # 5 users again
    hook, _ = paged({None: _page(first, "next"), "next": _page(second, None)})

    users = list(hook.iter_users())

    assert len(users) == 150
    assert len({user["id"] for user in users}) == 150
    assert any("dropped 5 user(s) Gong listed twice" in rendered(event) for event in gong_logs)


# ------------------------------------------------------------------------------ an expired kept cursor

EXPIRED = {"requestId": "expired-1", "errors": ["cursor has expired"]}


def test_a_rejected_kept_cursor_restarts_and_skips_the_stored_users(
    paged: Callable[..., tuple[GongHook, Pages]], gong_logs: list[dict[str, Any]]
) -> None:
    page1 = [_user(n) for n in range(100)]
    page2 = [_user(n) for n in range(100, 200)]
    page3 = [_user(n) for n in range(200, 230)]
    hook, pages = paged(
        {None: _page(page1, "p2"), "p2": _page(page2, "p3"), "p3": _page(page3, None), "old": EXPIRED},
        status={"old": 400},
    )
    stored = [user["id"] for user in page1 + page2[:40]]  # what the task kept before its wait
    asked: list[int] = []

    def known_ids() -> list[str]:
        asked.append(1)
        return stored

    resume = UsersResume(cursor="old")
    users = list(hook.iter_users(resume=resume, known_ids=known_ids))

    ids = stored + [user["id"] for user in users]
    assert sorted(ids) == sorted(user["id"] for user in page1 + page2 + page3)  # every user ...
    assert len(ids) == len(set(ids))  # ... once
    assert pages.cursors == [
        "old",
        None,
        "p2",
        "p3",
    ]  # the old cursor first: nothing refetched before it failed
    assert asked == [1]
    assert resume.done
    lines = [rendered(event) for event in gong_logs]
    assert any(
        "restarting the listing from the first page" in line and "cursor has expired" in line
        for line in lines
    )
    assert any("2 page(s) fetched again, 140 stored user(s) skipped" in line for line in lines)


def test_a_restarted_listing_stopped_again_still_skips_the_stored_users(
    httpserver: HTTPServer, server_conn: Callable[..., str]
) -> None:
    """Expired cursor, restart, then a long 429 on the restart's first page: the next resume skips too."""
    page1 = [_user(n) for n in range(100)]
    page2 = [_user(n) for n in range(100, 200)]
    page3 = [_user(n) for n in range(200, 245)]
    answers: dict[str | None, list[tuple[int, dict[str, Any]]]] = {
        "old": [(400, EXPIRED)],
        None: [(429, {"requestId": "limited", "errors": ["daily quota"]}), (200, _page(page1, "p2"))],
        "p2": [(200, _page(page2, "p3"))],
        "p3": [(200, _page(page3, None))],
    }
    cursors: list[str | None] = []

    def handler(request: Request) -> Response:
        cursor = request.args.get("cursor")
        cursors.append(cursor)
        status, body = answers[cursor].pop(0)
        headers = {"Retry-After": "3600"} if status == 429 else {}
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

    httpserver.expect_request("/v2/users", method="GET").respond_with_handler(handler)
    hook = GongHook(server_conn(), max_retries=0, max_retry_wait=1)
    stored = [user["id"] for user in page1]  # the first segment, before the first wait
    resume = UsersResume(cursor="old")

    with pytest.raises(GongRateLimitError):
        stored += [user["id"] for user in hook.iter_users(resume=resume, known_ids=lambda: list(stored))]
    kept = UsersResume.from_json(json.loads(json.dumps(resume.to_json())))  # through the trigger payload
    assert kept.restarted and kept.cursor is None
    stored += [user["id"] for user in hook.iter_users(resume=kept, known_ids=lambda: list(stored))]

    assert sorted(stored) == sorted(user["id"] for user in page1 + page2 + page3)
    assert len(stored) == len(set(stored)) == 245
    assert cursors == ["old", None, None, "p2", "p3"]


def test_a_restarted_resume_state_without_known_ids_is_refused() -> None:
    with pytest.raises(ValueError, match="pass known_ids"):
        list(GongHook("never_looked_up").iter_users(resume=UsersResume(restarted=True)))


def test_a_kept_cursor_that_still_works_is_used_as_is(paged: Callable[..., tuple[GongHook, Pages]]) -> None:
    hook, pages = paged({None: _page([_user(1)], "p2"), "p2": _page([_user(2)], None)})
    asked: list[bool] = []

    users = list(
        hook.iter_users(resume=UsersResume(cursor="p2"), known_ids=lambda: asked.append(True) or ["1001"])
    )

    assert [user["id"] for user in users] == ["1002"]
    assert pages.cursors == ["p2"]
    assert asked == [True]  # once, when the listing resumed


def test_a_resumed_page_overlapping_the_stored_ones_repeats_no_user(
    paged: Callable[..., tuple[GongHook, Pages]], gong_logs: list[dict[str, Any]]
) -> None:
    """Gong's pages may overlap: users stored before the wait that the next page lists again are dropped."""
    stored = [_user(n)["id"] for n in range(1, 6)]
    hook, pages = paged(
        {"p2": _page([_user(4), _user(5), _user(6)], "p3"), "p3": _page([_user(5), _user(7)], None)}
    )

    users = list(hook.iter_users(resume=UsersResume(cursor="p2"), known_ids=lambda: list(stored)))

    assert [user["id"] for user in users] == ["1006", "1007"]
    assert pages.cursors == ["p2", "p3"]
    lines = [rendered(event) for event in gong_logs if event.get("log_level") == "warning"]
    assert "dropped 2 user(s) stored before the wait that Gong listed again (overlapping pages)" in lines
    assert "dropped 1 user(s) Gong listed twice (overlapping pages)" in lines  # 1005, on p2 and p3


def test_a_rejected_cursor_without_known_ids_is_raised(paged: Callable[..., tuple[GongHook, Pages]]) -> None:
    hook, pages = paged({"old": EXPIRED}, status={"old": 400})

    with pytest.raises(GongBadRequestError, match="cursor has expired"):
        list(hook.iter_users(resume=UsersResume(cursor="old")))

    assert pages.cursors == ["old"]


def test_a_400_on_a_fresh_cursor_is_raised_not_restarted(
    paged: Callable[..., tuple[GongHook, Pages]],
) -> None:
    """Only the cursor kept from before the wait may have expired; a 400 on any later page is an error."""
    hook, pages = paged({None: _page([_user(1)], "p2"), "p2": EXPIRED}, status={"p2": 400})

    with pytest.raises(GongBadRequestError):
        list(hook.iter_users(resume=UsersResume(), known_ids=list))

    assert pages.cursors == [None, "p2"]


# ------------------------------------------------------------------------------------- test_connection


@pytest.mark.parametrize(
    "body",
    [{"hello": "world"}, {"requestId": "x", "records": {}}, {"records": [], "users": []}],
    ids=["any-object", "no-users-key", "records-not-an-object"],
)
def test_connection_test_fails_on_an_answer_not_shaped_like_gongs(
    httpserver: HTTPServer, server_conn: Callable[..., str], body: dict[str, Any]
) -> None:
    httpserver.expect_request("/v2/users").respond_with_json(body)

    ok, message = GongHook(server_conn()).test_connection()

    assert ok is False
    assert "not as Gong does" in message
    assert "'records' and 'users'" in message


def test_connection_test_with_no_visible_users_is_a_success_that_says_so(
    httpserver: HTTPServer, server_conn: Callable[..., str]
) -> None:
    httpserver.expect_request("/v2/users").respond_with_json(
        {"requestId": "none", "errors": ["No users found corresponding to the provided filters"]}, status=404
    )

    ok, message = GongHook(server_conn()).test_connection()

    assert ok is True
    assert "no users are visible" in message


def test_connection_test_fails_on_another_404(
    httpserver: HTTPServer, server_conn: Callable[..., str]
) -> None:
    httpserver.expect_request("/v2/users").respond_with_json(
        {"requestId": "x", "errors": ["Not Found"]}, status=404
    )

    ok, message = GongHook(server_conn()).test_connection()

    assert ok is False
    assert "404" in message
