"""One valid request per operation the emulator serves, its inputs found the way a user finds them.

Ids come from the listings (a user, a workspace, calls of a week, a library folder holding calls...), so a
sample stays valid whatever data set the emulator serves. Shared by the spec and the route tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.resources.engage import engage_data

__all__ = ["PATH_IDS", "SAMPLES", "WEEK", "WINDOW", "SpecClient", "sample_request"]

WINDOW = {"fromDateTime": "2026-11-16T00:00:00Z", "toDateTime": "2026-11-23T00:00:00Z"}
WEEK = {"fromDate": "2026-11-16", "toDate": "2026-11-23"}


class SpecClient(requests.Session):
    """A session with basic auth against ``emulator``; :meth:`ok` asserts a 200 and returns its JSON."""

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


Sample = tuple[dict[str, Any] | None, dict[str, Any] | None]  # (query, body)


def _user(gong: SpecClient) -> dict[str, Any]:
    user: dict[str, Any] = gong.ok("GET", "/v2/users")["users"][0]
    return user


def _workspace(gong: SpecClient) -> str:
    return str(gong.ok("GET", "/v2/workspaces")["workspaces"][0]["id"])


def _profile(gong: SpecClient) -> str:
    profiles = gong.ok("GET", "/v2/all-permission-profiles", params={"workspaceId": _workspace(gong)})
    return str(profiles["profiles"][0]["id"])


def _call_ids(gong: SpecClient) -> list[str]:
    return [call["id"] for call in gong.ok("GET", "/v2/calls", params=WINDOW)["calls"][:5]]


def _integration(gong: SpecClient) -> str:
    return str(gong.ok("GET", "/v2/crm/integrations")["integrations"][0]["integrationId"])


def _manager(gong: SpecClient) -> str:
    return next(str(user["managerId"]) for user in gong.ok("GET", "/v2/users")["users"] if user["managerId"])


def _folder_with_calls(gong: SpecClient) -> str:
    for folder in gong.ok("GET", "/v2/library/folders")["folders"]:
        if gong.ok("GET", "/v2/library/folder-content", params={"folderId": folder["id"]}).get("calls"):
            return str(folder["id"])
    raise AssertionError("no library folder holds calls")


def _flow_ids(gong: SpecClient) -> list[str]:
    flows = gong.ok("GET", "/v2/flows", params={"flowOwnerEmail": _user(gong)["emailAddress"]})["flows"]
    return [flow["id"] for flow in flows[:3]]


def _phone(gong: SpecClient) -> str:
    return next(
        str(user["phoneNumber"]) for user in gong.ok("GET", "/v2/users")["users"] if user["phoneNumber"]
    )


def _bulk_assignment(gong: SpecClient) -> str:
    """A bulk assignment already started: its id comes from the POST that submits it, which the emulator
    does not serve, so it is read from the emulator's Engage data.
    """
    state = gong.emulator.state
    now = state.config.now()
    bulks = engage_data(state.directory, state.calls).bulk_assignments()
    return next(bulk for bulk, items in bulks.items() if any(item.created <= now for item in items))


def _flow_instance_ids(gong: SpecClient) -> list[str]:
    bulk = gong.ok("GET", f"/v2/flows/prospects/bulk-assignments/{_bulk_assignment(gong)}")
    return [result["flowInstanceId"] for result in bulk["results"]]


#: One valid request per operation: ``(query, JSON body)``, inputs discovered from the listings.
SAMPLES: dict[str, Callable[[SpecClient], Sample]] = {
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
PATH_IDS: dict[str, Callable[[SpecClient], str]] = {
    "getUser": lambda gong: str(_user(gong)["id"]),
    "getUserHistory": lambda gong: str(_user(gong)["id"]),
    "getCall": lambda gong: _call_ids(gong)[0],
    "getFlowProspectsBulkAssignment": _bulk_assignment,
}


def sample_request(gong: SpecClient, operation_id: str, path: str) -> tuple[str, Sample]:
    """The path (its ``{id}`` filled in) and ``(query, body)`` of a valid request of ``operation_id``."""
    if "{id}" in path:
        path = path.replace("{id}", PATH_IDS[operation_id](gong))
    return path, SAMPLES[operation_id](gong)
