"""The /_emulator/ control endpoints and the counters."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator, generate_users


def test_stats_count_calls_by_endpoint_and_status(gong: Any, gong_emulator: GongEmulator) -> None:
    user_id = gong_emulator.users[0]["id"]
    gong.get("/v2/users")
    gong.get(f"/v2/users/{user_id}")
    gong.get("/v2/users/123456789012345")
    gong.get(f"/v2/users/{user_id}/settings-history")
    gong.post("/v2/users/extensive", json={"filter": {}})
    gong.post("/v2/users/extensive", json={"filter": {"userIds": ["111111111111111"]}})
    gong.get("/v2/nothing")
    stats = gong.get("/_emulator/stats").json()
    assert stats == gong_emulator.stats()
    assert stats["gong_calls"] == 7
    assert stats["by_endpoint"] == {
        "GET /v2/users": {"200": 1},
        "GET /v2/users/{id}": {"200": 1, "404": 1},
        "GET /v2/users/{id}/settings-history": {"200": 1},
        "POST /v2/users/extensive": {"200": 1, "404": 1},
        "other": {"404": 1},
    }
    assert stats["by_status"] == {"200": 4, "404": 3}
    assert stats["responses_429"] == 0
    assert set(stats["faults"]) == {
        "drop",
        "hang",
        "fail_5xx",
        "fail_429",
        "truncate",
        "bad_shape",
        "slow",
        "scripted",
    }
    assert not any(stats["faults"].values())


def test_connections_show_keep_alive_reuse(gong_emulator: GongEmulator) -> None:
    headers = gong_emulator.auth_headers()
    with requests.Session() as session:
        for _ in range(10):
            assert session.get(f"{gong_emulator.url}/v2/users", headers=headers).status_code == 200
    assert gong_emulator.stats()["connections_accepted"] == 1
    gong_emulator.reset()
    for _ in range(10):
        requests.get(f"{gong_emulator.url}/v2/users", headers={**headers, "Connection": "close"}, timeout=10)
    assert gong_emulator.stats()["connections_accepted"] == 10


@pytest.mark.gong_emulator(rate_per_second=2)
def test_reset_clears_counters_and_limits(gong: Any, gong_emulator: GongEmulator) -> None:
    assert [gong.get("/v2/users").status_code for _ in range(3)] == [200, 200, 429]
    gong_emulator.fail_next({"status": 500})
    response = gong.post("/_emulator/reset")
    assert response.status_code == 200
    stats = gong_emulator.stats()
    assert (stats["gong_calls"], stats["by_endpoint"], stats["fail_next_pending"]) == (0, {}, 0)
    assert stats["calls_today"] == 0
    assert gong.get("/v2/users").status_code == 200


def test_config_get_and_patch(gong: Any, gong_emulator: GongEmulator) -> None:
    config = gong.get("/_emulator/config").json()
    assert config == gong_emulator.config.to_dict()
    assert config["access_key"] == "emulator-access-key"
    patched = gong.patch(
        "/_emulator/config", json={"users": 12, "page_size": 5, "rate_per_second": 10}
    ).json()
    assert (patched["users"], patched["page_size"], patched["rate_per_second"]) == (12, 5, 10)
    assert gong_emulator.config.users == 12
    body = gong.get("/v2/users", params={"includeAvatars": "true"}).json()
    assert body["records"]["totalRecords"] == 12
    assert body["users"] == generate_users(12)[:5]


@pytest.mark.parametrize(
    "changes",
    [
        {"no_such_knob": 1},
        {"users": "many"},
        {"users": -1},
        {"fail_5xx": 1.5},
        {"rate_per_second": True},
        {"scopes": "api:users:read"},
        {"fault_retry_after": "bad\nheader"},
        {"day_seconds": 0},
    ],
)
def test_config_patch_rejects_bad_values(
    gong: Any, gong_emulator: GongEmulator, changes: dict[str, Any]
) -> None:
    before = gong_emulator.config.to_dict()
    response = gong.patch("/_emulator/config", json=changes)
    assert response.status_code == 400
    assert response.json()["errors"]
    assert gong_emulator.config.to_dict() == before


def test_config_patch_rejects_non_objects(gong: Any) -> None:
    assert gong.patch("/_emulator/config", data=b"[1]").status_code == 400
    assert gong.patch("/_emulator/config", data=b"{").status_code == 400


def test_reset_can_restore_the_initial_config(gong: Any, gong_emulator: GongEmulator) -> None:
    initial = gong_emulator.state.initial_config.to_dict()
    gong.patch("/_emulator/config", json={"users": 3, "fail_5xx": 0.5})
    gong.post("/_emulator/reset")
    assert gong_emulator.config.users == 3
    assert gong.post("/_emulator/reset", json={"config": True}).json()["config"] == initial
    assert gong_emulator.config.to_dict() == initial


def test_users_health_and_unknown_control_endpoints(anon: Any, gong_emulator: GongEmulator) -> None:
    assert anon.get("/_emulator/health").json() == {"ok": True}
    body = anon.get("/_emulator/users").json()
    assert body["users"] == gong_emulator.users
    assert set(body["avatarIds"]) == gong_emulator.avatar_ids
    assert anon.get("/_emulator/users", params={"includeAvatars": "false"}).json()["users"] == generate_users(
        250, include_avatars=False
    )
    assert anon.get("/_emulator/nope").status_code == 404
    assert anon.delete("/_emulator/stats").status_code == 405


def test_in_process_controls(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config = EmulatorConfig(users=4, rate_per_second=None)
    assert len(gong_emulator.users) == 4
    with pytest.raises(ValueError, match="fail_5xx"):
        gong_emulator.configure(fail_5xx=2)
    gong_emulator.configure(users=6, seed=3)
    assert gong_emulator.users == generate_users(6, seed=3)


def test_marker_configures_the_fixture(gong_emulator_config: EmulatorConfig) -> None:
    assert gong_emulator_config.rate_per_second is None
    assert gong_emulator_config.rate_per_day is None


@pytest.mark.gong_emulator(users=9, latency=0.0)
def test_marker_fields_apply(gong_emulator: GongEmulator) -> None:
    assert gong_emulator.config.users == 9


def test_connection_fixture_sets_the_airflow_env(
    gong_emulator_connection: str, gong_emulator: GongEmulator
) -> None:
    assert gong_emulator_connection == "gong_default"
    assert os.environ["AIRFLOW_CONN_GONG_DEFAULT"] == gong_emulator.connection_json()
