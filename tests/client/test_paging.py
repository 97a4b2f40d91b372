"""Generic paging (:mod:`airflow_provider_gong.client.paging`) on the calls endpoints, not only users.

Each test drives :func:`pages` or :func:`records_by_id` through a real :class:`GongClient` (requests)
against a scripted local server (pytest-httpserver), with no Airflow involved, and checks the exact
requests the server saw (method, path, query, JSON body) and the exact records that came out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from airflow_provider_gong.client.core import GongClient
from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.client.paging import MAX_EMPTY_PAGES, Progress, Resume, pages, records_by_id
from airflow_provider_gong.client.settings import settings_from_connection
from airflow_provider_gong.endpoints import ENDPOINTS, PAGE_SIZE
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongBadRequestError,
    GongNotFoundError,
    GongServerError,
)

LIST_CALLS = ENDPOINTS["listCalls"]
CALLS_EXTENSIVE = ENDPOINTS["listCallsExtensive"]
TRANSCRIPTS = ENDPOINTS["getCallTranscripts"]

NO_CALLS = "No calls found corresponding to the provided filters"
NO_USERS = "No users found corresponding to the provided filters"

#: A listCallsExtensive body as a DAG would send it: a filter and a content selector.
EXTENSIVE_FILTER: dict[str, Any] = {
    "fromDateTime": "2024-01-01T00:00:00Z",
    "toDateTime": "2024-01-08T00:00:00Z",
    "workspaceId": "623457276584334",
}
CONTENT_SELECTOR: dict[str, Any] = {
    "context": "Extended",
    "exposedFields": {"parties": True, "content": {"topics": True}},
}
EXTENSIVE_BODY: dict[str, Any] = {"filter": EXTENSIVE_FILTER, "contentSelector": CONTENT_SELECTOR}

Answer = Response | Callable[[Request], Response]


# --- the server side -----------------------------------------------------------------------------


def gong_json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def gong_error(status: int, *errors: str, request_id: str = "err-1") -> Response:
    return gong_json({"requestId": request_id, "errors": list(errors)}, status=status)


def call(number: int, **extra: Any) -> dict[str, Any]:
    """A listCallsExtensive record: its id is ``metaData.id``."""
    return {"metaData": {"id": str(number), "title": f"Call {number}", **extra}, "parties": []}


def basic_call(number: int) -> dict[str, Any]:
    """A listCalls record: its id is ``id``."""
    return {"id": str(number), "title": f"Call {number}"}


def transcript(number: int, text: str = "hello") -> dict[str, Any]:
    """A getCallTranscripts record: its id is ``callId``."""
    return {"callId": str(number), "transcript": [{"speakerId": "1", "sentences": [{"text": text}]}]}


def page(
    items: list[dict[str, Any]], cursor: str | None = None, *, key: str = "calls", request_id: str = "r"
) -> Response:
    """One page in Gong's shape, with ``records.cursor`` when more pages follow."""
    records: dict[str, Any] = {"totalRecords": 999, "currentPageSize": len(items), "currentPageNumber": 0}
    if cursor is not None:
        records["cursor"] = cursor
    return gong_json({"requestId": request_id, "records": records, key: items})


def serve(httpserver: HTTPServer, method: str, path: str, answers: list[Answer]) -> None:
    """
    Answer ``method path`` with ``answers`` in order (a Response, or a function of the request); a call
    beyond the script gets a 500, so a test that expected fewer calls fails.
    """
    queue = list(answers)

    def handler(request: Request) -> Response:
        if not queue:
            return gong_error(500, "unexpected extra call", request_id="extra")
        answer = queue.pop(0)
        return answer if isinstance(answer, Response) else answer(request)

    httpserver.expect_request(path, method=method).respond_with_handler(handler)


def sent(httpserver: HTTPServer) -> list[tuple[str, str, list[tuple[str, str]], Any]]:
    """Every request the server saw: method, path, query pairs, and the JSON body (None without one)."""
    seen = []
    for request, _ in httpserver.log:
        data = request.get_data()
        body = json.loads(data) if data else None
        query = parse_qsl(request.query_string.decode(), keep_blank_values=True)
        seen.append((request.method, request.path, query, body))
    return seen


def bodies(httpserver: HTTPServer) -> list[Any]:
    return [body for _, _, _, body in sent(httpserver)]


# --- the client side -----------------------------------------------------------------------------


