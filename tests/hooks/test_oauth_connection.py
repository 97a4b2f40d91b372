"""GongHook.test_connection (the UI's Test button) of an OAuth app, against the emulator's token endpoint.

The Test button runs in the API server. It tests with the connection's access token, and refreshes only
with ``shared_state_url``, where every process reads the rotated refresh token next (Gong's refresh tokens
are single-use). Without it, a refresh needed is not made: the message says it would spend the refresh
token, which stays usable. No client secret or token ever shows in the message or in a log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests
from cryptography.fernet import Fernet

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from airflow_provider_gong.testing.redis_server import RedisServer

CONN_ID = "gong_oauth_test"
SPEND_WORDS = "would spend the single-use refresh token"


def rendered(event: dict[str, Any]) -> str:
    """One captured log event's text, its ``%s`` arguments filled in."""
    message, args = str(event.get("event", "")), event.get("positional_args")
    return message % tuple(args) if args else message


def token_call(gong: GongEmulator, refresh_token: str) -> requests.Response:
    """Exchange ``refresh_token`` at the emulator's token endpoint ourselves (spends it on success)."""
    with requests.Session() as http:
        http.trust_env = False
        return http.post(
            gong.token_url,
            params={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            timeout=30,
        )


def access_token(gong: GongEmulator) -> str:
    """A valid access token the emulator issued (from a refresh token of its own, not the connection's)."""
    answer = token_call(gong, gong.issue_refresh_token())
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


class Run:
    """One connection of the test: its secrets, the emulator's counters before, the captured logs."""

    def __init__(
        self,
        gong: GongEmulator,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
        logs: list[dict[str, Any]],
        *,
        refresh_token: str | None = None,
        token: str | None = None,
        host: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.gong = gong
        self.refresh_token = refresh_token if refresh_token is not None else gong.issue_refresh_token()
        self.token = token
        self.caplog = caplog
        self.logs = logs
        conn = gong.oauth_connection_dict(self.refresh_token, access_token=token, host=host, extra=extra)
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
        self.before = dict(gong.stats())

    def test(self) -> tuple[bool, str]:
        """``test_connection`` of a new hook on the connection (the logs captured so far are forgotten)."""
        self.caplog.clear()
        self.logs.clear()
        hook = GongHook(CONN_ID)
        try:
            return hook.test_connection()
        finally:
            hook.close()

    def delta(self, key: str) -> int:
        """How much the emulator's counter ``key`` grew since the connection was made."""
        return int(self.gong.stats()[key]) - int(self.before[key])

    @property
    def log_text(self) -> str:
        return self.caplog.text + "\n" + "\n".join(rendered(event) for event in self.logs)

    def assert_no_secret(self, message: str, *more: str) -> None:
        """Neither the message nor any log shows the client secret or a token (the connection's or new)."""
        secrets = [DEFAULT_CLIENT_SECRET, self.refresh_token, *more]
        if self.token:
            secrets.append(self.token)
        text = self.log_text
        for secret in secrets:
            assert secret not in message, message
            assert secret not in text, text
        # The tokens the emulator issued during the test (rotated refresh token, new access token) neither.
        for prefix in ("emu-rt-", "emu-at-"):
            assert prefix not in message, message
            assert prefix not in text, text

    def warnings(self) -> list[str]:
        """The WARNING (or worse) messages logged (``gong_logs``: structlog on Airflow 3.1+, else stdlib)."""
        return [rendered(e) for e in self.logs if e.get("log_level") in ("warning", "error", "critical")]


@pytest.fixture
def run(
    gong_emulator: GongEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    gong_logs: list[dict[str, Any]],
) -> Iterator[Any]:
    """Make a :class:`Run` of an OAuth connection to the emulator (keyword arguments as ``Run``'s)."""
    # The provider's own loggers at DEBUG; other libraries' from INFO (urllib3's DEBUG line of a request
    # names its query string, where Gong takes the refresh token: Airflow's secrets masker redacts it).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="airflow_provider_gong")

    def make(**kwargs: Any) -> Run:
        return Run(gong_emulator, monkeypatch, caplog, gong_logs, **kwargs)

    yield make


@pytest.fixture
def fernet_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A real Fernet key as Airflow's ``[core] fernet_key``."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", key)
    return key


def shared(redis_server: RedisServer, **more: Any) -> dict[str, Any]:
    return {"shared_state_url": redis_server.url, **more}


# ------------------------------------------------------------------------------------ without shared state


def test_access_token_and_host_pass_without_a_token_request(run: Any, gong_emulator: GongEmulator) -> None:
    conn = run(token=access_token(gong_emulator), host=True)

    ok, message = conn.test()

    assert ok is True, message
    assert f"Connected to Gong at {gong_emulator.url} with oauth auth" in message
    assert conn.delta("oauth_token_requests") == 0
    assert conn.delta("oauth_rejected_bearer") == 0
    assert conn.delta("gong_calls") == 1
    conn.assert_no_secret(message)


@pytest.mark.parametrize("host", [True, False], ids=["host", "no-host"])
def test_no_access_token_is_not_refreshed_without_shared_state(
    run: Any, gong_emulator: GongEmulator, host: bool
) -> None:
    conn = run(host=host)

    ok, message = conn.test()

    assert ok is False
    assert SPEND_WORDS in message
    assert "nothing was refreshed" in message
    assert "shared_state_url" in message
    assert f"'{CONN_ID}'" in message
    assert conn.delta("oauth_token_requests") == 0
    assert conn.delta("gong_calls") == 0
    conn.assert_no_secret(message)
    # The refresh token was not spent: it still works (and this spends it, after the checks above).
    assert token_call(gong_emulator, conn.refresh_token).status_code == 200


def test_expired_access_token_is_not_refreshed_without_shared_state(
    run: Any, gong_emulator: GongEmulator
) -> None:
    token = access_token(gong_emulator)
    gong_emulator.expire_access_tokens()
    conn = run(token=token, host=True)

    ok, message = conn.test()

    assert ok is False
    assert SPEND_WORDS in message
    assert "nothing was refreshed" in message
    assert conn.delta("oauth_refreshes") == 0
    assert conn.delta("oauth_token_requests") == 0
    assert conn.delta("oauth_rejected_bearer") == 1  # the one call with the expired token, not retried
    conn.assert_no_secret(message)
    assert token_call(gong_emulator, conn.refresh_token).status_code == 200


# ------------------------------------------------------------------------------------ with shared state


@pytest.mark.parametrize("host", [True, False], ids=["host", "no-host"])
def test_shared_state_refreshes_once_and_keeps_the_rotated_token_encrypted(
    run: Any, gong_emulator: GongEmulator, redis_server: RedisServer, fernet_key: str, host: bool
) -> None:
    conn = run(host=host, extra=shared(redis_server))

    ok, message = conn.test()

    assert ok is True, message
    assert f"Connected to Gong at {gong_emulator.url} with oauth auth" in message
    assert conn.delta("oauth_refreshes") == 1
    assert conn.delta("oauth_token_requests") == 1
    assert conn.delta("oauth_invalid_grants") == 0
    conn.assert_no_secret(message)
    # The seed is spent; the rotated refresh token is in Redis, encrypted (no token in clear there).
    client = redis.Redis.from_url(redis_server.url)
    (name,) = client.keys("gong:oauth:*:token")
    stored = client.get(name)
    assert stored is not None
    assert b"emu-rt-" not in stored and b"emu-at-" not in stored
    assert json.loads(Fernet(fernet_key.encode()).decrypt(stored))["refresh_token"].startswith("emu-rt-")

    # A second Test (another API-server request: a new hook) uses the stored token: no refresh.
    again, message = conn.test()

    assert again is True, message
    assert conn.delta("oauth_refreshes") == 1
    assert conn.delta("oauth_token_requests") == 1
    conn.assert_no_secret(message)


def test_shared_state_without_a_fernet_key_is_refused_before_any_token_call(
    run: Any, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "")
    conn = run(extra=shared(redis_server))

    ok, message = conn.test()

    assert ok is False
    assert "fernet_key" in message
    assert "AIRFLOW__CORE__FERNET_KEY" in message
    assert "in clear" in message
    assert conn.delta("oauth_token_requests") == 0
    assert conn.delta("gong_calls") == 0
    conn.assert_no_secret(message)
    assert redis.Redis.from_url(redis_server.url).keys("gong:oauth:*") == []


@pytest.mark.parametrize("host", [True, False], ids=["host", "no-host"])
def test_invalid_grant_says_so_and_how_to_reauthorise(
    run: Any, gong_emulator: GongEmulator, redis_server: RedisServer, fernet_key: str, host: bool
) -> None:
    used = gong_emulator.issue_refresh_token()
    spent = token_call(gong_emulator, used)
    assert spent.status_code == 200, spent.text
    conn = run(refresh_token=used, host=host, extra=shared(redis_server))

    ok, message = conn.test()

    assert ok is False
    assert "invalid_grant" in message
    assert "used already or revoked" in message
    assert "authorise the app again" in message
    assert "python -m airflow_provider_gong.client.oauth exchange" in message
    assert conn.delta("oauth_token_requests") == 1  # never retried in a loop
    assert conn.delta("oauth_invalid_grants") == 1
    assert conn.delta("gong_calls") == 0
    conn.assert_no_secret(message, spent.json()["refresh_token"], spent.json()["access_token"])


# ------------------------------------------------------------------------------------ the tenant's base URL


def _other_loopback_url(gong: GongEmulator) -> str:
    """The emulator's own address under another name: what a token answer may name as the tenant's API."""
    assert gong.url.startswith("http://127.0.0.1:"), gong.url
    return gong.url.replace("http://127.0.0.1:", "http://localhost:")


def test_no_host_uses_the_base_url_of_the_token_answer(
    run: Any, gong_emulator: GongEmulator, redis_server: RedisServer, fernet_key: str
) -> None:
    tenant = _other_loopback_url(gong_emulator)
    gong_emulator.configure(oauth_base_url=tenant)
    conn = run(extra=shared(redis_server))

    ok, message = conn.test()

    assert ok is True, message
    assert f"Connected to Gong at {tenant} with oauth auth" in message
    assert gong_emulator.url not in message
    assert conn.delta("oauth_refreshes") == 1
    assert conn.warnings() == []
    conn.assert_no_secret(message)


def test_configured_host_wins_over_the_token_answer_with_one_warning(
    run: Any, gong_emulator: GongEmulator, redis_server: RedisServer, fernet_key: str
) -> None:
    """The first Test of a fresh app: the token answer arrives during the test itself."""
    tenant = _other_loopback_url(gong_emulator)
    gong_emulator.configure(oauth_base_url=tenant)
    conn = run(host=True, extra=shared(redis_server))

    ok, message = conn.test()

    assert ok is True, message
    assert f"Connected to Gong at {gong_emulator.url} with oauth auth" in message
    assert tenant not in message
    warnings = [text for text in conn.warnings() if tenant in text]
    assert len(warnings) == 1, conn.warnings()
    assert gong_emulator.url in warnings[0]
    conn.assert_no_secret(message)


def test_configured_host_wins_over_a_stored_token_answer_with_one_warning(
    run: Any,
    gong_emulator: GongEmulator,
    redis_server: RedisServer,
    fernet_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A token stored by an earlier run names the tenant's API; the connection's host names another."""
    tenant = _other_loopback_url(gong_emulator)
    gong_emulator.configure(oauth_base_url=tenant)
    seed = gong_emulator.issue_refresh_token()
    first = run(refresh_token=seed, extra=shared(redis_server))
    ok, message = first.test()
    assert ok is True, message
    assert tenant in message
    conn = run(refresh_token=seed, host=True, extra=shared(redis_server))

    ok, message = conn.test()

    assert ok is True, message
    assert f"Connected to Gong at {gong_emulator.url} with oauth auth" in message
    assert conn.delta("oauth_token_requests") == 0  # the stored token serves
    warnings = [text for text in conn.warnings() if tenant in text]
    assert len(warnings) == 1, conn.warnings()
    assert gong_emulator.url in warnings[0]
    assert "using the configured host" in warnings[0]
    conn.assert_no_secret(message)
