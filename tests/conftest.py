"""Fixtures shared by the whole suite.

- The Gong emulator's pytest plugin (``gong_emulator``, ``gong_emulator_connection`` & co).
- Every test talks to loopback servers directly (no proxy from the environment), and the process-wide
  pacer registry is emptied before and after it: pacers are process-wide on purpose (hooks of one company
  share a pace), so a ``Retry-After`` hold-off of one test would otherwise slow the next.
- ``fake_time``: a clock that moves only when something sleeps, for triggers, retries and pacers.
- ``redis_server``: a real ``redis-server`` on a loopback port for the session (skipped where it is not
  installed, failed on CI, which installs it), emptied before each test that uses it; the process's shared
  limits are forgotten around every test, as its pacers are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_clock import FakeTime

from airflow_provider_gong.client import pacing, shared
from airflow_provider_gong.testing.redis_server import RedisServer, redis_server_path
from airflow_provider_gong.version_compat import AIRFLOW_V_3_1_PLUS

pytest_plugins = ["airflow_provider_gong.testing.pytest_plugin"]

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    pacing.DEFAULT_PACERS.clear()
    shared.REGISTRY.clear()
    yield
    pacing.DEFAULT_PACERS.clear()
    shared.REGISTRY.clear()


@pytest.fixture(scope="session")
def redis_server_session() -> Iterator[RedisServer]:
    """One real ``redis-server`` for the session (see ``redis_server``)."""
    if redis_server_path() is None:
        from ui.gong_ui_harness import in_ci  # the suite's one reading of CI (imported only when needed)

        reason = "redis-server is not installed (apt-get install redis-server)"
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so the shared-state tests must run (see .ci/run)")
        pytest.skip(reason)
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_server(redis_server_session: RedisServer) -> RedisServer:
    """The session's ``redis-server``, running (started again if a test killed it) and emptied."""
    import redis

    if not redis_server_session.running:
        redis_server_session.start()
    redis.Redis.from_url(redis_server_session.url).flushall()
    return redis_server_session


@pytest.fixture
def gong_logs() -> Iterator[list[dict[str, Any]]]:
    """
    What was logged while the test runs: one dict per event, with ``event``, ``log_level`` and ``logger``.

    Airflow >= 3.1 logs through structlog (a hook's ``log`` is a structlog logger), which its configuration
    renders to stdout, not to the stdlib ``logging`` tree, so pytest's ``caplog`` sees nothing;
    ``capture_logs`` does. Airflow 2.11 and 3.0 log through the stdlib ``logging`` tree: a handler on the
    root logger collects the same fields there.
    """
    if not AIRFLOW_V_3_1_PLUS:
        yield from _stdlib_logs()
        return

    def logger_name(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("logger", getattr(logger, "name", None))
        return event_dict

    from structlog.testing import capture_logs  # Airflow 3 only: it installs structlog

    with capture_logs(processors=[logger_name]) as logs:
        yield logs


class _Collect(logging.Handler):
    def __init__(self, logs: list[dict[str, Any]]) -> None:
        super().__init__(logging.DEBUG)
        self.logs = logs

    def emit(self, record: logging.LogRecord) -> None:
        self.logs.append(
            {"event": record.getMessage(), "log_level": record.levelname.lower(), "logger": record.name}
        )


def _stdlib_logs() -> Iterator[list[dict[str, Any]]]:
    logs: list[dict[str, Any]] = []
    handler = _Collect(logs)
    root = logging.getLogger()
    # Airflow 2's task loggers do not propagate to the root: collect where they log, once each.
    task = logging.getLogger("airflow.task")
    loggers = [root] if task.propagate else [root, task]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield logs
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


@pytest.fixture
def run_trigger() -> Callable[[Any], list[dict[str, Any]]]:
    """Run a trigger's ``run()`` to its end in a fresh event loop; return the payloads of its events."""

    def run(trigger: Any) -> list[dict[str, Any]]:
        async def collect() -> list[dict[str, Any]]:
            return [event.payload async for event in trigger.run()]

        return asyncio.run(asyncio.wait_for(collect(), timeout=60))

    return run


@pytest.fixture
def fake_time() -> FakeTime:
    """A :class:`FakeTime` starting now."""
    return FakeTime()
