"""GongRateLimitSensor's deadline, the same rule in every mode: probe once more at the timeout.

Without ``Retry-After`` the sensor's own backoff never skips the deadline (it is cut short to probe at it);
Gong's ``Retry-After`` past the timeout still ends the wait at once. Every deferral has a deadline, also
when the sensor's timeout has none.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

import pytest
from fake_clock import FakeTime
from sensor_helpers import RescheduleContext, RunTrigger, deferral, list_calls, seconds_until

from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import DEFERRAL_SLACK
from airflow_provider_gong.version_compat import AirflowRescheduleException, AirflowSensorTimeout

WEEK = 7 * 24 * 3600.0


def _sensor(conn_id: str, **kwargs: Any) -> GongRateLimitSensor:
    return GongRateLimitSensor(task_id="wait_for_gong", gong_conn_id=conn_id, **kwargs)


# ---------------------------------------------------------------------------------------- poke, reschedule


def test_poke_mode_without_backoff_probes_at_the_deadline(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.fail_next({"status": 429})
    sensor = _sensor(
        gong_emulator_connection, mode="poke", timeout=1.5, poke_interval=5, exponential_backoff=False
    )

    started = time.monotonic()
    sensor.execute({})  # type: ignore[arg-type]
    elapsed = time.monotonic() - started

    assert 1.4 <= elapsed < 3.5, elapsed  # the second poke came at the timeout, not 5 s later
    assert list_calls(gong_emulator) == {"429": 1, "200": 1}


def test_reschedule_mode_without_backoff_reschedules_at_the_deadline(
    gong_emulator: GongEmulator, gong_emulator_connection: str, reschedule_context: RescheduleContext
) -> None:
    gong_emulator.fail_next({"status": 429})
    sensor = _sensor(
        gong_emulator_connection, mode="reschedule", timeout=10, poke_interval=60, exponential_backoff=False
    )

    with pytest.raises(AirflowRescheduleException) as caught:
        sensor.execute(reschedule_context(sensor))  # type: ignore[arg-type]

    assert 8.5 <= seconds_until(caught.value.reschedule_date) <= 10.0


# ---------------------------------------------------------------------------------------- deferrable


def test_deferrable_first_backoff_past_the_timeout_probes_at_the_deadline(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 429})
    sensor = _sensor(gong_emulator_connection, deferrable=True, timeout=1.5, poke_interval=10)

    deferred, trigger = deferral(lambda: sensor.execute({}))  # type: ignore[arg-type]

    assert trigger.resume_at is not None
    assert trigger.give_up_at is not None
    assert seconds_until(trigger.resume_at) <= 1.5
    assert trigger.resume_at <= trigger.give_up_at
    # Airflow's own backstop comes after the trigger's deadline, so the trigger's last probe gets its turn.
    assert deferred.timeout == timedelta(seconds=1.5 + DEFERRAL_SLACK)
    events = run_trigger(type(trigger)(**trigger.serialize()[1], **fake_time.injected()))
    assert [event["status"] for event in events] == ["ok"]
    assert sensor.execute_complete({}, events[0]) is None  # type: ignore[arg-type]
    assert list_calls(gong_emulator) == {"429": 1, "200": 1}


@pytest.mark.parametrize("endless", ["inf", "timedelta.max"])
def test_deferrable_without_end_still_defers_with_a_deadline(
    gong_emulator: GongEmulator, gong_emulator_connection: str, endless: str
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "30"})
    if endless == "inf":
        sensor = _sensor(gong_emulator_connection, deferrable=True)
        sensor.timeout = math.inf
    else:
        sensor = _sensor(gong_emulator_connection, deferrable=True, timeout=timedelta.max)

    deferred, trigger = deferral(lambda: sensor.execute({}))  # type: ignore[arg-type]

    assert deferred.timeout == timedelta(seconds=WEEK + DEFERRAL_SLACK)
    assert trigger.give_up_at is not None
    assert WEEK - 5 <= seconds_until(trigger.give_up_at) <= WEEK
    assert trigger.resume_at is not None
    assert 28 <= seconds_until(trigger.resume_at) <= 30
    assert trigger.payload == {"timeout_left": None if endless == "inf" else sensor.timeout - WEEK}


def test_a_deferral_ending_before_the_timeout_probes_and_defers_again(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "5"})
    sensor = _sensor(gong_emulator_connection, deferrable=True, timeout=WEEK + 50)
    event = {"status": "timeout", "message": "deferral over", "payload": {"timeout_left": 50.0}}

    deferred, trigger = deferral(lambda: sensor.execute_complete({}, event))  # type: ignore[arg-type]

    assert trigger.give_up_at is not None
    assert 45 <= seconds_until(trigger.give_up_at) <= 50
    assert trigger.payload == {"timeout_left": 0.0}
    assert deferred.timeout == timedelta(seconds=50 + DEFERRAL_SLACK)
    assert list_calls(gong_emulator) == {"429": 1}


def test_a_deferral_ending_before_an_endless_timeout_is_done_when_gong_answers(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    sensor = _sensor(gong_emulator_connection, deferrable=True)
    event = {"status": "timeout", "message": "deferral over", "payload": {"timeout_left": None}}

    assert sensor.execute_complete({}, event) is None  # type: ignore[arg-type]
    assert list_calls(gong_emulator) == {"200": 1}


def test_the_last_deferral_times_out_the_sensor(gong_emulator: GongEmulator) -> None:
    sensor = _sensor("gong_default", deferrable=True, timeout=60)
    event = {"status": "timeout", "message": "holds past the end", "payload": {"timeout_left": 0.0}}

    with pytest.raises(AirflowSensorTimeout, match="holds past the end"):
        sensor.execute_complete({}, event)  # type: ignore[arg-type]

    assert list_calls(gong_emulator) == {}
