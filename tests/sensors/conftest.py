"""Fixtures of the rate-limit sensor tests: fresh pacers, running a trigger.

``gong_emulator`` & co come from the emulator's pytest plugin (registered in ``tests/conftest.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_gong import pacing


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Talk to the loopback emulator directly, with a pacer registry of this test only."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pacing, "_registry", {})


@pytest.fixture
def run_trigger() -> Callable[[Any], list[dict[str, Any]]]:
    """Run a trigger's ``run()`` to its end in a fresh event loop; return the payloads of its events."""

    def run(trigger: Any) -> list[dict[str, Any]]:
        async def collect() -> list[dict[str, Any]]:
            return [event.payload async for event in trigger.run()]

        return asyncio.run(asyncio.wait_for(collect(), timeout=60))

    return run
