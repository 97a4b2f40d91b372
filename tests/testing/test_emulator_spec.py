"""Every route of the emulator answers what Gong's OpenAPI spec says, validated with jsonschema.

One emulator serves the module; each operation's inputs are found the way a user would find them (ids from
the listings). The request body and the 200 answer of each operation are validated against the schemas of
the spec copy in ``tests/data/gong-openapi.json``, its ``$ref`` resolved through a ``referencing`` registry
over the whole document. The spec is made strict (no undeclared keys) and corrected only where it is known
to be wrong; each correction below says why.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
import requests
from gong_spec import OPERATIONS, SPEC
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from airflow_provider_gong.endpoints import ENDPOINTS
from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.resources.engage import engage_data
from airflow_provider_gong.testing.routes import TABLE

SPEC_URI = "urn:gong-openapi"
#: Read operations the emulator leaves out on purpose (AI credits; a meeting integration check), as the
#: endpoint registry does.
NOT_EMULATED = {"generateBrief", "askEntity", "integrationStatus"}
WINDOW = {"fromDateTime": "2026-11-16T00:00:00Z", "toDateTime": "2026-11-23T00:00:00Z"}
WEEK = {"fromDate": "2026-11-16", "toDate": "2026-11-23"}

NULL = {"type": "null"}
#: Keys the emulator sends beyond a schema: Gong's deprecated ``pointsOfInterest`` (always null), which the
#: request's ``CallContent`` still offers but ``ContentDto`` no longer declares.
EXTRA_KEYS = {"ContentDto": {"pointsOfInterest": NULL}}
#: Corrections of the spec, by schema and property.
OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    # The schemas say object, yet the spec's own examples are the plain string "Gong Inc." (a CRM value).
    ("ContextField", "value"): {},
    ("CrmPartyContextField", "value"): {},
    ("PartyContextField", "value"): {},
    # An object Gong does not know comes back as null (crmId -> null), and field values are plain JSON values
    # (strings, numbers), as in ContextField above.
    ("GetGenericCrmObjectsResponse", "crmObjectsMap"): {
        "type": "object",
        "additionalProperties": {"type": ["object", "null"], "additionalProperties": {}},
    },
    # ReminderFilter lists `types` as required but never declares it; Gong's docs: task types, e.g. FLOW.
    ("ReminderFilter", "types"): {"type": "array", "items": {"type": "string"}},
}


def _strict(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its schemas closed (no undeclared keys), every property nullable, and the overrides.

    Nullable: gong-api.md, "Known spec gaps": no field is declared ``nullable``, yet Gong returns nulls.
    """
    spec = copy.deepcopy(spec)
    schemas: dict[str, Any] = spec["components"]["schemas"]
    for (name, key), schema in OVERRIDES.items():
        schemas[name]["properties"][key] = schema
    for name, extra in EXTRA_KEYS.items():
        schemas[name]["properties"].update(extra)

    def close(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                close(item)
            return
        if not isinstance(node, dict):
            return
        for value in node.values():
            close(value)
        if "properties" in node:
            node.setdefault("additionalProperties", False)
            node["properties"] = {key: {"anyOf": [value, NULL]} for key, value in node["properties"].items()}

    close(schemas)
    return spec


STRICT = _strict(SPEC)
REGISTRY: Registry[Any] = Registry().with_resource(
    SPEC_URI, Resource.from_contents(STRICT, default_specification=DRAFT202012)
)
FORMATS = FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
FORMATS.checks("date", raises=ValueError)(_is_date)


#: Gong's read operations: every GET, and the POSTs that list or get (their bodies are filters).
READ_OPERATIONS = {
    operation_id
    for operation_id, (method, _, _) in OPERATIONS.items()
    if method == "GET" or operation_id.startswith(("list", "get"))
} | {"integrationStatus"}
ROUTE_IDS = [route.operation_id for route in TABLE]


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    ref = schema["$ref"]
    assert ref.startswith("#/"), ref
    return Draft202012Validator({"$ref": SPEC_URI + ref}, registry=REGISTRY, format_checker=FORMATS)


def _problems(validator: Draft202012Validator, value: Any) -> list[str]:
    """Where ``value`` breaks the schema (inside a nullable ``anyOf``: the non-null branch's errors)."""

    def leaves(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
        for error in errors:
            inner = [sub for sub in error.context or () if sub.schema is not NULL]
            if inner:
                yield from leaves(inner)
            else:
                yield error

    found = sorted(
        leaves(validator.iter_errors(value)), key=lambda error: list(map(str, error.absolute_path))
    )
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message[:300]}" for error in found
    ][:10]


# -- the emulator and its inputs -----------------------------------------------------------------------------


