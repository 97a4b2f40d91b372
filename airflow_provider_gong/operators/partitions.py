"""Day partitions written whole: records staged first, then each partition replaced in one step.

Layout under the operator's ``output_path`` (``<name>`` is e.g. ``calls.jsonl``)::

    date=2026-11-30/<name>                      the partitions (JSON Lines; an empty day is an empty file)
    _gong_staging/<name>/writer.json            who writes them now (refuses a second writer)
    _gong_staging/<name>/<token>/date=.../<name>.partNNNN    one fetch's records, staged
    _gong_staging/<name>/<token>/ids.partNNNN   the ids staged in each segment (for a restarted listing)
    _gong_staging/<name>/<token>/commit.json    the commit in progress: which days it replaces

A fetch stages everything; nothing under ``date=...`` changes until it completed. The commit first
assembles each day's complete file in staging, writes ``commit.json``, then replaces the partitions one by
one: a file system's rename (or an object store's copy of one object) is whole, so a reader sees each
partition old or new, never half-written. A commit that crashed midway is finished by the next run of
the task (:func:`recover`) before it stages anything, so no partition stays old.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow_provider_gong.exceptions import GongError
from airflow_provider_gong.operators.sinks import Sink
from airflow_provider_gong.version_compat import ObjectStoragePath

__all__ = ["LEASE", "PartitionSink", "WriterLock", "partition_path", "recover"]

#: How long a writer's claim on the folder holds without being renewed (a thread renews it every minute
#: while the writer's process stages records, however long a call or a retry wait inside it takes).
LEASE = timedelta(minutes=30)
_RENEW_EVERY = timedelta(minutes=1)
STAGING = "_gong_staging"


def partition_path(root: ObjectStoragePath, day: date, name: str) -> ObjectStoragePath:
    """
    Where one day's records live: ``<root>/date=YYYY-MM-DD/<name>``.

    :param root: The operator's ``output_path``.
    :param day: The UTC day.
    :param name: The file name, e.g. ``calls.jsonl``.
    """
    return root / f"date={day.isoformat()}" / name


def _staging(root: ObjectStoragePath, name: str) -> ObjectStoragePath:
    return root / STAGING / name


def _now() -> datetime:
    return datetime.now(UTC)


class WriterLock:
    """
    One writer per folder and file name: ``writer.json`` names the task instance writing, until when.

    A claim another task instance holds and renewed within :data:`LEASE` (or holds across a deferral, until
    its deadline) is refused; the same task instance (a retry) takes its own claim over. Object stores have
    no atomic create-if-absent that every fsspec file system offers, so two writers starting within the
    same second could both pass; the operators also set ``max_active_tis_per_dag=1`` so Airflow never
    starts two runs of one task at once.

    :param root: The operator's ``output_path``.
    :param name: The file name of the partitions.
    :param owner: Who writes: ``dag_id/task_id/run_id/map_index``.
    :param renew_every: How often the heartbeat renews the claim while records are staged.
    """

    def __init__(
        self, root: ObjectStoragePath, name: str, owner: str, *, renew_every: timedelta = _RENEW_EVERY
    ) -> None:
        self.path = _staging(root, name) / "writer.json"
        self.owner = owner
        self.renew_every = renew_every
        self._heartbeat: threading.Thread | None = None
        self._stop = threading.Event()

    def acquire(self, task_id: str) -> None:
        """
        Claim the folder, or raise naming the writer that holds it.

        :param task_id: For the message.
        :raises GongError: when another task instance holds a live claim.
        """
        held = self._read()
        if held is not None and held.get("owner") != self.owner:
            until = _parse(held.get("until"))
            if until is not None and until > _now():
                raise GongError(
                    f"{task_id}: {self.path.parent.parent.parent} is being written by {held.get('owner')} "
                    f"(host {held.get('host')}, claim held until {until.isoformat()}); two runs writing the "
                    "same partitions at once are refused. Wait for that run; if it died, its claim lapses "
                    f"at that time, or delete {self.path}"
                )
        self.hold(_now() + LEASE)

    def hold(self, until: datetime) -> None:
        """
        Keep the claim until ``until`` (renewed by the heartbeat, extended across a deferral).

        :param until: When the claim lapses unless renewed.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        claim = {
            "owner": self.owner,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "until": until.isoformat(),
        }
        written = self.path.with_name(f"writer.{uuid.uuid4().hex}.tmp")
        written.write_text(json.dumps(claim), encoding="utf-8")
        written.replace(self.path)  # whole or absent: a run reading it never sees half a claim

    def start_heartbeat(self) -> None:
        """Renew the claim every minute from a thread of its own, until :meth:`stop_heartbeat`."""
        if self._heartbeat is not None:
            return
        self._stop.clear()

        def beat() -> None:
            while not self._stop.wait(self.renew_every.total_seconds()):
                try:
                    self.hold(_now() + LEASE)
                except Exception:  # noqa: S112 - a store that failed once may answer next minute
                    continue

        self._heartbeat = threading.Thread(target=beat, name=f"gong-claim-{self.path.name}", daemon=True)
        self._heartbeat.start()

    def stop_heartbeat(self) -> None:
        """Stop renewing (before the claim is released or handed to a deferral's deadline)."""
        if self._heartbeat is not None:
            self._stop.set()
            self._heartbeat.join()
            self._heartbeat = None

    def is_mine(self) -> bool:
        """Whether the claim on the folder is still this writer's (no other run took it over)."""
        held = self._read()
        return held is not None and held.get("owner") == self.owner

    def release(self) -> None:
        """Drop the claim, if it is still this writer's."""
        self.stop_heartbeat()
        held = self._read()
        if held is not None and held.get("owner") == self.owner:
            self.path.unlink(missing_ok=True)
            for folder in (self.path.parent, self.path.parent.parent):  # staging left empty: not shown
                try:
                    if folder.is_dir() and not any(folder.iterdir()):
                        folder.rmdir()
                except OSError:
                    return

    def _read(self) -> dict[str, Any] | None:
        try:
            claim = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}  # a claim half-written by a killed writer: nobody's
        return claim if isinstance(claim, dict) else {}


