"""Shared pieces of the sensor tests (a plain module: pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from airflow.providers.common.compat.sdk import DAG, DagRunState

from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger
from airflow_provider_gong.version_compat import (
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    TaskDeferred,
)

RunTrigger = Callable[[Any], list[dict[str, Any]]]
#: ``(soft_fail, what a timeout raises)``: a sensor's timeout fails it, or skips it with ``soft_fail``.
TIMEOUT_OUTCOMES = [(False, AirflowSensorTimeout), (True, AirflowSkipException)]


class RescheduleContext(Protocol):
    """
    The ``reschedule_context`` fixture (this folder's ``conftest.py``): the context of ``sensor`` in
    reschedule mode after ``reschedules`` reschedules of its try, the first ``first_poke_ago`` seconds ago.
    """

    def __call__(
        self, sensor: BaseSensorOperator, *, reschedules: int = 0, first_poke_ago: float | None = None
    ) -> dict[str, Any]: ...


class RescheduleTI:
    """
    The Task SDK's side of a sensor in reschedule mode (Airflow 3), faked: the first reschedule date.

    Its context carries the other half, ``task_reschedule_count`` (see ``reschedule_context`` in this
    folder's ``conftest.py``, which builds both, and on Airflow 2 real ``TaskReschedule`` rows instead).

    :param first_poke_ago: Seconds since the first poke of the task's try (``None``: never rescheduled
        yet, so this poke is the first).
    :param as_text: Hand the date over as the API's ISO text, as Airflow 3.0's ``airflow dags test`` does
        (apache/airflow#58777).
    """

    def __init__(self, first_poke_ago: float | None = None, *, as_text: bool = False) -> None:
        self.first: datetime | str | None = None
        if first_poke_ago is not None:
            self.first = datetime.now(UTC) - timedelta(seconds=first_poke_ago)
            if as_text:
                self.first = self.first.isoformat().replace("+00:00", "Z")

    def get_first_reschedule_date(self, context: Any) -> datetime | str | None:
        return self.first


class Airflow2MetadataDB:
    """
    Real DAG runs, task instances and reschedules in the migrated SQLite database of Airflow 2's ORM.

    Only through the ``airflow_2_metadata_db`` fixture, which points the ORM there for one test. Every
    task instance is in a DAG of its own (a fresh id), so tests do not see each other's rows.
    """

    def task_instances(self, *sensors: BaseSensorOperator, try_number: int = 1) -> list[Any]:
        """
        The task instances of ``sensors`` in one new run of a new DAG (the sensors join it), running now.

        :param sensors: Sensors without a DAG yet.
        :param try_number: The try running now (Airflow 2 counts it up when the scheduler queues a try).
        """
        from airflow.utils.session import create_session  # Airflow 2 only

        now = datetime.now(UTC)
        dag = DAG(dag_id=f"gong_sensor_{uuid.uuid4().hex}", schedule=None, start_date=now - timedelta(days=1))
        for sensor in sensors:
            sensor.dag = dag
        with create_session() as session:
            run = dag.create_dagrun(
                state=DagRunState.RUNNING,
                run_id=f"manual__{now.isoformat()}",
                execution_date=now,
                data_interval=(now, now),
                session=session,
            )
            tis = [run.get_task_instance(sensor.task_id, session=session) for sensor in sensors]
            for ti in tis:
                ti.try_number = try_number
        for ti, sensor in zip(tis, sensors, strict=True):
            ti.task = sensor
        return tis

    def task_instance(self, sensor: BaseSensorOperator, *, try_number: int = 1) -> Any:
        """The task instance of ``sensor`` alone (:meth:`task_instances`)."""
        (ti,) = self.task_instances(sensor, try_number=try_number)
        return ti

    def add_reschedules(self, ti: Any, starts: list[datetime], *, try_number: int | None = None) -> None:
        """
        Record a reschedule of ``ti`` for each start (a poke that rescheduled), as Airflow 2 does.

        :param ti: The task instance.
        :param starts: When each rescheduled poke started, in order.
        :param try_number: The try they belong to (default: ``ti``'s).
        """
        from airflow.models.taskreschedule import TaskReschedule  # Airflow 2 only
        from airflow.utils.session import create_session

        number = ti.try_number if try_number is None else try_number
        with create_session() as session:
            for start in starts:
                session.add(
                    TaskReschedule(
                        ti.task_id, ti.dag_id, ti.run_id, number, start, start, start, map_index=ti.map_index
                    )
                )

    def clear(self, ti: Any) -> Any:
        """
        Clear ``ti`` as ``airflow tasks clear`` does (``DAG.clear``); return it as its next run sees it.

        :param ti: A task instance that is not running.
        """
        from airflow.utils.session import create_session  # Airflow 2 only

        with create_session() as session:
            ti.task.dag.clear(task_ids=[ti.task_id], session=session)
        ti.refresh_from_db()
        ti.try_number += 1  # the scheduler's, when it queues the next try
        return ti

    def context(
        self, sensor: BaseSensorOperator, *, reschedules: int = 0, first_poke_ago: float | None = None
    ) -> dict[str, Any]:
        """``reschedule_context`` on Airflow 2: the reschedules evenly spread from the first to now."""
        check_reschedules(reschedules, first_poke_ago)
        ti = self.task_instance(sensor)
        if first_poke_ago is not None:
            first = datetime.now(UTC) - timedelta(seconds=first_poke_ago)
            step = timedelta(seconds=first_poke_ago / reschedules)
            self.add_reschedules(ti, [first + step * number for number in range(reschedules)])
        return {"ti": ti, "task": sensor}


def check_reschedules(reschedules: int, first_poke_ago: float | None) -> None:
    """Reject a reschedule state no Airflow records: a first reschedule date without reschedules, or back."""
    if (reschedules > 0) != (first_poke_ago is not None):
        raise ValueError("the first poke is in the past exactly when the sensor was rescheduled before")


def list_calls(gong: GongEmulator) -> dict[str, int]:
    """The emulator's answers to the sensor's probe (``GET /v2/users``), by status."""
    return gong.stats()["by_endpoint"].get("GET /v2/users", {})


def seconds_until(moment: datetime | str) -> float:
    """Seconds from now until ``moment`` (a ``datetime`` or ISO-8601 text), negative when past."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return (when - datetime.now(UTC)).total_seconds()


def env_connection(monkeypatch: pytest.MonkeyPatch, host: str, conn_id: str = "gong_http") -> str:
    """Define a Basic-auth Gong connection to ``host`` through ``AIRFLOW_CONN_<ID>``; return its id."""
    conn = {
        "conn_type": "gong",
        "host": host,
        "login": "test-access-key",
        "password": "test-access-secret-0001",
        "extra": {"calls_per_second": 0},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return conn_id


def deferral(run: Callable[[], Any]) -> tuple[TaskDeferred, GongRateLimitTrigger]:
    """Call ``run``, which must defer to a :class:`GongRateLimitTrigger`; return the deferral and it."""
    with pytest.raises(TaskDeferred) as caught:
        run()
    trigger = caught.value.trigger
    assert isinstance(trigger, GongRateLimitTrigger)
    return caught.value, trigger
