"""Fixtures of the sensor tests: the task context of a sensor in reschedule mode, on every Airflow version.

A rescheduled sensor's state lives in Airflow (:func:`airflow_provider_gong.version_compat.reschedules`):
on Airflow 3 the Task SDK hands it over (``ti.get_first_reschedule_date``, ``task_reschedule_count`` in the
context), which the tests fake at that interface (:class:`~sensor_helpers.RescheduleTI`); on Airflow 2 the
sensor reads its task's ``TaskReschedule`` rows from the metadata database, so the tests give it a real
one: a migrated SQLite database, a real DAG run and task instance, real reschedule rows
(:class:`~sensor_helpers.Airflow2MetadataDB`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_home import AirflowHome
from sensor_helpers import Airflow2MetadataDB, RescheduleContext, RescheduleTI, check_reschedules

from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, BaseSensorOperator


@pytest.fixture
def reschedule_context(request: pytest.FixtureRequest) -> RescheduleContext:
    """
    The context of a sensor in reschedule mode: call it with the sensor, how many times its try was
    rescheduled before this poke, and how many seconds ago the first of those rescheduled pokes started.

    Airflow 3: the Task SDK's interface, faked (:class:`~sensor_helpers.RescheduleTI`). Airflow 2: a real
    task instance in a migrated metadata database (``airflow_2_metadata_db``), with one real
    ``TaskReschedule`` row per reschedule, the first ``first_poke_ago`` seconds ago.
    """
    if not AIRFLOW_V_3_0_PLUS:
        db: Airflow2MetadataDB = request.getfixturevalue("airflow_2_metadata_db")
        return db.context

    def sdk_context(
        sensor: BaseSensorOperator, *, reschedules: int = 0, first_poke_ago: float | None = None
    ) -> dict[str, Any]:
        check_reschedules(reschedules, first_poke_ago)
        return {"ti": RescheduleTI(first_poke_ago), "task": sensor, "task_reschedule_count": reschedules}

    return sdk_context


@pytest.fixture(scope="session")
def _airflow_2_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite database of an Airflow home that ``airflow db migrate`` set up (once per session)."""
    home = AirflowHome(tmp_path_factory.mktemp("airflow-2-metadata"), []).migrate()
    return home.home / "airflow.db"


@pytest.fixture
def airflow_2_metadata_db(
    _airflow_2_database: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Airflow2MetadataDB]:
    """
    Airflow 2's ORM pointed at a migrated SQLite database during one test, then back where it was.

    The suite's own ``AIRFLOW_HOME`` has no migrated database (as in CI's unit tests), and other tests
    keep it that way: only the tests that ask for this fixture see this one.
    """
    if AIRFLOW_V_3_0_PLUS:
        raise RuntimeError("Airflow 3's tasks reach no metadata database: use the Task SDK's interface")
    from airflow import settings  # Airflow 2 only: its tasks use the ORM

    url = f"sqlite:///{_airflow_2_database}"
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", url)
    monkeypatch.setattr(settings, "SQL_ALCHEMY_CONN", url)
    # Put back after the test: the suite's own engine and session factory.
    monkeypatch.setattr(settings, "engine", settings.engine)
    monkeypatch.setattr(settings, "Session", settings.Session)
    settings.configure_orm()
    try:
        yield Airflow2MetadataDB()
    finally:
        settings.Session.remove()
        settings.engine.dispose()
