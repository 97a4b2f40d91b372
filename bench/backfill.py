"""Section 7: a 30-day incremental backfill (detailed calls and transcripts) vs the calls its plan needs.

``GongCallsOperator`` (detailed content) and ``GongTranscriptsOperator`` load the same 30-day window,
one after the other, in this process (``execute`` with a minimal context), against the emulator. The
calls they should cost are computed from the emulator's ground truth (``GET /_emulator/calls``), not from
the operators: one listing of detailed calls over the window widened by ``SCHEDULE_MARGIN`` on each side,
pages of 100 (an empty listing still costs its 404), plus one transcript request per UTC day and page of
100 (an empty day still costs one).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.clients import set_env_connections
from bench.emulator import EmulatorProcess

__all__ = ["CONTENT", "BackfillResult", "TaskInstance", "run_backfill"]

#: Leaves of Gong's ``exposedFields`` the detailed calls carry.
CONTENT = ("parties", "topics", "trackers", "brief", "keyPoints", "personInteractionStats", "questions")
#: The first day of the backfill (UTC midnight); the emulator's calls start on it.
FIRST_DAY = datetime(2026, 10, 1, tzinfo=UTC)
#: How long after the last call the emulator's clock stands: every call listed and complete by then.
SETTLED = timedelta(days=10)
#: The routes of the two loads, as the emulator's stats name them.
EXTENSIVE = "POST /v2/calls/extensive"
TRANSCRIPT = "POST /v2/calls/transcript"
#: Pause before a paced run: the emulator's sliding second and the shared pacer's next slot both clear.
SETTLE_SECONDS = 1.1
#: The emulator settings the section changes (put back afterwards).
_CHANGED = ("calls", "calls_from", "calls_to", "clock", "rate_per_second", "rate_per_day", "page_size")


class TaskInstance:
    """
    What the operators read of a task instance: where it runs, its map index, XCom push and pull.

    :param task_id: Its task.
    """

    dag_id, run_id, map_index = "gong_bench_backfill", "manual__bench", -1

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = json.loads(json.dumps(value))  # stored as JSON, as Airflow does

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", **_: Any) -> Any:
        return self.xcoms.get(key) if task_ids in (None, self.task_id) else None


@dataclass(frozen=True)
class BackfillResult:
    """
    One backfill: what the ground truth says it should cost and hold, and what it did.

    :param calls: Calls of the emulated company (all within the window).
    :param days: Days of the window.
    :param listed: Calls the widened detailed listing matches (ground truth).
    :param per_day: Calls with a ready transcript, per UTC day of the window (ground truth).
    :param truth_calls: Calls that belong to the window's days (ground truth: what the calls load holds).
    :param counted: Gong calls the emulator served, per route (every status).
    :param gong_calls: Gong calls the emulator served in all.
    :param reported: ``calls_made`` of each summary: ``{"calls": ..., "transcripts": ...}``.
    :param landed: Records in the partitions: ``{"calls": ..., "transcripts": ...}``.
    :param partitions: Partition files written per load.
    :param ids_match: The ids that landed are exactly the ground truth's (both loads).
    :param wall: Wall seconds of both loads, one after the other.
    :param walls: Wall seconds of each load.
    :param responses_429: 429 answers the emulator sent.
    :param rate_limit: The emulator's per-second limit (``None``: off).
    :param paced: Whether the hook paced at its default 3 calls/s (else pacing was off).
    """

    calls: int
    days: int
    listed: int
    per_day: list[int]
    truth_calls: int
    counted: dict[str, int]
    gong_calls: int
    reported: dict[str, int]
    landed: dict[str, int]
    partitions: dict[str, int]
    ids_match: bool
    wall: float
    walls: dict[str, float]
    responses_429: int
    rate_limit: int | None
    paced: bool

    @property
    def theory_listing(self) -> int:
        """ceil(listed/100) pages of detailed calls, at least 1 (an empty listing is Gong's 404)."""
        return max(1, math.ceil(self.listed / 100))

    @property
    def theory_transcripts(self) -> int:
        """One request per day and page of 100, at least one per day."""
        return sum(max(1, math.ceil(n / 100)) for n in self.per_day)

    @property
    def theory(self) -> int:
        """Calls the request plan needs."""
        return self.theory_listing + self.theory_transcripts

    @property
    def formula(self) -> str:
        """The theory in words and numbers."""
        return (
            f"ceil({self.listed:,}/100) + Σ_days max(1, ceil(n_d/100)) = "
            f"{self.theory_listing} + {self.theory_transcripts} = {self.theory}"
        )

    @property
    def allowed_wall(self) -> float:
        """Seconds Gong's 3 calls/s allows for the theory's calls."""
        return self.theory / 3

    @property
    def truth_transcripts(self) -> int:
        """Transcripts the transcripts load should hold."""
        return sum(self.per_day)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text).astimezone(UTC)


def _gong_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def _settings(emulator: EmulatorProcess, changes: Mapping[str, Any]) -> Iterator[None]:
    """The emulator with ``changes`` applied, put back as it was afterwards."""
    before = emulator.control("GET", "/_emulator/config")
    emulator.configure(**changes)
    try:
        yield
    finally:
        emulator.configure(**{name: before[name] for name in _CHANGED})


