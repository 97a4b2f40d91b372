"""A fake clock for triggers, sensors, retries and pacers: `from fake_clock import FakeTime`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow_provider_gong.client.pacing import PacerRegistry


class FakeTime:
    """
    A clock that only moves when something sleeps: for triggers, sensors, retries and pacers.

    ``clock`` (UTC datetimes) and ``monotonic`` read the same time; ``sleep`` (sync) and ``asleep``
    (async) advance it and record each wait in ``sleeps``; ``pacers`` is a pacer registry on it.

    :param start: The time it starts at (default: the real time now).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)
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
