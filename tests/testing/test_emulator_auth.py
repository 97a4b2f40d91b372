"""Authentication: Basic (access key + secret), Bearer (OAuth token), the users-read scope."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from airflow_provider_gong.testing import GongEmulator


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def assert_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert body["errors"]


def test_basic_auth(anon: Any, gong_emulator: GongEmulator) -> None:
    headers = basic("emulator-access-key", "emulator-access-key-secret")
    assert anon.get("/v2/users", headers=headers).status_code == 200


def test_bearer_auth(anon: Any, gong_emulator: GongEmulator) -> None:
    headers = {"Authorization": "Bearer emulator-oauth-token"}
    assert anon.get("/v2/users", headers=headers).status_code == 200
    assert anon.get("/v2/users", headers=gong_emulator.auth_headers("bearer")).status_code == 200


def test_missing_auth(anon: Any) -> None:
    assert_401(anon.get("/v2/users"))


@pytest.mark.parametrize(
    "headers",
    [
        basic("emulator-access-key", "wrong-secret"),
        basic("wrong-key", "emulator-access-key-secret"),
        {"Authorization": "Basic not-base64!!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer"},
        {"Authorization": "Digest abc"},
    ],
)
def test_wrong_auth(anon: Any, headers: dict[str, str]) -> None:
    assert_401(anon.get("/v2/users", headers=headers))


def test_changed_credentials(anon: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(access_key="key-two", secret="secret-two", token=None)
    assert_401(anon.get("/v2/users", headers=basic("emulator-access-key", "emulator-access-key-secret")))
    assert_401(anon.get("/v2/users", headers={"Authorization": "Bearer emulator-oauth-token"}))
    assert anon.get("/v2/users", headers=basic("key-two", "secret-two")).status_code == 200
    with pytest.raises(ValueError, match="bearer"):
        gong_emulator.auth_headers("bearer")


@pytest.mark.parametrize("kind", ["basic", "bearer"])
def test_missing_scope_is_403(anon: Any, gong_emulator: GongEmulator, kind: Any) -> None:
    gong_emulator.config.scopes = ["api:calls:read:basic"]
    response = anon.get("/v2/users", headers=gong_emulator.auth_headers(kind))
    assert response.status_code == 403
    assert "api:users:read" in response.json()["errors"][0]


def test_auth_failures_do_not_consume_quota(anon: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.rate_per_second = 1
    for _ in range(3):
        assert_401(anon.get("/v2/users"))
    assert anon.get("/v2/users", headers=gong_emulator.auth_headers()).status_code == 200
