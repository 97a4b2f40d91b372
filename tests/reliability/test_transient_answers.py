"""
Answers that say "try again": a 503 with ``Retry-After`` is waited out exactly as a 429 is, a 408 is
retried, and so is a 200 whose JSON ends early (see ``test_hangs_and_bad_answers``). From the emulator.
"""

from __future__ import annotations

import pytest

from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.client.retry import RetryPolicy
from airflow_provider_gong.exceptions import GongApiError, GongServerError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator


@pytest.fixture
def user_id(gong_emulator: GongEmulator, gong_emulator_connection: str) -> str:
    return gong_emulator.directory.ids[0]


def _hook(sleeps: list[float], pacers: PacerRegistry, **kwargs: float) -> GongHook:
    """A hook on the emulator; a Retry-After also holds the pace back, so its pacers record their waits."""
    return GongHook(calls_per_second=0, max_retries=3, sleep=sleeps.append, pacers=pacers, **kwargs)


def test_a_503_with_retry_after_waits_exactly_that(
    gong_emulator: GongEmulator, user_id: str, pacers: PacerRegistry, pacer_waits: list[float]
) -> None:
    gong_emulator.fail_next({"status": 503, "retry_after": "7"})
    sleeps: list[float] = []

    assert _hook(sleeps, pacers).get_user(user_id)["id"] == user_id

    assert sleeps == [7.0]
    # The hold-off reaches the pace too, so other threads of the process wait it out as well (here the
    # retry's sleep is a recorder, so the pace still sees the whole wait ahead).
    assert pacer_waits and 6.0 < pacer_waits[0] <= 7.0
    assert gong_emulator.stats()["gong_calls"] == 2


def test_a_503_asking_longer_than_max_retry_wait_is_raised_at_once(
    gong_emulator: GongEmulator, user_id: str, pacers: PacerRegistry
) -> None:
    gong_emulator.fail_next({"status": 503, "retry_after": "3600"})
    sleeps: list[float] = []

    with pytest.raises(GongServerError) as caught:
        _hook(sleeps, pacers, max_retry_wait=60).get_user(user_id)

    assert caught.value.retry_after == 3600
    assert "longer than this hook's max_retry_wait of 60 s" in str(caught.value)
    assert "Gong is unavailable" in str(caught.value)
    assert "deferrable" not in str(caught.value)  # a deferral waits out rate limits only
    assert sleeps == []
    assert gong_emulator.stats()["gong_calls"] == 1


def test_a_503_without_retry_after_backs_off(
    gong_emulator: GongEmulator, user_id: str, pacers: PacerRegistry
) -> None:
    gong_emulator.fail_next({"status": 503})
    sleeps: list[float] = []

    _hook(sleeps, pacers).get_user(user_id)

    [wait] = sleeps
    assert (
        RetryPolicy().backoff_initial <= wait <= RetryPolicy().backoff_initial + RetryPolicy().backoff_jitter
    )


def test_a_408_is_retried(gong_emulator: GongEmulator, user_id: str, pacers: PacerRegistry) -> None:
    gong_emulator.fail_next({"status": 408}, {"status": 408})
    sleeps: list[float] = []

    assert _hook(sleeps, pacers).get_user(user_id)["id"] == user_id

    assert len(sleeps) == 2
    assert gong_emulator.stats()["gong_calls"] == 3


def test_a_408_every_time_ends_with_its_status(
    gong_emulator: GongEmulator, user_id: str, pacers: PacerRegistry
) -> None:
    gong_emulator.fail_next(*[{"status": 408}] * 4)

    with pytest.raises(GongApiError) as caught:
        _hook([], pacers).get_user(user_id)

    assert caught.value.status_code == 408
    assert gong_emulator.stats()["gong_calls"] == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_answers_a_retry_cannot_fix_are_not_retried(
    gong_emulator: GongEmulator, user_id: str, pacers: PacerRegistry, status: int
) -> None:
    gong_emulator.fail_next({"status": status, "retry_after": "1"})

    with pytest.raises(GongApiError):
        _hook([], pacers).get_user(user_id)

    assert gong_emulator.stats()["gong_calls"] == 1
