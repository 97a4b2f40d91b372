"""``version_compat.reschedules`` on Airflow 2: a sensor's reschedules, from real ``TaskReschedule`` rows.

Airflow 2 puts neither the first reschedule date nor the count in the context: the provider reads the rows
Airflow 2 records for each reschedule, by the rule of Airflow 2's own ``BaseSensorOperator``. The start
counts from the first try (across retries; a cleared task starts again), the count from this try.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sensor_helpers import Airflow2MetadataDB

from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, reschedules

pytestmark = pytest.mark.skipif(
    AIRFLOW_V_3_0_PLUS,
    reason="Airflow 3's Task SDK supplies the first reschedule date and the count itself; the sensor tests "
    "(reschedule_context) and tests/dags/test_rate_limit_dag.py (real reschedules) cover that path",
)


def _sensor(retries: int = 0) -> GongRateLimitSensor:
    return GongRateLimitSensor(task_id="wait_for_gong", mode="reschedule", deferrable=False, retries=retries)


def _ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


def test_before_the_first_reschedule_there_is_none(airflow_2_metadata_db: Airflow2MetadataDB) -> None:
    sensor = _sensor()
    ti = airflow_2_metadata_db.task_instance(sensor)

    assert reschedules({"ti": ti, "task": sensor}) == (None, 0)  # type: ignore[typeddict-item]


def test_the_first_reschedule_of_this_try_and_their_count(airflow_2_metadata_db: Airflow2MetadataDB) -> None:
    sensor = _sensor()
    ti = airflow_2_metadata_db.task_instance(sensor)
    starts = [_ago(300), _ago(200), _ago(100)]
    airflow_2_metadata_db.add_reschedules(ti, starts)

    assert reschedules({"ti": ti, "task": sensor}) == (starts[0], 3)  # type: ignore[typeddict-item]


def test_a_retry_starts_from_the_first_try_and_counts_its_own(
    airflow_2_metadata_db: Airflow2MetadataDB,
) -> None:
    sensor = _sensor(retries=2)
    ti = airflow_2_metadata_db.task_instance(sensor, try_number=2)
    first_try = [_ago(500), _ago(400)]
    airflow_2_metadata_db.add_reschedules(ti, first_try, try_number=1)
    airflow_2_metadata_db.add_reschedules(ti, [_ago(100)])

    assert reschedules({"ti": ti, "task": sensor}) == (first_try[0], 1)  # type: ignore[typeddict-item]


def test_a_cleared_task_starts_again(airflow_2_metadata_db: Airflow2MetadataDB) -> None:
    sensor = _sensor(retries=1)
    ti = airflow_2_metadata_db.task_instance(sensor, try_number=2)
    airflow_2_metadata_db.add_reschedules(ti, [_ago(900)], try_number=1)
    airflow_2_metadata_db.add_reschedules(ti, [_ago(800)])

    ti = airflow_2_metadata_db.clear(ti)  # the next run of the task is its first try again
    assert ti.try_number == 3
    assert reschedules({"ti": ti, "task": sensor}) == (None, 0)  # type: ignore[typeddict-item]

    again = _ago(10)
    airflow_2_metadata_db.add_reschedules(ti, [again])
    assert reschedules({"ti": ti, "task": sensor}) == (again, 1)  # type: ignore[typeddict-item]


def test_reschedules_of_another_task_of_the_run_do_not_count(
    airflow_2_metadata_db: Airflow2MetadataDB,
) -> None:
    sensor = _sensor()
    other = GongRateLimitSensor(task_id="wait_for_gong_too", mode="reschedule", deferrable=False)
    ti, other_ti = airflow_2_metadata_db.task_instances(sensor, other)
    airflow_2_metadata_db.add_reschedules(other_ti, [_ago(600), _ago(300)])
    mine = _ago(60)
    airflow_2_metadata_db.add_reschedules(ti, [mine])

    assert reschedules({"ti": ti, "task": sensor}) == (mine, 1)  # type: ignore[typeddict-item]
