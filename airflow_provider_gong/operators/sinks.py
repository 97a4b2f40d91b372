"""Where a Gong fetch operator puts the records it fetched until the fetch ends: a file, or XCom.

A sink survives a deferral: :meth:`Sink.pause` keeps what was collected (a part file, an XCom part) and
returns the small JSON that finds it again, which travels in the trigger's payload to the resumed task.
Every sink can tell the ids of the records it stored before a deferral (:meth:`Sink.stored_ids`), so a
listing that must restart from Gong's first page skips them: read from the stored records, or, when
``fields`` dropped the id, from a side list of ids kept with each part.

Only public Airflow interfaces are used: the task instance's ``xcom_push`` / ``xcom_pull``, and, to delete
a part, ``delete`` of the XCom backend ``[core] xcom_backend`` names (the class ``xcom_push`` stores
through, so a custom backend also purges what it keeps outside the database).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_gong.exceptions import GongError, GongResultTooLargeError
from airflow_provider_gong.version_compat import BaseXCom, ObjectStoragePath, conf, delete_xcom

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = [
    "FileSink",
    "Sink",
    "XComSink",
    "remove_kept_parts",
    "remove_stale_parts",
    "xcom_backend",
    "xcom_size",
]

#: The id of a record (``None`` when it has none), e.g. its ``id`` or ``metaData.id``.
RecordId = Callable[[Mapping[str, Any]], "str | None"]

#: Size of the empty list in XCom, and what each further item adds besides its own size (``", "``).
_EMPTY_LIST_SIZE = len(json.dumps([]))
_ITEM_SEPARATOR_SIZE = len(json.dumps([0, 0])) - len(json.dumps([0])) - len(json.dumps(0))


def xcom_size(value: Any) -> int:
    """
    The bytes a value takes in Airflow's metadata database when pushed to XCom.

    Measured as Airflow stores it: the XCom serialisation (``BaseXCom.serialize_value``), written to the
    database's JSON column by ``json.dumps`` with its defaults (``", "`` and ``": "`` separators, non-ASCII
    escaped) on Airflow 3; on Airflow 2 the serialisation is already the bytes its binary column holds.

    :param value: The value to push, e.g. a list of user dicts.
    """
    stored = BaseXCom.serialize_value(value)
    if isinstance(stored, bytes):
        return len(stored)
    return len(json.dumps(stored).encode())


def xcom_backend() -> type[BaseXCom]:
    """The XCom backend ``[core] xcom_backend`` names (``BaseXCom`` when unset): what ``xcom_push`` uses."""
    backend = conf.getimport("core", "xcom_backend")
    return backend if isinstance(backend, type) and issubclass(backend, BaseXCom) else BaseXCom


def too_large(
    task_id: str, count: int, size: int, limit: int, noun: str = "users"
) -> GongResultTooLargeError:
    """
    The error for a result over ``max_xcom_bytes``, naming the remedies.

    :param task_id: For the message.
    :param count: The records fetched so far, the one that did not fit included.
    :param size: Their size in XCom.
    :param limit: ``max_xcom_bytes``.
    :param noun: What the records are (``"users"``, ``"calls"``).
    """
    return GongResultTooLargeError(
        f"{task_id}: {count} {noun} are already {size:,} bytes in XCom, over max_xcom_bytes ({limit:,}); "
        f"XCom is for small values. Set output_path (e.g. 's3://bucket/gong/{{{{ ds }}}}/{noun}.jsonl' or "
        f"'file:///data/gong/{noun}.jsonl') to write them as JSON Lines and pass {{path, count}} instead, "
        "keep fewer keys with fields=[...], or raise max_xcom_bytes"
    )


class Sink:
    """Where fetched records go until the fetch ends; survives a deferral (``pause``) and resumes."""

    count: int

    def add(self, record: dict[str, Any], record_id: str | None) -> None:
        """
        Store one record.

        :param record: What to keep of the record (after ``fields``).
        :param record_id: The record's id, kept aside even when ``record`` lost it to ``fields``.
        """
        raise NotImplementedError

    def pause(self) -> dict[str, Any]:
        """Keep what was collected so far; return the small JSON that finds it again."""
        raise NotImplementedError

    def finish(self) -> list[dict[str, Any]] | dict[str, Any]:
        """Return the result: every record stored, or where they were written."""
        raise NotImplementedError

    def discard(self) -> None:
        """Remove everything this sink stored, in this segment and the earlier ones; idempotent."""
        raise NotImplementedError

    def stored_ids(self) -> set[str]:
        """The ids of the records stored in earlier segments (before the deferrals)."""
        raise NotImplementedError


def _stopped(noun: str) -> GongError:
    return GongError(f"the fetch was stopped (the task is being killed): its {noun} were discarded")


def _ids_of(records: Any, record_id: RecordId) -> set[str]:
    return {uid for uid in (record_id(record) for record in records) if uid is not None}


class FileSink(Sink):
    """
    JSON Lines into hidden part files next to the target, one per run segment; joined at the end.

    The target appears only when every record was fetched (one rename of a complete file). When the stored
    records have no id, each part has a side file ``<part>.ids`` with their ids (a JSON list).

    :param path: The target.
    :param progress: What :meth:`pause` returned before the deferral, or ``{}`` for a new fetch.
    :param ids_aside: Whether the stored records lack their id (``fields`` dropped it).
    :param record_id: Reads the id of a stored record (when not ``ids_aside``).
    :param noun: What the records are, for messages (``"users"``).
    """

    def __init__(
        self,
        path: ObjectStoragePath,
        progress: Mapping[str, Any],
        *,
        ids_aside: bool,
        record_id: RecordId,
        noun: str = "users",
    ) -> None:
        self.path = path
        self.ids_aside = ids_aside
        self.record_id = record_id
        self.noun = noun
        self.token = str(progress.get("token") or uuid.uuid4().hex)
        self.parts = int(progress.get("parts") or 0)
        self.count = int(progress.get("count") or 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._current = self._part(self.parts)
        self._out: Any = None
        self._ids: list[str] = []
        self._discarded = False
        # ``on_kill`` discards from another thread (or a signal handler) while ``add`` writes: one at a
        # time (reentrant: a signal handler runs on the thread it interrupted).
        self._lock = threading.RLock()

    def _part(self, number: int, suffix: str = "") -> ObjectStoragePath:
        return self.path.parent / f".{self.path.name}.{self.token}.part{number:04d}{suffix}"

    def _joined(self) -> ObjectStoragePath:
        return self.path.parent / f".{self.path.name}.{self.token}.partial"

    def add(self, record: dict[str, Any], record_id: str | None) -> None:
        line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self._discarded:
                raise _stopped(self.noun)
            if self._out is None:
                self._out = self._current.open("w", encoding="utf-8")  # type: ignore[no-untyped-call]
            self._out.write(line)
            self.count += 1
            if self.ids_aside and record_id is not None:
                self._ids.append(record_id)

    def _close(self) -> None:
        if self._out is None:
            self._current.touch()
        else:
            self._out.close()
            self._out = None

    def pause(self) -> dict[str, Any]:
        self._close()
        if self.ids_aside:
            self._part(self.parts, ".ids").write_text(json.dumps(self._ids), encoding="utf-8")
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
        with self._lock:
            self._discarded = True
            out, self._out = self._out, None
            if out is not None:
                # A write a signal interrupted may fail the close: its part is removed anyway.
                with contextlib.suppress(OSError, ValueError):
                    out.close()
        self._remove(self.parts + 1)
        _unlink(self._joined())

    def stored_ids(self) -> set[str]:
        self._check_earlier_parts()
        ids: set[str] = set()
        for number in range(self.parts):
            if self.ids_aside:
                ids.update(
                    str(uid) for uid in json.loads(self._part(number, ".ids").read_text(encoding="utf-8"))
                )
                continue
            with self._part(number).open("r", encoding="utf-8") as part:  # type: ignore[no-untyped-call]
                # readline, not iteration: Airflow 2's file wrapper forwards methods, not iteration
                lines = iter(part.readline, "")
                ids |= _ids_of((json.loads(line) for line in lines if line.strip()), self.record_id)
        return ids

    def _check_earlier_parts(self) -> None:
        for number in range(self.parts):
            for kept in [self._part(number), *([self._part(number, ".ids")] if self.ids_aside else [])]:
                if not kept.exists():
                    raise GongError(
                        f"the {self.noun} fetched before the deferral are gone ({kept} is missing: removed "
                        f"by another run writing {self.path}?); clear the task to fetch again"
                    )

    def _remove(self, parts: int) -> None:
        for number in range(parts):
            _unlink(self._part(number))
            _unlink(self._part(number, ".ids"))


def _unlink(path: ObjectStoragePath) -> None:
    """
    Remove ``path`` if it is there, also when another thread removes it at the same moment.

    ``on_kill`` discards the sink from the signal's thread while the fetch, stopped by it, discards it too:
    universal-pathlib's ``unlink(missing_ok=True)`` looks first, then removes, and raises
    ``FileNotFoundError`` when the other thread removed the file in between.
    """
    with contextlib.suppress(FileNotFoundError):
        path.unlink(missing_ok=True)


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
    Records in memory, bounded by ``max_xcom_bytes`` as they come; across a deferral each segment waits in
    XCom.

    Part ``N`` is the XCom ``<key>_N`` of this task instance (e.g. ``gong_users_part_0``); when the stored
    records have no id, it has a side XCom ``<key>_N_ids`` with their ids.

    :param context: The task context (its ``ti`` pushes and pulls the parts).
    :param progress: What :meth:`pause` returned before the deferral, or ``{}`` for a new fetch.
    :param ids_aside: Whether the stored records lack their id (``fields`` dropped it).
    :param record_id: Reads the id of a stored record (when not ``ids_aside``).
    :param key: The XCom key prefix of the parts, e.g. ``gong_users_part``.
    :param noun: What the records are, for messages (``"users"``).
    :param task_id: For messages.
    :param limit: ``max_xcom_bytes``.
    :param log: Where to report a part that could not be deleted.
    """

    def __init__(
        self,
        context: Context,
        progress: Mapping[str, Any],
        *,
        ids_aside: bool,
        record_id: RecordId,
        key: str,
        noun: str = "users",
        task_id: str,
        limit: int,
        log: logging.Logger | Any,
    ) -> None:
        self.context = context
        self.ids_aside = ids_aside
        self.record_id = record_id
        self.key = key
        self.noun = noun
        self.task_id = task_id
        self.limit = limit
        self.log = log
        self.parts = int(progress.get("parts") or 0)
        self.count = int(progress.get("count") or 0)
        #: XCom size of every record stored so far, as one list (earlier segments included).
        self.bytes = int(progress.get("bytes") or _EMPTY_LIST_SIZE)
        self.records: list[dict[str, Any]] = []
        self._ids: list[str] = []
        self._discarded = False

    def add(self, record: dict[str, Any], record_id: str | None) -> None:
        if self._discarded:
            raise _stopped(self.noun)
        size = self.bytes + xcom_size(record) + (_ITEM_SEPARATOR_SIZE if self.count else 0)
        if size > self.limit:
            raise too_large(self.task_id, self.count + 1, size, self.limit, self.noun)
        self.bytes = size
        self.records.append(record)
        self.count += 1
        if self.ids_aside and record_id is not None:
            self._ids.append(record_id)

    def _key(self, number: int, suffix: str = "") -> str:
        return f"{self.key}_{number}{suffix}"

    def pause(self) -> dict[str, Any]:
        ti = self.context["ti"]
        ti.xcom_push(key=self._key(self.parts), value=self.records)
        if self.ids_aside:
            ti.xcom_push(key=self._key(self.parts, "_ids"), value=self._ids)
        return {"parts": self.parts + 1, "count": self.count, "bytes": self.bytes}

    def _pull(self, key: str) -> list[Any]:
        part = _pull_own(self.context["ti"], key)
        if not isinstance(part, list):
            raise GongResultTooLargeError(
                f"{self.task_id}: the {self.noun} fetched before the deferral are gone from XCom (key "
                f"{key}); clear the task to fetch again"
            )
        return part

    def finish(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        for number in range(self.parts):
            result.extend(self._pull(self._key(number)))
        result.extend(self.records)
        self._delete_parts()  # the result goes to return_value: do not keep every record twice
        return result

    def discard(self) -> None:
        self._discarded = True
        self.records = []
        self._delete_parts()

    def stored_ids(self) -> set[str]:
        ids: set[str] = set()
        for number in range(self.parts):
            if self.ids_aside:
                ids.update(str(uid) for uid in self._pull(self._key(number, "_ids")))
            else:
                ids |= _ids_of(self._pull(self._key(number)), self.record_id)
        return ids

    def _delete_parts(self) -> None:
        suffixes = ("", "_ids") if self.ids_aside else ("",)
        keys = [self._key(number, suffix) for number in range(self.parts) for suffix in suffixes]
        _delete_own(self.context.get("ti") if keys else None, keys, self.log)


def _pull_own(ti: Any, key: str) -> Any:
    """An XCom of this task instance (its own task id and map index)."""
    return ti.xcom_pull(task_ids=ti.task_id, key=key, map_indexes=ti.map_index)


def _delete_own(ti: Any, keys: list[str], log: logging.Logger | Any) -> None:
    """Delete XComs of this task instance through the configured backend; a failure is only logged."""
    if ti is None:
        return
    for key in keys:
        try:
            delete_xcom(xcom_backend(), ti, key)
        except Exception as err:  # cleanup only: the records are safe in return_value or fetched again
            log.warning("could not delete XCom %s: %s", key, err)


def remove_kept_parts(context: Context, key: str, log: logging.Logger | Any) -> int:
    """
    Delete the XCom parts a deferred fetch kept (``<key>_0``, ``<key>_1``, ... with their ``_ids``), when
    their count is unknown: Airflow failed the deferral itself, without the trigger's payload.

    :param context: The task context.
    :param key: The XCom key prefix of the parts, e.g. ``gong_users_part``.
    :param log: Where to report a part that could not be deleted.
    :return: How many parts were found.
    """
    ti = context.get("ti")
    kept: list[str] = []
    while ti is not None and _pull_own(ti, f"{key}_{len(kept)}") is not None:
        kept.append(f"{key}_{len(kept)}")
    side = [f"{part}_ids" for part in kept if _pull_own(ti, f"{part}_ids") is not None]
    _delete_own(ti, kept + side, log)
    return len(kept)
