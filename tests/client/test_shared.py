"""The company's limits shared through a real ``redis-server``: pace, daily budget, 429 holds, failures.

Each :class:`SharedLimits` instance stands for one process (its own Redis connections, nothing shared in
memory): the process registry is emptied between "processes", so what one sees of another comes from Redis
alone. Separate OS processes are in ``test_shared_processes.py``; a real Airflow deployment in
``tests/reliability/test_shared_deployment.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from airflow_provider_gong.client import shared
from airflow_provider_gong.client.core import AsyncGongClient, GongClient
from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.client.settings import GongSettings, company_key, settings_from_connection
from airflow_provider_gong.endpoints import ENDPOINTS
from airflow_provider_gong.exceptions import GongConfigError, GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.redis_server import RedisServer

USERS = ENDPOINTS["listUsers"]
CONN_ID = "gong_shared"


class Conn:
    """What settings are read from: an Airflow connection's fields."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.host = fields.get("host")
        self.port = None
        self.login = fields.get("login")
        self.password = fields.get("password")
        self.extra = json.dumps(fields.get("extra") or {})


def settings_for(gong: GongEmulator, **extra: Any) -> GongSettings:
    return settings_from_connection(Conn(gong.connection_dict(extra=extra)), CONN_ID)


def new_process_client(settings: GongSettings, **kwargs: Any) -> GongClient:
    """A client as a new process would build it: no pace or shared limits of this process reused."""
    shared.REGISTRY.clear()
    kwargs.setdefault("pacers", PacerRegistry())
    return GongClient(settings, **kwargs)


def use_connection(monkeypatch: pytest.MonkeyPatch, gong: GongEmulator, **extra: Any) -> None:
    """Point the test's Airflow connection at the emulator, with these extras."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", gong.connection_json(extra=extra))


def list_users(client: GongClient) -> dict[str, Any]:
    return client.request(USERS, params={}, retry=False)


@pytest.fixture
def gong(gong_emulator: GongEmulator) -> GongEmulator:
    gong_emulator.configure(users=5, rate_per_second=3, rate_per_day=None)
    gong_emulator.reset()
    return gong_emulator


def shared_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "airflow_provider_gong.client.shared" and r.levelno == logging.WARNING
    ]


# ------------------------------------------------------------------------------------ the extra, checked


def test_without_the_extra_each_process_paces_alone(gong: GongEmulator) -> None:
    settings = settings_for(gong)
    assert settings.shared is None
    assert GongClient(settings, pacers=PacerRegistry()).shared is None


def test_the_extra_names_redis_the_company_and_its_limits(gong: GongEmulator) -> None:
    settings = settings_for(
        gong, shared_state_url="redis://:s3cret@localhost:6380/2", calls_per_day="500", calls_per_second=2
    )
    assert settings.shared is not None
    assert settings.shared.location == "redis://localhost:6380/2"
    assert settings.shared.company == gong.url.split("://")[1]
    assert settings.shared.calls_per_day == 500
    assert settings.shared.calls_per_second == 2
    assert "s3cret" in settings.secrets  # masked in every log by the hook
    assert "s3cret" not in repr(settings)


def test_the_company_pace_is_the_connections_not_a_hooks_override(gong: GongEmulator) -> None:
    conn = Conn(gong.connection_dict(extra={"shared_state_url": "redis://localhost/0"}))
    settings = settings_from_connection(conn, CONN_ID, {"calls_per_second": 1})
    assert settings.calls_per_second == 1  # this hook's own pace, within its process
    assert settings.shared is not None and settings.shared.calls_per_second == 3  # the company's


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://localhost:6379/0", "must be a redis:// or rediss:// URL"),
        ("localhost:6379", "must be a redis:// or rediss:// URL"),
        ("redis://", "names no Redis host"),
        ("redis://:pw-123@", "names no Redis host"),
        ("redis://localhost:99999/0", "invalid port"),
        ("redis://localhost:port/0", "invalid port"),
        ("redis://localhost:6379/cache", "database must be a number"),
        ("redis://localhost:6379/0#x", "fragment"),
        ("redis://local host:6379/0", "spaces"),
        ("redis://:pw-123@10.1.2.3:6379/0", "refusing to send the Redis password in clear"),
        ("redis://user:pw-123@redis.internal/0", "use rediss://"),
        (6379, "got a JSON int"),
    ],
)
def test_a_malformed_url_is_a_config_error_without_its_password(
    gong: GongEmulator, url: Any, problem: str
) -> None:
    with pytest.raises(GongConfigError) as caught:
        settings_for(gong, shared_state_url=url)
    message = str(caught.value)
    assert problem in message
    assert "shared_state_url" in message and CONN_ID in message
    assert "pw-123" not in message


def test_prefixed_extras_of_older_uis_are_read_too(gong: GongEmulator) -> None:
    settings = settings_for(
        gong, extra__gong__shared_state_url="redis://localhost:6379/1", extra__gong__calls_per_day=42
    )
    assert settings.shared is not None
    assert (settings.shared.location, settings.shared.calls_per_day) == ("redis://localhost:6379/1", 42)


def test_a_password_may_go_over_tls_or_to_localhost(gong: GongEmulator) -> None:
    tls = settings_for(gong, shared_state_url="rediss://:pw@redis.internal:6380/1").shared
    assert tls is not None and tls.location == "rediss://redis.internal:6380/1"
    local = settings_for(gong, shared_state_url="redis://:pw@127.0.0.1/0").shared
    assert local is not None and local.location == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("value", [0, -5, 1.5, "many", True, 10**10])
def test_a_bad_calls_per_day_is_a_config_error(gong: GongEmulator, value: Any) -> None:
    with pytest.raises(GongConfigError, match="calls_per_day"):
        settings_for(gong, shared_state_url="redis://localhost/0", calls_per_day=value)


def test_the_company_key_never_holds_a_secret() -> None:
    assert company_key("https://us-12345.api.gong.io") == "us-12345.api.gong.io"
    # Two access keys of one tenant share its limits.
    assert company_key("https://us-12345.api.gong.io", "KEY1") == company_key("https://us-12345.api.gong.io")
    # On the shared host the access-key id (not a secret) tells companies apart.
    assert company_key("https://api.gong.io", "KEY1") == "api.gong.io/KEY1"
    assert company_key("https://api.gong.io", "KEY1") != company_key("https://api.gong.io", "KEY2")


def test_oauth_on_the_shared_host_keys_by_host_alone(gong: GongEmulator) -> None:
    conn = Conn(
        {
            "host": "https://api.gong.io",
            "extra": {"access_token": "tok-abc", "shared_state_url": "redis://x/0"},
        }
    )
    settings = settings_from_connection(conn, CONN_ID)
    assert settings.shared is not None and settings.shared.company == "api.gong.io"
    assert "tok-abc" not in settings.shared.company


def test_without_the_redis_extra_the_error_names_it(gong: GongEmulator) -> None:
    # A fresh interpreter where the redis package cannot be imported, as without the extra.
    script = f"""
