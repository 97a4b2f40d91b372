"""OAuth apps end to end against the emulator's token endpoint: refresh, rotation, stores, errors, masking.

Every token call and API call goes over HTTP to the emulator (its expiring access tokens and single-use
refresh tokens); Redis is a real ``redis-server``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
import redis
import requests
from cryptography.fernet import Fernet

from airflow_provider_gong.client.core import AsyncGongClient
from airflow_provider_gong.client.oauth import (
    OAuthTokens,
    RedisTokenStore,
    Token,
    exchange_authorization_code,
    fernet_from_key,
)
from airflow_provider_gong.client.settings import settings_from_connection
from airflow_provider_gong.exceptions import GongAuthError, GongConfigError, GongConnectionError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.redis_server import RedisServer

CONN_ID = "gong_oauth"
ENV = f"AIRFLOW_CONN_{CONN_ID.upper()}"


@pytest.fixture
def gong(gong_emulator: GongEmulator) -> GongEmulator:
    gong_emulator.configure(users=25, page_size=10)
    gong_emulator.reset()
    return gong_emulator


@pytest.fixture
def fernet_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", key)
    return key


def connect(monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any]) -> dict[str, Any]:
    monkeypatch.setenv(ENV, json.dumps(conn))
    return conn


def hook(**kwargs: Any) -> GongHook:
    return GongHook(CONN_ID, sleep=lambda seconds: None, **kwargs)


def oauth_stats(gong: GongEmulator) -> dict[str, int]:
    stats = gong.stats()
    return {key: value for key, value in stats.items() if key.startswith("oauth_")}


def stored_token(redis_server: RedisServer, key: str) -> Token:
    """The token a Redis store holds, decrypted with this Airflow's key (the way every process reads it)."""
    client = redis.Redis.from_url(redis_server.url)
    (name,) = client.keys("gong:oauth:*:token")
    return Token.from_json(fernet_from_key(key).decrypt(client.get(name)))


def rendered(event: dict[str, Any]) -> str:
    """One captured log event's text, its ``%s`` arguments filled in."""
    message, args = str(event.get("event", "")), event.get("positional_args")
    return message % tuple(args) if args else message


def log_text(logs: list[dict[str, Any]]) -> str:
    return "\n".join(rendered(event) for event in logs)


class Secrets:
    """Every secret of a run, to look for in logs and errors."""

    def __init__(self, conn: dict[str, Any]) -> None:
        extra = conn["extra"]
        self.values = {extra["client_secret"], extra["refresh_token"]}

    def add(self, token: Token) -> None:
        self.values |= {token.access_token, token.refresh_token}

    def absent_from(self, text: str) -> None:
        for value in self.values:
            assert value not in text


# ------------------------------------------------------------------------------ refresh and rotation


