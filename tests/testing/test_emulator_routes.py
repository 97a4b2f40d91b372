"""The route table: every row is a Gong operation (method, path, operationId, scope), served and guarded.

Checked against Gong's OpenAPI spec, a copy of which is kept in ``tests/data/gong-openapi.json``: each
operation's method, path, operationId, and the scope its description says a Bearer token needs first.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from emulator_samples import SpecClient, sample_request
from gong_spec import OPERATIONS as SPEC_OPERATIONS

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.app import EmulatorApp
from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.config import USERS_READ_SCOPE
from airflow_provider_gong.testing.envelope import dumps, not_found, paged_answer, record_answer
from airflow_provider_gong.testing.inputs import Request, gong_id
from airflow_provider_gong.testing.routes import ROUTE_OTHER, ROUTES, TABLE, Route, Router, match
from airflow_provider_gong.testing.state import EmulatorState


def _scope(operation: Mapping[str, Any]) -> str | None:
    """The scope a Bearer token needs first, as the operation's description names it (or None)."""
    scopes = re.findall(r"'(api:[a-z:-]+)'", operation.get("description", ""))
    return scopes[0] if scopes else None


#: Gong's operations by (method, path): ``operationId`` and the scope it needs.
OPERATIONS = {
    (method, path): {"operationId": operation_id, "scope": _scope(operation)}
    for operation_id, (method, path, operation) in SPEC_OPERATIONS.items()
}
SPEC_SCOPES = sorted({op["scope"] for op in OPERATIONS.values() if op["scope"]})
ROUTE_IDS = [route.operation_id for route in TABLE]
#: Routes guarded by a scope (Gong's spec names none for a few, e.g. the permission profiles).
SCOPED_IDS = [route.operation_id for route in TABLE if route.scopes]


@pytest.fixture
def sample(gong_emulator: GongEmulator) -> Iterator[Any]:
    """``sample(operation_id)`` -> (method, path, query, body) of a valid request; the lookups it takes to
    find the inputs are then cleared from the emulator's counters.
    """
    with SpecClient(gong_emulator) as discovery:

        def find(operation_id: str) -> tuple[str, str, Any, Any]:
            [route] = [route for route in TABLE if route.operation_id == operation_id]
            path, (query, body) = sample_request(discovery, operation_id, route.path)
            gong_emulator.reset()
            return route.method, path, query, body

        yield find


def test_every_route_is_a_gong_operation() -> None:
    for route in TABLE:
        operation = OPERATIONS.get((route.method, route.path))
        assert operation is not None, f"{route.label} is not in Gong's spec"
        assert route.operation_id == operation["operationId"], route
        assert route.scopes == ((operation["scope"],) if operation["scope"] else ()), route


def test_operation_ids_and_labels_are_unique() -> None:
    assert len(set(ROUTE_IDS)) == len(TABLE)
    assert len(set(ROUTES)) == len(TABLE)


def test_stats_labels_are_method_and_path_template() -> None:
    """bench/ and many tests count calls under these names: ``METHOD /path/{param}``, or ``other``."""
    assert list(ROUTES) == [f"{route.method} {route.path}" for route in TABLE]
    assert "GET /v2/users/{id}" in ROUTES and "POST /v2/calls/transcript" in ROUTES
    assert ROUTE_OTHER == "other"
    assert [route.label for route in TABLE] == list(ROUTES)


def test_every_route_has_a_sample_that_reaches_it(sample: Any) -> None:
    for route in TABLE:
        method, path, _, _ = sample(route.operation_id)
        assert match(method, path).route is route


def _call(client: Any, request: tuple[str, str, Any, Any]) -> Any:
    method, path, query, body = request
    return client.request(method, path, params=query, json=body)


@pytest.mark.parametrize("operation_id", ROUTE_IDS)
def test_every_route_is_served(
    gong: Any, gong_emulator: GongEmulator, sample: Any, operation_id: str
) -> None:
    [route] = [route for route in TABLE if route.operation_id == operation_id]
    response = _call(gong, sample(operation_id))
    assert response.status_code == 200, response.text
    assert response.json()["requestId"]
    assert gong_emulator.stats()["by_endpoint"] == {route.label: {"200": 1}}


