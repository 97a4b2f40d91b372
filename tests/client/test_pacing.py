"""Client-side pacing with an injected clock and sleep (no real waiting)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from airflow_provider_gong.client.pacing import JITTER_MARGIN, Pacer, PacerRegistry, shared_pacer


class FakeTime:
    """A clock that only moves when somebody sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.pacers = PacerRegistry(clock=self.clock, sleep=self.sleep)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_jitter_margin_is_small_and_positive() -> None:
    assert 0 < JITTER_MARGIN < 0.1


@pytest.mark.parametrize("rate", [3.0, 10.0, 0.5])
def test_calls_are_spaced(rate: float) -> None:
    fake = FakeTime()
    pacer = Pacer(rate, clock=fake.clock, sleep=fake.sleep)
    interval = (1 + JITTER_MARGIN) / rate

    starts = []
    for _ in range(6):
        pacer.acquire()
        starts.append(fake.now)

    assert starts[0] == 1000.0  # the first call goes at once
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap == pytest.approx(interval) for gap in gaps)
    assert all(gap >= 1 / rate for gap in gaps)


def test_acquire_returns_the_wait() -> None:
    fake = FakeTime()
    pacer = Pacer(4.0, clock=fake.clock, sleep=fake.sleep)

    assert pacer.acquire() == 0.0
    assert pacer.acquire() == pytest.approx((1 + JITTER_MARGIN) / 4)
    fake.now += 10  # idle for a while: no debt, no burst either
    assert pacer.acquire() == 0.0
    assert pacer.acquire() == pytest.approx((1 + JITTER_MARGIN) / 4)


def test_no_wait_when_calls_are_slow_anyway() -> None:
    fake = FakeTime()
    pacer = Pacer(2.0, clock=fake.clock, sleep=fake.sleep)

    for _ in range(4):
        pacer.acquire()
        fake.now += 1.0

    assert fake.sleeps == []


@pytest.mark.parametrize("rate", [0, 0.0, -1])
def test_zero_or_negative_rate_switches_pacing_off(rate: float) -> None:
    fake = FakeTime()
    pacer = Pacer(rate, clock=fake.clock, sleep=fake.sleep)

    waits = [pacer.acquire() for _ in range(20)]

    assert waits == [0.0] * 20
    assert fake.sleeps == []
    assert pacer.calls_per_second == 0


def test_set_rate() -> None:
    fake = FakeTime()
    pacer = Pacer(0, clock=fake.clock, sleep=fake.sleep)
    pacer.acquire()

    pacer.set_rate(2)
    pacer.acquire()
    second = pacer.acquire()

    assert pacer.calls_per_second == 2.0
    assert second == pytest.approx((1 + JITTER_MARGIN) / 2)


def test_hold_off_delays_the_next_call() -> None:
    fake = FakeTime()
    pacer = Pacer(10.0, clock=fake.clock, sleep=fake.sleep)
    pacer.acquire()

    pacer.hold_off(5.0)

    assert pacer.acquire() == pytest.approx(5.0)
    assert pacer.acquire() == pytest.approx((1 + JITTER_MARGIN) / 10)  # then the normal pace again


def test_hold_off_also_applies_with_pacing_off() -> None:
    fake = FakeTime()
    pacer = Pacer(0, clock=fake.clock, sleep=fake.sleep)

    pacer.hold_off(2.0)

    assert pacer.acquire() == pytest.approx(2.0)
    assert pacer.acquire() == 0.0


def test_hold_off_never_shortens_a_booking() -> None:
    fake = FakeTime()
    pacer = Pacer(10.0, clock=fake.clock, sleep=fake.sleep)
    pacer.hold_off(5.0)

    pacer.hold_off(1.0)
    pacer.hold_off(-3.0)

    assert pacer.acquire() == pytest.approx(5.0)


class YieldingZero(float):
    """A clock reading that lets other threads run while the pacer compares it with its next slot."""

    def __lt__(self, other: float) -> bool:
        time.sleep(0)  # a thread switch between reading the next slot and booking it
        return float(self) < other

    def __gt__(self, other: float) -> bool:
        time.sleep(0)
        return float(self) > other


def test_thread_safe_under_eight_threads() -> None:
    rate = 10.0
    interval = (1 + JITTER_MARGIN) / rate
    waits: list[float] = []

    def clock() -> float:
        return YieldingZero(0.0)

    pacer = Pacer(rate, clock=clock, sleep=waits.append)
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(25):
            pacer.acquire()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The clock stands still, so each call's slot is its wait; the first slot (0) slept nothing.
    slots = sorted([0.0, *waits])
    assert len(slots) == 200
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert min(gaps) >= interval * (1 - 1e-9)


def test_shared_pacer_is_one_per_company() -> None:
    pacer = shared_pacer("https://us-1.api.gong.io", "Basic a2V5OnNlY3JldA==", 3)

    assert shared_pacer("https://us-1.api.gong.io", "Basic a2V5OnNlY3JldA==", 3) is pacer
    assert shared_pacer("https://us-1.api.gong.io", "Basic b3RoZXI6c2VjcmV0", 3) is not pacer
    assert shared_pacer("https://us-2.api.gong.io", "Basic a2V5OnNlY3JldA==", 3) is not pacer
    assert shared_pacer("https://us-1.api.gong.io", "Bearer token-12345", 3) is not pacer


COMPANY = ("https://us-1.api.gong.io", "Basic a2V5OnNlY3JldA==")


