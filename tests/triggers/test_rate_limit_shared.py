"""Deferred tasks resuming together do not storm Gong: their triggers share the company's pace in Redis.

Each trigger stands for one triggerer process (or one of several triggerers): its own pacers and its own
shared-limits instance, hence its own Redis connection; all it shares with the others is Redis. Side by side,
the same triggers without ``shared_state_url`` probe at once and Gong answers 429s.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.redis_server import RedisServer
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger

CONN_ID = "gong_triggers_shared"
TRIGGERS = 7


def own_process_trigger() -> GongRateLimitTrigger:
    """A trigger as its own triggerer process would run it: nothing of the others' pace in memory."""

    def clock() -> datetime:  # a clock of its own keys a shared-limits instance of its own
        return datetime.now(UTC)

    return GongRateLimitTrigger(CONN_ID, clock=clock, pacers=PacerRegistry())


async def run_all(triggers: list[GongRateLimitTrigger]) -> list[dict[str, Any]]:
    async def first_event(trigger: GongRateLimitTrigger) -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("the trigger ended without an event")

    return await asyncio.wait_for(asyncio.gather(*(first_event(t) for t in triggers)), timeout=60)


@pytest.fixture
def gong(gong_emulator: GongEmulator) -> GongEmulator:
    gong_emulator.configure(users=5, rate_per_second=3, rate_per_day=None)
    gong_emulator.reset()
    return gong_emulator


def test_triggers_resuming_together_probe_at_the_company_pace(
    gong: GongEmulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Today's default first: each triggerer paces alone, so the probes arrive together and Gong answers 429.
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", gong.connection_json())
    events = asyncio.run(run_all([own_process_trigger() for _ in range(TRIGGERS)]))
    assert all(event["status"] == "ok" for event in events)
    alone = gong.stats()
    assert alone["responses_429"] > 0, alone

    gong.reset()
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN_ID.upper()}", gong.connection_json(extra={"shared_state_url": redis_server.url})
    )
    events = asyncio.run(run_all([own_process_trigger() for _ in range(TRIGGERS)]))
    shared = gong.stats()
    assert [event["status"] for event in events] == ["ok"] * TRIGGERS
    assert shared["responses_429"] == 0 and shared["by_status"] == {"200": TRIGGERS}, (shared, events)
    assert [event["probes"] for event in events] == [1] * TRIGGERS, events  # none burnt on a 429