@contextmanager
def _default_connection(emulator: EmulatorProcess, **extra: Any) -> Iterator[None]:
    """``AIRFLOW_CONN_GONG_DEFAULT`` (the operators' default connection) at the emulator, then restored."""
    name = "AIRFLOW_CONN_GONG_DEFAULT"
    previous = os.environ.get(name)
    set_env_connections(emulator)  # the CA bundle over TLS
    os.environ[name] = json.dumps(emulator.gong_connection(**extra))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def _read(root: Path, name: str) -> tuple[list[dict[str, Any]], int]:
    """Every record of the partitions under ``root`` and how many partition files there are."""
    files = sorted(root.glob(f"date=*/{name}"))
    records = [json.loads(line) for path in files for line in path.read_text().splitlines() if line]
    return records, len(files)


def run_backfill(
    emulator: EmulatorProcess,
    workdir: Path,
    *,
    calls: int,
    days: int = 30,
    rate_limit: int | None = 3,
    paced: bool = True,
) -> BackfillResult:
    """
    Backfill ``days`` days of ``calls`` calls: detailed calls, then transcripts, counted by the emulator.

    :param emulator: The emulator (its calls, clock and limits are set for the run and put back after).
    :param workdir: Where the partitions go (two fresh folders under it).
    :param calls: Calls of the emulated company, spread over the window.
    :param days: Days of the window.
    :param rate_limit: The emulator's per-second limit (``None``: off; the daily limit is always off).
    :param paced: Pace at the hook's default (3 calls/s, the connection's ``calls_per_second`` unset);
        ``False`` switches pacing off (``calls_per_second: 0`` in the connection).
    """
    from airflow_provider_gong.operators.calls import SCHEDULE_MARGIN, GongCallsOperator
    from airflow_provider_gong.operators.transcripts import GongTranscriptsOperator

    start, end = FIRST_DAY, FIRST_DAY + timedelta(days=days)
    clock = end + SETTLED
    changes = {
        "calls": calls,
        "calls_from": _gong_time(start),
        "calls_to": _gong_time(end),
        "clock": _gong_time(clock),
        "rate_per_second": rate_limit,
        "rate_per_day": None,
        "page_size": 100,
    }
    window: dict[str, Any] = {
        "from_datetime": _gong_time(start),
        "to_datetime": _gong_time(end),
        "lookback": timedelta(0),
    }
    run_dir = workdir / f"backfill-{calls}-{time.monotonic_ns()}"
    loads = {
        "calls": GongCallsOperator(
            task_id="calls", content=list(CONTENT), output_path=f"file://{run_dir}/calls", **window
        ),
        "transcripts": GongTranscriptsOperator(
            task_id="transcripts", output_path=f"file://{run_dir}/transcripts", **window
        ),
    }
    with (
        _settings(emulator, changes),
        _default_connection(emulator, **({} if paced else {"calls_per_second": 0})),
    ):
        truth = emulator.control("GET", "/_emulator/calls")["calls"]
        if paced:
            time.sleep(SETTLE_SECONDS)
        before = emulator.reset()
        summaries: dict[str, dict[str, Any]] = {}
        walls: dict[str, float] = {}
        began = time.perf_counter()
        for name, operator in loads.items():
            load_began = time.perf_counter()
            summaries[name] = operator.execute({"ti": TaskInstance(name)})  # type: ignore[typeddict-item]
            walls[name] = time.perf_counter() - load_began
        wall = time.perf_counter() - began
        after = emulator.stats()

    def served(route: str) -> int:
        return int(sum(after["by_endpoint"].get(route, {}).values())) - int(
            sum(before["by_endpoint"].get(route, {}).values())
        )

    listed_from, listed_to = start - SCHEDULE_MARGIN, end + SCHEDULE_MARGIN
    visible = [c for c in truth if _instant(c["visibleAt"]) <= clock]
    listed = sum(1 for c in visible if listed_from <= _instant(c["started"]) < listed_to)
    day_list = [(start + timedelta(days=i)).date() for i in range(days)]
    in_days = {c["id"] for c in visible if _instant(c["started"]).date() in set(day_list)}
    transcribed: dict[date, set[str]] = {day: set() for day in day_list}
    for c in visible:
        day = _instant(c["started"]).date()
        if day in transcribed and _instant(c["transcriptAt"]) <= clock:
            transcribed[day].add(c["id"])

    call_records, call_files = _read(run_dir / "calls", "calls.jsonl")
    transcript_records, transcript_files = _read(run_dir / "transcripts", "transcripts.jsonl")
    call_ids = [str(r["metaData"]["id"]) for r in call_records]
    transcript_ids = [str(r["callId"]) for r in transcript_records]
    want_transcripts = set().union(*transcribed.values())
    ids_match = (
        len(call_ids) == len(set(call_ids))
        and set(call_ids) == in_days
        and len(transcript_ids) == len(set(transcript_ids))
        and set(transcript_ids) == want_transcripts
    )
    return BackfillResult(
        calls=calls,
        days=days,
        listed=listed,
        per_day=[len(transcribed[day]) for day in day_list],
        truth_calls=len(in_days),
        counted={EXTENSIVE: served(EXTENSIVE), TRANSCRIPT: served(TRANSCRIPT)},
        gong_calls=after["gong_calls"] - before["gong_calls"],
        reported={name: int(summary["calls_made"]) for name, summary in summaries.items()},
        landed={"calls": len(call_records), "transcripts": len(transcript_records)},
        partitions={"calls": call_files, "transcripts": transcript_files},
        ids_match=ids_match,
        wall=wall,
        walls=walls,
        responses_429=after["responses_429"] - before["responses_429"],
        rate_limit=rate_limit,
        paced=paced,
    )
