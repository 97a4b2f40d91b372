"""GongHook pacing: calls spaced at the connection's rate, one schedule per company.

The emulator tests run two real hooks of one company: each keeps its own pace, both share one schedule.
Their pacers come from a registry on a fake clock whose sleeps only move it forward (``FakeTime.pacers``,
passed as ``GongHook(pacers=...)``), so the tests measure the pace exactly and wait for nothing; the calls
themselves go to the emulator over HTTP. The local-server tests below check the rate a hook takes from its
connection, with pacers that record their waits (``pacers``), or for real.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest
from gong_hook_helpers import seen, user_ok
from pytest_httpserver import HTTPServer

from airflow_provider_gong.client.pacing import JITTER_MARGIN, PacerRegistry
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator


class FakeTime:
    """A clock that only moves when somebody sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.pacers = PacerRegistry(clock=self.clock, sleep=self.sleep)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def _gaps(moments: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(sorted(moments))]


def _probes(gong: GongEmulator) -> dict[str, int]:
    return gong.stats()["by_endpoint"].get("GET /v2/users", {})


@pytest.mark.parametrize("order", ["explicit first", "default first"])
def test_an_explicit_one_per_second_hook_is_not_re_rated_by_a_default_hook(
    gong_emulator: GongEmulator, gong_emulator_connection: str, fake_time: FakeTime, order: str
) -> None:
    hooks = {
        "slow": GongHook(gong_emulator_connection, calls_per_second=1, pacers=fake_time.pacers),
        "fast": GongHook(gong_emulator_connection, pacers=fake_time.pacers),  # the default pace, 3 calls/s
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
    slow = GongHook(gong_emulator_connection, calls_per_second=1, pacers=fake_time.pacers)
    fast = GongHook(gong_emulator_connection, pacers=fake_time.pacers)
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


# ---------------------------------------------------------------------------------------- local server


def test_pacing_spaces_real_calls(httpserver: HTTPServer, server_conn: Callable[..., str]) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn(calls_per_second=10))  # no pacers given: the process's, real sleeps

    started = time.monotonic()
    for _ in range(11):
        hook.get_user("1")
    elapsed = time.monotonic() - started

    assert len(seen(httpserver)) == 11
    assert elapsed >= 10 * (1 + JITTER_MARGIN) / 10 - 0.01


def test_pacing_off_with_zero(
    httpserver: HTTPServer, server_conn: Callable[..., str], pacers: PacerRegistry, pacer_waits: list[float]
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn(calls_per_second="0"), pacers=pacers)

    for _ in range(5):
        hook.get_user("1")

    assert hook.pacer.calls_per_second == 0
    assert pacer_waits == []


def test_pacing_on_by_default_at_three_per_second(
    httpserver: HTTPServer, server_conn: Callable[..., str], pacers: PacerRegistry, pacer_waits: list[float]
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn(calls_per_second=None), pacers=pacers)

    for _ in range(3):
        hook.get_user("1")

    assert hook.pacer.calls_per_second == 3
    assert len(pacer_waits) == 2  # the 2nd and 3rd call waited for their slot (fake sleep here)


def test_hooks_of_one_company_share_a_pacer(make_conn: Callable[..., str]) -> None:
    one = make_conn("us-1.api.gong.io", conn_id="gong_one", calls_per_second=3)
    two = make_conn("https://us-1.api.gong.io/v2", conn_id="gong_two", calls_per_second=3)
    other_key = make_conn(
        "us-1.api.gong.io", conn_id="gong_other_key", login="another-key", calls_per_second=3
    )
    other_host = make_conn("us-2.api.gong.io", conn_id="gong_other_host", calls_per_second=3)

    pacer = GongHook(one).pacer

    assert GongHook(two).pacer is pacer
    assert GongHook(other_key).pacer is not pacer
    assert GongHook(other_host).pacer is not pacer


def test_a_hook_with_pacing_off_leaves_the_shared_pace_alone(make_conn: Callable[..., str]) -> None:
    paced = GongHook(make_conn("us-1.api.gong.io", conn_id="gong_paced", calls_per_second=3))
    pacer = paced.pacer

    unpaced = GongHook(make_conn("us-1.api.gong.io", conn_id="gong_unpaced", calls_per_second=0))

    assert unpaced.pacer is not pacer
    assert unpaced.pacer.calls_per_second == 0
    assert pacer.calls_per_second == 3
