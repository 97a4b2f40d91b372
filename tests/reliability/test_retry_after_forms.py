"""
Every form of ``Retry-After`` a 429 can carry, from the Gong emulator: seconds, an HTTP-date, none,
garbage, negative, and huge (the daily quota is spent).

The hook's retry ``sleep`` and the sleep of its pacers (injected: ``pacers``) are recorders here, so a
2 s wait costs nothing and the test sees exactly how long the hook would have waited.
"""

from __future__ import annotations

from typing import Any

import pytest
from reliability_helpers import retry_warnings

from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.exceptions import GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator

#: The hook's ``max_retry_wait`` in these tests: longer waits are raised, not slept.
MAX_RETRY_WAIT = 60.0


@pytest.fixture
def user_id(gong_emulator: GongEmulator, gong_emulator_connection: str) -> str:
    return gong_emulator.directory.ids[0]


def _hook(sleeps: list[float], pacers: PacerRegistry) -> GongHook:
    return GongHook(
        calls_per_second=0,
        max_retries=3,
        max_retry_wait=MAX_RETRY_WAIT,
        sleep=sleeps.append,
        pacers=pacers,
    )


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        ("2", 2.0, 2.0),
        ("0", 0.0, 0.0),
        ("1.5", 1.5, 1.5),
        ("60", 60.0, 60.0),  # exactly max_retry_wait: still slept inside the task
        ("http-date+3", 1.0, 3.0),  # an HTTP-date 3 s ahead (whole seconds, so 2-3 s by the time it is read)
    ],
    ids=["seconds", "zero", "fraction", "at-ceiling", "http-date"],
)
def test_retry_after_is_waited_exactly_then_retried(
    gong_emulator: GongEmulator,
    user_id: str,
    pacers: PacerRegistry,
    pacer_waits: list[float],
    gong_logs: list[dict[str, Any]],
    header: str,
    low: float,
    high: float,
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": header})
    sleeps: list[float] = []

    user = _hook(sleeps, pacers).get_user(user_id)

    assert user["id"] == user_id
    assert gong_emulator.stats()["gong_calls"] == 2
    assert len(sleeps) == 1
    assert low <= sleeps[0] <= high
    # The shared pace holds every hook of the process back as long (it slept the rest of it for real
    # if the retry came early): the second call's pacer wait is what was left of Retry-After.
    assert max(pacer_waits, default=0.0) <= high
    (warning,) = retry_warnings(gong_logs)
    assert "status 429" in warning
    assert "Retry-After" in warning
    assert "no Retry-After" not in warning


@pytest.mark.parametrize(
    "header",
    [None, "soon", "-1", "", "Wed, 99 Foo 2024 99:99:99 GMT", "nan", "inf"],
    ids=["absent", "garbage", "negative", "empty", "bad-date", "nan", "inf"],
)
def test_unusable_retry_after_falls_back_to_backoff(
    gong_emulator: GongEmulator,
    user_id: str,
    pacers: PacerRegistry,
    pacer_waits: list[float],
    gong_logs: list[dict[str, Any]],
    header: str | None,
) -> None:
    answer: dict[str, Any] = {"status": 429}
    if header is not None:
        answer["headers"] = {"Retry-After": header}
    gong_emulator.fail_next(answer, answer)
    sleeps: list[float] = []

    user = _hook(sleeps, pacers).get_user(user_id)

    assert user["id"] == user_id
    assert gong_emulator.stats()["gong_calls"] == 3
    # Exponential backoff with up to 1 s of jitter: ~1 s, then ~2 s; never the garbage, never negative.
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 2.0
    assert 2.0 <= sleeps[1] <= 3.0
    assert pacer_waits == [] or max(pacer_waits) < 0.5  # no hold-off was booked from a bad header
    warnings = retry_warnings(gong_logs)
    assert len(warnings) == 2
    assert all("status 429" in w and "no Retry-After" in w for w in warnings)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("86400", 86400.0), ("http-date+86400", 86400.0), ("61", 61.0)],
    ids=["day-in-seconds", "day-as-http-date", "just-over-ceiling"],
)
def test_huge_retry_after_raises_at_once_with_a_hint(
    gong_emulator: GongEmulator,
    user_id: str,
    pacers: PacerRegistry,
    pacer_waits: list[float],
    gong_logs: list[dict[str, Any]],
    header: str,
    expected: float,
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": header})
    sleeps: list[float] = []
    hook = _hook(sleeps, pacers)

    with pytest.raises(GongRateLimitError) as caught:
        hook.get_user(user_id)

    error = caught.value
    assert error.status_code == 429
    assert error.retry_after is not None
    assert expected - 2 <= error.retry_after <= expected
    message = str(error)
    assert "GongRateLimitSensor" in message
    assert "deferrable=True" in message
    assert "max_retry_wait" in message
    assert error.request_id  # Gong's requestId, for support
    assert sleeps == []  # nothing slept inside the task
    assert retry_warnings(gong_logs) == []
    assert gong_emulator.stats()["gong_calls"] == 1

    # The next call of the process is not made to sleep the day out either.
    assert hook.get_user(user_id)["id"] == user_id
    assert pacer_waits == [] or max(pacer_waits) < 0.5


def test_a_429_from_the_emulators_real_rate_limit_is_waited_out(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    """Gong's own per-second limit (3/s, Retry-After: 1) hit by an unpaced hook: every user still comes."""
    gong_emulator.configure(rate_per_second=3)
    ids = list(gong_emulator.directory.ids[:8])
    sleeps: list[float] = []
    hook = GongHook(calls_per_second=0, max_retries=5, sleep=sleeps.append)

    users = [hook.get_user(user_id) for user_id in ids]

    assert [user["id"] for user in users] == ids
    stats = gong_emulator.stats()
    assert stats["rate_limited"]["per_second"] >= 1
    assert all(wait == 1.0 for wait in sleeps)
    assert len(sleeps) == stats["rate_limited"]["per_second"]
