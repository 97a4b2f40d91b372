"""Every read operation of the registry, through GongHook, against the emulator, end to end.

The inputs of each case are found the way a user would find them: ids from the listings (workspaces,
users, calls, folders, integrations, flows) rather than known to the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_gong.endpoints import ENDPOINTS
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.resources.engage import engage_data

pytestmark = pytest.mark.gong_emulator(clock="2027-01-01T00:00:00Z")

WEEK = {"fromDate": "2026-11-16", "toDate": "2026-11-23"}
WINDOW = ("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")


def _first(records: Any, key: str = "id") -> Any:
    for record in records:
        return record[key]
    raise AssertionError("the listing is empty")


def _user(hook: GongHook) -> dict[str, Any]:
    return next(iter(hook.iter_users()))


def _call_ids(hook: GongHook) -> list[str]:
    return [call["id"] for call in hook.iter_calls(*WINDOW)][:5]


def _workspace(hook: GongHook) -> str:
    return str(_first(hook.iter_workspaces()))


def _manager(hook: GongHook) -> str:
    return next(str(u["managerId"]) for u in hook.iter_users() if u.get("managerId"))


def _integration(hook: GongHook) -> int:
    return int(_first(hook.iter_records("listGenericCrmIntegration"), "integrationId"))


def _flow_ids(hook: GongHook) -> list[str]:
    return [flow["id"] for flow in hook.iter_flows(_user(hook)["emailAddress"])][:3]


def _bulk_assignment_id(gong: GongEmulator) -> str:
    # A bulk assignment's id is what Gong's write API answers on assigning prospects to a flow, which
    # this read-only provider leaves out: take one the emulator made.
    return next(iter(engage_data(gong.state.directory, gong.state.calls).bulk_assignments()))


def _flow_instance_ids(hook: GongHook, gong: GongEmulator) -> list[str]:
    answer = hook.request("getFlowProspectsBulkAssignment", id=_bulk_assignment_id(gong))
    return [result["flowInstanceId"] for result in answer["results"]]


def _tasks_filter(hook: GongHook) -> dict[str, Any]:
    """The filter of every task of the first user who has any."""
    for user in hook.iter_users():
        task_filter = {
            "userId": user["id"],
            "types": ["FLOW", "MANUAL"],
            "taskAction": ["CALL"],
            "status": ["OPEN", "DONE", "DISMISSED"],
        }
        if list(hook.iter_records("listTasks", filter=task_filter)):
            return task_filter
    raise AssertionError("no user has a task")


#: Inputs of each operation, found through the hook itself.
CASES: dict[str, Callable[[GongHook, GongEmulator], dict[str, Any]]] = {
    "listUsers": lambda hook, gong: {},
    "getUser": lambda hook, gong: {"id": _user(hook)["id"]},
    "getUserHistory": lambda hook, gong: {"id": _user(hook)["id"]},
    "listMultipleUsers": lambda hook, gong: {"filter": {"createdToDateTime": "2030-01-01T00:00:00Z"}},
    "listPermissionProfile": lambda hook, gong: {"workspace_id": _workspace(hook)},
    "getPermissionProfile": lambda hook, gong: {
        "profile_id": _first(hook.iter_records("listPermissionProfile", workspace_id=_workspace(hook)))
    },
    "listPermissionProfileUsers": lambda hook, gong: {
        "profile_id": _first(hook.iter_records("listPermissionProfile", workspace_id=_workspace(hook)))
    },
    "listCalls": lambda hook, gong: {"from_date_time": WINDOW[0], "to_date_time": WINDOW[1]},
    "getCall": lambda hook, gong: {"id": _call_ids(hook)[0]},
    "listCallsExtensive": lambda hook, gong: {
        "filter": {"fromDateTime": WINDOW[0], "toDateTime": WINDOW[1]},
        "content_selector": {"exposedFields": {"parties": True}},
    },
    "getCallTranscripts": lambda hook, gong: {"filter": {"callIds": _call_ids(hook)}},
    "getUsersAccessToCalls": lambda hook, gong: {"filter": {"callIds": _call_ids(hook)}},
    "listCallOutcomes": lambda hook, gong: {},
    "listInteractionStats": lambda hook, gong: {"filter": WEEK},
    "listAnsweredScorecards": lambda hook, gong: {
        "filter": {"callFromDate": "2026-11-01", "callToDate": "2026-12-01"}
    },
    "listMultipleUsersDayByDayActivity": lambda hook, gong: {"filter": WEEK},
    "listMultipleUsersAggregateActivity": lambda hook, gong: {"filter": WEEK},
    "listMultipleUsersAggregateByPeriod": lambda hook, gong: {"filter": WEEK, "aggregation_period": "WEEK"},
    "listWorkspaces": lambda hook, gong: {},
    "listTrackers": lambda hook, gong: {},
    "listScorecards": lambda hook, gong: {},
    "listBriefs": lambda hook, gong: {},
    "getLibraryStructure": lambda hook, gong: {},
    "getCallsInSpecificFolder": lambda hook, gong: {
        "folder_id": next(
            folder["id"]
            for folder in hook.iter_library_folders()
            if list(hook.iter_library_folder_calls(folder["id"]))
        )
    },
    "listUsers_1": lambda hook, gong: {
        "workspace_id": _workspace(hook),
        "manager_id": _manager(hook),
        "from_": "2026-01-01T00:00:00Z",
        "to": "2026-12-01T00:00:00Z",
    },
    "listLogs": lambda hook, gong: {
        "log_type": "AccessLog",
        "from_date_time": WINDOW[0],
        "to_date_time": WINDOW[1],
    },
    "listFlows": lambda hook, gong: {"flow_owner_email": _user(hook)["emailAddress"]},
    "listFlowsFolders": lambda hook, gong: {"flow_folder_owner_email": _user(hook)["emailAddress"]},
    "getFlowSteps": lambda hook, gong: {"flow_ids": _flow_ids(hook)},
    "getProspectsAssignedFlows": lambda hook, gong: {"flow_instance_ids": _flow_instance_ids(hook, gong)},
    "getFlowProspectsBulkAssignment": lambda hook, gong: {"id": _bulk_assignment_id(gong)},
    "listTasks": lambda hook, gong: {"filter": _tasks_filter(hook)},
    "listGenericCrmIntegration": lambda hook, gong: {},
    "listCrmSchemaFields": lambda hook, gong: {"integration_id": _integration(hook), "object_type": "DEAL"},
    "getCrmObjects": lambda hook, gong: {
        "integration_id": _integration(hook),
        "object_type": "DEAL",
        "objects_crm_ids": ["1", "2"],
    },
    "getRequestStatus": lambda hook, gong: {
        "integration_id": _integration(hook),
        "client_request_id": "req-1",
    },
    "findAllReferencesToEmailAddress": lambda hook, gong: {"email_address": _user(hook)["emailAddress"]},
    "findAllReferencesToPhoneNumber": lambda hook, gong: {"phone_number": "+1 555 0100"},
}


def test_every_operation_has_a_case() -> None:
    assert set(CASES) == set(ENDPOINTS)


@pytest.mark.parametrize("operation_id", sorted(ENDPOINTS))
def test_every_operation_works_through_the_hook(
    gong_emulator: GongEmulator, gong_emulator_connection: str, operation_id: str
) -> None:
    hook = GongHook(gong_conn_id=gong_emulator_connection)
    endpoint = ENDPOINTS[operation_id]
    inputs = CASES[operation_id](hook, gong_emulator)

    answer = hook.request(operation_id, **inputs)

    assert isinstance(answer.get("requestId"), str)
    if not endpoint.iterable:
        assert len(answer) > 1  # more than the envelope
        return
    records = list(hook.iter_records(operation_id, **inputs))
    if endpoint.record_key is not None:
        assert records == [answer[endpoint.record_key]]
        return
    assert records, f"{operation_id} yielded nothing for {inputs}"
    assert endpoint.records_key is not None
    first_page = answer[endpoint.records_key]
    assert records[: len(first_page)] == first_page
    if endpoint.paged:
        assert len(records) == answer["records"]["totalRecords"]
    else:
        assert len(records) == len(first_page)
    ids = [endpoint.record_id(record) for record in records]
    known = [uid for uid in ids if uid is not None]
    assert len(known) == len(set(known))  # each record once


PAGED = sorted(operation_id for operation_id, endpoint in ENDPOINTS.items() if endpoint.paged)


@pytest.mark.parametrize("operation_id", PAGED)
def test_every_paged_operation_follows_gongs_cursor_page_by_page(
    gong_emulator: GongEmulator, gong_emulator_connection: str, operation_id: str
) -> None:
    """Small pages give the same records, in order, as big ones: the cursor is followed to the end."""
    hook = GongHook(gong_conn_id=gong_emulator_connection)
    inputs = CASES[operation_id](hook, gong_emulator)
    whole = list(hook.iter_records(operation_id, **inputs))
    page_size = max(1, -(-len(whole) // 4))  # about four pages
    gong_emulator.configure(page_size=page_size)
    gong_emulator.reset()
    paged = list(hook.iter_records(operation_id, **inputs))
    assert paged == whole
    endpoint = ENDPOINTS[operation_id]
    route = f"{endpoint.method} {endpoint.path}"
    calls = sum(gong_emulator.stats()["by_endpoint"][route].values())
    assert calls == max(1, -(-len(whole) // page_size)), "one call per page, none repeated"
