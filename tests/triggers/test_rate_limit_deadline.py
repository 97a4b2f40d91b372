"""GongRateLimitTrigger's deadline: without ``Retry-After`` it probes once more at ``give_up_at``.

Gong's own ``Retry-After`` past the deadline still ends the wait at once (see test_rate_limit_trigger.py);
a backoff of ours must not: its next probe is moved to the deadline instead of skipped. The trigger runs
on a fake clock: every wait is exact, and nothing waits in real time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fake_clock import FakeTime

from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger

RunTrigger = Callable[[Any], list[dict[str, Any]]]


def _list_calls(gong: GongEmulator) -> dict[str, int]:
    return gong.stats()["by_endpoint"].get("GET /v2/users", {})


def test_a_backoff_past_the_deadline_becomes_a_last_probe_at_the_deadline(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 429}, {"status": 429})
    # Probes at 0 and 50 s; the next backoff (100 s) would end at 150 s, past the deadline at 120 s.
    trigger = GongRateLimitTrigger(
        gong_emulator_connection,
        give_up_at=fake_time.in_(120),
        backoff=50,
        max_backoff=800,
        **fake_time.injected(),
    )

    events = run_trigger(trigger)

    assert [event["status"] for event in events] == ["ok"]
    assert events[0]["probes"] == 3
    assert fake_time.sleeps == [50.0, pytest.approx(70.0)]  # the last probe comes at the deadline
    assert _list_calls(gong_emulator) == {"429": 2, "200": 1}


def test_still_limited_at_the_deadline_times_out_after_that_probe(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 429}, {"status": 429}, {"status": 429})
    give_up_at = fake_time.in_(120)
    trigger = GongRateLimitTrigger(
        gong_emulator_connection, give_up_at=give_up_at, backoff=50, max_backoff=800, **fake_time.injected()
    )

    events = run_trigger(trigger)

    assert [event["status"] for event in events] == ["timeout"]
    assert events[0]["probes"] == 3
    assert datetime.fromisoformat(events[0]["resume_at"]) > datetime.fromisoformat(give_up_at)
    assert fake_time.sleeps == [50.0, pytest.approx(70.0)]  # one probe at the deadline, no wait past it
    assert _list_calls(gong_emulator) == {"429": 3}


def test_a_deadline_already_probed_is_not_probed_again(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 429}, {"status": 429})
    give_up_at = fake_time.in_(30)
    # The first probe is due at the deadline itself: a 429 then ends the wait, no probe right after it.
    trigger = GongRateLimitTrigger(
        gong_emulator_connection,
        resume_at=give_up_at,
        give_up_at=give_up_at,
        backoff=50,
        max_backoff=100,
        **fake_time.injected(),
    )

    events = run_trigger(trigger)

    assert [event["status"] for event in events] == ["timeout"]
    assert events[0]["probes"] == 1
    assert fake_time.sleeps == [pytest.approx(30.0)]
    assert _list_calls(gong_emulator) == {"429": 1}
