"""Helpers of the operator tests: a fake task instance, deferring a task, the files in a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

__all__ = ["DEFER_FAST", "EXPIRED", "FakeTI", "defer", "names"]

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
            return self.pulled
        assert map_indexes == self.map_index, "a task reads its own XComs, of its own map index"
        return self.xcoms.get(key)


def defer(op: Any, context: dict[str, Any]) -> TaskDeferred:
    """Render and execute ``op`` like a worker does; return the ``TaskDeferred`` it must raise."""
    op.render_template_fields(context)
    with pytest.raises(TaskDeferred) as caught:
        op.execute(context)
    return caught.value


def names(directory: Path) -> list[str]:
    """The names in a folder, sorted."""
    return sorted(path.name for path in directory.iterdir())
