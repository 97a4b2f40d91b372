"""Every route of the emulator answers what Gong's OpenAPI spec says, validated with jsonschema.

One emulator serves the module; each operation's inputs are found the way a user would find them (ids from
the listings). The request body and the 200 answer of each operation are validated against the schemas of
the spec copy in ``tests/data/gong-openapi.json``, its ``$ref`` resolved through a ``referencing`` registry
over the whole document. The spec is made strict (no undeclared keys) and corrected only where it is known
to be wrong; each correction below says why.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from emulator_samples import SAMPLES, SpecClient, sample_request
from gong_spec import OPERATIONS, SPEC
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from airflow_provider_gong.endpoints import ENDPOINTS
from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.routes import TABLE

SPEC_URI = "urn:gong-openapi"
#: Read operations the emulator leaves out on purpose (AI credits; a meeting integration check), as the
#: endpoint registry does.
NOT_EMULATED = {"generateBrief", "askEntity", "integrationStatus"}

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


# -- the emulator -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[SpecClient]:
    config = EmulatorConfig(rate_per_second=None, rate_per_day=None, clock="2027-01-01T00:00:00Z")
    with GongEmulator(config) as emulator, SpecClient(emulator) as session:
        yield session


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
def test_every_answer_fits_the_spec(client: SpecClient, operation_id: str) -> None:
    [route] = [route for route in TABLE if route.operation_id == operation_id]
    method, path, operation = OPERATIONS[operation_id]
    assert (route.method, route.path) == (method, path)
    path, (query, body) = sample_request(client, operation_id, path)
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
