"""Client-side pacing: keep one process under Gong's per-second limit.

Gong allows a number of calls per second per company (3 by default). Every hook of a process that talks
to the same base URL with the same credentials shares one schedule, the company's :class:`Pacer`, so
threads and tasks of one worker together stay under the limit instead of each burning its own share and
collecting 429s; a 429's ``Retry-After`` (:meth:`Pacer.hold_off`) holds back every hook of the company.

Hooks may ask for different rates. The company's schedule keeps the highest rate asked in the process
(for the life of the process), and hooks that asked a lower one are also spaced at their own rate
(:class:`HookPacer`; hooks that asked the same rate share it): a hook never runs faster than it asked, and
an explicit lower pace holds whatever other hooks of the company ask.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["DEFAULT_PACERS", "JITTER_MARGIN", "HookPacer", "Pacer", "PacerRegistry", "shared_pacer"]

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


class HookPacer(Pacer):
    """
    The pace of hooks that asked one rate: the company's shared schedule, plus their own rate if lower.

    Every call takes a slot of the company's :class:`Pacer`, so together the company's hooks stay under
    its pace. While this rate is below the company's (which keeps the highest rate asked), calls are also
    spaced at this rate, counted from when each call actually left: a call the company's schedule held
    back pushes the next one back too. :meth:`hold_off` and :meth:`held_for` are the company's, so a 429
    holds back every hook of the company. The clock and the sleep are the company pacer's.

    :param company: The company's shared pacer.
    :param calls_per_second: The rate these hooks asked for; more than ``0``.
    """

    def __init__(self, company: Pacer, calls_per_second: float) -> None:
        super().__init__(calls_per_second, clock=company._clock, sleep=company._sleep)
        self._company = company
        #: Held while a call of these hooks waits for its slots: their own spacing counts from the call
        #: before, so they take turns (threads of other hooks never wait on it).
        self._turn = threading.Lock()

    @property
    def company(self) -> Pacer:
        """The company's shared pacer (one per base URL and credentials in a process)."""
        return self._company

    def acquire(self) -> float:
        """Wait for this rate's next slot, then for the company's; return how long it waited, in seconds."""
        if self.calls_per_second >= self._company.calls_per_second:
            return self._company.acquire()  # the company's pace is this one or slower: it spaces enough
        with self._turn:
            waited = super().acquire()
            waited += self._company.acquire()  # last, so no other wait comes between the slot and the call
            with self._lock:
                self._next_slot = max(self._next_slot, self._clock() + self._interval)
        return waited

    def hold_off(self, seconds: float) -> None:
        """
        Book no slot of the company earlier than ``seconds`` from now (Gong said to wait).

        :param seconds: How long every hook of the company must wait.
        """
        self._company.hold_off(seconds)

    def held_for(self) -> float:
        """Seconds left of the company's last :meth:`hold_off` (0 when none is in force)."""
        return self._company.held_for()


class _Company(NamedTuple):
    """What the registry keeps of one company: its schedule and the pacer of each rate asked."""

    pacer: Pacer
    by_rate: dict[float, HookPacer]


class PacerRegistry:
    """
    The pacers of a process, one schedule per company: what :func:`shared_pacer` hands out.

    Hooks and triggers use :data:`DEFAULT_PACERS`; pass your own (``GongHook(pacers=...)``) for a pace
    shared only among some hooks, or to run pacers on a fake clock and sleep in tests.

    :param clock: Monotonic clock of every pacer it builds.
    :param sleep: Sleep function of every pacer it builds.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._companies: dict[tuple[str, str], _Company] = {}
        self._lock = threading.Lock()

    def pacer_for(self, base_url: str, credential: str, calls_per_second: float) -> Pacer:
        """
        Return the pace of a hook of one Gong company (base URL + credentials) that asked this rate.

        Hooks of a company share one schedule; its rate is the highest any of them asked, so a later hook
        never slows down the others, nor speeds up one that asked less: a hook that asked a lower rate
        gets a :class:`HookPacer` that also spaces its calls at its own rate. Hooks that ask the same rate
        get the same pacer, so together they keep that rate. A hook with pacing off (``0``) gets a pacer
        of its own and leaves the shared schedule as it is. The credential is only kept as a SHA-256
        digest.

        :param base_url: Gong API base URL.
        :param credential: The ``Authorization`` value (hashed, never stored).
        :param calls_per_second: Allowed rate; ``0`` or less switches pacing off.
        """
        if calls_per_second <= 0:
            # Pacing off for this hook only: it must not switch off the pace of the company's other hooks.
            return Pacer(0, clock=self._clock, sleep=self._sleep)
        rate = float(calls_per_second)
        key = (base_url, hashlib.sha256(credential.encode()).hexdigest())
        with self._lock:
            company = self._companies.get(key)
            if company is None:
                company = _Company(Pacer(rate, clock=self._clock, sleep=self._sleep), {})
                self._companies[key] = company
            elif rate > company.pacer.calls_per_second:
                company.pacer.set_rate(rate)
            pacer = company.by_rate.get(rate)
            if pacer is None:
                pacer = company.by_rate[rate] = HookPacer(company.pacer, rate)
        return pacer

    def clear(self) -> None:
        """Forget every company's schedule (a new process, as far as pacing goes)."""
        with self._lock:
            self._companies.clear()


#: The pacers hooks and triggers share unless given others.
DEFAULT_PACERS = PacerRegistry()


def shared_pacer(base_url: str, credential: str, calls_per_second: float) -> Pacer:
    """
    :meth:`PacerRegistry.pacer_for` of :data:`DEFAULT_PACERS`.

    :param base_url: Gong API base URL.
    :param credential: The ``Authorization`` value (hashed, never stored).
    :param calls_per_second: Allowed rate; ``0`` or less switches pacing off.
    """
    return DEFAULT_PACERS.pacer_for(base_url, credential, calls_per_second)
