"""GongRateLimitSensor against the Gong emulator, in poke, reschedule and deferrable modes."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from fake_clock import FakeTime
from sensor_helpers import (
    TIMEOUT_OUTCOMES,
    RescheduleContext,
    RunTrigger,
    deferral,
    list_calls,
    seconds_until,
)

from airflow_provider_gong.exceptions import GongAuthError
from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import DEFERRAL_SLACK, GongRateLimitTrigger, error_event
from airflow_provider_gong.version_compat import AirflowRescheduleException, AirflowSensorTimeout


def _sensor(conn_id: str, **kwargs: Any) -> GongRateLimitSensor:
    kwargs.setdefault("timeout", 120)
    kwargs.setdefault("poke_interval", 60)
    return GongRateLimitSensor(task_id="wait_for_gong", gong_conn_id=conn_id, **kwargs)


# ---------------------------------------------------------------------------------------- poke mode


def test_poke_mode_answered_at_once(gong_emulator: GongEmulator, gong_emulator_connection: str) -> None:
    sensor = _sensor(gong_emulator_connection, mode="poke")

    assert sensor.execute({}) is None  # type: ignore[arg-type]
    assert list_calls(gong_emulator) == {"200": 1}


def test_poke_mode_waits_retry_after_not_poke_interval(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "1"})
    sensor = _sensor(gong_emulator_connection, mode="poke", poke_interval=60)

    started = time.monotonic()
    sensor.execute({})  # type: ignore[arg-type]
    elapsed = time.monotonic() - started

    assert 1.0 <= elapsed < 5.0, elapsed
    assert list_calls(gong_emulator) == {"429": 1, "200": 1}


def test_poke_mode_waits_out_the_daily_limit(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.configure(rate_per_day=1, day_seconds=2.0)
    gong_emulator.reset()
    sensor = _sensor(gong_emulator_connection, mode="poke")
    sensor.execute({})  # type: ignore[arg-type]  # spends the day's only call

    started = time.monotonic()
    sensor.execute({})  # type: ignore[arg-type]
    elapsed = time.monotonic() - started

    assert 0.5 <= elapsed < 5.0, elapsed
    assert gong_emulator.stats()["rate_limited"]["per_day"] == 1
    assert list_calls(gong_emulator) == {"200": 2, "429": 1}


def test_poke_mode_without_retry_after_backs_off(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.fail_next({"status": 429})
    # Backoff from poke_interval: the first wait is within [poke_interval / 2, poke_interval), at least 1 s.
    sensor = _sensor(gong_emulator_connection, mode="poke", poke_interval=1)

    started = time.monotonic()
    sensor.execute({})  # type: ignore[arg-type]
    elapsed = time.monotonic() - started

    assert 1.0 <= elapsed < 4.0, elapsed
    assert list_calls(gong_emulator) == {"429": 1, "200": 1}


@pytest.mark.parametrize(("soft_fail", "expected"), TIMEOUT_OUTCOMES)
def test_retry_after_past_the_timeout_ends_the_wait_at_once(
    gong_emulator: GongEmulator, gong_emulator_connection: str, soft_fail: bool, expected: type[Exception]
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "3600"})
    sensor = _sensor(gong_emulator_connection, mode="poke", timeout=60, soft_fail=soft_fail)

    started = time.monotonic()
    with pytest.raises(expected, match="Gong asks to wait 3600 s"):
        sensor.execute({})  # type: ignore[arg-type]

    assert time.monotonic() - started < 3.0
    assert list_calls(gong_emulator) == {"429": 1}


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_wrong_credentials_fail_fast(
    gong_emulator: GongEmulator,
    monkeypatch: pytest.MonkeyPatch,
    reschedule_context: RescheduleContext,
    mode: str,
) -> None:
    conn = gong_emulator.connection_dict()
    conn["password"] = "not-the-secret-0001"
    monkeypatch.setenv("AIRFLOW_CONN_GONG_WRONG", json.dumps(conn))
    sensor = _sensor(
        "gong_wrong", mode="poke" if mode == "deferrable" else mode, deferrable=mode == "deferrable"
    )

    context = reschedule_context(sensor) if mode == "reschedule" else {}

    with pytest.raises(GongAuthError) as caught:
        sensor.execute(context)  # type: ignore[arg-type]

    assert caught.value.status_code == 401
    assert caught.value.request_id
    assert list_calls(gong_emulator) == {"401": 1}


# ---------------------------------------------------------------------------------------- reschedule mode


def test_reschedule_mode_reschedules_at_retry_after(
    gong_emulator: GongEmulator, gong_emulator_connection: str, reschedule_context: RescheduleContext
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "7"})
    sensor = _sensor(gong_emulator_connection, mode="reschedule", poke_interval=60)

    with pytest.raises(AirflowRescheduleException) as caught:
        sensor.execute(reschedule_context(sensor))  # type: ignore[arg-type]

    assert 6.0 <= seconds_until(caught.value.reschedule_date) <= 7.5
    assert list_calls(gong_emulator) == {"429": 1}


def test_reschedule_mode_without_retry_after_backs_off(
    gong_emulator: GongEmulator, gong_emulator_connection: str, reschedule_context: RescheduleContext
) -> None:
    gong_emulator.fail_next({"status": 429})
    sensor = _sensor(gong_emulator_connection, mode="reschedule", poke_interval=4)

    with pytest.raises(AirflowRescheduleException) as caught:
        sensor.execute(reschedule_context(sensor))  # type: ignore[arg-type]

    # The base sensor's exponential backoff: first interval within [poke_interval / 2, poke_interval).
    assert 1.5 <= seconds_until(caught.value.reschedule_date) <= 4.0


def test_reschedule_mode_done_when_answered(
    gong_emulator: GongEmulator, gong_emulator_connection: str, reschedule_context: RescheduleContext
) -> None:
    sensor = _sensor(gong_emulator_connection, mode="reschedule")

    assert sensor.execute(reschedule_context(sensor)) is None  # type: ignore[arg-type]
    assert list_calls(gong_emulator) == {"200": 1}


# ---------------------------------------------------------------------------------------- deferrable


def test_deferrable_defers_to_the_trigger_and_resumes(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "2"})
    sensor = _sensor(gong_emulator_connection, deferrable=True, timeout=120, poke_interval=60)

    started = time.monotonic()
    deferred, trigger = deferral(lambda: sensor.execute({}))  # type: ignore[arg-type]

    assert deferred.method_name == "execute_complete"
    assert deferred.timeout == timedelta(seconds=120 + DEFERRAL_SLACK)  # a backstop after give_up_at
    assert trigger.gong_conn_id == gong_emulator_connection
    assert trigger.resume_at is not None
    assert 1.0 <= seconds_until(trigger.resume_at) <= 2.1
    assert trigger.give_up_at is not None
    assert 115 <= seconds_until(trigger.give_up_at) <= 120.1
    assert time.monotonic() - started < 1.5  # deferring does not wait in the worker

    # The triggerer rebuilds the trigger from its serialised form; here on a fake clock (no real wait).
    events = run_trigger(type(trigger)(**trigger.serialize()[1], **fake_time.injected()))

    assert [event["status"] for event in events] == ["ok"]
    assert 1.0 <= fake_time.elapsed <= 2.1, fake_time.sleeps  # until resume_at: Gong's Retry-After
    assert sensor.execute_complete({}, events[0]) is None  # type: ignore[arg-type]
    assert list_calls(gong_emulator) == {"429": 1, "200": 1}


def test_deferrable_answered_at_once_does_not_defer(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    sensor = _sensor(gong_emulator_connection, deferrable=True)

    assert sensor.execute({}) is None  # type: ignore[arg-type]
    assert list_calls(gong_emulator) == {"200": 1}


def test_deferrable_retry_after_past_the_timeout_does_not_defer(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "86400"})
    sensor = _sensor(gong_emulator_connection, deferrable=True, timeout=600)

    with pytest.raises(AirflowSensorTimeout, match="Gong asks to wait 86400 s"):
        sensor.execute({})  # type: ignore[arg-type]


def test_deferrable_without_retry_after_waits_poke_interval_first(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.fail_next({"status": 429})
    sensor = _sensor(gong_emulator_connection, deferrable=True, poke_interval=5, max_wait=60)

    _, trigger = deferral(lambda: sensor.execute({}))  # type: ignore[arg-type]

    assert trigger.resume_at is not None
    assert 4.0 <= seconds_until(trigger.resume_at) <= 5.1
    assert (trigger.backoff, trigger.max_backoff) == (10.0, 60.0)


def test_execute_complete_raises_the_typed_error_of_an_error_event(
    gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch, run_trigger: RunTrigger
) -> None:
    conn = gong_emulator.connection_dict()
    conn["password"] = "not-the-secret-0001"
    monkeypatch.setenv("AIRFLOW_CONN_GONG_WRONG", json.dumps(conn))
    sensor = _sensor("gong_wrong", deferrable=True)
    events = run_trigger(GongRateLimitTrigger("gong_wrong"))

    with pytest.raises(GongAuthError) as caught:
        sensor.execute_complete({}, events[0])  # type: ignore[arg-type]

    assert caught.value.request_id == events[0]["request_id"]


def test_execute_complete_times_out_on_a_timeout_event() -> None:
    sensor = _sensor("gong_default", deferrable=True)

    with pytest.raises(AirflowSensorTimeout, match="after the wait's end"):
        sensor.execute_complete(
            {},  # type: ignore[arg-type]
            {"status": "timeout", "message": "Gong's rate limit holds until X, after the wait's end at Y"},
        )


def test_error_event_of_a_missing_connection_is_a_gong_error() -> None:
    sensor = _sensor("gong_default", deferrable=True)
    event = error_event(LookupError("The conn_id `nope` isn't defined"))

    with pytest.raises(Exception, match="nope") as caught:
        sensor.execute_complete({}, event)  # type: ignore[arg-type]

    assert type(caught.value).__name__ == "GongError"
