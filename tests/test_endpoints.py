"""The endpoint registry against Gong's official OpenAPI spec (``../shared/gong-openapi.json``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gong_spec import OPERATIONS, SPEC

from airflow_provider_gong.endpoints import ENDPOINTS, Endpoint, probe_endpoint
from airflow_provider_gong.exceptions import GongConfigError, GongNotFoundError


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


#: Every read operation of Gong's spec, bar the three left out on purpose (see the module's docstring).
READ_OPERATIONS = {
    "listCalls", "getCall", "listCallsExtensive", "getCallTranscripts", "getUsersAccessToCalls",
    "listCallOutcomes", "listUsers", "getUser", "getUserHistory", "listMultipleUsers",
    "listPermissionProfileUsers", "getPermissionProfile", "listPermissionProfile", "listInteractionStats",
    "listAnsweredScorecards", "listMultipleUsersDayByDayActivity", "listMultipleUsersAggregateActivity",
    "listMultipleUsersAggregateByPeriod", "listWorkspaces", "listTrackers", "listScorecards", "listBriefs",
    "getLibraryStructure", "getCallsInSpecificFolder", "listUsers_1", "listLogs", "listFlows",
    "listFlowsFolders", "getFlowSteps", "getProspectsAssignedFlows", "getFlowProspectsBulkAssignment",
    "listTasks", "listGenericCrmIntegration", "listCrmSchemaFields", "getCrmObjects", "getRequestStatus",
    "findAllReferencesToEmailAddress", "findAllReferencesToPhoneNumber",
}  # fmt: skip
#: Where an entry's inputs differ from the spec's declaration, and why.
INPUT_OVERRIDES = {
    # The spec declares objectsCrmIds a query array, and its description says it "should be sent in the
    # request body"; Gong's example sends the ids as the body of the GET: a JSON list.
    ("getCrmObjects", "objectsCrmIds"): "array",
}


def test_every_read_operation_is_registered_and_nothing_else() -> None:
    assert len(READ_OPERATIONS) == 38
    assert set(ENDPOINTS) == READ_OPERATIONS
    for left_out in ("generateBrief", "askEntity", "integrationStatus"):
        assert left_out in OPERATIONS and left_out not in ENDPOINTS


def _declared(operation: dict[str, Any]) -> dict[str, tuple[str, bool, tuple[str, ...], dict[str, Any]]]:
    """The spec's inputs: Gong name -> (where, required, enum, schema), the cursor left out."""
    found = {}
    for param in operation.get("parameters", []):
        schema = param.get("schema", {})
        enum = tuple(schema.get("enum") or schema.get("items", {}).get("enum") or ())
        found[param["name"]] = (param["in"], bool(param.get("required")), enum, schema)
    if "requestBody" in operation:
        body = _schema(operation["requestBody"]["content"]["application/json"]["schema"])
        for name, schema in body.get("properties", {}).items():
            enum = tuple(schema.get("enum") or schema.get("items", {}).get("enum") or ())
            found[name] = ("body", name in body.get("required", []), enum, schema)
    found.pop("cursor", None)
    return found


@pytest.mark.parametrize("operation_id", sorted(ENDPOINTS))
def test_every_entrys_inputs_are_the_specs(operation_id: str) -> None:
    endpoint = ENDPOINTS[operation_id]
    declared = _declared(OPERATIONS[operation_id][2])
    mine = {param.wire: param for param in endpoint.inputs}
    assert set(mine) == set(declared)
    for wire, param in mine.items():
        where, required, enum, schema = declared[wire]
        assert param.where == INPUT_OVERRIDES.get((operation_id, wire), where)
        assert param.required == required, wire
        assert param.choices == enum, wire
        if param.kind == "filter":
            filter_schema = _schema(schema)
            fields = {field.wire: field for field in param.fields}
            assert set(fields) == set(filter_schema.get("properties", {}))
            for name, field in fields.items():
                spec_field = filter_schema["properties"][name]
                spec_enum = tuple(spec_field.get("enum") or spec_field.get("items", {}).get("enum") or ())
                assert field.required == (name in filter_schema.get("required", [])), name
                assert field.choices == spec_enum, name
                assert field.kind.endswith("s") == (spec_field.get("type") == "array"), name
        elif param.kind != "object":
            assert param.kind.endswith("s") == (schema.get("type") == "array"), wire
    assert "cursor" not in endpoint.input_names


def test_keyword_names_are_gongs_in_snake_case() -> None:
    assert ENDPOINTS["listUsers_1"].input_names == ("workspace_id", "manager_id", "from_", "to")
    assert ENDPOINTS["listLogs"].input_names == ("log_type", "from_date_time", "to_date_time")
    assert ENDPOINTS["listCallsExtensive"].input_names == ("filter", "content_selector")
    assert ENDPOINTS["listMultipleUsersAggregateByPeriod"].input_names == ("filter", "aggregation_period")