def recover(root: ObjectStoragePath, name: str, log: logging.Logger | Any) -> None:
    """
    Finish every commit a crashed run left midway, and remove what failed fetches staged.

    Call it holding the :class:`WriterLock`: then nothing under staging belongs to a live writer.

    :param root: The operator's ``output_path``.
    :param name: The file name of the partitions.
    :param log: Where to say what was done.
    """
    staging = _staging(root, name)
    if not staging.is_dir():
        return
    for entry in sorted(staging.iterdir(), key=lambda path: path.name):
        if not entry.is_dir():
            continue
        days = _manifest_days(entry / "commit.json")
        if days is not None:
            moved = _replace_days(entry, root, name, days)
            log.warning(
                "Finished the commit an earlier run left midway (%s): %d of its %d partition(s) were "
                "still to replace",
                entry.name,
                moved,
                len(days),
            )
        else:
            log.warning("Removing what an earlier, failed fetch staged (%s): it never committed", entry.name)
        _remove_tree(entry)


def _manifest_days(manifest: ObjectStoragePath) -> list[date] | None:
    """
    The days a commit replaces, or ``None`` when it never started: no ``commit.json``, or one a killed
    writer left unreadable (it is written, then renamed into place, before the first partition moves).
    """
    try:
        plan = json.loads(manifest.read_text(encoding="utf-8"))
        return [date.fromisoformat(day) for day in plan["days"]]
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, KeyError):
        return None