@pytest.mark.parametrize("kind", ["bearer", "basic"])
@pytest.mark.parametrize("operation_id", SCOPED_IDS)
def test_every_route_enforces_its_scope(
    anon: Any, gong_emulator: GongEmulator, sample: Any, operation_id: str, kind: Any
) -> None:
    [route] = [route for route in TABLE if route.operation_id == operation_id]
    request = sample(operation_id)
    anon.headers.update(gong_emulator.auth_headers(kind))
    gong_emulator.config.scopes = [scope for scope in SPEC_SCOPES if scope not in route.scopes]
    denied = _call(anon, request)
    assert denied.status_code == 403, denied.text
    body = denied.json()
    assert set(body) == {"requestId", "errors"}
    assert body["errors"] == [f"Access denied: the credentials lack the scope '{route.scopes[0]}'"]

    gong_emulator.config.scopes = list(route.scopes)
    assert _call(anon, request).status_code == 200
    assert gong_emulator.stats()["by_endpoint"] == {route.label: {"403": 1, "200": 1}}


def test_a_route_gong_names_no_scope_for_is_served_whatever_the_scopes(
    anon: Any, gong_emulator: GongEmulator, sample: Any
) -> None:
    unscoped = [route for route in TABLE if not route.scopes]
    assert {route.operation_id for route in unscoped} == {"listPermissionProfile", "getPermissionProfile"}
    requests = [sample(route.operation_id) for route in unscoped]
    for request in requests:
        anon.headers.update(gong_emulator.auth_headers("bearer"))
        gong_emulator.config.scopes = []
        assert _call(anon, request).status_code == 200
        anon.headers.clear()
        assert _call(anon, request).status_code == 401


#: Basic auth with the default credentials, as raw ASGI headers want it.
BASIC = {
    "authorization": "Basic " + base64.b64encode(b"emulator-access-key:emulator-access-key-secret").decode()
}


