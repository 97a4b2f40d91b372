"""Edges of waiting out a limit: a zero Retry-After never makes a tight loop, a 5xx blip does not end a
wait, and a wait Gong already gave this process is not probed again."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fake_clock import FakeTime
from sensor_helpers import RescheduleContext, RunTrigger, list_calls, seconds_until

from airflow_provider_gong.client.retry import MIN_PROBE_WAIT
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger
from airflow_provider_gong.version_compat import AirflowRescheduleException

#: 429s after which a sensor with ``poke_interval=0`` must still wait ``MIN_PROBE_WAIT``.
FLOOR_ANSWERS = [{"status": 429, "retry_after": "0"}, {"status": 429}]
FLOOR_IDS = ["retry-after-0", "no-retry-after"]


@pytest.mark.parametrize("retry_after", ["0", "http-date+-30"])
def test_trigger_never_spins_on_a_zero_or_past_retry_after(
    retry_after: str,
    gong_emulator: GongEmulator,
    gong_emulator_connection: str,
    run_trigger: RunTrigger,
    fake_time: FakeTime,
) -> None:
    if retry_after.startswith("http-date"):
        gong_emulator.configure(fault_retry_after=retry_after)
        scripted = [{"fault": "429"}] * 3
        gong_emulator.configure(fail_429_retry_after_share=1.0)
    else:
        scripted = [{"status": 429, "retry_after": retry_after}] * 3
    gong_emulator.fail_next(*scripted)

    events = run_trigger(GongRateLimitTrigger(gong_emulator_connection, **fake_time.injected()))

    assert events[0]["status"] == "ok", events
    assert events[0]["probes"] == 4
    assert gong_emulator.stats()["gong_calls"] == 4
    # Each 429 is followed by exactly MIN_PROBE_WAIT, on the trigger's (fake) clock.
    assert fake_time.sleeps == [MIN_PROBE_WAIT] * 3


def _without_interval(conn_id: str, mode: str) -> GongRateLimitSensor:
    """A sensor whose own wait would be nothing: ``poke_interval=0``, no backoff."""
    return GongRateLimitSensor(
        task_id="wait",
        gong_conn_id=conn_id,
        deferrable=False,
        mode=mode,
        poke_interval=0,
        exponential_backoff=False,
    )


@pytest.mark.parametrize("answer", FLOOR_ANSWERS, ids=FLOOR_IDS)
def test_sensor_poke_mode_wait_has_a_floor(
    gong_emulator: GongEmulator, gong_emulator_connection: str, answer: dict[str, Any]
) -> None:
    sensor = _without_interval(gong_emulator_connection, mode="poke")
    gong_emulator.fail_next(answer)
    started = time.monotonic()

    sensor.execute({})  # type: ignore[arg-type]

    assert time.monotonic() - started >= MIN_PROBE_WAIT - 0.05, "the second poke came too soon"
    assert list_calls(gong_emulator) == {"429": 1, "200": 1}


@pytest.mark.parametrize("answer", FLOOR_ANSWERS, ids=FLOOR_IDS)
def test_sensor_reschedule_date_has_a_floor(
    gong_emulator: GongEmulator,
    gong_emulator_connection: str,
    reschedule_context: RescheduleContext,
    answer: dict[str, Any],
) -> None:
    sensor = _without_interval(gong_emulator_connection, mode="reschedule")
    gong_emulator.fail_next(answer)

    with pytest.raises(AirflowRescheduleException) as caught:
        sensor.execute(reschedule_context(sensor))  # type: ignore[arg-type]

    assert MIN_PROBE_WAIT - 0.2 <= seconds_until(caught.value.reschedule_date) <= MIN_PROBE_WAIT


def test_a_5xx_blip_does_not_end_a_poke(gong_emulator: GongEmulator, gong_emulator_connection: str) -> None:
    sensor = GongRateLimitSensor(
        task_id="wait",
        gong_conn_id=gong_emulator_connection,
        deferrable=False,
        hook_params={"calls_per_second": 0, "sleep": lambda _: None},
    )
    gong_emulator.fail_next({"status": 503}, {"fault": "drop"})

    assert sensor.poke({}) is True  # type: ignore[arg-type]
    assert gong_emulator.stats()["by_endpoint"]["GET /v2/users"] == {"503": 1, "dropped": 1, "200": 1}


def test_probe_returns_a_429_at_once_without_retrying_it(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    hook = GongHook(gong_emulator_connection, calls_per_second=3, sleep=lambda _: None)
    gong_emulator.fail_next({"status": 429, "retry_after": "30"})

    limited = hook.probe()

    assert limited is not None and limited.retry_after == 30
    assert gong_emulator.stats()["gong_calls"] == 1


def test_probe_sends_nothing_while_gongs_wait_holds_in_this_process(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    first = GongHook(gong_emulator_connection, calls_per_second=3, sleep=lambda _: None)
    gong_emulator.fail_next({"status": 429, "retry_after": "30"})
    assert first.probe() is not None
    started = time.monotonic()

    limited = GongHook(gong_emulator_connection, calls_per_second=3).probe()

    assert time.monotonic() - started < 1, "the second probe must not sleep out the hold"
    assert limited is not None and limited.retry_after is not None
    assert 25 < limited.retry_after <= 30
    assert "Retry-After still holds" in str(limited)
    assert gong_emulator.stats()["gong_calls"] == 1
