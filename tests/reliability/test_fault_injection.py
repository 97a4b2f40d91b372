"""
Thousands of users through GongHook while the Gong emulator fails ~20% of the calls.

Faults come from the emulator's seeded fault RNG (500 Gong JSON, 502 HTML proxy page, 503 JSON or text,
429 with and without ``Retry-After``, dropped TCP connections, never-answered calls and slow answers),
so a run is reproducible. Each test asserts that every user arrives exactly once, in the order asked,
that every failed attempt was retried and logged at WARNING, and that the faults really happened.

Sizing and why ``max_retries=10`` cannot be exhausted: a call fails an attempt with probability
``p = drop + hang + fail_5xx + fail_429`` (slow answers still succeed). With p <= 0.18 the chance that
one call fails 11 attempts in a row is 0.18**11 ~ 6e-9; over the ~700 calls of this module the chance of
any give-up is below 1e-5, and with the fixed fault seed the run is deterministic anyway. Waits cost
nothing: the hook's retry ``sleep`` is a recorder, ``Retry-After`` is 0.05 s (the shared pacer honours it
for real), pacing is off (``calls_per_second=0``) and the emulator's rate limits are off.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from reliability_helpers import assert_fault_mix, retry_warnings

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator

MAX_RETRIES = 10
FAULT_SEED = 20240611
#: Injected faults: 8% 5xx, 5% 429 (half with Retry-After), 4% dropped connections, 1% never answered,
#: plus 3% of calls answered late (slow, under the timeout): ~20% of answers are not plain 200s.
FAULTS: dict[str, Any] = {
    "fault_seed": FAULT_SEED,
    "fail_5xx": 0.08,
    "fail_429": 0.05,
    "fail_429_retry_after_share": 0.5,
    "fault_retry_after": "0.05",
    "drop": 0.04,
    "hang": 0.01,
    "slow": 0.03,
    "slow_seconds": 0.1,
}


def _hook(sleeps: list[float]) -> GongHook:
    # timeout 1 s: a hung call costs 1 s; a slow answer (0.1 s) arrives well in time.
    return GongHook(timeout=1.0, max_retries=MAX_RETRIES, calls_per_second=0, sleep=sleeps.append)


@pytest.mark.gong_emulator(users=10_000, avatar_share=0.0, **FAULTS)
def test_ten_thousand_users_by_id_under_faults(
    gong_emulator: GongEmulator, gong_emulator_connection: str, gong_logs: list[dict[str, Any]]
) -> None:
    ids = list(gong_emulator.directory.ids)
    random.Random(FAULT_SEED).shuffle(ids)  # an order unlike the emulator's, to prove input order is kept
    sleeps: list[float] = []

    started = time.monotonic()
    users = _hook(sleeps).get_users(ids)
    elapsed = time.monotonic() - started

    got = [user["id"] for user in users]
    assert len(got) == 10_000
    assert got == ids  # every user once, in the order asked: nothing lost, nothing doubled
    expected = {user["id"]: user for user in gong_emulator.users}
    assert all(user == expected[user["id"]] for user in users)

    stats = gong_emulator.stats()
    assert stats["by_endpoint"]["POST /v2/users/extensive"]["200"] == 100  # ceil(10,000 / 100) pages
    assert_fault_mix(stats, retry_warnings(gong_logs), successes=100, sleeps=sleeps, hang_expected=True)
    assert elapsed < 60


@pytest.mark.gong_emulator(users=10_000, avatar_share=0.0, **FAULTS)
def test_ten_thousand_users_listed_under_faults(
    gong_emulator: GongEmulator, gong_emulator_connection: str, gong_logs: list[dict[str, Any]]
) -> None:
    sleeps: list[float] = []

    users = _hook(sleeps).get_users()

    got = [user["id"] for user in users]
    assert got == list(gong_emulator.directory.ids)  # cursor pages retried alone: no page twice, none lost
    stats = gong_emulator.stats()
    assert stats["by_endpoint"]["GET /v2/users"]["200"] == 100
    assert_fault_mix(stats, retry_warnings(gong_logs), successes=100, sleeps=sleeps, hang_expected=True)


@pytest.mark.gong_emulator(users=2_000, avatar_share=0.0, **{**FAULTS, "hang": 0.0})
def test_five_hundred_users_one_by_one_under_faults(
    gong_emulator: GongEmulator, gong_emulator_connection: str, gong_logs: list[dict[str, Any]]
) -> None:
    # No hangs here (each would cost the 1 s timeout); the listing tests above cover them.
    ids = random.Random(FAULT_SEED).sample(list(gong_emulator.directory.ids), 500)
    expected = {user["id"]: user for user in gong_emulator.users}
    sleeps: list[float] = []
    hook = _hook(sleeps)

    users = [hook.get_user(user_id) for user_id in ids]

    assert [user["id"] for user in users] == ids
    assert all(user == expected[user["id"]] for user in users)
    stats = gong_emulator.stats()
    assert stats["by_endpoint"]["GET /v2/users/{id}"]["200"] == 500
    assert_fault_mix(stats, retry_warnings(gong_logs), successes=500, sleeps=sleeps, hang_expected=False)
