"""Behaviour of the emulator's settings, library, logs and coaching endpoints over HTTP.

Checked against Gong's spec (``gong-openapi.json``) and ``gong-api.md``: required inputs and the 400 that
names them, ``logType``'s enum, the 404 of an unknown workspace / profile / folder, the ``workspaceId``
filters of trackers and library folders, folder calls being calls the calls endpoints know, the
``listLogs`` window ``[fromDateTime, toDateTime)`` with its cursor paging, coaching metrics limited to the
manager's direct reports, permission-profile users, and determinism. Every id comes from a listing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import GongEmulator

CLOCK = "2027-01-01T00:00:00Z"
#: Wider than the calls of the default data set (November 2026), ending before the clock.
ALL_CALLS = {"fromDateTime": "2026-10-01T00:00:00Z", "toDateTime": "2026-12-31T00:00:00Z"}
COACHING_FROM = "2026-11-01T00:00:00Z"
COACHING_TO = "2026-12-31T00:00:00Z"


def _ok(gong: requests.Session, path: str, **params: str) -> dict[str, Any]:
    response = gong.get(path, params=params)
    assert response.status_code == 200, (path, params, response.text)
    body: dict[str, Any] = response.json()
    assert body["requestId"]
    return body


def _error(gong: requests.Session, path: str, status: int, **params: str) -> str:
    """Assert Gong's error envelope with ``status`` and return its one message."""
    response = gong.get(path, params=params)
    assert response.status_code == status, (path, params, response.text)
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert body["requestId"] and len(body["errors"]) == 1 and isinstance(body["errors"][0], str)
    message: str = body["errors"][0]
    return message


def _workspaces(gong: requests.Session) -> list[str]:
    return [str(workspace["id"]) for workspace in _ok(gong, "/v2/workspaces")["workspaces"]]


def _users(gong: requests.Session) -> list[dict[str, Any]]:
    """Every (non-avatar) user, all pages."""
    users: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        body = _ok(gong, "/v2/users", **params)
        users += body["users"]
        if "cursor" not in body["records"]:
            return users
        params = {"cursor": body["records"]["cursor"]}


def _calls(gong: requests.Session) -> dict[str, dict[str, Any]]:
    """Every call ``/v2/calls`` lists (all pages), by id."""
    calls: dict[str, dict[str, Any]] = {}
    params = dict(ALL_CALLS)
    while True:
        body = _ok(gong, "/v2/calls", **params)
        calls.update((call["id"], call) for call in body["calls"])
        if "cursor" not in body["records"]:
            return calls
        params = {**ALL_CALLS, "cursor": body["records"]["cursor"]}


def _log_pages(gong: requests.Session, **params: str) -> list[dict[str, Any]]:
    """Every entry of a ``listLogs`` query, following the cursor."""
    entries: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    while True:
        body = _ok(gong, "/v2/logs", **params, **cursor)
        assert body["records"]["currentPageSize"] == len(body["logEntries"])
        entries += body["logEntries"]
        if "cursor" not in body["records"]:
            assert body["records"]["totalRecords"] == len(entries)
            return entries
        cursor = {"cursor": body["records"]["cursor"]}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# -- required inputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ("/v2/all-permission-profiles", "workspaceId"),
        ("/v2/permission-profile", "profileId"),
        ("/v2/permission-profile/users", "profileId"),
        ("/v2/library/folder-content", "folderId"),
    ],
)
def test_a_missing_or_blank_required_id_is_a_400_naming_it(
    gong: requests.Session, path: str, missing: str
) -> None:
    assert missing in _error(gong, path, 400)
    assert missing in _error(gong, path, 400, **{missing: ""})


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v2/settings/trackers", "workspaceId"),
        ("/v2/settings/briefs", "workspaceId"),
        ("/v2/library/folders", "workspaceId"),
        ("/v2/all-permission-profiles", "workspaceId"),
        ("/v2/permission-profile", "profileId"),
        ("/v2/permission-profile/users", "profileId"),
        ("/v2/library/folder-content", "folderId"),
    ],
)
def test_a_malformed_id_is_a_400_quoting_it(gong: requests.Session, path: str, name: str) -> None:
    # Gong's ids are numbers of up to 20 digits (the folderId's spec description says so).
    for bad in ("ws-1", "1" * 21):
        assert repr(bad) in _error(gong, path, 400, **{name: bad})


