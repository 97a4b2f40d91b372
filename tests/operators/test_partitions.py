"""Day partitions: staged, committed whole, a crashed commit finished by the next run, one writer."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import airflow_compat
import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from airflow_provider_gong.exceptions import GongError
from airflow_provider_gong.operators.partitions import (
    LEASE,
    STAGING,
    PartitionSink,
    WriterLock,
    partition_path,
    recover,
)
from airflow_provider_gong.version_compat import ObjectStoragePath

DAYS = [date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)]
NAME = "calls.jsonl"
log = logging.getLogger("test_partitions")


class CrashingFileSystem(MemoryFileSystem):
    """An in-memory object store whose moves fail after ``moves_left`` of them (a worker dying mid-commit)."""

    protocol = "crashing"
    store: dict[str, Any] = {}  # noqa: RUF012 - fsspec's memory store is a class attribute
    pseudo_dirs = [""]  # noqa: RUF012
    moves_left: int | None = None

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, str):
            while path.startswith(("crashing://", "crashing:")):
                path = path.split(":", 1)[1].lstrip("/")
                path = "/" + path
        return super()._strip_protocol(path)

    def mv(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> None:
        if CrashingFileSystem.moves_left is not None:
            if CrashingFileSystem.moves_left == 0:
                raise OSError("the worker died mid-commit")
            CrashingFileSystem.moves_left -= 1
        super().mv(path1, path2, *args, **kwargs)


fsspec.register_implementation("crashing", CrashingFileSystem, clobber=True)
airflow_compat.attach("crashing", fs=CrashingFileSystem())


pytestmark = pytest.mark.filterwarnings("ignore:UPath 'crashing' filesystem not explicitly implemented")


@pytest.fixture
def object_store() -> Iterator[ObjectStoragePath]:
    """The load's folder on an object store (in memory) that can crash mid-commit."""
    CrashingFileSystem.store.clear()
    CrashingFileSystem.pseudo_dirs[:] = [""]
    CrashingFileSystem.moves_left = None
    yield ObjectStoragePath("crashing://bucket/gong/calls")
    CrashingFileSystem.moves_left = None


