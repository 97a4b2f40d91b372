"""Gong's users endpoints over real HTTP: envelopes, paging, filters and errors."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import GongEmulator, generate_users
from airflow_provider_gong.testing.users import parse_gong_time

REQUEST_ID = re.compile(r"[0-9a-z]{19}")
NO_USERS = "No users found corresponding to the provided filters"


def assert_error(response: requests.Response, status: int, message: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"requestId", "errors"}
    assert REQUEST_ID.fullmatch(body["requestId"])
    assert body["errors"] and all(isinstance(error, str) for error in body["errors"])
    if message is not None:
        assert body["errors"] == [message]
    return body


def list_all(gong: Any, **params: str) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = gong.get("/v2/users", params=query).json()
        users += body["users"]
        cursor = body["records"].get("cursor")
        if cursor is None:
            return users


def extensive_all(gong: Any, filters: dict[str, Any]) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    payload: dict[str, Any] = {"filter": filters}
    while True:
        response = gong.post("/v2/users/extensive", json=payload)
        assert response.status_code == 200, response.text
        body = response.json()
        users += body["users"]
        if "cursor" not in body["records"]:
            return users
        payload = {"filter": filters, "cursor": body["records"]["cursor"]}


# -- GET /v2/users/{id} --------------------------------------------------------------------------------------


def test_get_user(gong: Any, gong_emulator: GongEmulator) -> None:
    expected = gong_emulator.users[17]
    response = gong.get(f"/v2/users/{expected['id']}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"requestId", "user"}
    assert REQUEST_ID.fullmatch(body["requestId"])
    assert body["user"] == expected


def test_get_user_returns_avatars_too(gong: Any, gong_emulator: GongEmulator) -> None:
    avatar_id = sorted(gong_emulator.avatar_ids)[0]
    assert gong.get(f"/v2/users/{avatar_id}").json()["user"]["id"] == avatar_id


def test_request_ids_are_fresh(gong: Any, gong_emulator: GongEmulator) -> None:
    user_id = gong_emulator.users[0]["id"]
    ids = {gong.get(f"/v2/users/{user_id}").json()["requestId"] for _ in range(5)}
    assert len(ids) == 5


def test_get_unknown_user_is_404(gong: Any) -> None:
    assert_error(gong.get("/v2/users/123456789012345"), 404, "User not found")


@pytest.mark.parametrize("bad_id", ["abc", "12a", "123456789012345678901", "-5", "1.5"])
def test_get_user_with_bad_id_is_400(gong: Any, bad_id: str) -> None:
    assert_error(gong.get(f"/v2/users/{bad_id}"), 400)


# -- GET /v2/users ------------------------------------------------------------------------------------------


def test_list_pages_with_cursor(gong: Any, gong_emulator: GongEmulator) -> None:
    expected = generate_users(250, seed=0, include_avatars=False)
    assert 240 <= len(expected) < 250
    first = gong.get("/v2/users").json()
    assert set(first) == {"requestId", "records", "users"}
    records = first["records"]
    assert records["totalRecords"] == len(expected)
    assert records["currentPageSize"] == 100
    assert records["currentPageNumber"] == 0
    assert isinstance(records["cursor"], str)
    second = gong.get("/v2/users", params={"cursor": records["cursor"]}).json()
    assert second["records"]["currentPageNumber"] == 1
    third = gong.get("/v2/users", params={"cursor": second["records"]["cursor"]}).json()
    assert third["records"] == {
        "totalRecords": len(expected),
        "currentPageSize": len(expected) - 200,
        "currentPageNumber": 2,
    }
    assert first["users"] + second["users"] + third["users"] == expected
    assert gong_emulator.stats()["by_endpoint"]["GET /v2/users"] == {"200": 3}


def test_list_include_avatars(gong: Any, gong_emulator: GongEmulator) -> None:
    everyone = list_all(gong, includeAvatars="true")
    assert everyone == gong_emulator.users
    assert {user["id"] for user in everyone} >= gong_emulator.avatar_ids
    assert list_all(gong, includeAvatars="false") == generate_users(250, include_avatars=False)


@pytest.mark.gong_emulator(page_size=7, users=20)
def test_page_size_is_configurable(gong: Any) -> None:
    body = gong.get("/v2/users").json()
    assert body["records"]["currentPageSize"] == 7
    assert len(list_all(gong)) == body["records"]["totalRecords"]


def test_list_single_page_has_no_cursor(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.users = 30
    records = gong.get("/v2/users").json()["records"]
    assert "cursor" not in records
    assert records["currentPageSize"] == records["totalRecords"]


@pytest.mark.parametrize("cursor", ["garbage", "MTAwOmFiYw", "!!!", "MTAw"])
def test_list_bad_cursor_is_400(gong: Any, cursor: str) -> None:
    assert_error(gong.get("/v2/users", params={"cursor": cursor}), 400)


def test_cursor_bound_to_its_inputs(gong: Any) -> None:
    cursor = gong.get("/v2/users").json()["records"]["cursor"]
    assert_error(gong.get("/v2/users", params={"cursor": cursor, "includeAvatars": "true"}), 400)
    assert_error(gong.post("/v2/users/extensive", json={"cursor": cursor, "filter": {}}), 400)


def test_list_bad_include_avatars_is_400(gong: Any) -> None:
    assert_error(gong.get("/v2/users", params={"includeAvatars": "maybe"}), 400)


# -- POST /v2/users/extensive --------------------------------------------------------------------------------


def test_extensive_empty_filter_pages_everyone(gong: Any) -> None:
    assert extensive_all(gong, {}) == generate_users(250, include_avatars=False)
    assert extensive_all(gong, {"includeAvatars": True}) == generate_users(250)


def test_extensive_user_ids_come_back_in_emulator_order(gong: Any, gong_emulator: GongEmulator) -> None:
    users = gong_emulator.users
    visible = [user for user in users if user["id"] not in gong_emulator.avatar_ids]
    wanted = [visible[40]["id"], visible[3]["id"], "999999999999999", visible[120]["id"], visible[3]["id"]]
    body = gong.post("/v2/users/extensive", json={"filter": {"userIds": wanted}}).json()
    assert [user["id"] for user in body["users"]] == [visible[3]["id"], visible[40]["id"], visible[120]["id"]]
    assert body["records"]["totalRecords"] == 3
    assert body["users"][0] == visible[3]


def test_extensive_unknown_ids_only_is_404(gong: Any) -> None:
    response = gong.post("/v2/users/extensive", json={"filter": {"userIds": ["111111111111111"]}})
    assert_error(response, 404, NO_USERS)


def test_extensive_created_from_inclusive_to_exclusive(gong: Any, gong_emulator: GongEmulator) -> None:
    visible = [user for user in gong_emulator.users if user["id"] not in gong_emulator.avatar_ids]
    start, end = visible[10], visible[20]
    filters = {"createdFromDateTime": start["created"], "createdToDateTime": end["created"]}
    got = extensive_all(gong, filters)
    assert got == visible[10:20]
    # The same instants written in UTC select the same users.
    as_utc = {
        key: datetime.fromtimestamp(parse_gong_time(value), UTC).isoformat().replace("+00:00", "Z")
        for key, value in filters.items()
    }
    assert extensive_all(gong, as_utc) == visible[10:20]


def test_extensive_created_range_pages(gong: Any, gong_emulator: GongEmulator) -> None:
    visible = [user for user in gong_emulator.users if user["id"] not in gong_emulator.avatar_ids]
    got = extensive_all(gong, {"createdFromDateTime": visible[5]["created"]})
    assert got == visible[5:]
    assert len(got) > 200


def test_extensive_empty_range_is_404(gong: Any) -> None:
    filters = {"createdFromDateTime": "2030-01-01T00:00:00Z"}
    assert_error(gong.post("/v2/users/extensive", json={"filter": filters}), 404, NO_USERS)
    filters = {"createdFromDateTime": "2020-01-02T00:00:00Z", "createdToDateTime": "2020-01-01T00:00:00Z"}
    assert_error(gong.post("/v2/users/extensive", json={"filter": filters}), 404, NO_USERS)


def test_extensive_avatar_ids_need_include_avatars(gong: Any, gong_emulator: GongEmulator) -> None:
    avatar = sorted(gong_emulator.avatar_ids)[0]
    assert_error(gong.post("/v2/users/extensive", json={"filter": {"userIds": [avatar]}}), 404, NO_USERS)
    body = gong.post(
        "/v2/users/extensive", json={"filter": {"userIds": [avatar], "includeAvatars": True}}
    ).json()
    assert [user["id"] for user in body["users"]] == [avatar]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        b"{}",
        b'{"filter": []}',
        b'{"filter": {"userIds": "123"}}',
        b'{"filter": {"userIds": [123]}}',
        b'{"filter": {"userIds": ["12a"]}}',
        b'{"filter": {"createdFromDateTime": "2020-01-01"}}',
        b'{"filter": {"createdFromDateTime": "2020-01-01T00:00:00"}}',
        b'{"filter": {"createdToDateTime": "soon"}}',
        b'{"filter": {"createdToDateTime": 1577836800}}',
        b'{"filter": {"includeAvatars": "yes"}}',
        b'{"filter": {}, "cursor": 5}',
        b'{"filter": {}, "cursor": "garbage"}',
    ],
)
def test_extensive_malformed_is_400(gong: Any, payload: bytes) -> None:
    response = gong.post("/v2/users/extensive", data=payload, headers={"Content-Type": "application/json"})
    assert_error(response, 400)


def test_extensive_too_many_ids_is_400(gong: Any, gong_emulator: GongEmulator) -> None:
    ids = [str(10**15 + n) for n in range(gong_emulator.config.max_user_ids + 1)]
    assert_error(gong.post("/v2/users/extensive", json={"filter": {"userIds": ids}}), 400)
    limit = gong_emulator.config.max_user_ids
    ok = gong.post(
        "/v2/users/extensive", json={"filter": {"userIds": [*ids[: limit - 1], gong_emulator.users[0]["id"]]}}
    )
    assert ok.status_code == 200


def test_extensive_cursor_bound_to_filter(gong: Any, gong_emulator: GongEmulator) -> None:
    filters = {"createdFromDateTime": gong_emulator.users[0]["created"]}
    cursor = gong.post("/v2/users/extensive", json={"filter": filters}).json()["records"]["cursor"]
    other = {"createdFromDateTime": gong_emulator.users[1]["created"]}
    assert_error(gong.post("/v2/users/extensive", json={"filter": other, "cursor": cursor}), 400)
    same = gong.post("/v2/users/extensive", json={"filter": filters, "cursor": cursor})
    assert same.status_code == 200
    assert same.json()["records"]["currentPageNumber"] == 1


# -- GET /v2/users/{id}/settings-history ---------------------------------------------------------------------


def test_settings_history(gong: Any, gong_emulator: GongEmulator) -> None:
    user = gong_emulator.users[5]
    body = gong.get(f"/v2/users/{user['id']}/settings-history").json()
    assert set(body) == {"requestId", "userSettingsHistory"}
    assert body["userSettingsHistory"] == gong_emulator.directory.settings_history(5)
    assert all(set(entry) == {"setting", "value", "time"} for entry in body["userSettingsHistory"])
    assert_error(gong.get("/v2/users/123456789012345/settings-history"), 404, "User not found")
    assert_error(gong.get("/v2/users/x/settings-history"), 400)


# -- routing ----------------------------------------------------------------------------------------------


def test_unknown_route_and_wrong_method(gong: Any) -> None:
    assert_error(gong.get("/v2/meetings"), 404)
    response = gong.get("/v2/users/extensive")
    assert_error(response, 405)
    assert response.headers["Allow"] == "POST"
    assert_error(gong.post("/v2/users", json={}), 405)


@pytest.mark.gong_emulator(users=0)
def test_no_users_at_all_is_404(gong: Any) -> None:
    assert_error(gong.get("/v2/users"), 404, NO_USERS)


@pytest.mark.gong_emulator(users=100_000)
def test_hundred_thousand_users_page_quickly(gong: Any, gong_emulator: GongEmulator) -> None:
    gong.get("/_emulator/health")
    started = time.monotonic()
    body = gong.get("/v2/users").json()
    assert body["records"]["totalRecords"] == 98_000
    for _ in range(9):
        body = gong.get("/v2/users", params={"cursor": body["records"]["cursor"]}).json()
        assert len(body["users"]) == 100
    assert body["records"]["currentPageNumber"] == 9
    last_ids = gong_emulator.directory.ids[-50:]
    found = gong.post("/v2/users/extensive", json={"filter": {"userIds": list(last_ids)}}).json()
    assert found["records"]["totalRecords"] == len(set(last_ids) - gong_emulator.avatar_ids)
    assert time.monotonic() - started < 10