import sys
sys.modules["redis"] = None
from airflow_provider_gong.client.core import GongClient
from airflow_provider_gong.client.settings import settings_from_connection
from airflow_provider_gong.exceptions import GongConfigError
class Conn:
    host, port, login, password = {gong.url!r}, None, "k", "s"
    extra = '{{"shared_state_url": "redis://localhost:6379/0"}}'
try:
    GongClient(settings_from_connection(Conn(), "c"))
except GongConfigError as err:
    print("ERROR", err)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert "ERROR" in done.stdout, done.stderr
    assert "pip install 'airflow-provider-gong[redis]'" in done.stdout


def test_the_redis_extra_is_declared_pinned_and_brought_by_dev() -> None:
    import tomllib

    from airflow_home import pinned_constraints
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = {canonicalize_name(Requirement(text).name) for text in extras["redis"]}
    assert wanted == {"redis", "pyrate-limiter"}
    dev = [Requirement(text) for text in extras["dev"]]
    assert any(req.name == project["name"] and "redis" in req.extras for req in dev)
    pinned = {
        canonicalize_name(line.split("==", 1)[0])
        for line in pinned_constraints().read_text().splitlines()
        if "==" in line
    }
    assert wanted <= pinned  # CI installs the same releases every run
    assert "redis" not in {canonicalize_name(Requirement(t).name) for t in project["dependencies"]}


# ------------------------------------------------------------------------------------ pace and budget


def test_processes_share_one_pace(gong: GongEmulator, redis_server: RedisServer) -> None:
    settings = settings_for(gong, shared_state_url=redis_server.url)
    clients = [new_process_client(settings) for _ in range(3)]
    sent: list[float] = []
    lock = threading.Lock()

    def work(client: GongClient) -> None:
        for _ in range(4):
            list_users(client)
            with lock:
                sent.append(time.monotonic())

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = gong.stats()
    # Three "processes" asking 3 calls/s each: together held to 3/s, so Gong never answered 429.
    assert stats["responses_429"] == 0 and stats["by_status"] == {"200": 12}
    assert max(sent) - min(sent) >= 11 / 3 * 0.95
    state = redis.Redis.from_url(redis_server.url).hgetall(f"gong:{company_key(gong.url)}:pace")
    assert state, "no pace state in Redis"


