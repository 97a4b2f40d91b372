"""Two real hooks of one company against the Gong emulator: each keeps its own pace, both share one schedule.

The pacers run on a fake clock whose sleeps only move it forward, so the test measures the pace exactly
and waits for nothing; the calls themselves go to the emulator over HTTP.
"""

from __future__ import annotations

import functools
import itertools

import pytest

from airflow_provider_gong.client import pacing
from airflow_provider_gong.client.pacing import JITTER_MARGIN, Pacer
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator


class FakeTime:
    """A clock that only moves when somebody sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(pacing, "Pacer", functools.partial(Pacer, clock=fake.clock, sleep=fake.sleep))
    return fake


def _gaps(moments: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(sorted(moments))]


def _probes(gong: GongEmulator) -> dict[str, int]:
    return gong.stats()["by_endpoint"].get("GET /v2/users", {})


@pytest.mark.parametrize("order", ["explicit first", "default first"])
def test_an_explicit_one_per_second_hook_is_not_re_rated_by_a_default_hook(
    gong_emulator: GongEmulator, gong_emulator_connection: str, fake_time: FakeTime, order: str
) -> None:
    hooks = {
        "slow": GongHook(gong_emulator_connection, calls_per_second=1),
        "fast": GongHook(gong_emulator_connection),  # the default pace, 3 calls/s
    }
    for name in ("slow", "fast") if order == "explicit first" else ("fast", "slow"):
        assert hooks[name].probe() is None
    sent: dict[str, list[float]] = {"slow": [], "fast": []}

    for _ in range(10):  # each hook calls as soon as it may, turn about
        for name in ("slow", "fast"):
            assert hooks[name].probe() is None
            sent[name].append(fake_time.now)  # only the pacer sleeps: now is when the call left

    assert _probes(gong_emulator) == {"200": 22}
    assert min(_gaps(sent["slow"])) >= (1 + JITTER_MARGIN) / 1 - 1e-9
    # One schedule for the company: together they stay under the highest pace asked.
    assert min(_gaps(sent["slow"] + sent["fast"])) >= (1 + JITTER_MARGIN) / 3 - 1e-9
    # The fast hook keeps its own pace meanwhile: 20 calls in about 10 s, not 20 s.
    assert max(sent["fast"]) - min(sent["slow"]) < 11.0
    assert (hooks["slow"].pacer.calls_per_second, hooks["fast"].pacer.calls_per_second) == (1, 3)


def test_a_retry_after_of_one_hook_holds_back_the_other(
    gong_emulator: GongEmulator, gong_emulator_connection: str, fake_time: FakeTime
) -> None:
    slow = GongHook(gong_emulator_connection, calls_per_second=1)
    fast = GongHook(gong_emulator_connection)
    assert fast.probe() is None
    gong_emulator.fail_next({"status": 429, "retry_after": "4"})

    limited = slow.probe()
    answered_at = fake_time.now

    assert limited is not None
    assert limited.retry_after == 4.0
    assert fast.pacer.held_for() == pytest.approx(4.0)
    assert fast.get_user(gong_emulator.users[0]["id"])["id"] == gong_emulator.users[0]["id"]
    assert fake_time.now == pytest.approx(answered_at + 4.0)
    assert _probes(gong_emulator) == {"200": 1, "429": 1}