def test_list_logs_requires_log_type_and_from_date_time(gong: requests.Session) -> None:
    since = "2026-11-16T00:00:00Z"
    assert "logType" in _error(gong, "/v2/logs", 400, fromDateTime=since)
    assert "fromDateTime" in _error(gong, "/v2/logs", 400, logType="AccessLog")
    assert "fromDateTime" in _error(gong, "/v2/logs", 400, logType="AccessLog", fromDateTime="yesterday")
    message = _error(gong, "/v2/logs", 400, logType="AccessLog", fromDateTime=since, toDateTime="2026-11-17")
    assert "toDateTime" in message


@pytest.mark.parametrize("log_type", ["accesslog", "CallPlay", "UserCallPlays", " AccessLog"])
def test_a_log_type_outside_the_enum_is_a_400(gong: requests.Session, log_type: str) -> None:
    message = _error(gong, "/v2/logs", 400, logType=log_type, fromDateTime="2026-11-16T00:00:00Z")
    assert "logType" in message


def test_coaching_requires_its_four_inputs(gong: requests.Session) -> None:
    workspace = _workspaces(gong)[0]
    manager = next(user["managerId"] for user in _users(gong) if user["managerId"])
    full = {"workspace-id": workspace, "manager-id": manager, "from": COACHING_FROM, "to": COACHING_TO}
    _ok(gong, "/v2/coaching", **full)
    for name in full:
        assert name in _error(gong, "/v2/coaching", 400, **{k: v for k, v in full.items() if k != name})
        assert name in _error(gong, "/v2/coaching", 400, **{**full, name: ""})
    assert "from" in _error(gong, "/v2/coaching", 400, **{**full, "from": "2026-11-01"})
    # workspace-id and manager-id are int64 in the spec.
    assert "'x1'" in _error(gong, "/v2/coaching", 400, **{**full, "manager-id": "x1"})
    assert "'x1'" in _error(gong, "/v2/coaching", 400, **{**full, "workspace-id": "x1"})


# -- unknown ids ---------------------------------------------------------------------------------------------


def test_an_unknown_workspace_is_a_404(gong: requests.Session) -> None:
    known = set(_workspaces(gong))
    unknown = next(candidate for candidate in ("1", "2", "3") if candidate not in known)
    # listTrackers, listBriefs: "404 Workspace not found".
    for path in ("/v2/settings/trackers", "/v2/settings/briefs", "/v2/library/folders"):
        assert "Workspace not found" in _error(gong, path, 404, workspaceId=unknown)
    assert "Workspace not found" in _error(gong, "/v2/all-permission-profiles", 404, workspaceId=unknown)
    manager = next(user["managerId"] for user in _users(gong) if user["managerId"])
    query = {"workspace-id": unknown, "manager-id": manager, "from": COACHING_FROM, "to": COACHING_TO}
    assert "Workspace not found" in _error(gong, "/v2/coaching", 404, **query)


def test_an_unknown_profile_folder_or_manager_is_a_404(gong: requests.Session) -> None:
    profiles = {
        profile["id"]
        for workspace in _workspaces(gong)
        for profile in _ok(gong, "/v2/all-permission-profiles", workspaceId=workspace)["profiles"]
    }
    folders = {folder["id"] for folder in _ok(gong, "/v2/library/folders")["folders"]}
    users = {user["id"] for user in _users(gong)}
    unknown = next(candidate for candidate in ("1", "2", "3") if candidate not in profiles | folders | users)
    assert "not found" in _error(gong, "/v2/permission-profile", 404, profileId=unknown)
    assert "not found" in _error(gong, "/v2/permission-profile/users", 404, profileId=unknown)
    assert "not found" in _error(gong, "/v2/library/folder-content", 404, folderId=unknown)
    query = {"workspace-id": _workspaces(gong)[0], "manager-id": unknown, "from": COACHING_FROM}
    assert "not found" in _error(gong, "/v2/coaching", 404, **query, to=COACHING_TO)


# -- workspace filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key"), [("/v2/settings/trackers", "keywordTrackers"), ("/v2/settings/briefs", "briefs")]
)
def test_workspace_id_restricts_trackers_and_briefs(gong: requests.Session, path: str, key: str) -> None:
    everything = _ok(gong, path)[key]
    parts: list[dict[str, Any]] = []
    for workspace in _workspaces(gong):
        part = _ok(gong, path, workspaceId=workspace)[key]
        assert all(str(item["workspaceId"]) == workspace for item in part)
        parts += part
    assert everything and sorted(parts, key=repr) == sorted(everything, key=repr)