def test_the_daily_budget_is_counted_across_processes_and_refuses_when_spent(
    gong: GongEmulator, redis_server: RedisServer
) -> None:
    settings = settings_for(gong, shared_state_url=redis_server.url, calls_per_day=5)
    first = new_process_client(settings)
    for _ in range(3):
        list_users(first)
    assert first.shared is not None and first.shared.remaining() == 2
    second = new_process_client(settings)
    assert second.shared is not None and second.shared.remaining() == 2
    list_users(second)
    list_users(first)
    with pytest.raises(GongRateLimitError) as caught:
        list_users(second)
    error = caught.value
    midnight = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    assert error.retry_after is not None
    assert abs(error.retry_after - (midnight - datetime.now(UTC)).total_seconds()) < 5
    assert "daily budget of 5 Gong calls" in str(error) and "Nothing was sent" in str(error)
    assert gong.stats()["gong_calls"] == 5  # the refused call never reached Gong
    assert first.shared.remaining() == 0


def test_the_budget_is_the_utc_day(gong: GongEmulator, redis_server: RedisServer, fake_time: Any) -> None:
    fake_time.now = datetime(2026, 12, 3, 23, 59, 59, 500_000, tzinfo=UTC)
    settings = settings_for(gong, shared_state_url=redis_server.url, calls_per_day=1)
    client = new_process_client(settings, clock=fake_time.clock)
    list_users(client)
    with pytest.raises(GongRateLimitError) as caught:
        list_users(client)
    assert caught.value.retry_after == pytest.approx(1.0)  # at least a second: the reset is 0.5 s away
    assert "2026-12-04T00:00:00Z" in str(caught.value)
    fake_time.now = datetime(2026, 12, 4, 0, 0, 1, tzinfo=UTC)
    list_users(client)  # a new UTC day, a new budget
    assert client.shared is not None and client.shared.remaining() == 0
    assert gong.stats()["gong_calls"] == 2