class Captured(logging.Handler):
    """Keeps the text of every record logged to it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))

    def warnings(self) -> list[str]:
        return [text for level, text in self.lines if level >= logging.WARNING]


@pytest.fixture
def logged() -> Iterator[Captured]:
    logger = logging.getLogger("tests.client.test_paging")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = Captured()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def client(httpserver: HTTPServer, logged: Captured) -> Iterator[GongClient]:
    # Real-looking credentials: every credential value is redacted from error texts, so a one-letter
    # secret would be cut out of Gong's messages.
    conn = SimpleNamespace(
        host=httpserver.url_for("/"),
        port=None,
        login="test-access-key",
        password="test-access-secret-0001",
        extra=None,
    )
    settings = settings_from_connection(conn, "gong_paging", {"max_retries": 0, "calls_per_second": 0})
    sleeps: list[float] = []
    gong = GongClient(
        settings,
        pacers=PacerRegistry(),
        sleep=sleeps.append,
        log=logging.getLogger("tests.client.test_paging"),
    )
    yield gong
    gong.close()
    assert sleeps == []  # nothing retried, nothing waited


def items_of(listing: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]) -> list[list[dict[str, Any]]]:
    return [items for _, items in listing]


# --- 1. POST paging ------------------------------------------------------------------------------


def test_post_paging_sends_the_cursor_at_the_top_of_the_body_and_the_rest_unchanged(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [
            page([call(1), call(2)], "cur-1", request_id="p1"),
            page([call(3)], "cur-2", request_id="p2"),
            page([call(4), call(5)], request_id="p3"),
        ],
    )
    inputs = json.loads(json.dumps(EXTENSIVE_BODY))

    listing = list(pages(client, CALLS_EXTENSIVE, inputs))

    assert [items for _, items in listing] == [[call(1), call(2)], [call(3)], [call(4), call(5)]]
    assert listing[0][0] == {
        "totalRecords": 999,
        "currentPageSize": 2,
        "currentPageNumber": 0,
        "cursor": "cur-1",
    }
    assert sent(httpserver) == [
        ("POST", "/v2/calls/extensive", [], EXTENSIVE_BODY),
        ("POST", "/v2/calls/extensive", [], {**EXTENSIVE_BODY, "cursor": "cur-1"}),
        ("POST", "/v2/calls/extensive", [], {**EXTENSIVE_BODY, "cursor": "cur-2"}),
    ]
    # Not in the filter, nor anywhere else: the filter and the selector are sent exactly as given.
    for body in bodies(httpserver):
        assert body["filter"] == EXTENSIVE_FILTER
        assert body["contentSelector"] == CONTENT_SELECTOR
    assert inputs == EXTENSIVE_BODY  # the caller's inputs are not changed by paging
    assert all(r.headers["Content-Type"] == "application/json" for r, _ in httpserver.log)


def test_post_paging_reads_the_endpoints_records_key(httpserver: HTTPServer, client: GongClient) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/transcript",
        [page([transcript(1)], "t-1", key="callTranscripts"), page([transcript(2)], key="callTranscripts")],
    )
    inputs = {"filter": {"callIds": ["1", "2"]}}

    assert items_of(pages(client, TRANSCRIPTS, inputs)) == [[transcript(1)], [transcript(2)]]
    assert bodies(httpserver) == [inputs, {**inputs, "cursor": "t-1"}]


def test_a_page_without_the_endpoints_records_key_is_an_error_naming_what_came(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(httpserver, "POST", "/v2/calls/extensive", [page([call(1)], key="users", request_id="shape")])

    with pytest.raises(GongApiError) as caught:
        list(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY))

    err = caught.value
    assert (err.status_code, err.method, err.path, err.request_id) == (
        200,
        "POST",
        "/v2/calls/extensive",
        "shape",
    )
    assert err.detail == (
        "unexpected answer shape: keys records, requestId, users (expected 'records' and 'calls')"
    )


# --- 2. de-duplication by the endpoint's id field -------------------------------------------------


def test_a_call_repeated_on_a_later_page_is_dropped_by_metadata_id(
    httpserver: HTTPServer, client: GongClient, logged: Captured
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [
            page([call(1), call(2)], "cur-1"),
            # 2 again (changed meanwhile: the first one seen is kept), and a record whose *top-level*
            # "id" repeats 1's: not the id field of this endpoint, so it is a different call.
            page([call(2, title="changed"), {"id": "1", "metaData": {"id": "3"}}], "cur-2"),
            page([call(1), call(4)]),
        ],
    )

    assert items_of(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY)) == [
        [call(1), call(2)],
        [{"id": "1", "metaData": {"id": "3"}}],
        [call(4)],
    ]
    assert len(httpserver.log) == 3
    assert logged.warnings() == ["dropped 2 call(s) Gong listed twice (overlapping pages)"]


def test_a_repeated_transcript_is_dropped_by_call_id(
    httpserver: HTTPServer, client: GongClient, logged: Captured
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/transcript",
        [
            page([transcript(7), transcript(8)], "t-1", key="callTranscripts"),
            # callId as a number this time: the same call as "8" once read as text.
            page([{"callId": 8, "transcript": []}, transcript(9)], key="callTranscripts"),
        ],
    )

    assert items_of(pages(client, TRANSCRIPTS, {"filter": {"callIds": ["7", "8", "9"]}})) == [
        [transcript(7), transcript(8)],
        [transcript(9)],
    ]
    assert logged.warnings() == ["dropped 1 call(s) Gong listed twice (overlapping pages)"]


def test_a_record_with_the_same_id_on_one_page_is_dropped_too(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(httpserver, "POST", "/v2/calls/extensive", [page([call(5), call(6), call(5, title="again")])])

    assert items_of(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY)) == [[call(5), call(6)]]


# Records that lack the id field cannot be told apart, so they cannot be known to be repeats either:
# ``pages`` passes them through (the file sinks store them too, tests/operators/test_sinks.py). They used
# to be read as the id "None", so all but the first were dropped as "duplicates".
def test_records_without_the_id_field_are_all_kept(
    httpserver: HTTPServer, client: GongClient, logged: Captured
) -> None:
    no_id_a = {"metaData": {"title": "no id a"}}
    no_id_b = {"metaData": None, "parties": []}
    no_id_c = {"parties": [{"name": "c"}]}
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [page([no_id_a, call(1), no_id_b], "cur-1"), page([no_id_c])],
    )

    assert items_of(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY)) == [
        [no_id_a, call(1), no_id_b],
        [no_id_c],
    ]
    assert logged.warnings() == []


# --- 3. GET paging -------------------------------------------------------------------------------


def test_get_paging_sends_the_cursor_as_a_query_parameter_beside_the_window(
    httpserver: HTTPServer, client: GongClient
) -> None:
    # Gong's cursors are base64-ish: "+", "/" and "=" must survive the query string's encoding.
    cursor = "eyJjYWxsSWQiOjF9+/x=="
    serve(
        httpserver,
        "GET",
        "/v2/calls",
        [page([basic_call(1), basic_call(2)], cursor), page([basic_call(2), basic_call(3)])],
    )
    window = {"fromDateTime": "2024-01-01T00:00:00+00:00", "toDateTime": "2024-01-02T00:00:00+00:00"}

    assert items_of(pages(client, LIST_CALLS, window)) == [[basic_call(1), basic_call(2)], [basic_call(3)]]
    assert sent(httpserver) == [
        ("GET", "/v2/calls", list(window.items()), None),
        ("GET", "/v2/calls", [*window.items(), ("cursor", cursor)], None),
    ]


# --- 4. "nothing found" 404s ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "inputs"),
    [
        (CALLS_EXTENSIVE, EXTENSIVE_BODY),
        (LIST_CALLS, {"fromDateTime": "2024-01-01T00:00:00Z", "toDateTime": "2024-01-02T00:00:00Z"}),
        (TRANSCRIPTS, {"filter": {"callIds": ["1"]}}),
    ],
    ids=lambda value: getattr(value, "operation_id", ""),
)
def test_the_calls_nothing_found_404_ends_the_listing_empty(
    httpserver: HTTPServer, client: GongClient, endpoint: Any, inputs: dict[str, Any]
) -> None:
    serve(
        httpserver, endpoint.method, endpoint.path, [gong_json({"requestId": "r", "errors": [NO_CALLS]}, 404)]
    )

    assert list(pages(client, endpoint, inputs)) == []
    assert [(method, path) for method, path, _, _ in sent(httpserver)] == [(endpoint.method, endpoint.path)]


def test_the_nothing_found_404_on_a_later_page_keeps_the_pages_before(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [page([call(1)], "cur-1"), gong_json({"requestId": "r", "errors": [NO_CALLS]}, 404)],
    )

    assert items_of(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY)) == [[call(1)]]
    assert bodies(httpserver) == [EXTENSIVE_BODY, {**EXTENSIVE_BODY, "cursor": "cur-1"}]


@pytest.mark.parametrize(
    "message",
    [
        "Not Found",
        NO_USERS,  # the users' "nothing found" is not the calls' one
    ],
)
@pytest.mark.parametrize("endpoint", [CALLS_EXTENSIVE, LIST_CALLS], ids=lambda e: e.operation_id)
def test_another_404_on_a_calls_endpoint_raises(
    httpserver: HTTPServer, client: GongClient, endpoint: Any, message: str
) -> None:
    serve(httpserver, endpoint.method, endpoint.path, [gong_error(404, message, request_id="nf-1")])
    inputs = EXTENSIVE_BODY if endpoint.method == "POST" else {"fromDateTime": "2024-01-01T00:00:00Z"}

    with pytest.raises(GongNotFoundError) as caught:
        list(pages(client, endpoint, inputs))

    err = caught.value
    assert (err.status_code, err.method, err.path) == (404, endpoint.method, endpoint.path)
    assert (err.errors, err.request_id) == ([message], "nf-1")
    assert len(httpserver.log) == 1


# --- 5. records_by_id ----------------------------------------------------------------------------

IDS = [str(5_000_000_000 + n) for n in range(250)]
#: Ids Gong does not return: two in the first chunk, one in the second, one in the third.
MISSING = [IDS[3], IDS[99], IDS[150], IDS[249]]


def by_ids(request: Request) -> Response:
    """Answers a listCallsExtensive by ids with the calls asked for, except ``MISSING``, in reverse order."""
    asked = json.loads(request.get_data())["filter"]["callIds"]
    found = [call(int(uid)) for uid in reversed(asked) if uid not in MISSING]
    return page(found)


def fetch_by_ids(
    client: GongClient, not_found: list[str], resume: Resume | None = None
) -> tuple[Progress, Iterator[dict[str, Any]]]:
    progress = Progress(client, "call", total=len(IDS))
    records = records_by_id(
        client,
        CALLS_EXTENSIVE,
        IDS,
        EXTENSIVE_FILTER,
        not_found=not_found,
        progress=progress,
        resume=resume,
        body={"contentSelector": CONTENT_SELECTOR},
    )
    return progress, records


def chunk_body(start: int, stop: int) -> dict[str, Any]:
    return {"contentSelector": CONTENT_SELECTOR, "filter": {**EXTENSIVE_FILTER, "callIds": IDS[start:stop]}}


def expected_calls(ids: list[str]) -> list[dict[str, Any]]:
    return [call(int(uid)) for uid in ids if uid not in MISSING]


def test_records_by_id_sends_chunks_of_100_ids_and_yields_in_the_ids_order(
    httpserver: HTTPServer, client: GongClient
) -> None:
    assert PAGE_SIZE == 100
    serve(httpserver, "POST", "/v2/calls/extensive", [by_ids, by_ids, by_ids])
    not_found: list[str] = []

    progress, records = fetch_by_ids(client, not_found)
    got = list(records)

    assert sent(httpserver) == [
        ("POST", "/v2/calls/extensive", [], chunk_body(0, 100)),
        ("POST", "/v2/calls/extensive", [], chunk_body(100, 200)),
        ("POST", "/v2/calls/extensive", [], chunk_body(200, 250)),
    ]
    assert got == expected_calls(IDS)
    assert len(got) == len({record["metaData"]["id"] for record in got}) == 246
    assert not_found == MISSING
    assert (progress.pages, progress.fetched) == (3, 246)


def test_records_by_id_follows_the_pages_of_one_chunk(httpserver: HTTPServer, client: GongClient) -> None:
    ids = IDS[:3]
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        # The chunk's answer comes in two pages, the last page repeating a call of the first.
        [page([call(int(ids[2]))], "chunk-cur"), page([call(int(ids[0])), call(int(ids[2]), title="x")])],
    )
    not_found: list[str] = []

    got = list(
        records_by_id(
            client,
            CALLS_EXTENSIVE,
            ids,
            {},
            not_found=not_found,
            progress=Progress(client, "call", total=None),
        )
    )

    assert got == [call(int(ids[0])), call(int(ids[2]))]
    assert not_found == [ids[1]]
    assert bodies(httpserver) == [
        {"filter": {"callIds": ids}},
        {"filter": {"callIds": ids}, "cursor": "chunk-cur"},
    ]


def test_records_by_id_resumes_after_the_chunk_that_failed(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [by_ids, gong_error(400, "filter is bad today", request_id="bad-1")],
    )
    resume = Resume()
    first_not_found: list[str] = []
    first: list[dict[str, Any]] = []

    _, records = fetch_by_ids(client, first_not_found, resume)
    with pytest.raises(GongBadRequestError) as caught:
        for record in records:
            first.append(record)

    assert caught.value.request_id == "bad-1"
    assert first == expected_calls(IDS[:100])
    assert resume.next_index == 100
    assert resume.missing_ids == [IDS[3], IDS[99]]
    assert resume.done is False
    assert bodies(httpserver) == [chunk_body(0, 100), chunk_body(100, 200)]

    # The state survives being kept as JSON (as a task keeps it between tries).
    resumed = Resume.from_json(json.loads(json.dumps(resume.to_json())))
    httpserver.clear()
    serve(httpserver, "POST", "/v2/calls/extensive", [by_ids, by_ids])
    not_found: list[str] = []

    _, records = fetch_by_ids(client, not_found, resumed)
    rest = list(records)

    assert bodies(httpserver) == [chunk_body(100, 200), chunk_body(200, 250)]
    assert rest == expected_calls(IDS[100:])
    assert first + rest == expected_calls(IDS)  # every record once, in the ids' order
    assert not_found == MISSING
    assert (resumed.next_index, resumed.missing_ids) == (250, MISSING)


def test_records_by_id_yields_nothing_of_a_chunk_whose_second_page_failed(
    httpserver: HTTPServer, client: GongClient
) -> None:
    def first_half(request: Request) -> Response:
        asked = json.loads(request.get_data())["filter"]["callIds"]
        return page([call(int(uid)) for uid in asked[:50] if uid not in MISSING], "half")

    def second_half(request: Request) -> Response:
        asked = json.loads(request.get_data())["filter"]["callIds"]
        return page([call(int(uid)) for uid in asked[50:] if uid not in MISSING])

    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [by_ids, first_half, gong_error(503, "maintenance", request_id="down")],
    )
    resume = Resume()
    first: list[dict[str, Any]] = []

    _, records = fetch_by_ids(client, [], resume)
    with pytest.raises(GongServerError):
        for record in records:
            first.append(record)

    assert first == expected_calls(IDS[:100])  # none of the second chunk's first page
    assert resume.next_index == 100
    httpserver.clear()
    serve(httpserver, "POST", "/v2/calls/extensive", [first_half, second_half, by_ids])
    not_found: list[str] = []

    _, records = fetch_by_ids(client, not_found, resume)
    rest = list(records)

    assert bodies(httpserver) == [
        chunk_body(100, 200),
        {**chunk_body(100, 200), "cursor": "half"},
        chunk_body(200, 250),
    ]
    assert first + rest == expected_calls(IDS)
    assert not_found == MISSING


def test_records_by_id_takes_the_nothing_found_404_as_all_ids_missing(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(httpserver, "POST", "/v2/calls/extensive", [gong_error(404, NO_CALLS)])
    not_found: list[str] = []

    got = list(
        records_by_id(
            client,
            CALLS_EXTENSIVE,
            IDS[:2],
            EXTENSIVE_FILTER,
            not_found=not_found,
            progress=Progress(client, "call", total=2),
        )
    )

    assert got == []
    assert not_found == IDS[:2]
    assert bodies(httpserver) == [{"filter": {**EXTENSIVE_FILTER, "callIds": IDS[:2]}}]


# --- 6. cursor cycles and endless empty pages ------------------------------------------------------


@pytest.mark.parametrize(
    ("cursors", "calls"),
    [
        (["c-1", "c-2", "c-1"], 3),  # back to a cursor handed out before
        (["c-1", "c-1"], 2),  # the same cursor as the page just fetched
    ],
)
def test_a_cursor_cycle_on_a_post_listing_raises(
    httpserver: HTTPServer, client: GongClient, cursors: list[str], calls: int
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [page([call(n)], cursor, request_id=f"p{n}") for n, cursor in enumerate(cursors)],
    )
    got: list[list[dict[str, Any]]] = []

    with pytest.raises(GongApiError) as caught:
        for _, items in pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY):
            got.append(items)

    err = caught.value
    assert type(err) is GongApiError
    assert (err.status_code, err.method, err.path, err.request_id) == (
        200,
        "POST",
        "/v2/calls/extensive",
        f"p{calls - 1}",
    )
    assert err.detail == (
        "Gong handed out a cursor it had given before (a paging cycle); stopping rather than fetching "
        f"the same pages again, after {calls} calls"
    )
    assert got == [[call(n)] for n in range(calls)]
    assert bodies(httpserver) == [EXTENSIVE_BODY] + [
        {**EXTENSIVE_BODY, "cursor": cursor} for cursor in cursors[: calls - 1]
    ]


def test_endless_empty_pages_on_a_post_listing_raise_after_max_empty_pages(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [page([], f"e-{n}", request_id=f"e{n}") for n in range(MAX_EMPTY_PAGES + 5)],
    )

    with pytest.raises(GongApiError) as caught:
        list(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY))

    err = caught.value
    assert (err.status_code, err.path, err.request_id) == (
        200,
        "/v2/calls/extensive",
        f"e{MAX_EMPTY_PAGES - 1}",
    )
    assert err.detail == (
        f"Gong answered {MAX_EMPTY_PAGES} empty pages in a row, each with a new cursor; stopping rather "
        "than paging on without end"
    )
    sent_cursors = [body.get("cursor") for body in bodies(httpserver)]
    assert sent_cursors == [None] + [f"e-{n}" for n in range(MAX_EMPTY_PAGES - 1)]


def test_a_page_with_records_resets_the_run_of_empty_pages(
    httpserver: HTTPServer, client: GongClient
) -> None:
    run = MAX_EMPTY_PAGES - 1
    answers: list[Answer] = [page([], f"a-{n}") for n in range(run)]
    answers.append(page([call(1)], "mid"))
    answers += [page([], f"b-{n}") for n in range(run)]
    answers.append(page([call(2)]))
    serve(httpserver, "POST", "/v2/calls/extensive", answers)

    got = [items for items in items_of(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY)) if items]

    assert got == [[call(1)], [call(2)]]
    assert len(httpserver.log) == 2 * run + 2


# A listing that keeps answering the same calls with a new cursor each time brings nothing new on any
# page after the first, yet is neither a cycle (the cursors are new) nor a run of empty pages: such pages
# count towards the same bound as empty ones (they used not to, and paged on without end).
def test_pages_that_only_repeat_records_are_bounded_like_empty_pages(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [page([call(1)], f"again-{n}") for n in range(MAX_EMPTY_PAGES + 20)],
    )

    try:
        list(pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY))
    except GongServerError:
        raise  # the script's 500 after MAX_EMPTY_PAGES + 20 pages: the listing was still paging
    except GongApiError as err:
        assert err.status_code == 200
    else:
        pytest.fail("the listing ended although every page handed out a new cursor")
    assert len(httpserver.log) <= MAX_EMPTY_PAGES + 1


# --- 7. resuming a POST listing ------------------------------------------------------------------


def test_a_post_listing_resumed_from_a_kept_cursor_starts_there(
    httpserver: HTTPServer, client: GongClient
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [page([call(7)], "cur-8"), page([call(8)])],
    )
    resume = Resume(cursor="kept-7")

    listing = pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY, resume=resume)
    _, first = next(listing)
    assert first == [call(7)]
    assert resume.cursor == "kept-7"  # the page being consumed
    _, second = next(listing)
    assert second == [call(8)]
    assert resume.cursor == "cur-8"
    assert list(listing) == []

    assert sent(httpserver) == [
        ("POST", "/v2/calls/extensive", [], {**EXTENSIVE_BODY, "cursor": "kept-7"}),
        ("POST", "/v2/calls/extensive", [], {**EXTENSIVE_BODY, "cursor": "cur-8"}),
    ]
    assert resume.restarted is False


def test_a_post_listing_whose_kept_cursor_expired_restarts_and_skips_stored_calls(
    httpserver: HTTPServer, client: GongClient, logged: Captured
) -> None:
    serve(
        httpserver,
        "POST",
        "/v2/calls/extensive",
        [
            gong_error(400, "cursor has expired", request_id="exp-1"),
            page([call(1), call(2)], "new-1"),
            page([call(3), call(2)]),
        ],
    )
    resume = Resume(cursor="kept-old")

    got = items_of(
        pages(client, CALLS_EXTENSIVE, EXTENSIVE_BODY, resume=resume, known_ids=lambda: ["1", "2"])
    )

    assert got == [[], [call(3)]]
    assert bodies(httpserver) == [
        {**EXTENSIVE_BODY, "cursor": "kept-old"},
        EXTENSIVE_BODY,
        {**EXTENSIVE_BODY, "cursor": "new-1"},
    ]
    assert resume.restarted is True
    assert logged.warnings()[0].startswith(
        "Gong rejected the cursor kept from before the wait (cursor has expired, requestId exp-1)"
    )
