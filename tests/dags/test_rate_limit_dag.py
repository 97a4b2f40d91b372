"""Real ``airflow dags test`` runs: the GongRateLimitSensor waits out the emulator's daily limit.

Deferrable: ``airflow dags test`` runs a deferred task's trigger in-process (``_run_inline_trigger``), so
the trigger's async connection lookup, its wait and its probe run for real, then the sensor resumes.
Reschedule mode: the sensor raises ``AirflowRescheduleException`` and ``dags test`` runs it again once the
reschedule date has passed, as the scheduler would; the task's reschedules land in the metadata database,
and the timeout counts from the first of them (``ti.get_first_reschedule_date`` on Airflow 3, the
task's ``TaskReschedule`` rows on Airflow 2).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(900)]

HERE = Path(__file__).parent
#: Three calls per emulated 8-second "day": enough for the sensor's probe and one fetch after the wait.
CALLS_PER_DAY = 3
DAY_SECONDS = 8.0


def _airflow(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-8000:]}\n--- stderr\n{proc.stderr[-8000:]}"


@pytest.fixture(scope="module")
def gong() -> Iterator[GongEmulator]:
    config = EmulatorConfig(
        users=20, rate_per_second=None, rate_per_day=CALLS_PER_DAY, day_seconds=DAY_SECONDS
    )
    with GongEmulator(config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory, gong: GongEmulator) -> dict[str, str]:
    """A migrated Airflow (SQLite) in a temporary AIRFLOW_HOME, with only the test DAG in its dags folder."""
    work = tmp_path_factory.mktemp("rate-limit-dag")
    dags = work / "dags"
    dags.mkdir()
    shutil.copy2(HERE / "gong_rate_limit_dag.py", dags / "gong_rate_limit_dag.py")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "_AIRFLOW"))}
    env.update(
        AIRFLOW_HOME=str(work / "home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW_CONN_GONG_DEFAULT=gong.connection_json(),
        NO_PROXY="127.0.0.1,localhost",
    )
    proc = _airflow(env, "db", "migrate")
    assert proc.returncode == 0, _explain(proc)
    return env


#: The sensor's reschedules: on Airflow 3 a reschedule row belongs to one try (``ti_id``); on Airflow 2 it
#: names its task instance by DAG, task, run and map index.
_RESCHEDULES = (
    "SELECT COUNT(*) FROM task_reschedule tr JOIN task_instance ti ON tr.ti_id = ti.id "
    "WHERE ti.dag_id = ? AND ti.task_id = 'wait_for_gong'"
)
_RESCHEDULES_AIRFLOW_2 = "SELECT COUNT(*) FROM task_reschedule WHERE dag_id = ? AND task_id = 'wait_for_gong'"


def _sensor_rows(env: dict[str, str], dag_id: str) -> tuple[list[tuple[Any, ...]], int]:
    """The sensor's task instances (state, try number) in the metadata DB, and how often it rescheduled."""
    db = sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db")
    try:
        found = db.execute(
            "SELECT state, try_number FROM task_instance WHERE dag_id = ? AND task_id = 'wait_for_gong'",
            (dag_id,),
        ).fetchall()
        reschedules = _RESCHEDULES if AIRFLOW_V_3_0_PLUS else _RESCHEDULES_AIRFLOW_2
        count = db.execute(reschedules, (dag_id,)).fetchone()[0]
    finally:
        db.close()
    return found, int(count)


def _wait_out_the_day(
    gong: GongEmulator, env: dict[str, str], dag_id: str
) -> subprocess.CompletedProcess[str]:
    """Run ``dag_id`` (spend the day's quota, wait it out, fetch two users); check that it did; return it."""
    ids = [user["id"] for user in gong.users if user["id"] not in gong.avatar_ids][:2]
    gong.reset()
    proc = _airflow(env, "dags", "test", dag_id, "-c", json.dumps({"user_ids": ids}))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, _explain(proc)
    assert f"SPENT {CALLS_PER_DAY} CALLS" in output, _explain(proc)
    assert "Gong is rate limited: Retry-After" in output, _explain(proc)
    assert f"FETCHED 2 USERS: {sorted(ids)}" in output, _explain(proc)
    assert "state=failed" not in output and "FAILED" not in output, _explain(proc)
    stats = gong.stats()
    # One 429 ended the spending task's loop at the start, one more at its end, one met the sensor.
    assert stats["rate_limited"]["per_day"] >= 2, stats
    assert stats["by_endpoint"]["POST /v2/users/extensive"] == {"200": 1}, stats
    return proc


def test_deferrable_sensor_waits_out_the_daily_limit_in_dags_test(
    gong: GongEmulator, airflow_env: dict[str, str]
) -> None:
    proc = _wait_out_the_day(gong, airflow_env, "gong_rate_limit_wait")
    output = proc.stdout + proc.stderr

    # The sensor met the spent quota, deferred, and the trigger waited it out in-process.
    assert "running trigger in line" in output, _explain(proc)
    waited = re.search(r"Gong answers again after ([0-9.]+) s in the triggerer", output)
    assert waited is not None, _explain(proc)
    assert 1.0 <= float(waited.group(1)) <= DAY_SECONDS + 1, waited.group(0)


def test_reschedule_sensor_waits_out_the_daily_limit_in_dags_test(
    gong: GongEmulator, airflow_env: dict[str, str]
) -> None:
    proc = _wait_out_the_day(gong, airflow_env, "gong_rate_limit_reschedule")
    output = proc.stdout + proc.stderr

    assert "next reschedule in" in output, _explain(proc)
    assert "running trigger in line" not in output, _explain(proc)
    states, reschedules = _sensor_rows(airflow_env, "gong_rate_limit_reschedule")
    # Rescheduled (not slept, not deferred), then done within its first try.
    assert states == [("success", 1)], states
    assert reschedules >= 1, _explain(proc)


def test_reschedule_sensor_times_out_counting_from_its_first_poke_in_dags_test(
    gong: GongEmulator, airflow_env: dict[str, str]
) -> None:
    gong.reset()
    # Gong keeps asking to wait 2 s: only the 5 s timeout, counted across reschedules, can end the wait.
    gong.fail_next(*[{"status": 429, "retry_after": "2"}] * 30)

    proc = _airflow(airflow_env, "dags", "test", "gong_rate_limit_reschedule_timeout")
    output = proc.stdout + proc.stderr

    states, reschedules = _sensor_rows(airflow_env, "gong_rate_limit_reschedule_timeout")
    assert states == [("failed", 1)], _explain(proc)
    assert reschedules >= 1, _explain(proc)
    assert "AirflowSensorTimeout" in output, _explain(proc)
    assert re.search(r"Gong asks to wait 2 s, longer than the [0-2] s left|Sensor has timed out", output), (
        _explain(proc)
    )
    probes = gong.stats()["by_endpoint"]["GET /v2/users"]
    assert probes == {"429": reschedules + 1}, (probes, reschedules)
    assert reschedules <= 4, "the timeout must count from the first poke, not from each reschedule"
