"""The endpoint registry against Gong's official OpenAPI spec (``../shared/gong-openapi.json``)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_gong.endpoints import ENDPOINTS, Endpoint, probe_endpoint
from airflow_provider_gong.exceptions import GongConfigError, GongNotFoundError

#: A copy of Gong's official OpenAPI spec, kept with the tests (the registry is checked against it).
SPEC_PATH = Path(__file__).resolve().parent / "data" / "gong-openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def _operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, methods in SPEC["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path, operation)
    return found


OPERATIONS = _operations()


def _schema(ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[-1]
    return SPEC["components"]["schemas"][name]  # type: ignore[no-any-return]


def _answer_keys(operation: dict[str, Any]) -> set[str]:
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return set(_schema(schema).get("properties", {}))


def _takes_cursor(operation: dict[str, Any]) -> bool:
    if any(p["name"] == "cursor" for p in operation.get("parameters", [])):
        return True
    if "requestBody" not in operation:
        return False
    body = _schema(operation["requestBody"]["content"]["application/json"]["schema"])
    return "cursor" in body.get("properties", {})


def _filter_keys(operation: dict[str, Any]) -> set[str]:
    body = _schema(operation["requestBody"]["content"]["application/json"]["schema"])
    return set(_schema(body["properties"]["filter"]).get("properties", {}))


def test_the_spec_is_there() -> None:
    assert len(OPERATIONS) == 67


@pytest.mark.parametrize("operation_id", sorted(ENDPOINTS))
def test_every_entry_matches_gongs_spec(operation_id: str) -> None:
    endpoint = ENDPOINTS[operation_id]
    method, path, operation = OPERATIONS[operation_id]

    assert endpoint.operation_id == operation_id
    assert (endpoint.method, endpoint.path) == (method, path)
    # The spec names scopes in each description; the entry names the same, the always-required one first.
    named = re.findall(r"'(api:[a-z:-]+)'", operation.get("description", ""))
    assert set(endpoint.scopes) == set(named)
    assert endpoint.scopes[:1] == tuple(named[:1])
    keys = _answer_keys(operation)
    if endpoint.records_key is not None:
        assert endpoint.records_key in keys
    if endpoint.record_key is not None:
        assert endpoint.record_key in keys
    assert endpoint.paged == ("records" in keys and _takes_cursor(operation))
    path_params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    assert list(endpoint.path_params) == path_params
    if endpoint.id_filter is not None:
        assert endpoint.id_filter in _filter_keys(operation)
    if endpoint.window is not None:
        if method == "GET":
            query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
            assert set(endpoint.window) <= query
        else:
            assert set(endpoint.window) <= _filter_keys(operation)


def test_the_users_and_calls_operations_are_registered() -> None:
    assert {"getUser", "listUsers", "listMultipleUsers", "getUserHistory", "listCalls"} <= set(ENDPOINTS)
    assert ENDPOINTS["listUsers"].scopes == ("api:users:read",)
    assert ENDPOINTS["listCallsExtensive"].scopes[0] == "api:calls:read:extensive"


def test_record_ids_are_read_where_each_endpoint_keeps_them() -> None:
    assert ENDPOINTS["listUsers"].record_id({"id": 12}) == "12"
    assert ENDPOINTS["listCallsExtensive"].record_id({"metaData": {"id": "77"}}) == "77"
    assert ENDPOINTS["listCallsExtensive"].record_id({"metaData": None}) is None
    assert ENDPOINTS["getCallTranscripts"].record_id({"callId": 5, "transcript": []}) == "5"
    assert ENDPOINTS["listUsers"].record_id({}) is None


def test_nothing_found_is_only_the_endpoints_own_message() -> None:
    users = ENDPOINTS["listUsers"]
    calls = ENDPOINTS["listCalls"]
    no_users = GongNotFoundError(
        404, "GET", "/v2/users", errors=["No users found corresponding to the provided filters"]
    )
    no_calls = GongNotFoundError(
        404, "GET", "/v2/calls", errors=["No calls found corresponding to the provided filters"]
    )
    other = GongNotFoundError(404, "GET", "/v2/calls", errors=["Not Found"])

    assert users.is_nothing_found(no_users)
    assert not users.is_nothing_found(no_calls)
    assert calls.is_nothing_found(no_calls)
    assert not calls.is_nothing_found(other)
    assert not ENDPOINTS["getUser"].is_nothing_found(no_users)  # no such 404 for one user: it is missing


def test_path_parameters_are_checked_ids() -> None:
    assert ENDPOINTS["getUser"].url_path(id=123) == "/v2/users/123"
    assert ENDPOINTS["getCall"].url_path(id="  9 ") == "/v2/calls/9"
    with pytest.raises(ValueError, match=r"Invalid Gong call id '\.\./x'"):
        ENDPOINTS["getCall"].url_path(id="../x")
    with pytest.raises(ValueError, match=r"needs path parameters \['id'\]"):
        ENDPOINTS["getUser"].url_path()


def test_a_probe_fills_a_required_window_with_the_last_hour() -> None:
    now = datetime(2026, 12, 1, 10, 30, 15, 123456, tzinfo=UTC)

    params, body = ENDPOINTS["listCalls"].probe_request(now)
    assert body is None
    assert params == {"fromDateTime": "2026-12-01T09:30:15+00:00", "toDateTime": "2026-12-01T10:30:15+00:00"}
    params, body = ENDPOINTS["getCallTranscripts"].probe_request(now)
    assert params is None
    assert body is not None
    window = body["filter"]
    start, end = datetime.fromisoformat(window["fromDateTime"]), datetime.fromisoformat(window["toDateTime"])
    assert end - start == timedelta(hours=1)
    assert ENDPOINTS["listUsers"].probe_request(now) == ({"includeAvatars": "false"}, None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("getUser", "cannot be a rate-limit probe"),
        ("getCall", "cannot be a rate-limit probe"),
        ("listNothing", "not an endpoint this provider knows"),
        ("list users", "must be one of Gong's operation ids"),
        (None, "must be one of Gong's operation ids"),
        (3, "must be one of Gong's operation ids"),
    ],
)
def test_a_probe_endpoint_is_checked_by_name(value: Any, problem: str) -> None:
    with pytest.raises(GongConfigError, match=problem) as caught:
        probe_endpoint(value, owner="task 'wait'")
    assert str(caught.value).startswith("task 'wait': ")
    assert "listCalls" in str(caught.value)  # the choices are named


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        ENDPOINTS["mine"] = Endpoint("mine", "GET", "/v2/mine")  # type: ignore[index]
