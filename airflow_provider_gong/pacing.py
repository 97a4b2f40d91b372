"""Client-side pacing: keep one process under Gong's per-second limit.

Gong allows a number of calls per second per company (3 by default). Every hook of a process that talks
to the same base URL with the same credentials shares one :class:`Pacer`, so threads and tasks of one
worker together stay under the limit instead of each burning its own share and collecting 429s.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

__all__ = ["JITTER_MARGIN", "Pacer", "shared_pacer"]

#: Calls are spaced this much wider than ``1 / calls_per_second``: network jitter can bring two calls
#: closer together at Gong than they left here, and a call that lands early is a 429.
JITTER_MARGIN = 0.02


class Pacer:
    """
    A thread-safe scheduler that spaces calls at most ``calls_per_second`` apart (no bursts).

    Each :meth:`acquire` books the next free slot under a lock and sleeps outside it, so waiting threads
    never hold the lock. :meth:`hold_off` pushes every later slot back, e.g. after Gong answered 429.

    :param calls_per_second: Allowed rate; ``0`` or less switches pacing off.
    :param clock: Monotonic clock, injectable for tests.
    :param sleep: Sleep function, injectable for tests.
    """

    def __init__(
        self,
        calls_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._hold_until = 0.0
        self._interval = 0.0
        self.set_rate(calls_per_second)

    @property
    def calls_per_second(self) -> float:
        """The configured rate (``0`` when pacing is off)."""
        return self._rate

    def set_rate(self, calls_per_second: float) -> None:
        """
        Change the rate; slots already booked keep their time.

        :param calls_per_second: Allowed rate; ``0`` or less switches pacing off.
        """
        with self._lock:
            self._rate = max(float(calls_per_second), 0.0)
            self._interval = (1.0 + JITTER_MARGIN) / self._rate if self._rate > 0 else 0.0

    def acquire(self) -> float:
        """Wait until this caller may send its call; return how long it waited, in seconds."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if self._interval:
                self._next_slot = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def hold_off(self, seconds: float) -> None:
        """
        Book no slot earlier than ``seconds`` from now (Gong said to wait).

        :param seconds: How long every sharer of this pacer must wait.
        """
        with self._lock:
            until = self._clock() + max(seconds, 0.0)
            self._hold_until = max(self._hold_until, until)
            self._next_slot = max(self._next_slot, until)

    def held_for(self) -> float:
        """Seconds left of the last :meth:`hold_off` (0 when none is in force)."""
        with self._lock:
            return max(self._hold_until - self._clock(), 0.0)


_registry: dict[tuple[str, str], Pacer] = {}
_registry_lock = threading.Lock()


def shared_pacer(base_url: str, credential: str, calls_per_second: float) -> Pacer:
    """
    Return the process-wide pacer for one Gong company (base URL + credentials).

    The credential is only kept as a SHA-256 digest. When hooks ask for different rates, the last one
    asked wins: the rate is a property of the company's limit, not of one hook. A hook with pacing off
    (``0``) gets a pacer of its own and leaves the shared one as it is.

    :param base_url: Gong API base URL.
    :param credential: The ``Authorization`` value (hashed, never stored).
    :param calls_per_second: Allowed rate; ``0`` or less switches pacing off.
    """
    if calls_per_second <= 0:
        # Pacing off for this hook only: it must not switch off the pace of the company's other hooks.
        return Pacer(0)
    key = (base_url, hashlib.sha256(credential.encode()).hexdigest())
    with _registry_lock:
        pacer = _registry.get(key)
        if pacer is None:
            pacer = _registry[key] = Pacer(calls_per_second)
    if pacer.calls_per_second != max(float(calls_per_second), 0.0):
        pacer.set_rate(calls_per_second)
    return pacer
