"""
Servers that never answer, answer too slowly, or answer with something that is not Gong's JSON.

Each must end the call within a known bound with a typed error that says what came back: the HTTP
status and a short excerpt of the body (at most 200 characters of it), never the whole page.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from reliability_helpers import RawServer, read_request, retry_warnings

from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConnectionError,
    GongIncompleteAnswerError,
    GongServerError,
    GongTimeoutError,
)
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator

USER_ID = "1234567890"
EXCERPT_LIMIT = 200


# ---------------------------------------------------------------------------------------- raw TCP servers


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    """Accept, read the request, then say nothing until the test ends."""
    read_request(conn)
    stop.wait(30)


def trickle_forever(conn: socket.socket, stop: threading.Event) -> None:
    """Answer 200 with a large Content-Length, then send one byte every 0.1 s: never a read timeout."""
    read_request(conn)
    try:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        conn.sendall(b'{"requestId": "trickle", "user": {"id": "1234567890", "x": "')
        while not stop.wait(0.1):
            conn.sendall(b"a")
    except OSError:
        return


def cut_body(conn: socket.socket, stop: threading.Event) -> None:
    """Promise 1,000 bytes of JSON, send 40, then close the connection."""
    read_request(conn)
    try:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        conn.sendall(b'{"requestId": "cut", "user": {"id": "12')
    finally:
        conn.close()


@pytest.fixture
def raw_server(request: pytest.FixtureRequest, make_conn: Callable[..., str]) -> Iterator[RawServer]:
    server = RawServer(request.param)
    server.start()
    make_conn(host=server.url, login="reliability-key", password="reliability-secret-0042")
    yield server
    server.stop()


def _hook(**kwargs: Any) -> GongHook:
    return GongHook("gong_reliability", calls_per_second=0, **kwargs)


# ---------------------------------------------------------------------------------------- never answered


@pytest.mark.parametrize("raw_server", [never_answer], indirect=True)
def test_server_that_never_answers_fails_within_timeout_times_attempts(raw_server: RawServer) -> None:
    sleeps: list[float] = []
    hook = _hook(timeout=0.5, max_retries=2, sleep=sleeps.append)

    started = time.monotonic()
    with pytest.raises(GongTimeoutError) as caught:
        hook.get_user(USER_ID)
    elapsed = time.monotonic() - started

    assert 3 * 0.5 * 0.9 <= elapsed < 3 * 0.5 + 2.0  # 3 attempts x 0.5 s, never a hang
    assert raw_server.accepted == 3
    assert len(sleeps) == 2
    message = str(caught.value)
    assert "timed out after 0.5 s" in message
    assert f"/v2/users/{USER_ID}" in message
    assert raw_server.url in message


@pytest.mark.timeout(30)
@pytest.mark.parametrize("raw_server", [trickle_forever], indirect=True)
def test_server_that_trickles_bytes_forever_still_times_out(raw_server: RawServer) -> None:
    # Each socket read gets a byte within the 0.5 s read timeout, so only a deadline on the whole answer
    # can end this call; without one the task would hang for hours (100,000 bytes at 10 per second).
    hook = _hook(timeout=0.5, max_retries=1, sleep=lambda _: None)

    started = time.monotonic()
    with pytest.raises(GongTimeoutError) as caught:
        hook.get_user(USER_ID)
    elapsed = time.monotonic() - started

    assert elapsed < 2 * (0.5 + 0.5) + 2.0  # per attempt: headers within the timeout, body within it again
    assert raw_server.accepted == 2
    assert "timed out" in str(caught.value)


@pytest.mark.parametrize("raw_server", [cut_body], indirect=True)
def test_body_cut_by_a_closed_connection_is_retried_then_a_connection_error(raw_server: RawServer) -> None:
    sleeps: list[float] = []
    hook = _hook(timeout=2, max_retries=2, sleep=sleeps.append)

    with pytest.raises(GongConnectionError) as caught:
        hook.get_user(USER_ID)

    assert raw_server.accepted == 3
    assert len(sleeps) == 2
    assert f"GET /v2/users/{USER_ID}" in str(caught.value)
    assert "cut" not in str(caught.value)  # no body in a connection error


# ---------------------------------------------------------------------------------------- unreadable answers


def _excerpt(message: str) -> str:
    """The quoted body excerpt of an error message (``...: 'excerpt'``)."""
    match = re.search(r"\): '(.*)'", message)
    assert match, message
    return match.group(1)


def test_truncated_json_body_is_retried(
    gong_emulator: GongEmulator, gong_emulator_connection: str, gong_logs: list[dict[str, Any]]
) -> None:
    """A 200 whose JSON ends early behind a correct Content-Length is transient: the next attempt wins."""
    user_id = gong_emulator.directory.ids[0]
    gong_emulator.fail_next({"fault": "truncate"})
    hook = GongHook(calls_per_second=0, max_retries=2, sleep=lambda _: None)

    assert hook.get_user(user_id)["id"] == user_id

    assert gong_emulator.stats()["gong_calls"] == 2
    assert any("retry 1 of 2" in str(event.get("event")) for event in gong_logs)


def test_truncated_json_body_every_time_is_an_incomplete_answer_with_a_short_excerpt(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    user_id = gong_emulator.directory.ids[0]
    gong_emulator.fail_next({"fault": "truncate"}, {"fault": "truncate"}, {"fault": "truncate"})
    hook = GongHook(calls_per_second=0, max_retries=2, sleep=lambda _: None)

    with pytest.raises(GongIncompleteAnswerError) as caught:
        hook.get_user(user_id)

    error = caught.value
    assert error.status_code == 200
    assert gong_emulator.stats()["gong_calls"] == 3
    message = str(error)
    assert message.startswith(f"Gong API 200 on GET /v2/users/{user_id}: answer is not Gong's JSON")
    excerpt = _excerpt(message)
    assert excerpt.startswith('{"requestId":"')
    assert len(excerpt) <= EXCERPT_LIMIT + len("...")
    assert len(message) < EXCERPT_LIMIT + 150


def test_html_502_page_from_a_proxy_is_a_server_error_with_a_short_excerpt(
    gong_emulator: GongEmulator, gong_emulator_connection: str, gong_logs: list[dict[str, Any]]
) -> None:
    page = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
        + "<!-- padding to look like a real error page -->\r\n" * 200
        + "</body>\r\n</html>\r\n"
    )
    answer = {"status": 502, "body": page, "content_type": "text/html"}
    gong_emulator.fail_next(answer, answer, answer)
    hook = GongHook(calls_per_second=0, max_retries=2, sleep=lambda _: None)

    with pytest.raises(GongServerError) as caught:
        hook.get_user("42")

    error = caught.value
    assert isinstance(error, GongApiError)
    assert error.status_code == 502
    message = str(error)
    assert message.startswith("Gong API 502 on GET /v2/users/42: answer is not Gong's JSON (text/html)")
    excerpt = _excerpt(message)
    assert "502 Bad Gateway" in excerpt
    assert excerpt.endswith("...")
    assert len(excerpt) <= EXCERPT_LIMIT + len("...")
    assert len(message) < EXCERPT_LIMIT + 150  # not the 10 KB page
    assert len(retry_warnings(gong_logs)) == 2  # a 5xx is retried before it is raised
    assert gong_emulator.stats()["gong_calls"] == 3


@pytest.mark.parametrize(
    ("method", "detail"),
    [
        ("get_user", "unexpected answer shape: keys unexpected (expected 'user')"),
        ("get_users", "unexpected answer shape: keys unexpected (expected 'records' and 'users')"),
    ],
)
def test_200_with_an_unexpected_shape_is_an_api_error_naming_the_keys(
    gong_emulator: GongEmulator, gong_emulator_connection: str, method: str, detail: str
) -> None:
    user_id = gong_emulator.directory.ids[0]
    gong_emulator.fail_next({"fault": "bad_shape"})
    hook = GongHook(calls_per_second=0, max_retries=2, sleep=lambda _: None)

    with pytest.raises(GongApiError) as caught:
        if method == "get_user":
            hook.get_user(user_id)
        else:
            hook.get_users([user_id])

    assert caught.value.status_code == 200
    assert detail in str(caught.value)
    assert str(caught.value).startswith("Gong API 200 on ")


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        ([1, 2, 3], None, "unexpected answer shape: a JSON list"),
        ("", "application/json", "empty answer (application/json)"),
        ("Service Unavailable " * 50, "text/plain", "answer is not Gong's JSON (text/plain)"),
    ],
    ids=["json-list", "empty", "long-text"],
)
def test_other_unreadable_200_answers(
    gong_emulator: GongEmulator,
    gong_emulator_connection: str,
    body: Any,
    content_type: str | None,
    detail: str,
) -> None:
    answer: dict[str, Any] = {"status": 200, "body": body}
    if content_type:
        answer["content_type"] = content_type
    gong_emulator.fail_next(answer, answer, answer)  # an empty JSON answer is retried as cut short
    hook = GongHook(calls_per_second=0, max_retries=2, sleep=lambda _: None)

    with pytest.raises(GongApiError) as caught:
        hook.get_user("42")

    message = str(caught.value)
    assert caught.value.status_code == 200
    assert detail in message
    assert len(message) < EXCERPT_LIMIT + 150