@pytest.fixture(params=["file", "object store"])
def root(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[ObjectStoragePath]:
    """The load's folder on a local disk, and on an object store."""
    if request.param == "file":
        yield ObjectStoragePath(f"file://{tmp_path}/gong/calls")
    else:
        yield request.getfixturevalue("object_store")


def lock(root: ObjectStoragePath, owner: str = "dag/task/run1/-1") -> WriterLock:
    return WriterLock(root, NAME, owner)


def sink(
    root: ObjectStoragePath, progress: dict[str, Any] | None = None, owner: str = "dag/task/run1/-1"
) -> PartitionSink:
    """A writer's sink, its claim on the folder taken first (as the operator takes it before any fetch)."""
    claim = lock(root, owner)
    claim.acquire("t")
    return PartitionSink(root, NAME, DAYS, progress or {}, lock=claim, noun="calls", log=log)


def read(root: ObjectStoragePath, day: date) -> list[dict[str, Any]]:
    text = partition_path(root, day, NAME).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def commit_crashing_after_one_partition(root: ObjectStoragePath) -> PartitionSink:
    """Every day committed "old", then a "new" commit whose worker dies after replacing one partition."""
    old = sink(root)
    for day in DAYS:
        old.add_to(day, {"id": day.isoformat(), "v": "old"}, day.isoformat())
    old.finish()
    new = sink(root)
    for day in DAYS:
        new.add_to(day, {"id": day.isoformat(), "v": "new"}, day.isoformat())
    CrashingFileSystem.moves_left = 2  # commit.json, then one partition
    with pytest.raises(OSError, match="mid-commit"):
        new.finish()
    CrashingFileSystem.moves_left = None
    return new


def test_nothing_is_written_until_the_commit_and_an_empty_day_gets_an_empty_file(
    root: ObjectStoragePath,
) -> None:
    writer = sink(root)
    writer.lock.acquire("t")
    writer.add_to(DAYS[0], {"id": "1"}, "1")
    writer.add_to(DAYS[2], {"id": "3"}, "3")
    writer.add_to(DAYS[0], {"id": "2"}, "2")  # a day met again: a new part, never an append
    assert not any(partition_path(root, day, NAME).exists() for day in DAYS)
    result = writer.finish()
    assert result == {
        "path": str(root),
        "partitions": {"2026-11-28": 2, "2026-11-29": 0, "2026-11-30": 1},
        "count": 3,
    }
    assert read(root, DAYS[0]) == [{"id": "1"}, {"id": "2"}]
    assert read(root, DAYS[1]) == []
    assert read(root, DAYS[2]) == [{"id": "3"}]
    assert not (root / STAGING / NAME / writer.token).exists()
    assert not writer.lock.path.exists(), "the claim is released after the commit"


def test_a_new_commit_replaces_each_partition_whole(root: ObjectStoragePath) -> None:
    first = sink(root)
    first.add_to(DAYS[1], {"id": "1", "v": 1}, "1")
    first.add_to(DAYS[1], {"id": "2", "v": 1}, "2")
    first.finish()
    second = sink(root)
    second.add_to(DAYS[1], {"id": "1", "v": 2}, "1")
    second.finish()
    assert read(root, DAYS[1]) == [{"id": "1", "v": 2}], (
        "the day holds what the last load found, nothing else"
    )


def test_a_discarded_fetch_changes_nothing(root: ObjectStoragePath) -> None:
    done = sink(root)
    done.add_to(DAYS[0], {"id": "1"}, "1")
    done.finish()
    failed = sink(root)
    failed.lock.acquire("t")
    failed.add_to(DAYS[0], {"id": "9"}, "9")
    failed.discard()
    assert read(root, DAYS[0]) == [{"id": "1"}]
    assert not (root / STAGING / NAME / failed.token).exists()
    assert not failed.lock.path.exists()
    with pytest.raises(GongError, match="discarded"):
        failed.add_to(DAYS[0], {"id": "10"}, "10")


def test_a_day_outside_the_load_is_refused(root: ObjectStoragePath) -> None:
    with pytest.raises(ValueError, match="2026-12-01 is not among the days"):
        sink(root).add_to(date(2026, 12, 1), {"id": "1"}, "1")


def test_a_paused_fetch_resumes_into_new_parts_and_knows_what_it_staged(root: ObjectStoragePath) -> None:
    before = sink(root)
    before.add_to(DAYS[0], {"k": "a"}, "1")  # the id kept aside even when fields dropped it
    progress = before.pause()
    assert progress == {
        "token": before.token,
        "parts": 1,
        "count": 1,
        "counts": {"2026-11-28": 1, "2026-11-29": 0, "2026-11-30": 0},
    }
    after = sink(root, json.loads(json.dumps(progress)))
    assert after.stored_ids() == {"1"}
    after.add_to(DAYS[0], {"k": "b"}, "2")
    assert after.finish()["partitions"]["2026-11-28"] == 2
    assert read(root, DAYS[0]) == [{"k": "a"}, {"k": "b"}]


def test_staged_parts_gone_during_a_deferral_fail_the_resume_before_any_partition_changes(
    root: ObjectStoragePath,
) -> None:
    before = sink(root)
    before.add_to(DAYS[0], {"id": "1"}, "1")
    progress = before.pause()
    (root / STAGING / NAME / before.token).rmdir(recursive=True)
    with pytest.raises(GongError, match="staged before the deferral are gone"):
        sink(root, progress).finish()
    assert not partition_path(root, DAYS[0], NAME).exists()


def test_a_commit_that_crashed_midway_is_finished_by_the_next_run(object_store: ObjectStoragePath) -> None:
    root = object_store
    new = commit_crashing_after_one_partition(root)
    # Each partition is whole, old or new; never half-written, never gone.
    assert [read(root, day)[0]["v"] for day in DAYS] == ["new", "old", "old"]
    recover(root, NAME, log)
    assert [read(root, day) for day in DAYS] == [[{"id": day.isoformat(), "v": "new"}] for day in DAYS]
    assert list((root / STAGING / NAME).iterdir()) in ([], [new.lock.path])


def test_recovery_removes_what_a_failed_fetch_staged(
    root: ObjectStoragePath, caplog: pytest.LogCaptureFixture
) -> None:
    failed = sink(root)
    failed.add_to(DAYS[0], {"id": "1"}, "1")
    failed.pause()  # the worker died: nothing committed, the staging left behind
    with caplog.at_level(logging.WARNING, logger="test_partitions"):
        recover(root, NAME, log)
    assert not (root / STAGING / NAME / failed.token).exists()
    assert not partition_path(root, DAYS[0], NAME).exists()
    assert "never committed" in caplog.text


def test_a_second_writer_is_refused_while_the_first_holds_the_claim(root: ObjectStoragePath) -> None:
    first = lock(root, "dag/task/run1/-1")
    first.acquire("t")
    with pytest.raises(GongError, match=r"^load: .* is being written by dag/task/run1/-1 .*delete "):
        lock(root, "dag/task/run2/-1").acquire("load")
    lock(root, "dag/task/run1/-1").acquire("t")  # the same task instance (a retry) takes its claim over
    first.release()
    lock(root, "dag/task/run2/-1").acquire("t")


def test_a_lapsed_or_garbled_claim_does_not_block(root: ObjectStoragePath) -> None:
    held = lock(root, "dag/task/run1/-1")
    held.hold(datetime.now(UTC) - timedelta(seconds=1))
    lock(root, "dag/task/run2/-1").acquire("t")
    held.path.write_text("{not json", encoding="utf-8")
    lock(root, "dag/task/run3/-1").acquire("t")
    claim = json.loads(held.path.read_text(encoding="utf-8"))
    assert claim["owner"] == "dag/task/run3/-1"
    assert datetime.fromisoformat(claim["until"]) > datetime.now(UTC) + LEASE - timedelta(minutes=1)


def test_a_claim_held_across_a_deferral_blocks_until_its_deadline(root: ObjectStoragePath) -> None:
    deferred = sink(root, owner="dag/task/run1/-1")
    deferred.lock.acquire("t")
    deferred.pause()
    deferred.hold_until(datetime.now(UTC) + timedelta(hours=5))
    with pytest.raises(GongError, match="is being written by dag/task/run1/-1"):
        lock(root, "dag/task/run2/-1").acquire("t")


def test_a_commit_that_failed_midway_is_left_for_the_next_run_not_undone(
    object_store: ObjectStoragePath,
) -> None:
    root = object_store
    new = commit_crashing_after_one_partition(root)
    new.discard()  # what the operator does on any failure
    assert not new.lock.path.exists(), "the claim is released: the next run may start"
    recover(root, NAME, log)
    assert [read(root, day)[0]["v"] for day in DAYS] == ["new", "new", "new"]


@pytest.mark.parametrize("manifest", ["", '{"days": ["2026-11-', "[]"])
def test_a_commit_record_a_killed_writer_left_unreadable_means_no_commit_started(
    root: ObjectStoragePath, manifest: str
) -> None:
    done = sink(root)
    done.add_to(DAYS[0], {"id": "1"}, "1")
    done.finish()
    killed = sink(root)
    killed.add_to(DAYS[0], {"id": "9"}, "9")
    killed.pause()
    (root / STAGING / NAME / killed.token / "commit.json").write_text(manifest, encoding="utf-8")
    recover(root, NAME, log)
    assert read(root, DAYS[0]) == [{"id": "1"}]
    assert not (root / STAGING / NAME / killed.token).exists()


def test_a_writer_whose_claim_lapsed_and_was_taken_over_commits_nothing(root: ObjectStoragePath) -> None:
    slow = sink(root, owner="dag/task/run1/-1")
    slow.add_to(DAYS[0], {"id": "1"}, "1")
    slow.lock.hold(datetime.now(UTC) - timedelta(seconds=1))  # its process stalled past the lease
    other = lock(root, "dag/task/run2/-1")
    other.acquire("t")
    recover(root, NAME, log)  # the other run clears what the stalled one staged
    with pytest.raises(GongError, match=r"another run took over .* nothing was committed"):
        slow.finish()
    assert not partition_path(root, DAYS[0], NAME).exists()
    assert other.is_mine()


def test_the_claim_is_renewed_by_a_heartbeat_while_records_are_staged(root: ObjectStoragePath) -> None:
    claim = WriterLock(root, NAME, "dag/task/run1/-1", renew_every=timedelta(milliseconds=20))
    claim.acquire("t")
    writer = PartitionSink(root, NAME, DAYS, {}, lock=claim, noun="calls", log=log)
    claim.hold(datetime.now(UTC) + timedelta(seconds=5))
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while datetime.now(UTC) < deadline:
        held = json.loads(claim.path.read_text(encoding="utf-8"))  # always whole, never half-written
        if datetime.fromisoformat(held["until"]) > datetime.now(UTC) + LEASE - timedelta(minutes=1):
            break
    else:
        raise AssertionError("the heartbeat never renewed the claim")
    writer.pause()  # stops the heartbeat: a deferral holds the claim until its deadline instead
    writer.hold_until(datetime.now(UTC) + timedelta(hours=2))
    kept = claim.path.read_text(encoding="utf-8")
    time.sleep(0.1)
    assert claim.path.read_text(encoding="utf-8") == kept
    assert [entry.name for entry in claim.path.parent.iterdir() if entry.name.endswith(".tmp")] == []
