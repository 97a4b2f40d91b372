"""Fixtures shared by the whole suite.

- The Gong emulator's pytest plugin (``gong_emulator``, ``gong_emulator_connection`` & co).
- Every test talks to loopback servers directly (no proxy from the environment) and gets a pacer
  registry emptied before and after it: pacers are process-wide on purpose (hooks of one company share a pace), so a
  ``Retry-After`` hold-off of one test would otherwise slow the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from structlog.testing import capture_logs

from airflow_provider_gong.client import pacing
from airflow_provider_gong.client.pacing import PacerRegistry

pytest_plugins = ["airflow_provider_gong.testing.pytest_plugin"]

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    pacing.DEFAULT_PACERS.clear()
    yield
    pacing.DEFAULT_PACERS.clear()


@pytest.fixture
def gong_logs() -> Iterator[list[dict[str, Any]]]:
    """
    Structlog events logged while the test runs.

    Airflow 3 logs through structlog, which its configuration renders to stdout, not to the stdlib
    ``logging`` tree, so pytest's ``caplog`` sees nothing; ``capture_logs`` does.
    """
    with capture_logs() as logs:
        yield logs


@pytest.fixture
def run_trigger() -> Callable[[Any], list[dict[str, Any]]]:
    """Run a trigger's ``run()`` to its end in a fresh event loop; return the payloads of its events."""

    def run(trigger: Any) -> list[dict[str, Any]]:
        async def collect() -> list[dict[str, Any]]:
            return [event.payload async for event in trigger.run()]

        return asyncio.run(asyncio.wait_for(collect(), timeout=60))

    return run


class FakeTime:
    """
    A clock that only moves when something sleeps: for triggers, sensors, retries and pacers.

    ``clock`` (UTC datetimes) and ``monotonic`` read the same time; ``sleep`` (sync) and ``asleep``
    (async) advance it and record each wait in ``sleeps``; ``pacers`` is a pacer registry on it.

    :param start: The time it starts at (default: the real time now).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(timezone.utc)
        self.sleeps: list[float] = []
        self.pacers = PacerRegistry(clock=self.monotonic, sleep=self.sleep)

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=max(seconds, 0.0))

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    @property
    def elapsed(self) -> float:
        """Seconds slept so far."""
        return sum(self.sleeps)

    def in_(self, seconds: float) -> str:
        """The ISO-8601 moment ``seconds`` after the current fake time."""
        return (self.now + timedelta(seconds=seconds)).isoformat()

    def injected(self) -> dict[str, Any]:
        """The keyword arguments that put a trigger on this time."""
        return {"clock": self.clock, "sleep": self.asleep, "pacers": self.pacers}


@pytest.fixture
def fake_time() -> FakeTime:
    """A :class:`FakeTime` starting now."""
    return FakeTime()