def test_a_window_goes_where_each_endpoint_takes_it() -> None:
    from datetime import date

    stats = ENDPOINTS["listMultipleUsersDayByDayActivity"]
    placed = stats.with_window({"filter": {"userIds": ["1"]}}, date(2026, 11, 30), date(2026, 12, 1))
    assert placed == {"filter": {"userIds": ["1"], "fromDate": "2026-11-30", "toDate": "2026-12-01"}}
    logs = ENDPOINTS["listLogs"]
    start = datetime(2026, 11, 30, tzinfo=UTC)
    placed = logs.with_window({"log_type": "AccessLog"}, start, start + timedelta(days=1))
    assert placed == {
        "log_type": "AccessLog",
        "from_date_time": "2026-11-30T00:00:00+00:00",
        "to_date_time": "2026-12-01T00:00:00+00:00",
    }
    assert logs.gives_window(placed) and not logs.gives_window({"log_type": "AccessLog"})
    assert stats.gives_window(stats.with_window({}, date(2026, 11, 30), date(2026, 12, 1)))
    with pytest.raises(ValueError, match="takes a date"):
        stats.with_window({}, start, start + timedelta(days=1))
    with pytest.raises(ValueError, match="takes no window"):
        ENDPOINTS["listWorkspaces"].with_window({}, start, start)


def test_window_inputs_may_wait_for_an_operator_to_fill_them() -> None:
    stats = ENDPOINTS["listMultipleUsersAggregateActivity"]
    with pytest.raises(ValueError, match=r"filter\['fromDate'\] is required"):
        stats.check_inputs({})
    stats.check_inputs({}, window_given=False)
    stats.check_inputs({"filter": {"userIds": [1, 2]}}, window_given=False)
    with pytest.raises(ValueError, match=r"filter\['userIds'\]\[1\]"):
        stats.check_inputs({"filter": {"userIds": [1, "x"]}}, window_given=False)


def test_a_date_window_probe_asks_for_the_day_before_yesterday() -> None:
    now = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    params, body = ENDPOINTS["listInteractionStats"].probe_request(now)
    assert params is None
    assert body == {"filter": {"fromDate": "2026-11-29", "toDate": "2026-11-30"}}
    assert ENDPOINTS["listLogs"].probe_request(now)[0] == {
        "logType": "AccessLog",
        "fromDateTime": "2026-12-01T09:30:00+00:00",
        "toDateTime": "2026-12-01T10:30:00+00:00",
    }


@pytest.mark.parametrize(
    "zone", ["Etc/GMT+12", "Pacific/Pago_Pago", "America/Los_Angeles", "UTC", "Pacific/Kiritimati"]
)
def test_a_date_window_probe_is_never_past_the_companys_today(zone: str) -> None:
    """Gong refuses a toDate after today in the company's zone, whichever zone and hour the probe runs at."""
    for hour in range(0, 24 * 3, 1):
        now = datetime(2026, 11, 30, tzinfo=UTC) + timedelta(hours=hour, minutes=59)
        _, body = ENDPOINTS["listMultipleUsersDayByDayActivity"].probe_request(now)
        assert body is not None
        today = now.astimezone(ZoneInfo(zone)).date()
        assert date.fromisoformat(body["filter"]["toDate"]) <= today, (zone, now)


@pytest.mark.parametrize(
    "operation_id",
    [
        "listTasks",
        "listFlows",
        "getUsersAccessToCalls",
        "listPermissionProfile",
        "listUsers_1",
        "getFlowSteps",
    ],
)
def test_endpoints_with_inputs_to_invent_are_no_probes(operation_id: str) -> None:
    assert not ENDPOINTS[operation_id].probeable
    with pytest.raises(GongConfigError, match="cannot be a rate-limit probe"):
        probe_endpoint(operation_id)


def test_a_text_path_parameter_is_quoted_not_trusted() -> None:
    bulk = ENDPOINTS["getFlowProspectsBulkAssignment"]
    assert bulk.url_path(id="ab-12") == "/v2/flows/prospects/bulk-assignments/ab-12"
    assert bulk.url_path(id="../x") == "/v2/flows/prospects/bulk-assignments/..%2Fx"
    with pytest.raises(ValueError, match="non-empty"):
        bulk.url_path(id=" ")


#: Operations whose spec-documented 404 means a range or filter with nothing in it (an empty result).
EMPTY_404 = [
    "listCalls",
    "listCallsExtensive",
    "getCallTranscripts",
    "listMultipleUsers",
    "listInteractionStats",
    "listAnsweredScorecards",
    "listScorecards",
    "getLibraryStructure",
    "listLogs",
]


@pytest.mark.parametrize("operation_id", EMPTY_404)
def test_the_404_gongs_spec_documents_for_nothing_found_is_an_empty_result(operation_id: str) -> None:
    """A quiet day of stats or logs is Gong's 404 (its spec's words): the listing is then empty, no error."""
    _, _, operation = OPERATIONS[operation_id]
    documented = operation["responses"]["404"]["description"]
    error = GongNotFoundError(404, "GET", "/v2/x", errors=[documented])
    assert ENDPOINTS[operation_id].is_nothing_found(error), documented


@pytest.mark.parametrize(
    ("operation_id", "message"),
    [
        ("listTrackers", "Workspace not found"),
        ("getUser", "User not found"),
        ("getCall", "Call ID was not found"),
        ("getFlowSteps", "One or more flows not found"),
    ],
)
def test_a_404_for_an_unknown_id_stays_an_error(operation_id: str, message: str) -> None:
    error = GongNotFoundError(404, "GET", "/v2/x", errors=[message])
    assert not ENDPOINTS[operation_id].is_nothing_found(error)