class _Client(requests.Session):
    def __init__(self, emulator: GongEmulator) -> None:
        super().__init__()
        self.trust_env = False
        self.emulator = emulator
        self.base = emulator.url
        self.headers.update(emulator.auth_headers())

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.request(method, self.base + path, timeout=10, **kwargs)
        assert response.status_code == 200, (method, path, kwargs, response.text)
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def client() -> Iterator[_Client]:
    config = EmulatorConfig(rate_per_second=None, rate_per_day=None, clock="2027-01-01T00:00:00Z")
    with GongEmulator(config) as emulator, _Client(emulator) as session:
        yield session


Sample = tuple[dict[str, Any] | None, dict[str, Any] | None]  # (query, body)


def _user(gong: _Client) -> dict[str, Any]:
    user: dict[str, Any] = gong.ok("GET", "/v2/users")["users"][0]
    return user


def _workspace(gong: _Client) -> str:
    return str(gong.ok("GET", "/v2/workspaces")["workspaces"][0]["id"])


def _profile(gong: _Client) -> str:
    profiles = gong.ok("GET", "/v2/all-permission-profiles", params={"workspaceId": _workspace(gong)})
    return str(profiles["profiles"][0]["id"])


def _call_ids(gong: _Client) -> list[str]:
    return [call["id"] for call in gong.ok("GET", "/v2/calls", params=WINDOW)["calls"][:5]]


def _integration(gong: _Client) -> str:
    return str(gong.ok("GET", "/v2/crm/integrations")["integrations"][0]["integrationId"])


def _manager(gong: _Client) -> str:
    return next(str(user["managerId"]) for user in gong.ok("GET", "/v2/users")["users"] if user["managerId"])


def _folder_with_calls(gong: _Client) -> str:
    for folder in gong.ok("GET", "/v2/library/folders")["folders"]:
        if gong.ok("GET", "/v2/library/folder-content", params={"folderId": folder["id"]}).get("calls"):
            return str(folder["id"])
    raise AssertionError("no library folder holds calls")


def _flow_ids(gong: _Client) -> list[str]:
    flows = gong.ok("GET", "/v2/flows", params={"flowOwnerEmail": _user(gong)["emailAddress"]})["flows"]
    return [flow["id"] for flow in flows[:3]]


def _phone(gong: _Client) -> str:
    return next(
        str(user["phoneNumber"]) for user in gong.ok("GET", "/v2/users")["users"] if user["phoneNumber"]
    )


def _bulk_assignment(gong: _Client) -> str:
    """A bulk assignment already started: its id comes from the POST that submits it, which the emulator
    does not serve, so it is read from the emulator's Engage data.
    """
    state = gong.emulator.state
    now = state.config.now()
    bulks = engage_data(state.directory, state.calls).bulk_assignments()
    return next(bulk for bulk, items in bulks.items() if any(item.created <= now for item in items))


def _flow_instance_ids(gong: _Client) -> list[str]:
    bulk = gong.ok("GET", f"/v2/flows/prospects/bulk-assignments/{_bulk_assignment(gong)}")
    return [result["flowInstanceId"] for result in bulk["results"]]