@pytest.fixture
def fake_time() -> FakeTime:
    """A clock and a sleep that only count; ``fake_time.pacers`` builds its pacers on them."""
    return FakeTime()


def _sent(fake: FakeTime, pacer: Pacer, calls: int = 1) -> list[float]:
    """Acquire ``calls`` slots one after the other; return when each call would leave."""
    moments = []
    for _ in range(calls):
        pacer.acquire()
        moments.append(fake.now)
    return moments


def _gaps(moments: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(sorted(moments))]


def test_shared_pacer_one_object_per_company_and_rate() -> None:
    pacer = shared_pacer(*COMPANY, 3)

    assert shared_pacer(*COMPANY, 3.0) is pacer
    slower = shared_pacer(*COMPANY, 1.5)

    assert slower is not pacer
    assert (slower.calls_per_second, pacer.calls_per_second) == (1.5, 3.0)


@pytest.mark.parametrize("order", ["explicit first", "default first"])
def test_an_explicit_lower_rate_holds_whatever_other_hooks_ask(fake_time: FakeTime, order: str) -> None:
    if order == "explicit first":
        slow = fake_time.pacers.pacer_for(*COMPANY, 1)
        fast = fake_time.pacers.pacer_for(*COMPANY, 3)
    else:
        fast = fake_time.pacers.pacer_for(*COMPANY, 3)
        slow = fake_time.pacers.pacer_for(*COMPANY, 1)

    slow_sent, all_sent = [], []
    for _ in range(10):
        slow_sent += _sent(fake_time, slow)
        all_sent += slow_sent[-1:] + _sent(fake_time, fast, 2)

    assert slow.calls_per_second == 1
    assert min(_gaps(slow_sent)) == pytest.approx((1 + JITTER_MARGIN) / 1)
    # Together they stay under the company's pace (the highest asked), one schedule for both.
    assert min(_gaps(all_sent)) >= (1 + JITTER_MARGIN) / 3 - 1e-9
    assert slow.company is fast.company


@pytest.mark.parametrize("order", ["explicit first", "default first"])
def test_the_company_keeps_the_highest_rate_asked(fake_time: FakeTime, order: str) -> None:
    rates = [1, 3] if order == "explicit first" else [3, 1]
    pacers = {rate: fake_time.pacers.pacer_for(*COMPANY, rate) for rate in rates}

    fast_alone = _sent(fake_time, pacers[3], 4)  # the slow hook is idle: the fast one keeps its pace

    assert _gaps(fast_alone) == pytest.approx([(1 + JITTER_MARGIN) / 3] * 3)


def test_own_spacing_counts_from_when_the_call_leaves(fake_time: FakeTime) -> None:
    slow = fake_time.pacers.pacer_for(*COMPANY, 2)
    fast = fake_time.pacers.pacer_for(*COMPANY, 3)
    slow_sent = _sent(fake_time, slow)
    # The fast hook books the company's next slots; the slow hook's call must queue behind them.
    fast_sent = _sent(fake_time, fast, 3)
    fake_time.now = slow_sent[0]  # ...as if those calls were booked by other threads, still waiting

    slow_sent += _sent(fake_time, slow, 2)

    assert min(_gaps(slow_sent)) >= (1 + JITTER_MARGIN) / 2 - 1e-9
    assert min(_gaps(fast_sent + slow_sent)) >= (1 + JITTER_MARGIN) / 3 - 1e-9


def test_hold_off_applies_to_every_hook_of_the_company(fake_time: FakeTime) -> None:
    slow = fake_time.pacers.pacer_for(*COMPANY, 1)
    fast = fake_time.pacers.pacer_for(*COMPANY, 3)
    _sent(fake_time, slow)
    started = fake_time.now

    slow.hold_off(5.0)  # Gong answered the slow hook's call with 429, Retry-After 5

    assert fast.held_for() == pytest.approx(5.0)
    assert slow.held_for() == pytest.approx(5.0)
    assert _sent(fake_time, fast) == [pytest.approx(started + 5.0)]
    assert fast.held_for() == 0.0


def test_a_slow_hook_shared_by_threads_keeps_its_own_pace() -> None:
    # Real time (small intervals): threads of one slow hook and a fast hook of the same company at once.
    slow = shared_pacer(*COMPANY, 10)
    fast = shared_pacer(*COMPANY, 50)
    slow_sent: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def slow_worker() -> None:
        barrier.wait()
        for _ in range(4):
            slow.acquire()
            with lock:
                slow_sent.append(time.monotonic())

    def fast_worker() -> None:
        barrier.wait()
        for _ in range(40):
            fast.acquire()

    threads = [threading.Thread(target=slow_worker) for _ in range(3)] + [
        threading.Thread(target=fast_worker)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(slow_sent) == 12
    # Booked 0.102 s apart; 0.07 leaves room for thread scheduling, 0.02 would be the company's pace.
    assert min(_gaps(slow_sent)) >= 0.07


def test_shared_pacer_keeps_no_credential() -> None:
    registry = PacerRegistry()
    pacer = registry.pacer_for("https://us-1.api.gong.io", "Basic c2VjcmV0LWNyZWRlbnRpYWw=", 3)

    kept = repr(vars(registry)) + repr(vars(pacer))  # the companies' keys, each pacer's state
    assert "c2VjcmV0LWNyZWRlbnRpYWw=" not in kept