def test_remaining_daily_budget_of_the_hook(
    gong: GongEmulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_connection(monkeypatch, gong, shared_state_url=redis_server.url, calls_per_day=40)
    hook = GongHook(CONN_ID)
    assert hook.remaining_daily_budget() == 40
    hook.call("GET", "/v2/users")
    assert hook.remaining_daily_budget() == 39
    use_connection(monkeypatch, gong)
    assert GongHook(CONN_ID).remaining_daily_budget() is None


# ------------------------------------------------------------------------------------ a 429 holds everyone


def test_a_429_holds_every_process_until_it_ends(gong: GongEmulator, redis_server: RedisServer) -> None:
    settings = settings_for(gong, shared_state_url=redis_server.url)
    first = new_process_client(settings)
    gong.configure(fail_next=[{"status": 429, "retry_after": "2"}])
    with pytest.raises(GongRateLimitError):
        list_users(first)
    second = new_process_client(settings)
    assert second.shared is not None and 1.0 < second.shared.held_for() <= 2.0
    started = time.monotonic()
    list_users(second)  # waits out the hold another process got, instead of finding it with a call
    assert time.monotonic() - started >= 1.5
    assert gong.stats()["by_status"] == {"429": 1, "200": 1}


def test_a_long_429_zeroes_the_budget_and_refuses_without_a_call(
    gong: GongEmulator, redis_server: RedisServer
) -> None:
    settings = settings_for(gong, shared_state_url=redis_server.url)
    first = new_process_client(settings)
    gong.configure(fail_next=[{"status": 429, "retry_after": "3600"}])
    with pytest.raises(GongRateLimitError):
        list_users(first)
    second = new_process_client(settings)
    assert second.shared is not None and second.shared.remaining() == 0
    with pytest.raises(GongRateLimitError) as caught:
        list_users(second)
    assert caught.value.retry_after is not None and 3500 < caught.value.retry_after <= 3600
    assert "holds every process" in str(caught.value)
    # A probe (the sensor's, the trigger's) answers from the hold, without a call either.
    held = second.probe(USERS)
    assert held is not None and held.retry_after is not None and held.retry_after > 3500
    assert gong.stats()["gong_calls"] == 1
    budget = second.shared.remaining()
    assert budget == 0


def test_a_shorter_429_never_shortens_a_longer_hold(gong: GongEmulator, redis_server: RedisServer) -> None:
    settings = settings_for(gong, shared_state_url=redis_server.url)
    limits = new_process_client(settings).shared
    assert limits is not None
    limits.hold_off(600)
    limits.hold_off(2)
    assert limits.held_for() > 590


# ------------------------------------------------------------------------------------ the async client


def test_the_async_client_shares_the_same_state(gong: GongEmulator, redis_server: RedisServer) -> None:
    settings = settings_for(gong, shared_state_url=redis_server.url, calls_per_day=10)
    sync_client = new_process_client(settings)
    list_users(sync_client)

    async def run() -> tuple[int | None, GongRateLimitError | None, float]:
        shared.REGISTRY.clear()
        async with AsyncGongClient(settings, pacers=PacerRegistry()) as client:
            assert client.shared is not None
            started = time.monotonic()
            for _ in range(3):
                await client.send_once("GET", "/v2/users")
            elapsed = time.monotonic() - started
            remaining = await client.shared.aremaining()
            gong.configure(fail_next=[{"status": 429, "retry_after": "900"}])
            with pytest.raises(GongRateLimitError):
                await client.send_once("GET", "/v2/users")
            return remaining, await client.probe(USERS), elapsed

    remaining, held, elapsed = asyncio.run(run())
    assert remaining == 6  # 1 sync + 3 async calls of 10, counted in Redis
    assert elapsed >= 2 / 3 * 0.95  # three calls, paced with the sync client's
    assert held is not None and held.retry_after is not None and held.retry_after > 800
    assert sync_client.shared is not None and sync_client.shared.held_for() > 800  # the sync side sees it too
    assert gong.stats()["gong_calls"] == 5


# ------------------------------------------------------------------------------------ Redis failing


def _silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.fixture(params=["refused", "unknown host", "wrong password", "timed out"])
def broken_redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "refused":
        server = RedisServer()
        yield server.url  # never started
    elif request.param == "unknown host":
        yield "redis://no-such-redis.invalid:6379/0"
    elif request.param == "wrong password":
        with RedisServer(password="right-pass-1") as server:
            yield f"redis://:wrong-pass-2@127.0.0.1:{server.port}/0"
    else:
        yield from (f"redis://127.0.0.1:{port}/0" for port in _silent_port())


def test_an_unusable_redis_falls_back_to_the_process_pace_with_one_warning(
    gong: GongEmulator,
    broken_redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="airflow_provider_gong.client.shared")
    use_connection(monkeypatch, gong, shared_state_url=broken_redis_url)
    hook = GongHook(CONN_ID)
    for _ in range(4):
        hook.call("GET", "/v2/users")
    assert gong.stats()["by_status"] == {"200": 4}  # nothing lost, the own pace held (no 429)
    warnings = shared_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "Redis at redis://" in warnings[0] and "own pace" in warnings[0]
    assert "pass-2" not in warnings[0] and "pass-1" not in warnings[0]
    assert hook.remaining_daily_budget() is None
    ok, message = hook.test_connection()
    assert ok is False
    assert "Connected to Gong" in message and "Redis at redis://" in message
    assert "pass-2" not in message


def test_redis_killed_mid_run_the_load_completes_on_the_process_pace(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="airflow_provider_gong.client.shared")
    gong.configure(users=30, page_size=3)
    with RedisServer() as server:
        use_connection(monkeypatch, gong, shared_state_url=server.url)
        hook = GongHook(CONN_ID)
        ids = []
        for user in hook.iter_users():
            ids.append(user["id"])
            if len(ids) == 9:
                server.kill()  # mid-run, as a crash would
        assert not server.running
    expected = [user["id"] for user in gong.directory.users(include_avatars=False)]
    assert len(expected) >= 20 and sorted(ids) == sorted(expected)  # every user, once
    assert gong.stats()["responses_429"] == 0
    warnings = shared_warnings(caplog)
    assert len(warnings) == 1 and "cannot be used" in warnings[0]


def test_test_connection_checks_redis_too(
    gong: GongEmulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_connection(monkeypatch, gong, shared_state_url=redis_server.url, calls_per_day=100)
    ok, message = GongHook(CONN_ID).test_connection()
    assert ok is True, message
    assert f"shared state at redis://127.0.0.1:{redis_server.port}/0: 99 of 100 calls left today" in message


def test_redis_back_after_a_restart_shares_the_limits_again(
    gong: GongEmulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="airflow_provider_gong.client.shared")
    monkeypatch.setattr(shared, "RETRY_REDIS_AFTER", 0.3)  # the wait before trying Redis again, shortened
    with RedisServer() as server:
        settings = settings_for(gong, shared_state_url=server.url, calls_per_day=50)
        client = new_process_client(settings)
        list_users(client)
        server.kill()
        list_users(client)  # on the process's own pace
        assert client.shared is not None and client.shared.remaining() is None
        server.start()  # empty, as a restarted Redis without persistence is: the bucket's script is gone too
        time.sleep(0.4)
        list_users(client)
        list_users(client)
        assert client.shared.remaining() == 48  # counted in Redis again
    messages = [r.getMessage() for r in caplog.records if r.name == "airflow_provider_gong.client.shared"]
    assert sum("cannot be used" in m for m in messages) == 1
    assert any("answers again" in m for m in messages)
    assert gong.stats()["by_status"] == {"200": 4}
