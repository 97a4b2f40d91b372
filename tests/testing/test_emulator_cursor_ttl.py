"""``cursor_ttl``: a cursor older than it answers Gong's 400 "cursor has expired", on both list endpoints."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import ConfigError, EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.__main__ import _config, build_parser
from airflow_provider_gong.testing.launch import EmulatorProcess

REQUEST_ID = re.compile(r"[0-9a-z]{19}")
EXPIRED = {"errors": ["cursor has expired"]}


def assert_expired(response: requests.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert REQUEST_ID.fullmatch(body["requestId"])
    assert body["errors"] == EXPIRED["errors"]


def list_cursor(gong: Any) -> str:
    cursor: str = gong.get("/v2/users").json()["records"]["cursor"]
    return cursor


def extensive_cursor(gong: Any) -> str:
    cursor: str = gong.post("/v2/users/extensive", json={"filter": {}}).json()["records"]["cursor"]
    return cursor


def test_cursors_never_expire_by_default(gong: Any, gong_emulator: GongEmulator) -> None:
    assert EmulatorConfig().cursor_ttl is None
    cursor = list_cursor(gong)
    gong_emulator.configure(cursor_ttl=None)
    time.sleep(0.2)
    assert gong.get("/v2/users", params={"cursor": cursor}).status_code == 200


@pytest.mark.gong_emulator(cursor_ttl=0)
def test_ttl_zero_expires_every_cursor_on_both_endpoints(gong: Any) -> None:
    assert_expired(gong.get("/v2/users", params={"cursor": list_cursor(gong)}))
    cursor = extensive_cursor(gong)
    assert_expired(gong.post("/v2/users/extensive", json={"filter": {}, "cursor": cursor}))
    assert gong.get("/v2/users").status_code == 200  # a first page needs no cursor


@pytest.mark.gong_emulator(cursor_ttl=0.5)
def test_a_cursor_works_until_it_is_older_than_the_ttl(gong: Any) -> None:
    fresh = list_cursor(gong)
    assert gong.get("/v2/users", params={"cursor": fresh}).status_code == 200
    fresh_extensive = extensive_cursor(gong)
    page = gong.post("/v2/users/extensive", json={"filter": {}, "cursor": fresh_extensive})
    assert page.status_code == 200

    time.sleep(0.6)
    assert_expired(gong.get("/v2/users", params={"cursor": fresh}))
    assert_expired(gong.post("/v2/users/extensive", json={"filter": {}, "cursor": fresh_extensive}))
    assert gong.get("/v2/users", params={"cursor": list_cursor(gong)}).status_code == 200


@pytest.mark.gong_emulator(cursor_ttl=0)
def test_a_forged_cursor_is_still_invalid_not_expired(gong: Any) -> None:
    response = gong.get("/v2/users", params={"cursor": "MTAwOjE6YWJj"})  # "100:1:abc"
    assert response.status_code == 400
    assert response.json()["errors"] != EXPIRED["errors"]


def test_ttl_is_settable_over_http_and_in_process(gong: Any, gong_emulator: GongEmulator) -> None:
    cursor = list_cursor(gong)
    patched = gong.patch("/_emulator/config", json={"cursor_ttl": 0})
    assert patched.status_code == 200 and patched.json()["cursor_ttl"] == 0
    assert gong_emulator.config.cursor_ttl == 0
    assert_expired(gong.get("/v2/users", params={"cursor": cursor}))
    gong_emulator.configure(cursor_ttl=3600)
    assert gong.get("/v2/users", params={"cursor": cursor}).status_code == 200


@pytest.mark.parametrize("value", [-1, float("inf"), "10", True])
def test_bad_ttl_is_refused(gong: Any, value: Any) -> None:
    with pytest.raises(ConfigError, match="cursor_ttl"):
        EmulatorConfig(cursor_ttl=value)
    if value != float("inf"):  # JSON has no infinity
        assert gong.patch("/_emulator/config", json={"cursor_ttl": value}).status_code == 400


def test_cli_option() -> None:
    assert _config(build_parser().parse_args(["--cursor-ttl", "2.5"])).cursor_ttl == 2.5
    assert _config(build_parser().parse_args([])).cursor_ttl is None


def test_cli_emulator_expires_cursors() -> None:
    with EmulatorProcess.start(["--cursor-ttl", "0"]) as proc:
        assert proc.stdout_before_ready == []
        url = proc.url
        auth = ("emulator-access-key", "emulator-access-key-secret")
        first = requests.get(f"{url}/v2/users", auth=auth, timeout=10).json()
        assert_expired(
            requests.get(
                f"{url}/v2/users", params={"cursor": first["records"]["cursor"]}, auth=auth, timeout=10
            )
        )