def asgi_call(
    app: EmulatorApp, method: str, path: str, headers: Mapping[str, str], query: bytes = b""
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request straight into the ASGI app (no server): status, headers, body."""
    sent: list[Mapping[str, Any]] = []
    incoming = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # pragma: no cover - only a delayed answer waits for a disconnect
        raise AssertionError

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 1),
    }
    asyncio.run(app(scope, receive, send))
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


def test_a_route_needing_several_scopes_names_every_missing_one() -> None:
    needy = Route("GET", "/v2/users", "listUsers", (USERS_READ_SCOPE, "api:a", "api:b"), TABLE[0].handler)
    state = EmulatorState(EmulatorConfig(scopes=[USERS_READ_SCOPE, "api:a"], rate_per_second=None))
    status, _, body = asgi_call(EmulatorApp(state, [needy]), "GET", "/v2/users", BASIC)
    assert status == 403
    assert json.loads(body)["errors"] == ["Access denied: the credentials lack the scope 'api:b'"]
    state.config.scopes = []
    status, _, body = asgi_call(EmulatorApp(state, [needy]), "GET", "/v2/users", BASIC)
    assert json.loads(body)["errors"] == [
        "Access denied: the credentials lack the scopes 'api:users:read', 'api:a', 'api:b'"
    ]


def test_unknown_paths_and_methods_are_not_routes(gong: Any, gong_emulator: GongEmulator) -> None:
    assert gong.get("/v2/meetings").status_code == 404
    assert gong.get("/v2/users/").status_code == 404
    assert gong.delete("/v2/users/987").status_code == 405
    assert gong_emulator.stats()["by_endpoint"] == {"other": {"404": 2, "405": 1}}


# -- matching ----------------------------------------------------------------------------------------------


def test_matching_prefers_literal_paths_and_extracts_parameters() -> None:
    found = match("GET", "/v2/users/extensive")
    assert (found.route, found.allowed, found.label) == (None, ("POST",), "other")
    found = match("GET", "/v2/users/extensive/settings-history")
    assert found.route is not None and found.route.operation_id == "getUserHistory"
    assert found.params == {"id": "extensive"}
    found = match("GET", "/v2/users/123")
    assert found.route is not None and found.route.operation_id == "getUser"
    assert (found.params, found.label) == ({"id": "123"}, "GET /v2/users/{id}")
    assert match("GET", "/v2/users/1/2").route is None
    assert match("GET", "/v2/users/1/2").allowed == ()


def test_a_template_with_two_parameters_and_duplicate_rows() -> None:
    handler = TABLE[0].handler
    router = Router(
        [
            Route("GET", "/v2/a/{x}/b/{y}", "two", (), handler),
            Route("GET", "/v2/a/{x}/b/literal", "one", (), handler),
        ]
    )
    found = router.match("GET", "/v2/a/1/b/literal")
    assert found.route is not None and found.route.operation_id == "one"
    found = router.match("GET", "/v2/a/1/b/2")
    assert found.route is not None and found.route.operation_id == "two"
    assert found.params == {"x": "1", "y": "2"}
    with pytest.raises(ValueError, match="duplicate route GET /v2/a"):
        Router([Route("GET", "/v2/a", "a", (), handler), Route("GET", "/v2/a", "b", (), handler)])


# -- a new resource: one module of handlers plus rows (here a toy calls resource instead of the real one) ---

CALLS_SCOPE = "api:calls:read:basic"
CALLS = [{"id": str(7_000_000 + n), "title": f"Call {n}"} for n in range(5)]


def list_calls(request: Request) -> Answer:
    workspace = request.query_value("workspaceId")
    selection = CALLS if workspace in (None, "1") else []
    return paged_answer(
        selection,
        dumps,
        key="calls",
        cursor=request.query_cursor(),
        fingerprint=json.dumps(["calls", workspace]),
        page_size=request.config.page_size,
        cursor_ttl=request.config.cursor_ttl,
        empty_message="No calls found corresponding to the provided filters",
        request_id=request.request_id,
    )


def get_call(request: Request) -> Answer:
    call_id = gong_id(request.params["id"], "call id")
    found = [call for call in CALLS if call["id"] == call_id]
    if not found:
        return not_found("Call not found", request.request_id)
    return record_answer(request.request_id, "call", dumps(found[0]))


CALL_ROUTES = (
    Route("GET", "/v2/calls", "listCalls", (CALLS_SCOPE,), list_calls),
    Route("GET", "/v2/calls/{id}", "getCall", (CALLS_SCOPE,), get_call),
)


def _pages(app: EmulatorApp, headers: Mapping[str, str]) -> Sequence[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    query = b""
    while True:
        status, _, body = asgi_call(app, "GET", "/v2/calls", headers, query)
        assert status == 200, body
        pages.append(json.loads(body))
        cursor = pages[-1]["records"].get("cursor")
        if cursor is None:
            return pages
        query = b"cursor=" + cursor.encode()


def test_a_new_resource_gets_auth_scopes_paging_and_stats_from_the_shared_core() -> None:
    for route in CALL_ROUTES:
        assert OPERATIONS[(route.method, route.path)]["operationId"] == route.operation_id
        assert (OPERATIONS[(route.method, route.path)]["scope"],) == route.scopes
    config = EmulatorConfig(page_size=2, rate_per_second=None, scopes=[USERS_READ_SCOPE, CALLS_SCOPE])
    state = EmulatorState(config)
    users_routes = tuple(route for route in TABLE if route.path.startswith("/v2/users"))
    app = EmulatorApp(state, users_routes + CALL_ROUTES)

    pages = _pages(app, BASIC)
    assert [call for page in pages for call in page["calls"]] == CALLS
    assert [page["records"]["currentPageNumber"] for page in pages] == [0, 1, 2]
    assert {page["records"]["totalRecords"] for page in pages} == {5}

    status, headers, body = asgi_call(app, "GET", "/v2/calls/7000003", BASIC)
    assert (status, json.loads(body)["call"]) == (200, CALLS[3])
    assert headers[b"content-type"].startswith(b"application/json")
    status, _, body = asgi_call(app, "GET", "/v2/calls/1", BASIC)
    assert (status, json.loads(body)["errors"]) == (404, ["Call not found"])
    status, _, body = asgi_call(app, "GET", "/v2/calls/x", BASIC)
    assert (status, json.loads(body)["errors"]) == (
        400,
        ["Invalid call id 'x': expected a number of up to 20 digits"],
    )
    status, _, body = asgi_call(app, "GET", "/v2/calls", BASIC, b"workspaceId=2")
    assert (status, json.loads(body)["errors"]) == (
        404,
        ["No calls found corresponding to the provided filters"],
    )
    status, _, body = asgi_call(app, "GET", "/v2/calls", BASIC, b"workspaceId=2&cursor=" + b"x")
    assert status == 404  # nothing to page through: the empty result wins over a bad cursor
    status, _, _ = asgi_call(app, "GET", "/v2/calls", {})
    assert status == 401
    status, _, _ = asgi_call(app, "GET", "/v2/users/987", BASIC)
    assert status == 200

    state.config.scopes = [USERS_READ_SCOPE]
    status, _, body = asgi_call(app, "GET", "/v2/calls", BASIC)
    assert (status, json.loads(body)["errors"]) == (
        403,
        [f"Access denied: the credentials lack the scope '{CALLS_SCOPE}'"],
    )
    state.config.fail_next = [{"status": 503}]
    status, _, _ = asgi_call(app, "GET", "/v2/calls/7000000", BASIC)
    assert status == 503

    stats = state.stats()
    assert stats["by_endpoint"] == {
        "GET /v2/calls": {"200": 3, "404": 2, "401": 1, "403": 1},
        "GET /v2/calls/{id}": {"200": 1, "404": 1, "400": 1, "503": 1},
        "GET /v2/users/{id}": {"200": 1},
    }
    assert stats["gong_calls"] == 12
