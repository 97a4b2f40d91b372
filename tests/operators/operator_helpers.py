"""Helpers of the operator tests: a fake task instance, deferring a task, the files in a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_gong.version_compat import TaskDeferred

__all__ = ["DEFER_FAST", "EXPIRED", "FakeTI", "defer", "names", "task_context"]

#: The hook sleeps out at most 0.5 s itself: a longer Retry-After defers (with ``deferrable=True``).
DEFER_FAST = {"calls_per_second": 0, "max_retry_wait": 0.5}
#: Gong's answer to a cursor kept too long.
EXPIRED = {"status": 400, "body": {"requestId": "req-expired-1", "errors": ["cursor has expired"]}}


class FakeTI:
    """
    The part of a task instance the operator uses: where it is, its map index, XCom push and pull.

    :param task_id: Its task.
    :param map_index: Its map index.
    :param pulled: What an upstream task's XCom holds (an XComArg being resolved).

    A context built around it holds ``run_id`` and ``expanded_ti_count`` as a worker's does: Airflow 2
    reads them when it resolves an XComArg or expands a mapped task.
    """

    dag_id, run_id = "gong_dag", "manual__2024-01-01"

    def __init__(self, task_id: str = "users", map_index: int = -1, pulled: Any = None) -> None:
        self.task_id = task_id
        self.map_index = map_index
        self.pulled = pulled
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = json.loads(json.dumps(value))  # stored as JSON, like Airflow does

    def xcom_pull(self, task_ids: str, key: str, map_indexes: Any = None, **_: Any) -> Any:
        if task_ids != self.task_id:  # an upstream task's XCom (an XComArg being resolved)
            assert map_indexes is None, "no mapped task group: the upstream task's whole XCom"
            return self.pulled
        assert map_indexes == self.map_index, "a task reads its own XComs, of its own map index"
        return self.xcoms.get(key)

    def get_relevant_upstream_map_indexes(self, upstream: Any, ti_count: int | None, **_: Any) -> None:
        """
        Which of an upstream task's map indexes an XComArg pulls: Airflow 2's ``XComArg.resolve`` asks.

        ``None``, the whole XCom, as Airflow 2's task instance answers when no mapped task group holds
        both tasks (none of the tests has one; the Task SDK finds the same without asking).
        """
        assert upstream.task_id != self.task_id, "an XComArg names an upstream task"


def task_context(ti: FakeTI, **more: Any) -> dict[str, Any]:
    """
    A worker's task context around ``ti``, as far as rendering and ``execute`` read it.

    :param ti: The task instance.
    :param more: Further entries (``dag``, ``params``, ...). ``expanded_ti_count`` (how many map indexes
        the task has) is ``None`` unless given: only Airflow 2 reads it, passing it to
        :meth:`FakeTI.get_relevant_upstream_map_indexes`, which needs it for mapped task groups only.
    """
    return {"ti": ti, "run_id": ti.run_id, "expanded_ti_count": None, **more}


def defer(op: Any, context: dict[str, Any]) -> TaskDeferred:
    """Render and execute ``op`` like a worker does; return the ``TaskDeferred`` it must raise."""
    op.render_template_fields(context)
    with pytest.raises(TaskDeferred) as caught:
        op.execute(context)
    return caught.value


def names(directory: Path) -> list[str]:
    """The names in a folder, sorted."""
    return sorted(path.name for path in directory.iterdir())
