"""A custom XCom backend for tests: a plain ``BaseXCom`` that notes what goes through it.

Configure it with ``AIRFLOW__CORE__XCOM_BACKEND=gong_recording_xcom.RecordingXCom`` (this folder on the
import path). It notes into :data:`RecordingXCom.notes`; with ``GONG_XCOM_NOTES`` set (a file), every
process also appends its notes there as JSON lines, so a real Airflow run can be read back. A unit test
without Airflow's task runner points :data:`RecordingXCom.store` at its fake task instance's XComs, which a
delete then removes from.

Airflow 3's backend deletes by key (``delete(key, task_id, dag_id, run_id, map_index)``); on Airflow 2
the provider finds the stored rows (``get_many``), then purges (``purge``) and deletes each: the class
follows the running Airflow's interface, so the provider is tested against the one its Airflow has.
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, BaseXCom

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

    if AIRFLOW_V_3_0_PLUS:

        @classmethod
        def delete(
            cls, key: str, task_id: str, dag_id: str, run_id: str, map_index: int | None = None
        ) -> None:
            if cls._deleted(key=key, task_id=task_id, dag_id=dag_id, run_id=run_id, map_index=map_index):
                super().delete(key, task_id, dag_id, run_id, map_index)

    else:

        @classmethod
        def get_many(cls, **query: Any) -> Any:  # type: ignore[override]
            """
            Airflow 2's delete asks ``get_many`` for the rows, then purges and deletes each in a session.

            With :attr:`store` set (a unit test, no database) the rows asked for are the ones the provider
            deletes: noted and removed here, and none returned. Without it, the real rows, and
            :meth:`purge` notes each delete (the real-Airflow tests).
            """
            if cls.store is None:
                return super().get_many(**query)
            cls._deleted(
                key=query["key"],
                task_id=query["task_ids"],
                dag_id=query["dag_ids"],
                run_id=query["run_id"],
                map_index=query["map_indexes"],
            )
            return _Rows()

        @staticmethod
        def purge(xcom: Any, session: Any) -> None:
            RecordingXCom._deleted(
                key=xcom.key,
                task_id=xcom.task_id,
                dag_id=xcom.dag_id,
                run_id=xcom.run_id,
                map_index=xcom.map_index,
            )

    @classmethod
    def _deleted(cls, **coordinates: Any) -> bool:
        """Note a delete; remove it from :attr:`store` when set. Whether Airflow must still delete it."""
        _note({"event": "delete", **coordinates})
        if cls.store is None:
            return True
        cls.store.pop(coordinates["key"], None)
        return False


class _Rows(list[Any]):
    """What Airflow 2's ``get_many`` returns, as far as the provider reads it: a query with ``all()``."""

    def all(self) -> list[Any]:
        return list(self)


def read_notes(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The notes a real run appended to ``path``."""
    with open(path, encoding="utf-8") as notes:
        return [json.loads(line) for line in notes if line.strip()]
