"""Where GongUserOperator puts the users it fetched until the fetch ends: a file, or XCom.

A sink survives a deferral: :meth:`Sink.pause` keeps what was collected (a part file, an XCom part) and
returns the small JSON that finds it again, which travels in the trigger's payload to the resumed task.
Every sink can tell the ids of the users it stored before a deferral (:meth:`Sink.stored_ids`), so a
listing that must restart from Gong's first page skips them: read from the stored users, or, when
``fields`` dropped ``id``, from a side list of ids kept with each part.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid
from typing import TYPE_CHECKING, Any

from airflow.sdk import ObjectStoragePath
from airflow.sdk.bases.xcom import BaseXCom
from airflow.sdk.execution_time.xcom import XCom

from airflow_provider_gong.exceptions import GongError, GongResultTooLargeError

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["XCOM_PART_KEY", "FileSink", "Sink", "XComSink", "remove_stale_parts", "xcom_size"]

#: XCom key prefix of the users a deferred task fetched before the deferral (no ``output_path``).
XCOM_PART_KEY = "gong_users_part"
#: Size of the empty list in XCom, and what each further item adds besides its own size (``", "``).
_EMPTY_LIST_SIZE = len(json.dumps([]))
_ITEM_SEPARATOR_SIZE = len(json.dumps([0, 0])) - len(json.dumps([0])) - len(json.dumps(0))


def xcom_size(value: Any) -> int:
    """
    The bytes a value takes in Airflow's metadata database when pushed to XCom.

    Measured as Airflow stores it: the XCom serialisation (``BaseXCom.serialize_value``), written to the
    database's JSON column by ``json.dumps`` with its defaults (``", "`` and ``": "`` separators, non-ASCII
    escaped).

    :param value: The value to push, e.g. a list of user dicts.
    """
    return len(json.dumps(BaseXCom.serialize_value(value)).encode())


def too_large(task_id: str, count: int, size: int, limit: int) -> GongResultTooLargeError:
    """The error for a result over ``max_xcom_bytes``, naming the remedies."""
    return GongResultTooLargeError(
        f"{task_id}: {count} users are already {size:,} bytes in XCom, over max_xcom_bytes ({limit:,}); "
        "XCom is for small values. Set output_path (e.g. 's3://bucket/gong/{{ ds }}/users.jsonl' or "
        "'file:///data/gong/users.jsonl') to write them as JSON Lines and pass {path, count} instead, keep "
        "fewer keys with fields=[...], or raise max_xcom_bytes"
    )


class Sink:
    """Where fetched users go until the fetch ends; survives a deferral (``pause``) and resumes."""

    count: int

    def add(self, record: dict[str, Any], user_id: str | None) -> None:
        """
        Store one user.

        :param record: What to keep of the user (after ``fields``).
        :param user_id: The user's id, kept aside even when ``record`` has no ``id``.
        """
        raise NotImplementedError

    def pause(self) -> dict[str, Any]:
        """Keep what was collected so far; return the small JSON that finds it again."""
        raise NotImplementedError

    def finish(self) -> list[dict[str, Any]] | dict[str, Any]:
        """Return the result: every user stored, or where they were written."""
        raise NotImplementedError

    def discard(self) -> None:
        """Remove everything this sink stored, in this segment and the earlier ones; idempotent."""
        raise NotImplementedError

    def stored_ids(self) -> set[str]:
        """The ids of the users stored in earlier segments (before the deferrals)."""
        raise NotImplementedError


def _stopped() -> GongError:
    return GongError("the fetch was stopped (the task is being killed): its users were discarded")


class FileSink(Sink):
    """
    JSON Lines into hidden part files next to the target, one per run segment; joined at the end.

    The target appears only when every user was fetched (one rename of a complete file). When the stored
    users have no ``id``, each part has a side file ``<part>.ids`` with their ids (a JSON list).

    :param path: The target.
    :param progress: What :meth:`pause` returned before the deferral, or ``{}`` for a new fetch.
    :param ids_aside: Whether the stored users lack their ``id`` (``fields`` dropped it).
    """

    def __init__(self, path: ObjectStoragePath, progress: dict[str, Any], *, ids_aside: bool) -> None:
        self.path = path
        self.ids_aside = ids_aside
        self.token = str(progress.get("token") or uuid.uuid4().hex)
        self.parts = int(progress.get("parts") or 0)
        self.count = int(progress.get("count") or 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._current = self._part(self.parts)
        self._out: Any = None
        self._ids: list[str] = []
        self._discarded = False

    def _part(self, number: int) -> ObjectStoragePath:
        return self.path.parent / f".{self.path.name}.{self.token}.part{number:04d}"

    def _ids_file(self, number: int) -> ObjectStoragePath:
        return self.path.parent / f".{self.path.name}.{self.token}.part{number:04d}.ids"

    def _joined(self) -> ObjectStoragePath:
        return self.path.parent / f".{self.path.name}.{self.token}.partial"

    def add(self, record: dict[str, Any], user_id: str | None) -> None:
        if self._discarded:
            raise _stopped()
        if self._out is None:
            self._out = self._current.open("w", encoding="utf-8")  # type: ignore[no-untyped-call]
        self._out.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self.count += 1
        if self.ids_aside and user_id is not None:
            self._ids.append(user_id)

    def _close(self) -> None:
        if self._out is None:
            self._current.touch()
        else:
            self._out.close()
            self._out = None

    def pause(self) -> dict[str, Any]:
        self._close()
        if self.ids_aside:
            self._ids_file(self.parts).write_text(json.dumps(self._ids), encoding="utf-8")
        return {"token": self.token, "parts": self.parts + 1, "count": self.count}

    def finish(self) -> dict[str, Any]:
        self._close()
        if self.parts == 0:
            self._current.replace(self.path)
        else:
            self._check_earlier_parts()
            joined = self._joined()
            with joined.open("wb") as out:  # type: ignore[no-untyped-call]
                for number in range(self.parts + 1):
                    with self._part(number).open("rb") as part:  # type: ignore[no-untyped-call]
                        shutil.copyfileobj(part, out)
            joined.replace(self.path)
            self._remove(self.parts + 1)
        return {"path": str(self.path), "count": self.count}

    def discard(self) -> None:
        self._discarded = True
        if self._out is not None:
            self._out.close()
            self._out = None
        self._remove(self.parts + 1)
        self._joined().unlink(missing_ok=True)

    def stored_ids(self) -> set[str]:
        self._check_earlier_parts()
        ids: set[str] = set()
        for number in range(self.parts):
            if self.ids_aside:
                ids.update(str(uid) for uid in json.loads(self._ids_file(number).read_text(encoding="utf-8")))
                continue
            with self._part(number).open("r", encoding="utf-8") as part:  # type: ignore[no-untyped-call]
                ids.update(str(json.loads(line)["id"]) for line in part if line.strip())
        return ids

    def _check_earlier_parts(self) -> None:
        for number in range(self.parts):
            kept_files = [self._part(number), *([self._ids_file(number)] if self.ids_aside else [])]
            for kept in kept_files:
                if not kept.exists():
                    raise GongError(
                        f"the users fetched before the deferral are gone ({kept} is missing: removed by "
                        f"another run writing {self.path}?); clear the task to fetch again"
                    )

    def _remove(self, parts: int) -> None:
        for number in range(parts):
            self._part(number).unlink(missing_ok=True)
            self._ids_file(number).unlink(missing_ok=True)


def remove_stale_parts(path: ObjectStoragePath, log: logging.Logger | Any) -> None:
    """
    Remove the part files earlier tries or runs left next to ``path`` (cleared or killed while deferred).

    Only names this module writes for this target are removed: ``.<name>.<32 hex>.partNNNN``, its
    ``.ids`` side file and ``.<name>.<32 hex>.partial``.

    :param path: The target of a new fetch.
    :param log: Where to say what was removed.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{32}}\.(part[0-9]{{4}}(\.ids)?|partial)")
    if not path.parent.is_dir():
        return
    stale = [entry for entry in path.parent.iterdir() if pattern.fullmatch(entry.name)]
    for entry in stale:
        entry.unlink(missing_ok=True)
    if stale:
        log.warning(
            "Removed %d stale part file(s) an earlier try or run left next to %s: %s",
            len(stale),
            path,
            ", ".join(sorted(entry.name for entry in stale)),
        )


