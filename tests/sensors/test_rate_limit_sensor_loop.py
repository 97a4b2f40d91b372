"""The sensor's own poke loop keeps Airflow's sensor semantics (it overrides only the public ``execute``).

The timeout counts from the first poke, in reschedule mode from the task's first reschedule; a poke past
the timeout still gets its answer; ``soft_fail``, ``never_fail`` and ``silent_fail`` mean what they mean
for :class:`~airflow.sdk.BaseSensorOperator`; the backoff doubles with each poke (in reschedule mode with
each reschedule) up to ``max_wait``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sensor_helpers import TIMEOUT_OUTCOMES, RescheduleContext, RescheduleTI, list_calls, seconds_until

from airflow_provider_gong.exceptions import GongAuthError
from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.version_compat import (
    AIRFLOW_V_3_0_PLUS,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
)

WEEK = 7 * 24 * 3600.0


def _sensor(conn_id: str, **kwargs: Any) -> GongRateLimitSensor:
    kwargs.setdefault("deferrable", False)
    return GongRateLimitSensor(task_id="wait_for_gong", gong_conn_id=conn_id, **kwargs)


def _reschedule(sensor: GongRateLimitSensor, context: dict[str, Any]) -> float:
    """Run the sensor, which must reschedule; return the seconds until its reschedule date."""
    with pytest.raises(AirflowRescheduleException) as caught:
        sensor.execute(context)  # type: ignore[arg-type]
    return seconds_until(caught.value.reschedule_date)


# ---------------------------------------------------------------------------------------- the timeout


@pytest.mark.parametrize(("soft_fail", "expected"), TIMEOUT_OUTCOMES)
def test_reschedule_mode_times_out_counting_from_the_first_poke(
    gong_emulator: GongEmulator,
    gong_emulator_connection: str,
    reschedule_context: RescheduleContext,
    soft_fail: bool,
    expected: type[Exception],
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "5"})
    sensor = _sensor(gong_emulator_connection, mode="reschedule", timeout=120, soft_fail=soft_fail)

    with pytest.raises(expected, match="Sensor has timed out; run duration of 200 s"):
        sensor.execute(reschedule_context(sensor, reschedules=1, first_poke_ago=200))  # type: ignore[arg-type]

    assert list_calls(gong_emulator) == {"429": 1}


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="Airflow 2 has no Task SDK: the date comes from its ORM")
def test_reschedule_mode_reads_a_first_reschedule_date_the_task_sdk_hands_over_as_text(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "5"})
    sensor = _sensor(gong_emulator_connection, mode="reschedule", timeout=120)
    ti = RescheduleTI(first_poke_ago=200, as_text=True)
    context = {"ti": ti, "task": sensor, "task_reschedule_count": 1}

    with pytest.raises(AirflowSensorTimeout, match="Sensor has timed out; run duration of 200 s"):
        sensor.execute(context)  # type: ignore[arg-type]


def test_reschedule_mode_weighs_retry_after_against_the_time_left(
    gong_emulator: GongEmulator, gong_emulator_connection: str, reschedule_context: RescheduleContext
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "30"})
    sensor = _sensor(gong_emulator_connection, mode="reschedule", timeout=120)
    context = reschedule_context(sensor, reschedules=4, first_poke_ago=100)

    with pytest.raises(AirflowSensorTimeout, match="wait 30 s, longer than the 20 s left"):
        sensor.execute(context)  # type: ignore[arg-type]


def test_a_poke_past_the_timeout_still_gets_its_answer(
    gong_emulator: GongEmulator, gong_emulator_connection: str, reschedule_context: RescheduleContext
) -> None:
    sensor = _sensor(gong_emulator_connection, mode="reschedule", timeout=120)

    context = reschedule_context(sensor, reschedules=1, first_poke_ago=200)

    assert sensor.execute(context) is None  # type: ignore[arg-type]
    assert list_calls(gong_emulator) == {"200": 1}


# ---------------------------------------------------------------------------------------- the backoff


@pytest.mark.parametrize(
    ("reschedules", "max_wait", "low", "high"),
    [(0, None, 2, 4), (1, None, 4, 8), (3, None, 16, 32), (3, 20, 16, 20), (90, None, WEEK / 2, WEEK)],
)
def test_reschedule_backoff_doubles_with_each_reschedule_up_to_max_wait_or_a_week(
    gong_emulator: GongEmulator,
    gong_emulator_connection: str,
    reschedule_context: RescheduleContext,
    reschedules: int,
    max_wait: float | None,
    low: float,
    high: float,
) -> None:
    gong_emulator.fail_next({"status": 429})
    sensor = _sensor(
        gong_emulator_connection, mode="reschedule", poke_interval=4, max_wait=max_wait, timeout=2 * WEEK
    )
    context = reschedule_context(sensor, reschedules=reschedules, first_poke_ago=10 if reschedules else None)

    assert low - 0.5 <= _reschedule(sensor, context) <= high


@pytest.mark.parametrize(("max_wait", "low", "high"), [(None, 4.0, 8.0), (1, 3.0, 3.9)])
def test_poke_mode_backoff_doubles_with_each_poke_up_to_max_wait(
    gong_emulator: GongEmulator,
    gong_emulator_connection: str,
    max_wait: float | None,
    low: float,
    high: float,
) -> None:
    gong_emulator.fail_next(*[{"status": 429}] * 3)
    sensor = _sensor(gong_emulator_connection, mode="poke", poke_interval=1, max_wait=max_wait, timeout=60)

    started = time.monotonic()
    sensor.execute({})  # type: ignore[arg-type]
    elapsed = time.monotonic() - started

    # Waits within [1, 1), [1, 2), [2, 4) (each at least MIN_PROBE_WAIT), or 1 s each with max_wait=1.
    assert low <= elapsed < high, elapsed
    assert list_calls(gong_emulator) == {"429": 3, "200": 1}


# ---------------------------------------------------------------------------------------- failing pokes


@pytest.fixture
def wrong_conn(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    conn = gong_emulator.connection_dict()
    conn["password"] = "not-the-secret-0001"
    monkeypatch.setenv("AIRFLOW_CONN_GONG_WRONG", json.dumps(conn))
    return "gong_wrong"


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_never_fail_skips_on_an_error_soft_fail_does_not(
    gong_emulator: GongEmulator, wrong_conn: str, reschedule_context: RescheduleContext, mode: str
) -> None:
    def run(**flags: bool) -> None:
        if mode == "deferrable":
            _sensor(wrong_conn, deferrable=True, **flags).execute({})  # type: ignore[arg-type]
            return
        sensor = _sensor(wrong_conn, mode=mode, **flags)
        sensor.execute(reschedule_context(sensor) if mode == "reschedule" else {})  # type: ignore[arg-type]

    with pytest.raises(AirflowSkipException, match="never_fail") as skipped:
        run(never_fail=True)
    with pytest.raises(GongAuthError):
        run(soft_fail=True)

    assert isinstance(skipped.value.__cause__, GongAuthError)
    assert list_calls(gong_emulator) == {"401": 2}


def test_silent_fail_logs_an_error_and_pokes_again(
    gong_emulator: GongEmulator, gong_emulator_connection: str, gong_logs: list[dict[str, Any]]
) -> None:
    gong_emulator.fail_next({"status": 401})
    sensor = _sensor(gong_emulator_connection, mode="poke", poke_interval=1, silent_fail=True)

    assert sensor.execute({}) is None  # type: ignore[arg-type]

    assert list_calls(gong_emulator) == {"401": 1, "200": 1}
    assert any(log["event"] == "Sensor poke failed" and log["log_level"] == "error" for log in gong_logs)


class _TimedOutPoke(GongRateLimitSensor):
    """A poke that raises what Airflow counts as a sensor timeout or a deliberate failure."""

    error: type[Exception] = AirflowSensorTimeout

    def poke(self, context: Any) -> bool:
        raise self.error("the poke gave up")


@pytest.mark.parametrize("error", [AirflowSensorTimeout, AirflowFailException])
@pytest.mark.parametrize(
    ("flags", "expected"),
    [({}, None), ({"soft_fail": True}, AirflowSkipException), ({"never_fail": True}, AirflowSkipException)],
)
def test_a_timeout_or_failure_of_the_poke_is_skipped_with_soft_or_never_fail(
    error: type[Exception], flags: dict[str, bool], expected: type[Exception] | None
) -> None:
    sensor = _TimedOutPoke(task_id="wait_for_gong", deferrable=False, **flags)
    sensor.error = error

    with pytest.raises(expected or error) as caught:
        sensor.execute({})  # type: ignore[arg-type]

    if expected is not None:
        assert isinstance(caught.value.__cause__, error)
