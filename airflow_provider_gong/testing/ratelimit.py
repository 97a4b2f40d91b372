"""Gong's per-company rate limits: N calls in any sliding second, M calls per day window.

The limiter is exact: a call is admitted and counted in one step under a lock, so concurrent requests can
never exceed a limit. Rejected calls consume nothing.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

__all__ = ["RateDecision", "RateLimiter"]


@dataclasses.dataclass(frozen=True)
class RateDecision:
    """The limiter's verdict for one call.

    :param allowed: Whether the call was admitted (and counted).
    :param retry_after: Whole seconds to wait before retrying (>= 1) when refused.
    :param limit: Which limit refused the call.
    """

    allowed: bool
    retry_after: int = 0
    limit: Literal["per_second", "per_day"] | None = None


class RateLimiter:
    """A sliding one-second window plus fixed "day" windows anchored at creation / reset.

    :param clock: Monotonic clock in seconds (injectable for tests).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._day_start = clock()
        self._day_count = 0

    def reset(self) -> None:
        """Forget every admitted call and start a new day window now."""
        with self._lock:
            self._recent.clear()
            self._day_start = self._clock()
            self._day_count = 0

    def acquire(self, per_second: int | None, per_day: int | None, day_seconds: float) -> RateDecision:
        """Admit and count one call, or tell how long to wait.

        :param per_second: Calls allowed in any sliding second (``None``: unlimited).
        :param per_day: Calls allowed per day window (``None``: unlimited).
        :param day_seconds: Length of a day window in seconds.
        """
        with self._lock:
            now = self._clock()
            if now - self._day_start >= day_seconds:
                periods = math.floor((now - self._day_start) / day_seconds)
                self._day_start += periods * day_seconds
                self._day_count = 0
            recent = self._recent
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if per_day is not None and self._day_count >= per_day:
                wait = self._day_start + day_seconds - now
                return RateDecision(False, max(1, math.ceil(wait)), "per_day")
            if per_second is not None and len(recent) >= per_second:
                # The slot frees when the call that is per_second calls back leaves the window.
                oldest = recent[len(recent) - per_second] if per_second > 0 else now
                wait = oldest + 1.0 - now
                return RateDecision(False, max(1, math.ceil(wait)), "per_second")
            recent.append(now)
            self._day_count += 1
            return RateDecision(True)

    @property
    def calls_today(self) -> int:
        """Calls admitted in the current day window."""
        with self._lock:
            return self._day_count
