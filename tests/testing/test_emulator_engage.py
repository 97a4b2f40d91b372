"""The emulator's Engage endpoints over HTTP, against Gong's spec.

Covers ``listFlows`` and ``listFlowsFolders`` (required owner e-mail, workspace / folder / parent filters,
paging and cursors bound to the inputs, ``mostRecentlyAssigned`` capped at 20), ``getFlowSteps`` (only the
flows asked, at most 20 ids, 404 "One or more flows not found"), ``getFlowProspectsBulkAssignment`` (its
flow instances resolve through ``getProspectsAssignedFlows``; unknown id is a 404),
``getProspectsAssignedFlows`` (open flows only by CRM id, every flow by instance id) and ``listTasks``
(required filter fields, each filter restricting the result). Every answer is deterministic at a fixed clock.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.resources.engage import engage_data

CLOCK = "2026-12-01T00:00:00Z"
OPEN_STATUSES = {"Pending", "Running", "Paused"}
ALL_TASKS = {"types": ["FLOW", "MANUAL"], "taskAction": ["CALL"], "status": ["OPEN", "DONE", "DISMISSED"]}


@pytest.fixture(autouse=True)
def _fixed_clock(gong_emulator: GongEmulator) -> None:
    """Pin the emulator's clock: assignments, statuses and tasks follow it."""
    gong_emulator.configure(clock=CLOCK)