class XComSink(Sink):
    """
    Users in memory, bounded by ``max_xcom_bytes`` as they come; across a deferral each segment waits in XCom.

    When the stored users have no ``id``, each part (key ``gong_users_part_N``) has a side XCom
    ``gong_users_part_N_ids`` with their ids.

    :param context: The task context (its ``ti`` pushes and pulls the parts).
    :param progress: What :meth:`pause` returned before the deferral, or ``{}`` for a new fetch.
    :param ids_aside: Whether the stored users lack their ``id`` (``fields`` dropped it).
    :param task_id: For messages.
    :param limit: ``max_xcom_bytes``.
    :param log: Where to report a part that could not be deleted.
    """

    def __init__(
        self,
        context: Context,
        progress: dict[str, Any],
        *,
        ids_aside: bool,
        task_id: str,
        limit: int,
        log: logging.Logger | Any,
    ) -> None:
        self.context = context
        self.ids_aside = ids_aside
        self.task_id = task_id
        self.limit = limit
        self.log = log
        self.parts = int(progress.get("parts") or 0)
        self.count = int(progress.get("count") or 0)
        #: XCom size of every user stored so far, as one list (earlier segments included).
        self.bytes = int(progress.get("bytes") or _EMPTY_LIST_SIZE)
        self.users: list[dict[str, Any]] = []
        self._ids: list[str] = []
        self._discarded = False

    def add(self, record: dict[str, Any], user_id: str | None) -> None:
        if self._discarded:
            raise _stopped()
        size = self.bytes + xcom_size(record) + (_ITEM_SEPARATOR_SIZE if self.count else 0)
        if size > self.limit:
            raise too_large(self.task_id, self.count + 1, size, self.limit)
        self.bytes = size
        self.users.append(record)
        self.count += 1
        if self.ids_aside and user_id is not None:
            self._ids.append(user_id)

    @staticmethod
    def _key(number: int) -> str:
        return f"{XCOM_PART_KEY}_{number}"

    def pause(self) -> dict[str, Any]:
        ti = self.context["ti"]
        ti.xcom_push(key=self._key(self.parts), value=self.users)
        if self.ids_aside:
            ti.xcom_push(key=f"{self._key(self.parts)}_ids", value=self._ids)
        return {"parts": self.parts + 1, "count": self.count, "bytes": self.bytes}

    def _pull(self, key: str) -> list[Any]:
        ti = self.context["ti"]
        part = ti.xcom_pull(task_ids=ti.task_id, key=key, map_indexes=ti.map_index)
        if not isinstance(part, list):
            raise GongResultTooLargeError(
                f"{self.task_id}: the users fetched before the deferral are gone from XCom (key {key}); "
                "clear the task to fetch again"
            )
        return part

    def finish(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        for number in range(self.parts):
            result.extend(self._pull(self._key(number)))
        result.extend(self.users)
        self._delete_parts()  # the result goes to return_value: do not keep every user twice
        return result

    def discard(self) -> None:
        self._discarded = True
        self.users = []
        self._delete_parts()

    def stored_ids(self) -> set[str]:
        ids: set[str] = set()
        for number in range(self.parts):
            if self.ids_aside:
                ids.update(str(uid) for uid in self._pull(f"{self._key(number)}_ids"))
            else:
                ids.update(str(user["id"]) for user in self._pull(self._key(number)))
        return ids

    def _delete_parts(self) -> None:
        ti = self.context.get("ti") if self.parts else None
        if ti is None:
            return
        for number in range(self.parts):
            keys = [self._key(number), *([f"{self._key(number)}_ids"] if self.ids_aside else [])]
            for key in keys:
                try:
                    XCom.delete(
                        key=key,
                        task_id=ti.task_id,
                        dag_id=ti.dag_id,
                        run_id=ti.run_id,
                        map_index=ti.map_index,
                    )
                except Exception as err:  # cleanup only: the users are safe in return_value or refetched
                    self.log.warning("could not delete XCom %s: %s", key, err)
