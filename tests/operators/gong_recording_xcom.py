"""A custom XCom backend for tests: a plain ``BaseXCom`` that notes what goes through it.

Configure it with ``AIRFLOW__CORE__XCOM_BACKEND=gong_recording_xcom.RecordingXCom`` (this folder on the
import path). It notes into :data:`RecordingXCom.notes`; with ``GONG_XCOM_NOTES`` set (a file), every
process also appends its notes there as JSON lines, so a real Airflow run can be read back. A unit test
without Airflow's task runner points :data:`RecordingXCom.store` at its fake task instance's XComs, which a
delete then removes from.
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

from airflow.sdk.bases.xcom import BaseXCom

__all__ = ["RecordingXCom", "read_notes"]


def _note(note: dict[str, Any]) -> None:
    RecordingXCom.notes.append(note)
    path = os.environ.get("GONG_XCOM_NOTES")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(note) + "\n")


class RecordingXCom(BaseXCom):
    """``BaseXCom`` noting each value stored (key, and length of a list) and each delete (its ``purge``)."""

    notes: ClassVar[list[dict[str, Any]]] = []
    store: ClassVar[dict[str, Any] | None] = None

    @staticmethod
    def serialize_value(
        value: Any,
        *,
        key: str | None = None,
        task_id: str | None = None,
        dag_id: str | None = None,
        run_id: str | None = None,
        map_index: int | None = None,
    ) -> str:
        if key is not None:
            _note({"event": "set", "key": key, "items": len(value) if isinstance(value, list) else None})
        return BaseXCom.serialize_value(value)

    @classmethod
    def delete(cls, key: str, task_id: str, dag_id: str, run_id: str, map_index: int | None = None) -> None:
        coordinates = {
            "key": key,
            "task_id": task_id,
            "dag_id": dag_id,
            "run_id": run_id,
            "map_index": map_index,
        }
        _note({"event": "delete", **coordinates})
        if cls.store is not None:
            cls.store.pop(key, None)
        else:
            super().delete(key, task_id, dag_id, run_id, map_index)


def read_notes(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The notes a real run appended to ``path``."""
    with open(path, encoding="utf-8") as notes:
        return [json.loads(line) for line in notes if line.strip()]