def _replace_days(token_dir: ObjectStoragePath, root: ObjectStoragePath, name: str, days: list[date]) -> int:
    moved = 0
    for day in days:
        ready = partition_path(token_dir, day, name)
        if ready.exists():
            target = partition_path(root, day, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            ready.replace(target)
            moved += 1
    return moved


def _remove_tree(path: ObjectStoragePath) -> None:
    if path.exists():
        path.rmdir(recursive=True)


def _parse(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class PartitionSink(Sink):
    """
    Records staged per UTC day, committed as whole day partitions when the fetch completed.

    It survives a deferral: :meth:`pause` closes the staged files and returns where they are (a token,
    the segment count, the counts per day), the resumed task stages into new part files next to them.

    :param root: The operator's ``output_path``.
    :param name: The file name of each partition, e.g. ``calls.jsonl``.
    :param days: Every day the fetch covers: each gets a partition, an empty file if no record fell in it.
    :param progress: What :meth:`pause` returned before the deferral, or ``{}`` for a new fetch.
    :param lock: The writer's claim on the folder (renewed while records come, released at the end).
    :param noun: What the records are, for messages (``"calls"``).
    :param log: The task's log.
    """

    def __init__(
        self,
        root: ObjectStoragePath,
        name: str,
        days: list[date],
        progress: Mapping[str, Any],
        *,
        lock: WriterLock,
        noun: str,
        log: logging.Logger | Any,
    ) -> None:
        self.root = root
        self.name = name
        self.days = days
        self.lock = lock
        self.noun = noun
        self.log = log
        self.token = str(progress.get("token") or uuid.uuid4().hex)
        self.parts = int(progress.get("parts") or 0)
        self.count = int(progress.get("count") or 0)
        self.counts: dict[str, int] = {day.isoformat(): 0 for day in days}
        self.counts.update({str(day): int(n) for day, n in (progress.get("counts") or {}).items()})
        self._dir = _staging(root, name) / self.token
        self._open_day: date | None = None
        self._out: Any = None
        self._ids: list[str] = []
        self._opened = 0  # files opened in this segment: a day met again gets a new part (no append)
        self._committing = False
        self._written: list[ObjectStoragePath] = []  # this segment's staged files
        lock.start_heartbeat()
        self._discarded = False
        self._allowed = set(self.counts)
        # ``on_kill`` discards from another thread (or a signal handler) while ``add_to`` writes: one at a
        # time (reentrant: a signal handler runs on the thread it interrupted).
        self._lock = threading.RLock()

    # -- staging -------------------------------------------------------------------------------------------

    def add(self, record: dict[str, Any], record_id: str | None) -> None:
        """A partition sink needs the day: use :meth:`add_to`."""
        raise TypeError("PartitionSink.add_to(day, record, record_id) places a record in its day")

    def add_to(self, day: date, record: dict[str, Any], record_id: str | None) -> None:
        """
        Stage one record in its day's partition.

        :param day: The UTC day it belongs to (one of :attr:`days`).
        :param record: What to keep of it.
        :param record_id: Its id (kept aside, for a listing that restarts after a deferral).
        """
        line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self._discarded:
                raise GongError(
                    f"the fetch was stopped (the task is being killed): its {self.noun} were discarded"
                )
            key = day.isoformat()
            if key not in self._allowed:
                raise ValueError(f"{key} is not among the days this fetch rewrites")
            if day != self._open_day:
                self._close_file()
                folder = partition_path(self._dir, day, self.name).parent
                folder.mkdir(parents=True, exist_ok=True)
                part = folder / f"{self.name}.part{self.parts:04d}.{self._opened:06d}"
                self._out = part.open("w", encoding="utf-8")  # type: ignore[no-untyped-call]
                self._written.append(part)
                self._opened += 1
                self._open_day = day
            self._out.write(line)
            self.count += 1
            self.counts[key] += 1
            if record_id is not None:
                self._ids.append(record_id)

    def _close_file(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self._open_day = None

    def _ids_file(self, number: int) -> ObjectStoragePath:
        return self._dir / f"ids.part{number:04d}"

    def pause(self) -> dict[str, Any]:
        """Close this segment's staged files; return where they are (travels in the trigger's payload)."""
        self.lock.stop_heartbeat()  # the deferral holds the claim until its deadline (hold_until)
        self._close_file()
        self._dir.mkdir(parents=True, exist_ok=True)
        self._ids_file(self.parts).write_text(json.dumps(self._ids), encoding="utf-8")
        return {
            "token": self.token,
            "parts": self.parts + 1,
            "count": self.count,
            "counts": dict(self.counts),
        }

    def stored_ids(self) -> set[str]:
        """The ids staged before the deferrals."""
        ids: set[str] = set()
        for number in range(self.parts):
            kept = self._ids_file(number)
            if not kept.exists():
                raise GongError(
                    f"the {self.noun} staged before the deferral are gone ({kept} is missing: removed by "
                    f"another run writing {self.root}?); clear the task to fetch again"
                )
            ids.update(str(uid) for uid in json.loads(kept.read_text(encoding="utf-8")))
        return ids

    # -- commit --------------------------------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        """Commit: every covered day's partition replaced by what was staged; return the partitions."""
        self._close_file()
        self.lock.stop_heartbeat()
        self.stored_ids()  # every earlier segment still there, or fail before touching a partition
        gone = [part for part in self._written if not part.exists()]
        if gone or not self.lock.is_mine():
            raise GongError(
                f"another run took over {self.root} while this one was fetching (its claim had lapsed, or "
                f"was removed) and cleared what this run staged ({len(gone)} file(s) gone): nothing was "
                "committed; clear the task to load again"
            )
        days = self.days
        for day in days:
            self._assemble(day)
        written = self._dir / "commit.json.tmp"
        written.write_text(json.dumps({"days": [day.isoformat() for day in days]}), encoding="utf-8")
        written.replace(self._dir / "commit.json")  # whole or absent: a reader never sees half of it
        self._committing = True  # from here on, a failure leaves the staging for the next run to finish
        _replace_days(self._dir, self.root, self.name, days)
        _remove_tree(self._dir)
        self.lock.release()
        for day in days:
            self.log.info(
                "wrote %s: %d %s",
                partition_path(self.root, day, self.name),
                self.counts[day.isoformat()],
                self.noun,
            )
        return {"path": str(self.root), "partitions": dict(self.counts), "count": self.count}

    def _assemble(self, day: date) -> None:
        """Join the day's staged parts, in order, into its complete file (in staging)."""
        ready = partition_path(self._dir, day, self.name)
        ready.parent.mkdir(parents=True, exist_ok=True)
        parts = sorted(
            (entry for entry in ready.parent.iterdir() if entry.name.startswith(f"{self.name}.part")),
            key=lambda entry: entry.name,
        )
        with ready.open("wb") as out:  # type: ignore[no-untyped-call]
            for part in parts:
                with part.open("rb") as staged:  # type: ignore[no-untyped-call]
                    while chunk := staged.read(1 << 20):
                        out.write(chunk)
                part.unlink()

    def discard(self) -> None:
        """
        Remove what this fetch staged, and its claim; no partition was touched.

        A commit that failed midway (an object store refusing a copy, say) is not undone: its staging and
        ``commit.json`` stay, and the next run of the task finishes it (:func:`recover`) before it fetches.
        """
        with self._lock:
            self._discarded = True
            # A write a signal interrupted may fail the close: the staging is removed anyway.
            with contextlib.suppress(OSError, ValueError):
                self._close_file()
            self._out = None
        if self._committing:
            self.log.warning(
                "The commit into %s failed midway: some partitions are new, the others still old. The next "
                "run of this task (a retry, or the next scheduled run) finishes the commit before it fetches",
                self.root,
            )
        else:
            _remove_tree(self._dir)
        self.lock.release()

    def hold_until(self, moment: datetime) -> None:
        """
        Keep the claim on the folder across a deferral, until its deadline.

        :param moment: The deferral's deadline.
        """
        self.lock.hold(moment)
