"""Fixtures shared by the whole suite.

- The Gong emulator's pytest plugin (``gong_emulator``, ``gong_emulator_connection`` & co).
- Every test talks to loopback servers directly (no proxy from the environment), and the process-wide
  pacer registry is emptied before and after it: pacers are process-wide on purpose (hooks of one company
  share a pace), so a ``Retry-After`` hold-off of one test would otherwise slow the next.
- ``fake_time``: a clock that moves only when something sleeps, for triggers, retries and pacers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_clock import FakeTime
from structlog.testing import capture_logs

from airflow_provider_gong.client import pacing

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


@pytest.fixture
def fake_time() -> FakeTime:
    """A :class:`FakeTime` starting now."""
    return FakeTime()