def _json(response: requests.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _error(response: requests.Response, status: int) -> str:
    """The joined error messages of a Gong error body, after checking its status and shape."""
    body = _json(response, status)
    assert isinstance(body["requestId"], str) and body["requestId"]
    assert isinstance(body["errors"], list) and body["errors"]
    return " ".join(body["errors"])


def _users(gong: requests.Session) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = _json(gong.get("/v2/users"))["users"]
    return users


def _email(gong: requests.Session) -> str:
    return str(_users(gong)[0]["emailAddress"])


def _workspaces(gong: requests.Session) -> list[str]:
    return [str(item["id"]) for item in _json(gong.get("/v2/workspaces"))["workspaces"]]


def _all_pages(gong: requests.Session, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a ``flows`` list, following cursors."""
    items: list[dict[str, Any]] = []
    query = dict(params)
    while True:
        body = _json(gong.get(path, params=query))
        items.extend(body["flows"])
        cursor = body["records"].get("cursor")
        if cursor is None:
            return items
        query = {**params, "cursor": cursor}


def _flows(gong: requests.Session, email: str, **params: Any) -> list[dict[str, Any]]:
    return _all_pages(gong, "/v2/flows", {"flowOwnerEmail": email, **params})


def _folders(gong: requests.Session, email: str, **params: Any) -> list[dict[str, Any]]:
    return _all_pages(gong, "/v2/flows/folders", {"flowFolderOwnerEmail": email, **params})


def _started_bulks(gong_emulator: GongEmulator) -> list[str]:
    """Bulk assignments already started at the clock: their ids come from the POST that submits them,
    which the emulator does not serve, so they are read from its Engage data.
    """
    state = gong_emulator.state
    now = state.config.now()
    bulks = engage_data(state.directory, state.calls).bulk_assignments()
    return [bulk for bulk, items in bulks.items() if any(item.created <= now for item in items)]


def _tasks(gong: requests.Session, user_id: str, **filters: Any) -> list[dict[str, Any]]:
    body = _json(gong.post("/v2/tasks", json={"filter": {"userId": user_id, **ALL_TASKS, **filters}}))
    tasks: list[dict[str, Any]] = body["tasks"]
    return tasks


def _busy_user(gong: requests.Session) -> tuple[str, list[dict[str, Any]]]:
    """The user with the most tasks, and those tasks."""
    best = max(
        ((str(user["id"]), _tasks(gong, str(user["id"]))) for user in _users(gong)[:30]),
        key=lambda entry: len(entry[1]),
    )
    assert best[1], "no user has tasks"
    return best


# -- listFlows / listFlowsFolders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"), [("/v2/flows", "flowOwnerEmail"), ("/v2/flows/folders", "flowFolderOwnerEmail")]
)
def test_owner_email_is_required(gong: requests.Session, path: str, name: str) -> None:
    assert name in _error(gong.get(path), 400)


@pytest.mark.parametrize(
    ("path", "name"), [("/v2/flows", "flowOwnerEmail"), ("/v2/flows/folders", "flowFolderOwnerEmail")]
)
def test_unknown_owner_email_is_a_bad_request(gong: requests.Session, path: str, name: str) -> None:
    # The spec lists no 404 for these operations: an owner that is no Gong user is a malformed request.
    assert name in _error(gong.get(path, params={name: "nobody@unknown-company.example"}), 400)


def test_company_flows_for_everyone_personal_flows_only_for_their_owner(gong: requests.Session) -> None:
    emails = [str(user["emailAddress"]) for user in _users(gong)[:12]]
    listings = {email: _flows(gong, email) for email in emails}
    company = [
        {flow["id"] for flow in flows if flow["visibility"] == "Company"} for flows in listings.values()
    ]
    assert company[0] and all(ids == company[0] for ids in company)
    personal = {
        flow["id"]: email
        for email, flows in listings.items()
        for flow in flows
        if flow["visibility"] == "Personal"
    }
    assert personal, "no user of the sample has a personal flow"
    for flow_id, owner in personal.items():
        for email, flows in listings.items():
            if email != owner:
                assert flow_id not in {flow["id"] for flow in flows}


def test_workspace_filter_splits_the_flows(gong: requests.Session) -> None:
    email = _email(gong)
    everything = {flow["id"] for flow in _flows(gong, email)}
    parts = [{flow["id"] for flow in _flows(gong, email, workspaceId=ws)} for ws in _workspaces(gong)]
    assert all(parts), "every workspace has company flows"
    assert sum(len(part) for part in parts) == len(everything)
    assert set().union(*parts) == everything


def test_folder_filter_returns_that_folders_flows(gong: requests.Session) -> None:
    email = _email(gong)
    everything = _flows(gong, email)
    folder_ids = sorted({flow["folderId"] for flow in everything})
    assert len(folder_ids) > 1
    for folder_id in folder_ids:
        expected = [flow for flow in everything if flow["folderId"] == folder_id]
        assert _flows(gong, email, folderId=folder_id) == expected


def test_folder_without_flows_is_an_empty_page(gong: requests.Session) -> None:
    # The spec lists no 404 for listFlows: a folder holding only sub-folders lists no flow.
    email = _email(gong)
    holding = {flow["folderId"] for flow in _flows(gong, email)}
    empty = next(folder["id"] for folder in _folders(gong, email) if folder["id"] not in holding)
    body = _json(gong.get("/v2/flows", params={"flowOwnerEmail": email, "folderId": empty}))
    assert body["flows"] == [] and body["records"]["totalRecords"] == 0 and "cursor" not in body["records"]


def test_folders_parent_and_workspace_filters(gong: requests.Session) -> None:
    email = _email(gong)
    everything = _folders(gong, email)
    tops = [folder for folder in everything if folder["folderId"] is None]
    parent = next(folder for folder in tops if any(item["folderId"] == folder["id"] for item in everything))
    expected = [item for item in everything if parent["id"] in (item["id"], item["folderId"])]
    assert len(expected) > 1
    assert _folders(gong, email, parentId=parent["id"]) == expected
    parts = [{item["id"] for item in _folders(gong, email, workspaceId=ws)} for ws in _workspaces(gong)]
    assert all(parts) and sum(map(len, parts)) == len(everything)
    assert set().union(*parts) == {item["id"] for item in everything}


@pytest.mark.parametrize(
    ("path", "name"), [("/v2/flows", "flowOwnerEmail"), ("/v2/flows/folders", "flowFolderOwnerEmail")]
)
def test_small_pages_equal_one_page(
    gong_emulator: GongEmulator, gong: requests.Session, path: str, name: str
) -> None:
    params = {name: _email(gong)}
    whole = _json(gong.get(path, params=params))
    assert "cursor" not in whole["records"]
    gong_emulator.configure(page_size=3)
    first = _json(gong.get(path, params=params))
    assert first["records"]["totalRecords"] == len(whole["flows"]) > 3
    assert first["records"]["currentPageSize"] == 3 and first["records"]["cursor"]
    assert _all_pages(gong, path, params) == whole["flows"]


def test_cursor_is_bound_to_its_inputs(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    gong_emulator.configure(page_size=2)
    users = _users(gong)
    email, other = str(users[0]["emailAddress"]), str(users[1]["emailAddress"])
    workspace, other_workspace = _workspaces(gong)[:2]
    first = _json(gong.get("/v2/flows", params={"flowOwnerEmail": email, "workspaceId": workspace}))
    cursor = first["records"]["cursor"]
    same = {"flowOwnerEmail": email, "workspaceId": workspace, "cursor": cursor}
    assert _json(gong.get("/v2/flows", params=same))["records"]["currentPageSize"] > 0
    for changed in ({"workspaceId": other_workspace}, {"flowOwnerEmail": other}):
        _error(gong.get("/v2/flows", params={**same, **changed}), 400)
    folders = {"flowFolderOwnerEmail": email, "cursor": cursor}
    _error(gong.get("/v2/flows/folders", params=folders), 400)


def test_most_recently_assigned_flows_are_capped_at_20(gong: requests.Session) -> None:
    found = False
    for user in _users(gong)[:30]:
        email = str(user["emailAddress"])
        recent = _flows(gong, email, mostRecentlyAssigned="true")
        assert len(recent) <= 20
        assert len({flow["id"] for flow in recent}) == len(recent)
        assert {flow["id"] for flow in recent} <= {flow["id"] for flow in _flows(gong, email)}
        found = found or bool(recent)
    assert found, "no user has assigned a flow"


# -- getFlowSteps --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"flowIds": []}])
def test_flow_steps_require_flow_ids(gong: requests.Session, body: dict[str, Any]) -> None:
    assert "flowIds" in _error(gong.post("/v2/flows/steps", json=body), 400)


def test_flow_steps_of_the_flows_asked_only(gong: requests.Session) -> None:
    flows = _flows(gong, _email(gong))
    asked = [flows[4]["id"], flows[0]["id"], flows[2]["id"]]
    answer = _json(gong.post("/v2/flows/steps", json={"flowIds": asked}))["flows"]
    assert sorted(flow["id"] for flow in answer) == sorted(asked)
    by_id = {flow["id"]: flow for flow in flows}
    for flow in answer:
        assert (flow["name"], flow["folderId"]) == (by_id[flow["id"]]["name"], by_id[flow["id"]]["folderId"])
        assert [step["stepOrder"] for step in flow["steps"]] == list(range(1, len(flow["steps"]) + 1))
        assert len({step["id"] for step in flow["steps"]}) == len(flow["steps"])
    step_ids = [{step["id"] for step in flow["steps"]} for flow in answer]
    assert not step_ids[0] & step_ids[1] and not step_ids[1] & step_ids[2]


def test_flow_steps_unknown_flow_is_a_404(gong: requests.Session) -> None:
    known = _flows(gong, _email(gong))[0]["id"]
    unknown = "9" * 19
    assert unknown not in {flow["id"] for flow in _flows(gong, _email(gong))}
    message = _error(gong.post("/v2/flows/steps", json={"flowIds": [known, unknown]}), 404)
    assert message == "One or more flows not found"


def test_flow_steps_at_most_20_ids(gong: requests.Session) -> None:
    ids: list[str] = []
    for user in _users(gong):
        ids.extend(flow["id"] for flow in _flows(gong, str(user["emailAddress"])) if flow["id"] not in ids)
        if len(ids) > 20:
            break
    assert len(ids) > 20
    assert len(_json(gong.post("/v2/flows/steps", json={"flowIds": ids[:20]}))["flows"]) == 20
    assert "20" in _error(gong.post("/v2/flows/steps", json={"flowIds": ids[:21]}), 400)


# -- bulk assignments and assigned flows ---------------------------------------------------------------------


def test_bulk_assignment_instances_resolve_to_assigned_flows(
    gong_emulator: GongEmulator, gong: requests.Session
) -> None:
    bulks = _started_bulks(gong_emulator)
    bulk_id = max(
        bulks[:40],
        key=lambda bulk: len(_json(gong.get(f"/v2/flows/prospects/bulk-assignments/{bulk}"))["results"]),
    )
    bulk = _json(gong.get(f"/v2/flows/prospects/bulk-assignments/{bulk_id}"))
    assert bulk["id"] == bulk_id
    results = bulk["results"]
    assert len(results) > 1 and bulk["processedCount"] == len(results) <= bulk["totalCount"]
    instance_ids = [result["flowInstanceId"] for result in results]
    assigned = _json(gong.post("/v2/flows/prospects", json={"flowInstanceIds": instance_ids}))
    flows = assigned["prospectsAssigned"]
    assert sorted(item["flowInstanceId"] for item in flows) == sorted(instance_ids)
    crm_of = {result["flowInstanceId"]: result["crmId"] for result in results}
    assert all(item["crmProspectId"] == crm_of[item["flowInstanceId"]] for item in flows)
    assert len({item["flowId"] for item in flows}) == 1, "a bulk assignment assigns one flow"


def test_unknown_bulk_assignment_is_a_404(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert unknown not in _started_bulks(gong_emulator)
    _error(gong.get(f"/v2/flows/prospects/bulk-assignments/{unknown}"), 404)


@pytest.mark.parametrize("body", [{}, {"crmProspectsIds": ["a"], "flowInstanceIds": ["1234567890123456789"]}])
def test_assigned_flows_take_one_kind_of_ids(gong: requests.Session, body: dict[str, Any]) -> None:
    _error(gong.post("/v2/flows/prospects", json=body), 400)


def test_assigned_flows_open_only_by_crm_id_all_by_instance_id(
    gong_emulator: GongEmulator, gong: requests.Session
) -> None:
    results = [  # the latest bulk assignments: some of their flows still run at the clock
        result
        for bulk in _started_bulks(gong_emulator)[-80:]
        for result in _json(gong.get(f"/v2/flows/prospects/bulk-assignments/{bulk}"))["results"]
    ]
    by_instance = _json(
        gong.post(
            "/v2/flows/prospects", json={"flowInstanceIds": [item["flowInstanceId"] for item in results]}
        )
    )["prospectsAssigned"]
    assert len(by_instance) == len(results)
    statuses = {item["flowInstanceStatus"] for item in by_instance}
    assert statuses - OPEN_STATUSES and statuses & OPEN_STATUSES, statuses
    by_crm = _json(
        gong.post(
            "/v2/flows/prospects", json={"crmProspectsIds": sorted({item["crmId"] for item in results})}
        )
    )["prospectsAssigned"]
    open_flows = [item for item in by_instance if item["flowInstanceStatus"] in OPEN_STATUSES]
    assert sorted(by_crm, key=lambda item: item["flowInstanceId"]) == sorted(
        open_flows, key=lambda item: item["flowInstanceId"]
    )


def test_assigned_flows_of_unknown_ids_are_empty(gong: requests.Session) -> None:
    # The spec lists no 404 here: unknown ids match no assigned flow.
    for body in ({"flowInstanceIds": ["1234567890123456789"]}, {"crmProspectsIds": ["00QNOSUCHPROSPECT"]}):
        assert _json(gong.post("/v2/flows/prospects", json=body))["prospectsAssigned"] == []


# -- listTasks -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["userId", "types", "taskAction", "status"])
def test_tasks_filter_fields_are_required(gong: requests.Session, missing: str) -> None:
    filters = {"userId": str(_users(gong)[0]["id"]), **ALL_TASKS}
    del filters[missing]
    assert missing in _error(gong.post("/v2/tasks", json={"filter": filters}), 400)
    assert "filter" in _error(gong.post("/v2/tasks", json={}), 400)


@pytest.mark.parametrize(
    ("name", "value"), [("types", ["REMINDER"]), ("taskAction", ["EMAIL"]), ("status", ["CLOSED"])]
)
def test_tasks_filter_values_outside_the_enums_are_rejected(
    gong: requests.Session, name: str, value: list[str]
) -> None:
    filters = {"userId": str(_users(gong)[0]["id"]), **ALL_TASKS, name: value}
    assert name in _error(gong.post("/v2/tasks", json={"filter": filters}), 400)


def test_tasks_status_and_type_filters_restrict(gong: requests.Session) -> None:
    user_id, everything = _busy_user(gong)
    assert all(task["userId"] == int(user_id) for task in everything)
    everything_ids = {task["id"] for task in everything}
    for name, field, values in (
        ("status", "status", ALL_TASKS["status"]),
        ("types", "type", ALL_TASKS["types"]),
    ):
        parts = []
        for value in values:
            part = _tasks(gong, user_id, **{name: [value]})
            assert all(task[field] == value for task in part)
            parts.append({task["id"] for task in part})
        assert sum(map(len, parts)) == len(everything_ids) and set().union(*parts) == everything_ids
        assert sum(1 for part in parts if part) > 1, f"{name} does not split this user's tasks"
    assert {task["id"] for task in _tasks(gong, user_id, taskAction=["CALL"])} == everything_ids
    assert all("CALL" in task["actions"] for task in everything)


def test_tasks_workspace_filter_restricts(gong: requests.Session) -> None:
    user_id, everything = _busy_user(gong)
    parts = [{task["id"] for task in _tasks(gong, user_id, workspaceId=ws)} for ws in _workspaces(gong)]
    assert sum(map(len, parts)) == len(everything)
    assert set().union(*parts) == {task["id"] for task in everything}


def test_tasks_of_an_unknown_user_are_a_bad_request(gong: requests.Session) -> None:
    unknown = "1" * 19
    assert unknown not in {str(user["id"]) for user in _users(gong)}
    # The spec lists 400 (not 404) for this operation.
    assert "userId" in _error(gong.post("/v2/tasks", json={"filter": {"userId": unknown, **ALL_TASKS}}), 400)


# -- determinism ---------------------------------------------------------------------------------------------


def test_answers_are_deterministic(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    email = _email(gong)
    user_id = str(_users(gong)[0]["id"])
    bulk = _started_bulks(gong_emulator)[0]
    flow_ids = [flow["id"] for flow in _flows(gong, email)[:5]]

    def snapshot() -> list[dict[str, Any]]:
        answers = [
            _json(gong.get("/v2/flows", params={"flowOwnerEmail": email})),
            _json(gong.get("/v2/flows/folders", params={"flowFolderOwnerEmail": email})),
            _json(gong.post("/v2/flows/steps", json={"flowIds": flow_ids})),
            _json(gong.get(f"/v2/flows/prospects/bulk-assignments/{bulk}")),
            _json(gong.post("/v2/tasks", json={"filter": {"userId": user_id, **ALL_TASKS}})),
        ]
        for answer in answers:
            assert answer.pop("requestId")
        return answers

    first = snapshot()
    assert first == snapshot()
