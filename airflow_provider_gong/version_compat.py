"""Every Airflow interface the provider uses, imported in this one module, for Airflow 2.11 through 3.3.

Product code imports Airflow's classes and functions from here, never from ``airflow`` directly, so the
Airflow versions the provider supports differ in this module only. Most names come through the official
compatibility provider (``airflow.providers.common.compat.sdk``, which tries the Task SDK first and then
the Airflow 2 location); the few it does not carry are listed below with their locations, newest first.
Where Airflow 2 has no public interface for what Airflow 3's Task SDK offers (the first reschedule of a
sensor, deleting one XCom), a function here does the same through Airflow 2's own models, which its tasks
may use.

Each name is imported on first use (:pep:`562`), so a module that needs one name (the errors need
:class:`AirflowException`) does not load the operator and hook machinery with it: the client core
(:mod:`airflow_provider_gong.client`) stays light.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import airflow

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import (
        Asset,
        AssetAlias,
        BaseHook,
        BaseOperator,
        BaseSensorOperator,
        Connection,
        Context,
        ObjectStoragePath,
        Variable,
        conf,
    )
    from airflow.sdk.bases.xcom import BaseXCom
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowRescheduleException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
        TaskDeferred,
    )
    from airflow.sdk.lineage import get_hook_lineage_collector
    from airflow.sdk.log import mask_secret
    from airflow.triggers.base import BaseTrigger, TriggerEvent

__all__ = [
    "AIRFLOW_VERSION",
    "AIRFLOW_V_3_0_PLUS",
    "AIRFLOW_V_3_1_PLUS",
    "AIRFLOW_V_3_2_PLUS",
    "AIRFLOW_V_3_3_PLUS",
    "TRIGGER_FAIL_REPR",
    "AirflowException",
    "AirflowFailException",
    "AirflowRescheduleException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "Asset",
    "AssetAlias",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "BaseTrigger",
    "BaseXCom",
    "Connection",
    "Context",
    "ObjectStoragePath",
    "OperatorLineage",
    "TaskDeferred",
    "TriggerEvent",
    "Variable",
    "amask_secret",
    "conf",
    "delete_xcom",
    "get_async_connection",
    "get_hook_lineage_collector",
    "mask_secret",
    "reschedules",
    "schedule_fields",
]


def _version(text: str) -> tuple[int, int, int]:
    """The release of a version string as three numbers (``"3.3.2rc1"`` gives ``(3, 3, 2)``)."""
    found = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if found is None:
        return (0, 0, 0)
    major, minor, patch = (int(group or 0) for group in found.groups())
    return (major, minor, patch)


#: The running Airflow's release, e.g. ``(3, 3, 2)``.
AIRFLOW_VERSION = _version(airflow.__version__)
AIRFLOW_V_3_0_PLUS = AIRFLOW_VERSION >= (3, 0, 0)
AIRFLOW_V_3_1_PLUS = AIRFLOW_VERSION >= (3, 1, 0)
AIRFLOW_V_3_2_PLUS = AIRFLOW_VERSION >= (3, 2, 0)
AIRFLOW_V_3_3_PLUS = AIRFLOW_VERSION >= (3, 3, 0)

_COMPAT = "airflow.providers.common.compat.sdk"

#: Where each name lives: the modules to try, in order (the first that has it wins).
_SOURCES: dict[str, tuple[str, ...]] = {
    "AirflowException": (_COMPAT,),
    "AirflowFailException": (_COMPAT,),
    "AirflowTaskTimeout": (_COMPAT,),
    "AirflowSensorTimeout": (_COMPAT,),
    "AirflowSkipException": (_COMPAT,),
    "TaskDeferred": (_COMPAT,),
    "BaseHook": (_COMPAT,),
    "BaseOperator": (_COMPAT,),
    "BaseSensorOperator": (_COMPAT,),
    "Connection": (_COMPAT,),
    "Context": (_COMPAT,),
    "ObjectStoragePath": (_COMPAT,),
    "conf": (_COMPAT,),
    "mask_secret": (_COMPAT,),
    "Variable": (_COMPAT,),
    # Lineage: ``airflow.sdk`` on Airflow 3 (Asset, AssetAlias; the collector in ``airflow.sdk.lineage``
    # from 3.2, ``airflow.lineage.hook`` before); Airflow 2.11's Dataset, DatasetAlias and
    # ``airflow.lineage.hook`` under the Airflow 3 names (common-compat renames them; its lineage module
    # gives Airflow 2.11's collector the ``*_asset`` methods).
    "Asset": (_COMPAT,),
    "AssetAlias": (_COMPAT,),
    "get_hook_lineage_collector": ("airflow.providers.common.compat.lineage.hook",),
    # The OpenLineage provider (optional extra ``openlineage``): the same module on every version.
    "OperatorLineage": ("airflow.providers.openlineage.extractors",),
    # Not in common-compat: the Task SDK's location, then Airflow 2's.
    "AirflowRescheduleException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "BaseXCom": ("airflow.sdk.bases.xcom", "airflow.models.xcom"),
    "BaseTrigger": ("airflow.triggers.base",),
    "TriggerEvent": ("airflow.triggers.base",),
}

#: The ``next_method`` a task resumes with when Airflow ended its deferral (timeout, trigger failure):
#: a constant of the Task SDK on Airflow 3, the same literal in Airflow 2's ``resume_execution``.
TRIGGER_FAIL_REPR = "__fail__"


def _find(name: str, sources: tuple[str, ...]) -> Any:
    """``name`` from the first of ``sources`` (module paths) that has it, or ``None``."""
    for source in sources:
        try:
            return getattr(importlib.import_module(source), name)
        except (ImportError, AttributeError):
            continue
    return None


def __getattr__(name: str) -> Any:
    sources = _SOURCES.get(name)
    if sources is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = _find(name, sources)
    if value is None:
        raise ImportError(f"{name} is in none of {', '.join(sources)} (Airflow {airflow.__version__})")
    globals()[name] = value
    return value


async def get_async_connection(conn_id: str) -> Connection:
    """
    The connection ``conn_id``, looked up without blocking the event loop, on every Airflow version.

    common-compat's lookup: ``BaseHook.aget_connection`` where it is safe (Airflow >= 3.3.2), else the
    synchronous lookup in a worker thread (before 3.3.2 ``aget_connection`` can raise
    ``DeadlockImminentError`` in the triggerer; Airflow 2 has no asynchronous lookup at all).

    :param conn_id: The connection id.
    """
    from airflow.providers.common.compat.connection import get_async_connection as lookup  # noqa: PLC0415

    return await lookup(conn_id)


async def amask_secret(secret: str) -> None:
    """
    Mask ``secret`` in the logs, from a coroutine.

    The Task SDK's ``amask_secret`` where there is one (Airflow >= 3.3); else ``mask_secret`` in a worker
    thread, since on Airflow 3.0 to 3.2 it tells the triggerer's supervisor synchronously, which must not
    happen on the event loop.

    :param secret: The value to mask.
    """
    masker = _find("amask_secret", ("airflow.sdk.log",))
    if masker is not None:
        await masker(secret)
        return
    await asyncio.to_thread(__getattr__("mask_secret"), secret)


def reschedules(context: Context) -> tuple[datetime | None, int]:
    """
    A rescheduled sensor's state: when its first reschedule started, and how many reschedules so far.

    As Airflow's own sensors count: on Airflow 3 ``ti.get_first_reschedule_date`` and
    ``task_reschedule_count`` of the Task SDK (Airflow 3 drops a try's reschedules when the next try
    starts, so both are of this try); on Airflow 2, which puts neither in the context, the task's
    ``TaskReschedule`` rows: the start from the task's first try on (across retries; a cleared task starts
    again), the count of this try.

    :param context: The task context.
    :return: ``(None, 0)`` before the first reschedule.
    """
    ti = context["ti"]
    if AIRFLOW_V_3_0_PLUS:
        first_date = ti.get_first_reschedule_date(context)
        if isinstance(first_date, str):
            # The API's ISO text, unparsed: ``airflow dags test`` of 3.0 and early 3.1 (apache/airflow#58777).
            first_date = datetime.fromisoformat(first_date)
            if first_date.tzinfo is None:
                first_date = first_date.replace(tzinfo=UTC)
        return first_date, int(context.get("task_reschedule_count") or 0)
    # Airflow 2 only, where these modules exist: imported here, not at the top.
    from airflow.models.taskreschedule import TaskReschedule  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415
    from sqlalchemy import func, select  # noqa: PLC0415

    first_try = (ti.max_tries or 0) - (context["task"].retries or 0) + 1
    same_task = (
        TaskReschedule.dag_id == ti.dag_id,
        TaskReschedule.task_id == ti.task_id,
        TaskReschedule.run_id == ti.run_id,
        TaskReschedule.map_index == ti.map_index,
    )
    with create_session() as session:
        first = session.scalar(
            select(TaskReschedule.start_date)
            .where(*same_task, TaskReschedule.try_number >= first_try)
            .order_by(TaskReschedule.id.asc())
            .limit(1)
        )
        count = session.scalar(
            select(func.count()).where(*same_task, TaskReschedule.try_number == ti.try_number)
        )
    return first, int(count or 0)


def delete_xcom(backend: type[BaseXCom], ti: Any, key: str) -> None:
    """
    Delete the XCom ``key`` of task instance ``ti`` through the XCom backend ``backend``.

    ``BaseXCom.delete`` by key on Airflow 3; on Airflow 2 the rows ``get_many`` finds for this task instance
    and key, each purged by the backend (what a custom backend keeps outside the database) and then deleted,
    in one session.

    :param backend: The XCom backend class (``[core] xcom_backend``).
    :param ti: The task instance.
    :param key: The XCom key.
    """
    if AIRFLOW_V_3_0_PLUS:
        backend.delete(
            key=key, task_id=ti.task_id, dag_id=ti.dag_id, run_id=ti.run_id, map_index=ti.map_index
        )
        return
    # Not ``backend.delete(rows)``: Airflow 2's refuses every row unless the backend is BaseXCom itself
    # (``get_many`` returns BaseXCom rows, ``delete`` wants the configured class). Its own ``XCom.clear``
    # deletes as here: the backend's ``purge`` (what it keeps outside the database), then the row.
    from airflow.utils.session import create_session  # noqa: PLC0415

    with create_session() as session:
        rows = backend.get_many(  # type: ignore[attr-defined]
            key=key,
            run_id=ti.run_id,
            dag_ids=ti.dag_id,
            task_ids=ti.task_id,
            map_indexes=ti.map_index,
            session=session,
        ).all()
        for row in rows:
            backend.purge(row, session)
            session.delete(row)


def schedule_fields(timetable: Any) -> dict[str, Any]:
    """
    What a DAG's timetable declares: ``expression`` (cron, presets resolved), ``expressions`` (several),
    ``delta`` (a ``timedelta``) and ``timezone`` (a ``tzinfo``, a zone name or an offset in seconds), as far
    as it has them; ``{}`` for a timetable without a fixed schedule.

    Airflow before 3.2 gives the scheduler's timetable, whose public ``serialize()`` holds them; from 3.2 a
    task sees the Task SDK's declaration, whose public fields hold them.

    :param timetable: ``dag.timetable``.
    """
    serialize = getattr(timetable, "serialize", None)
    if callable(serialize):
        fields = serialize()
        return dict(fields) if isinstance(fields, dict) else {}
    found: dict[str, Any] = {}
    for name in ("expression", "delta", "timezone"):
        if hasattr(timetable, name):
            found[name] = getattr(timetable, name)
    crons = getattr(timetable, "timetables", None)
    if isinstance(crons, list):
        found["expressions"] = [getattr(each, "expression", None) for each in crons]
        if crons:
            found["timezone"] = getattr(crons[0], "timezone", None)
    return found