def test_refreshes_before_expiry_without_a_401(gong: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    gong.configure(access_token_lifetime=1.5)  # refreshed within a tenth of it, before Gong refuses it
    connect(monkeypatch, gong.oauth_connection_dict())
    gong_hook = hook()
    assert len(gong_hook.get_users()) == 25
    assert gong_hook.settings.base_url == gong.url  # learnt from api_base_url_for_customer: no host set
    first = gong_hook.client.tokens
    assert first is not None
    threading.Event().wait(1.5)
    assert len(gong_hook.get_users()) == 25
    stats = oauth_stats(gong)
    assert stats["oauth_refreshes"] == 2
    assert stats["oauth_rejected_bearer"] == 0
    assert stats["oauth_invalid_grants"] == 0


def test_a_401_refreshes_once_and_sends_the_call_again(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, gong_logs: list[dict[str, Any]]
) -> None:
    conn = connect(monkeypatch, gong.oauth_connection_dict(host=True))
    gong_hook = hook()
    assert gong_hook.call("GET", "/v2/users")["records"]["totalRecords"] == 25
    gong.expire_access_tokens()  # Gong revokes or expires the token early: only a 401 tells
    assert gong_hook.call("GET", "/v2/users")["records"]["totalRecords"] == 25
    stats = oauth_stats(gong)
    assert stats["oauth_rejected_bearer"] == 1
    assert stats["oauth_refreshes"] == 2
    assert "refused the OAuth access token (401)" in log_text(gong_logs)
    Secrets(conn).absent_from(log_text(gong_logs))


def test_a_second_401_after_the_refresh_is_raised_not_looped(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    gong.configure(access_token_lifetime=0.001)  # every token Gong hands out is dead on arrival
    connect(monkeypatch, gong.oauth_connection_dict(host=True))
    with pytest.raises(GongAuthError) as raised:
        hook().call("GET", "/v2/users")
    assert raised.value.status_code == 401
    stats = oauth_stats(gong)
    # The first token (Gong says it lasts 1 s: sent, refused), one refresh after that 401, refused again.
    assert stats["oauth_refreshes"] == 2
    assert stats["oauth_rejected_bearer"] == 2


def test_a_spent_refresh_token_is_an_invalid_grant_with_what_to_do(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, gong_logs: list[dict[str, Any]]
) -> None:
    conn = connect(monkeypatch, gong.oauth_connection_dict(host=True))
    config = gong.config
    # Another tool of the company used the refresh token: Gong rotated it away.
    spent = requests.post(
        gong.token_url,
        params={"grant_type": "refresh_token", "refresh_token": conn["extra"]["refresh_token"]},
        auth=(config.oauth_client_id, config.oauth_client_secret),
        timeout=10,
    )
    assert spent.status_code == 200
    with pytest.raises(GongAuthError) as raised:
        hook().call("GET", "/v2/users")
    message = str(raised.value)
    assert "invalid_grant" in message
    assert "authorise the app again" in message
    assert raised.value.status_code == 400
    stats = oauth_stats(gong)
    assert stats["oauth_invalid_grants"] == 1  # refused once, never retried in a loop
    assert gong.stats()["gong_calls"] == 0
    Secrets(conn).absent_from(message + log_text(gong_logs))


class _EmptyStore:
    """A token store with nothing in it and nowhere to save (a process that cannot reach any store)."""

    where = "nowhere"

    def load(self) -> Token | None:
        return None

    def save(self, token: Token) -> None:
        raise OSError("no store")

    def lock(self) -> Any:
        return threading.Lock()


class _RacingStore:
    """
    Two processes' view of one Variable, without a shared lock: the other process rotates the token
    between this process's read and its token call (the race ``invalid_grant`` re-reading recovers from).
    """

    where = "a Variable"

    def __init__(self, other: OAuthTokens) -> None:
        self.saved: Token | None = None
        self._other = other
        self._loads = 0

    def load(self) -> Token | None:
        self._loads += 1
        if self._loads == 2:  # the read under the refresh lock (the first one finds nothing in use)
            seen = self.saved
            self._other.store = self
            self._other.after_401("")  # the other process refreshes now, and saves what it got
            return seen
        return self.saved

    def save(self, token: Token) -> None:
        self.saved = token

    def lock(self) -> Any:
        return threading.Lock()


def test_invalid_grant_rereads_the_store_and_uses_what_another_process_rotated(
    gong: GongEmulator,
) -> None:
    conn = gong.oauth_connection_dict(host=True)
    conn["extra"] = json.dumps(conn["extra"])
    settings = settings_from_connection(_Conn(conn), CONN_ID)
    assert settings.oauth is not None
    other = OAuthTokens(settings.oauth, _EmptyStore(), conn_id=CONN_ID, timeout=10)
    store = _RacingStore(other)
    mine = OAuthTokens(settings.oauth, store, conn_id=CONN_ID, timeout=10)
    token = mine.current()
    assert store.saved is not None
    assert token.access_token == store.saved.access_token  # the other process's token, not a second one
    stats = oauth_stats(gong)
    assert stats["oauth_invalid_grants"] == 1  # this process's call with the seed Gong had rotated
    assert stats["oauth_refreshes"] == 1


class _Conn:
    def __init__(self, conn: dict[str, Any]) -> None:
        self.host = conn.get("host")
        self.port = None
        self.login = None
        self.password = None
        self.extra = conn["extra"]


def test_a_lost_token_answer_is_never_retried(gong: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    gong.configure(token_drop_after_rotation=1)  # Gong rotates, then the answer is lost (a 503)
    connect(monkeypatch, gong.oauth_connection_dict(host=True))
    with pytest.raises(GongAuthError) as raised:
        hook().call("GET", "/v2/users")
    assert "not retried" in str(raised.value).lower()
    assert oauth_stats(gong)["oauth_token_requests"] == 1
    assert gong.stats()["gong_calls"] == 0


def test_a_token_endpoint_that_cannot_be_reached_is_retried(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(monkeypatch, gong.oauth_connection_dict(host=True, extra={"token_url": "http://127.0.0.1:9/t"}))
    with pytest.raises(GongConnectionError) as raised:
        hook(max_retries=2).call("GET", "/v2/users")
    assert "could not reach" in str(raised.value)
    assert raised.value.retryable


# ------------------------------------------------------------------------------ base URL


def test_a_configured_host_wins_over_the_token_answer_with_a_warning(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, gong_logs: list[dict[str, Any]]
) -> None:
    told = gong.url.replace("127.0.0.1", "localhost")
    gong.configure(oauth_base_url=told)
    connect(monkeypatch, gong.oauth_connection_dict(host=True))
    gong_hook = hook()
    gong_hook.call("GET", "/v2/users")
    gong.expire_access_tokens()
    gong_hook.call("GET", "/v2/users")  # a second token answer: no second warning
    assert gong_hook.settings.base_url == gong.url
    assert gong.stats()["by_status"] == {"200": 2, "401": 1}  # every call went to the configured host
    warnings = [rendered(event) for event in gong_logs if event.get("log_level") == "warning"]
    assert len(warnings) == 1, warnings
    assert gong.url in warnings[0]
    assert told in warnings[0]


def test_a_token_answer_naming_a_plain_http_host_is_refused(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    gong.configure(oauth_base_url="http://us-12345.api.gong.io")
    connect(monkeypatch, gong.oauth_connection_dict())
    with pytest.raises(GongConfigError, match="plain http"):
        hook().call("GET", "/v2/users")
    assert gong.stats()["gong_calls"] == 0


# ------------------------------------------------------------------------------ Redis store


def test_redis_keeps_the_rotated_token_encrypted_and_a_new_process_uses_it(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer, fernet_key: str
) -> None:
    conn = connect(monkeypatch, gong.oauth_connection_dict(extra={"shared_state_url": redis_server.url}))
    hook().call("GET", "/v2/users")
    token = stored_token(redis_server, fernet_key)
    seed = conn["extra"]["refresh_token"]
    assert token.refresh_token != seed  # rotated, and saved
    client = redis.Redis.from_url(redis_server.url)
    raw = b"".join(client.dump(key) or b"" for key in client.keys("*"))
    for secret in (seed, token.refresh_token, token.access_token):
        assert secret.encode() not in raw
    # A new hook (its own token manager) reads the token instead of refreshing again.
    hook().call("GET", "/v2/users")
    assert oauth_stats(gong)["oauth_refreshes"] == 1
    # Once it expires, the rotated refresh token (not the seed, spent) is the one sent.
    gong.expire_access_tokens()
    hook().call("GET", "/v2/users")
    stats = oauth_stats(gong)
    assert stats["oauth_refreshes"] == 2
    assert stats["oauth_invalid_grants"] == 0


def test_threads_needing_a_token_at_once_refresh_once(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer, fernet_key: str
) -> None:
    gong.configure(token_delay=0.3)
    connect(monkeypatch, gong.oauth_connection_dict(host=True, extra={"shared_state_url": redis_server.url}))
    hooks = [hook() for _ in range(6)]  # six hooks, each its own token manager: only Redis's lock is shared
    start = threading.Barrier(len(hooks))
    errors: list[BaseException] = []

    def run(one: GongHook) -> None:
        start.wait()
        try:
            one.call("GET", "/v2/users")
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(one,)) for one in hooks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    stats = oauth_stats(gong)
    assert stats["oauth_token_requests"] == 1
    assert stats["oauth_invalid_grants"] == 0


def test_shared_state_without_a_real_fernet_key_is_refused_before_any_call(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> None:
    connect(monkeypatch, gong.oauth_connection_dict(host=True, extra={"shared_state_url": redis_server.url}))
    for value in ("", "{FERNET_KEY}"):
        monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", value)
        with pytest.raises(GongConfigError, match="fernet_key is not set"):
            hook().call("GET", "/v2/users")
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "not-a-key")
    with pytest.raises(GongConfigError, match="not a valid Fernet key"):
        hook().call("GET", "/v2/users")
    assert oauth_stats(gong)["oauth_token_requests"] == 0
    assert gong.stats()["gong_calls"] == 0


def test_a_token_stored_under_another_fernet_key_is_refused(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer, fernet_key: str
) -> None:
    connect(monkeypatch, gong.oauth_connection_dict(host=True, extra={"shared_state_url": redis_server.url}))
    hook().call("GET", "/v2/users")
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())
    gong.expire_access_tokens()
    with pytest.raises(GongConfigError, match="cannot be decrypted"):
        hook().call("GET", "/v2/users")
    assert oauth_stats(gong)["oauth_refreshes"] == 1  # the seed, spent already, was not sent


def test_redis_down_refuses_to_refresh_without_its_lock(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, fernet_key: str
) -> None:
    with RedisServer() as server:
        url = server.url
    connect(monkeypatch, gong.oauth_connection_dict(host=True, extra={"shared_state_url": url}))
    with pytest.raises(GongConnectionError, match="no process refreshes it without the shared lock"):
        hook(max_retries=0).call("GET", "/v2/users")
    assert oauth_stats(gong)["oauth_token_requests"] == 0


def test_the_lock_and_store_work_as_documented(redis_server: RedisServer, fernet_key: str) -> None:
    store = RedisTokenStore(redis_server.url, "redis://here", "k" * 32, fernet_from_key(fernet_key), 2.0)
    assert store.load() is None
    store.save(Token("a", "r", expires_at=5.0, lifetime=1.0, base_url="https://x.api.gong.io", key="k"))
    loaded = store.load()
    assert loaded is not None and (loaded.access_token, loaded.refresh_token) == ("a", "r")
    with store.lock():
        other = RedisTokenStore(redis_server.url, "redis://here", "k" * 32, fernet_from_key(fernet_key), 0.3)
        took = threading.Event()

        def wait_for_it() -> None:
            with other.lock():
                took.set()

        thread = threading.Thread(target=wait_for_it)
        thread.start()
        assert not took.wait(0.2)  # held: the other waits
    thread.join(5)
    assert took.is_set()  # released: the other got it


# ------------------------------------------------------------------------------ async client


def test_the_async_client_refreshes_through_the_same_code(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer, fernet_key: str
) -> None:
    from airflow_provider_gong.hooks.oauth import oauth_tokens

    conn = gong.oauth_connection_dict(host=True, extra={"shared_state_url": redis_server.url})
    conn["extra"] = json.dumps(conn["extra"])
    settings = settings_from_connection(_Conn(conn), CONN_ID)
    masked: list[str] = []
    tokens = oauth_tokens(settings, CONN_ID, mask=masked.append)

    async def run() -> int:
        async with AsyncGongClient(settings, tokens=tokens) as client:
            body = await client.send_once("GET", "/v2/users")
            gong.expire_access_tokens()
            again = await client.send_once("GET", "/v2/users")
            return int(body["records"]["totalRecords"]) + int(again["records"]["totalRecords"])

    assert asyncio.run(run()) == 50
    stats = oauth_stats(gong)
    assert stats["oauth_refreshes"] == 2
    assert stats["oauth_rejected_bearer"] == 1
    token = stored_token(redis_server, fernet_key)
    assert token.access_token in masked and token.refresh_token in masked


# ------------------------------------------------------------------------------ the first tokens


def test_exchange_authorization_code_and_its_command(gong: GongEmulator) -> None:
    config = gong.config
    code = gong.issue_authorization_code("https://example.com/callback")
    answer = exchange_authorization_code(
        config.oauth_client_id,
        config.oauth_client_secret,
        code,
        "https://example.com/callback",
        token_url=gong.token_url,
    )
    assert answer["refresh_token"].startswith("emu-rt-")
    assert answer["api_base_url_for_customer"] == gong.url
    with pytest.raises(GongAuthError, match="invalid_grant") as raised:
        exchange_authorization_code(
            config.oauth_client_id,
            config.oauth_client_secret,
            code,
            "https://example.com/callback",
            token_url=gong.token_url,
        )
    assert config.oauth_client_secret not in str(raised.value)

    second = gong.issue_authorization_code("https://example.com/callback")
    command = [
        sys.executable, "-m", "airflow_provider_gong.client.oauth", "exchange",
        "--client-id", config.oauth_client_id, "--code", second,
        "--redirect-uri", "https://example.com/callback", "--token-url", gong.token_url,
    ]  # fmt: skip
    env = {**os.environ, "GONG_CLIENT_SECRET": config.oauth_client_secret}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    extras = json.loads(done.stdout)
    assert extras["client_id"] == config.oauth_client_id
    assert extras["refresh_token"].startswith("emu-rt-")
    assert extras["token_url"] == gong.token_url
    assert gong.url in done.stderr
    # The extras seed a connection that works.
    conn = {"conn_type": "gong", "extra": json.dumps(extras)}
    settings = settings_from_connection(_Conn(conn), CONN_ID)
    assert settings.auth_mode == "oauth"

    bad = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert bad.returncode == 1
    assert "invalid_grant" in bad.stderr
    assert config.oauth_client_secret not in bad.stderr


# ------------------------------------------------------------------------------ hostile token endpoints


@pytest.mark.parametrize(
    ("status", "error"), [(400, "invalid_grant"), (400, "invalid_request"), (401, "invalid_client")]
)
def test_a_token_endpoint_echoing_what_it_was_sent_never_puts_it_in_an_error(
    httpserver: Any, gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, status: int, error: str
) -> None:
    conn = gong.oauth_connection_dict(host=True, extra={"token_url": httpserver.url_for("/token")})
    extra = conn["extra"]
    echo = f"refresh_token {extra['refresh_token']} with client {extra['client_id']}:{extra['client_secret']}"
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {"error": error, "error_description": echo}, status=status
    )
    connect(monkeypatch, conn)
    with pytest.raises(GongAuthError) as raised:
        hook().call("GET", "/v2/users")
    message = str(raised.value)
    assert error in message
    Secrets(conn).absent_from(message)
    assert gong.stats()["gong_calls"] == 0


def test_a_token_endpoint_that_redirects_is_not_followed(
    httpserver: Any, gong: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = gong.oauth_connection_dict(host=True, extra={"token_url": httpserver.url_for("/token")})
    httpserver.expect_request("/token", method="POST").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    connect(monkeypatch, conn)
    with pytest.raises(GongAuthError, match="redirects"):
        hook().call("GET", "/v2/users")
    assert [request.path for request, _ in httpserver.log] == ["/token"]