def test_workspace_id_restricts_library_folders(gong: requests.Session) -> None:
    everything = _ok(gong, "/v2/library/folders")["folders"]
    by_workspace = {
        workspace: _ok(gong, "/v2/library/folders", workspaceId=workspace)["folders"]
        for workspace in _workspaces(gong)
    }
    assert all(by_workspace.values())
    assert sorted((f for part in by_workspace.values() for f in part), key=repr) == sorted(
        everything, key=repr
    )
    for folders in by_workspace.values():
        ids = {folder["id"] for folder in folders}
        # A folder's parent is a folder of the same workspace.
        assert all(folder["parentFolderId"] in ids for folder in folders if folder["parentFolderId"])


# -- library folders and the calls endpoints -----------------------------------------------------------------


def test_folder_calls_are_calls_of_the_folders_workspace(
    gong_emulator: GongEmulator, gong: requests.Session
) -> None:
    gong_emulator.configure(clock=CLOCK, page_size=1000)
    calls = _calls(gong)
    seen = 0
    for workspace in _workspaces(gong):
        for folder in _ok(gong, "/v2/library/folders", workspaceId=workspace)["folders"]:
            content = _ok(gong, "/v2/library/folder-content", folderId=folder["id"])
            assert content["id"] == folder["id"] and content["name"] == folder["name"]
            added = [_at(call["created"]) for call in content["calls"]]
            assert added == sorted(added) and all(moment <= _at(CLOCK) for moment in added)
            for call in content["calls"]:
                assert call["id"] in calls, call["id"]
                assert calls[call["id"]]["workspaceId"] == workspace
                assert call["title"] == calls[call["id"]]["title"]
                assert _ok(gong, f"/v2/calls/{call['id']}")["call"]["id"] == call["id"]
                seen += 1
    assert seen