#: One valid request per operation: ``(query, JSON body)``, inputs discovered from the listings.
SAMPLES: dict[str, Callable[[_Client], Sample]] = {
    "listUsers": lambda gong: (None, None),
    "getUser": lambda gong: (None, None),
    "getUserHistory": lambda gong: (None, None),
    "listMultipleUsers": lambda gong: (None, {"filter": {"createdToDateTime": "2030-01-01T00:00:00Z"}}),
    "listCalls": lambda gong: (WINDOW, None),
    "getCall": lambda gong: (None, None),
    "listCallsExtensive": lambda gong: (
        None,
        {
            "filter": WINDOW,
            "contentSelector": {
                "context": "Extended",
                "exposedFields": {
                    "parties": True,
                    "content": {"structure": True, "topics": True, "trackers": True, "brief": True},
                    "interaction": {"speakers": True, "questions": True},
                    "collaboration": {"publicComments": True},
                },
            },
        },
    ),
    "getCallTranscripts": lambda gong: (None, {"filter": {"callIds": _call_ids(gong)}}),
    "listInteractionStats": lambda gong: (None, {"filter": WEEK}),
    "listAnsweredScorecards": lambda gong: (
        None,
        {"filter": {"callFromDate": "2026-11-01", "callToDate": "2026-12-01"}},
    ),
    "listMultipleUsersDayByDayActivity": lambda gong: (None, {"filter": WEEK}),
    "listMultipleUsersAggregateActivity": lambda gong: (None, {"filter": WEEK}),
    "listMultipleUsersAggregateByPeriod": lambda gong: (None, {"filter": WEEK, "aggregationPeriod": "WEEK"}),
    "listWorkspaces": lambda gong: (None, None),
    "listTrackers": lambda gong: (None, None),
    "listScorecards": lambda gong: (None, None),
    "listBriefs": lambda gong: (None, None),
    "listCallOutcomes": lambda gong: (None, None),
    "listPermissionProfile": lambda gong: ({"workspaceId": _workspace(gong)}, None),
    "getPermissionProfile": lambda gong: ({"profileId": _profile(gong)}, None),
    "listPermissionProfileUsers": lambda gong: ({"profileId": _profile(gong)}, None),
    "getLibraryStructure": lambda gong: (None, None),
    "getCallsInSpecificFolder": lambda gong: ({"folderId": _folder_with_calls(gong)}, None),
    "listLogs": lambda gong: ({"logType": "AccessLog", **WINDOW}, None),
    "listUsers_1": lambda gong: (
        {
            "workspace-id": _workspace(gong),
            "manager-id": _manager(gong),
            "from": "2026-01-01T00:00:00Z",
            "to": "2026-12-01T00:00:00Z",
        },
        None,
    ),
    "getUsersAccessToCalls": lambda gong: (None, {"filter": {"callIds": _call_ids(gong)}}),
    "listFlows": lambda gong: ({"flowOwnerEmail": _user(gong)["emailAddress"]}, None),
    "listFlowsFolders": lambda gong: ({"flowFolderOwnerEmail": _user(gong)["emailAddress"]}, None),
    "getFlowSteps": lambda gong: (None, {"flowIds": _flow_ids(gong)}),
    "getProspectsAssignedFlows": lambda gong: (None, {"flowInstanceIds": _flow_instance_ids(gong)}),
    "getFlowProspectsBulkAssignment": lambda gong: (None, None),
    "listTasks": lambda gong: (
        None,
        {
            "filter": {
                "userId": _user(gong)["id"],
                "types": ["FLOW", "MANUAL"],
                "taskAction": ["CALL"],
                "status": ["OPEN"],
            }
        },
    ),
    "listGenericCrmIntegration": lambda gong: (None, None),
    "listCrmSchemaFields": lambda gong: ({"integrationId": _integration(gong), "objectType": "DEAL"}, None),
    "getCrmObjects": lambda gong: (
        {"integrationId": _integration(gong), "objectType": "DEAL", "objectsCrmIds": "1,2"},
        None,
    ),
    "getRequestStatus": lambda gong: (
        {"integrationId": _integration(gong), "clientRequestId": "req-1"},
        None,
    ),
    "findAllReferencesToEmailAddress": lambda gong: ({"emailAddress": _user(gong)["emailAddress"]}, None),
    "findAllReferencesToPhoneNumber": lambda gong: ({"phoneNumber": _phone(gong)}, None),
}
#: Path parameters, where a path has one.
PATH_IDS: dict[str, Callable[[_Client], str]] = {
    "getUser": lambda gong: str(_user(gong)["id"]),
    "getUserHistory": lambda gong: str(_user(gong)["id"]),
    "getCall": lambda gong: _call_ids(gong)[0],
    "getFlowProspectsBulkAssignment": _bulk_assignment,
}


# -- tests ---------------------------------------------------------------------------------------------------


def test_the_routes_are_gongs_read_operations() -> None:
    assert len(ROUTE_IDS) == len(set(ROUTE_IDS)) == 38
    assert set(ROUTE_IDS) == READ_OPERATIONS - NOT_EMULATED == set(ENDPOINTS)
    assert set(SAMPLES) == set(ROUTE_IDS)


def test_the_strict_spec_rejects_what_gong_would_not_send() -> None:
    """The validation can fail: an undeclared key, a wrong type, a bad date-time."""
    validator = _validator({"$ref": "#/components/schemas/WorkspacesMetadata"})
    assert not _problems(validator, {"requestId": "x", "workspaces": [{"id": "1", "name": None}]})
    assert _problems(validator, {"requestId": "x", "surprise": 1})
    assert _problems(validator, {"requestId": 7})
    assert _problems(_validator({"$ref": "#/components/schemas/User"}), {"created": "yesterday"})


@pytest.mark.parametrize("operation_id", ROUTE_IDS)
def test_every_answer_fits_the_spec(client: _Client, operation_id: str) -> None:
    [route] = [route for route in TABLE if route.operation_id == operation_id]
    method, path, operation = OPERATIONS[operation_id]
    assert (route.method, route.path) == (method, path)
    query, body = SAMPLES[operation_id](client)
    if "{id}" in path:
        path = path.replace("{id}", PATH_IDS[operation_id](client))
    if body is not None:
        request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert not _problems(_validator(request_schema), body), "the sample request is not Gong's"

    answer = client.ok(method, path, params=query, json=body)

    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    problems = _problems(_validator(schema), answer)
    assert not problems, "\n".join(problems)
    assert isinstance(answer["requestId"], str)
    payload = {key: value for key, value in answer.items() if key not in ("requestId", "records")}
    assert any(value not in (None, [], {}) for value in payload.values()), answer  # something was validated