def test_folder_content_grows_with_the_clock(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    folders = [folder["id"] for folder in _ok(gong, "/v2/library/folders")["folders"]]
    gong_emulator.configure(clock="2026-11-15T00:00:00Z")
    early = {
        f: [c["id"] for c in _ok(gong, "/v2/library/folder-content", folderId=f)["calls"]] for f in folders
    }
    gong_emulator.configure(clock=CLOCK)
    late = {
        f: [c["id"] for c in _ok(gong, "/v2/library/folder-content", folderId=f)["calls"]] for f in folders
    }
    assert sum(map(len, early.values())) < sum(map(len, late.values()))
    for folder in folders:
        assert late[folder][: len(early[folder])] == early[folder]


# -- listLogs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("log_type", ["AccessLog", "UserCallPlay", "ExternallySharedCallAccess"])
def test_logs_lie_in_the_half_open_window(
    gong_emulator: GongEmulator, gong: requests.Session, log_type: str
) -> None:
    gong_emulator.configure(clock=CLOCK, page_size=1000)
    start, end = "2026-11-16T00:00:00Z", "2026-11-16T06:00:00Z"
    entries = _log_pages(gong, logType=log_type, fromDateTime=start, toDateTime=end)
    times = [_at(entry["eventTime"]) for entry in entries]
    assert times == sorted(times)
    assert all(_at(start) <= moment < _at(end) for moment in times)
    # A boundary is an entry's own time: fromDateTime includes it, toDateTime excludes it.
    middle = times[len(times) // 2]
    before = _log_pages(gong, logType=log_type, fromDateTime=start, toDateTime=_iso(middle))
    after = _log_pages(gong, logType=log_type, fromDateTime=_iso(middle), toDateTime=end)
    assert before + after == entries
    assert _at(after[0]["eventTime"]) == middle
    assert all(_at(entry["eventTime"]) < middle for entry in before)
    # The same window written with another UTC offset is the same window.
    shifted = _iso(_at(start).astimezone(timezone(timedelta(hours=-7))))
    assert shifted == "2026-11-15T17:00:00-07:00"
    assert _log_pages(gong, logType=log_type, fromDateTime=shifted, toDateTime=end) == entries


def test_log_calls_are_calls_listed_before_the_entry(
    gong_emulator: GongEmulator, gong: requests.Session
) -> None:
    gong_emulator.configure(clock=CLOCK, page_size=1000)
    calls = _calls(gong)
    entries = _log_pages(
        gong, logType="UserCallPlay", fromDateTime="2026-11-20T00:00:00Z", toDateTime="2026-11-21T00:00:00Z"
    )
    assert entries
    for entry in entries:
        call = entry["logRecord"]["call"]
        assert call["id"] in calls
        assert _at(calls[call["id"]]["started"]) <= _at(entry["eventTime"])


def test_paging_with_a_small_page_size_gives_the_single_page(
    gong_emulator: GongEmulator, gong: requests.Session
) -> None:
    query = {
        "logType": "UserActivityLog",
        "fromDateTime": "2026-11-16T00:00:00Z",
        "toDateTime": "2026-11-16T05:00:00Z",
    }
    gong_emulator.configure(clock=CLOCK, page_size=1000)
    single = _ok(gong, "/v2/logs", **query)
    assert "cursor" not in single["records"]
    gong_emulator.configure(page_size=7)
    first = _ok(gong, "/v2/logs", **query)
    assert first["records"]["currentPageSize"] == 7 and "cursor" in first["records"]
    assert first["records"]["totalRecords"] == single["records"]["totalRecords"] > 7
    assert _log_pages(gong, **query) == single["logEntries"]
    pages = -(-single["records"]["totalRecords"] // 7)
    # One call for the single page, one for the first page of 7, then every page of 7.
    assert gong_emulator.stats()["by_endpoint"]["GET /v2/logs"] == {"200": 2 + pages}


def test_a_log_cursor_is_bound_to_its_inputs(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    gong_emulator.configure(clock=CLOCK, page_size=5)
    query = {
        "logType": "AccessLog",
        "fromDateTime": "2026-11-16T00:00:00Z",
        "toDateTime": "2026-11-17T00:00:00Z",
    }
    cursor = _ok(gong, "/v2/logs", **query)["records"]["cursor"]
    assert _ok(gong, "/v2/logs", **query, cursor=cursor)["logEntries"]
    for change in (
        {"logType": "UserActivityLog"},
        {"fromDateTime": "2026-11-16T01:00:00Z"},
        {"toDateTime": "2026-11-18T00:00:00Z"},
    ):
        assert "cursor" in _error(gong, "/v2/logs", 400, **{**query, **change}, cursor=cursor).lower()
    assert "cursor" in _error(gong, "/v2/logs", 400, **query, cursor="garbage").lower()


def test_no_log_after_the_clock(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    clock = "2026-11-20T12:30:00Z"
    gong_emulator.configure(clock=clock, page_size=1000)
    since = "2026-11-20T06:00:00Z"
    open_ended = _log_pages(gong, logType="AccessLog", fromDateTime=since)
    assert open_ended and all(_at(entry["eventTime"]) < _at(clock) for entry in open_ended)
    later = _log_pages(gong, logType="AccessLog", fromDateTime=since, toDateTime="2026-12-31T00:00:00Z")
    assert later == open_ended == _log_pages(gong, logType="AccessLog", fromDateTime=since, toDateTime=clock)
    # A window after the clock holds nothing: Gong's 404 "No logs found for the specified period".
    _error(gong, "/v2/logs", 404, logType="AccessLog", fromDateTime="2026-11-20T13:00:00Z")
    # Moving the clock on shows the entries that happened meanwhile, the earlier ones unchanged.
    gong_emulator.configure(clock="2026-11-20T18:00:00Z")
    moved = _log_pages(gong, logType="AccessLog", fromDateTime=since)
    assert len(moved) > len(open_ended) and moved[: len(open_ended)] == open_ended


# -- coaching ------------------------------------------------------------------------------------------------


def _coaching(gong: requests.Session, workspace: str, manager: str, start: str, end: str) -> dict[str, Any]:
    query = {"workspace-id": workspace, "manager-id": manager, "from": start, "to": end}
    data = _ok(gong, "/v2/coaching", **query)["coachingData"]
    assert len(data) == 1
    entry: dict[str, Any] = data[0]
    return entry


def test_coaching_covers_only_the_managers_direct_reports(
    gong_emulator: GongEmulator, gong: requests.Session
) -> None:
    gong_emulator.configure(clock=CLOCK, page_size=1000)
    users = _users(gong)
    calls = _calls(gong)
    managers = sorted({user["managerId"] for user in users if user["managerId"]})
    listed = 0
    for manager in managers[:8]:
        reports = {user["id"] for user in users if user["managerId"] == manager}
        for workspace in _workspaces(gong):
            data = _coaching(gong, workspace, manager, COACHING_FROM, COACHING_TO)
            assert data["manager"]["id"] == manager
            assert {item["report"]["id"] for item in data["directReportsMetrics"]} == reports
            for item in data["directReportsMetrics"]:
                for call_ids in item["metrics"].values():
                    for call_id in call_ids:
                        # A call of this workspace that the report hosted.
                        assert calls[call_id]["workspaceId"] == workspace
                        assert calls[call_id]["primaryUserId"] == item["report"]["id"]
                        listed += 1
    assert listed
    # Someone who manages nobody has no reports to coach.
    loner = next(user["id"] for user in users if user["id"] not in managers)
    assert (
        _coaching(gong, _workspaces(gong)[0], loner, COACHING_FROM, COACHING_TO)["directReportsMetrics"] == []
    )


def test_coaching_windows_add_up(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    gong_emulator.configure(clock=CLOCK)
    workspace = _workspaces(gong)[0]
    users = _users(gong)
    manager = next(user["managerId"] for user in users if user["managerId"] == users[0]["id"])
    whole = _coaching(gong, workspace, manager, COACHING_FROM, COACHING_TO)["directReportsMetrics"]
    split = "2026-11-18T00:00:00Z"
    first = _coaching(gong, workspace, manager, COACHING_FROM, split)["directReportsMetrics"]
    second = _coaching(gong, workspace, manager, split, COACHING_TO)["directReportsMetrics"]
    total = 0
    for all_of, one, two in zip(whole, first, second, strict=True):
        for name, call_ids in all_of["metrics"].items():
            assert set(call_ids) == set(one["metrics"][name]) | set(two["metrics"][name])
            total += len(call_ids)
    assert total
    # An empty window lists no activity.
    empty = _coaching(gong, workspace, manager, split, split)["directReportsMetrics"]
    assert all(not ids for item in empty for ids in item["metrics"].values())


# -- permission profiles -------------------------------------------------------------------------------------


def test_permission_profiles_of_a_workspace_split_its_users(
    gong_emulator: GongEmulator, gong: requests.Session
) -> None:
    gong_emulator.configure(page_size=1000)
    users = {user["id"]: user for user in _users(gong)}
    managers = {user["managerId"] for user in users.values() if user["managerId"]}
    for workspace in _workspaces(gong):
        profiles = _ok(gong, "/v2/all-permission-profiles", workspaceId=workspace)["profiles"]
        names = [profile["name"] for profile in profiles]
        assert names == sorted(names)  # "The listing is in the alphabetical order of the profile names."
        holders: dict[str, str] = {}
        for profile in profiles:
            assert _ok(gong, "/v2/permission-profile", profileId=profile["id"])["profile"] == profile
            for user in _ok(gong, "/v2/permission-profile/users", profileId=profile["id"])["users"]:
                assert user["id"] not in holders, "a user holds one profile per workspace"
                holders[user["id"]] = profile["id"]
                known = users[user["id"]]
                assert user["emailAddress"] == known["emailAddress"]
                assert user["fullName"] == f"{known['firstName']} {known['lastName']}"
        assert set(holders) == set(users)
        # The first user administers; the other users someone reports to manage, and no one else does.
        by_name = {profile["name"].split(" (")[0]: profile["id"] for profile in profiles}
        first = next(iter(users))
        assert [u for u, p in holders.items() if p == by_name["Administrator"]] == [first]
        assert {u for u, p in holders.items() if p == by_name["Manager"]} == managers - {first}


# -- determinism ---------------------------------------------------------------------------------------------


def test_answers_are_deterministic(gong_emulator: GongEmulator, gong: requests.Session) -> None:
    gong_emulator.configure(clock=CLOCK)
    workspace = _workspaces(gong)[0]
    folder = _ok(gong, "/v2/library/folders", workspaceId=workspace)["folders"][1]["id"]
    profile = _ok(gong, "/v2/all-permission-profiles", workspaceId=workspace)["profiles"][0]["id"]
    manager = next(user["managerId"] for user in _users(gong) if user["managerId"])
    requests_ = [
        ("/v2/workspaces", {}),
        ("/v2/settings/trackers", {}),
        ("/v2/settings/scorecards", {}),
        ("/v2/settings/briefs", {}),
        ("/v2/call-outcomes", {}),
        ("/v2/library/folders", {}),
        ("/v2/library/folder-content", {"folderId": folder}),
        ("/v2/permission-profile/users", {"profileId": profile}),
        ("/v2/logs", {"logType": "ExternallySharedCallPlay", "fromDateTime": "2026-11-16T00:00:00Z"}),
        (
            "/v2/coaching",
            {"workspace-id": workspace, "manager-id": manager, "from": COACHING_FROM, "to": COACHING_TO},
        ),
    ]

    def strip(body: dict[str, Any]) -> dict[str, Any]:
        body = {key: value for key, value in body.items() if key != "requestId"}
        body.get("records", {}).pop("cursor", None)
        return body

    first = [strip(_ok(gong, path, **params)) for path, params in requests_]
    gong_emulator.reset()
    assert [strip(_ok(gong, path, **params)) for path, params in requests_] == first
    assert all(first)
