"""Calls and transcripts loaded incrementally in a real Airflow (``airflow dags test`` with logical dates).

A week of daily runs against the emulator, whose clock moves on between runs and which lists calls, and
completes their transcripts and detailed content, late; one run fails in the middle and is run again, and
an older day is run again out of order. Afterwards every call is in exactly one partition, with the content
Gong had when the last run covering its day ran, and the late ones were caught by the lookback.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow_home import AirflowHome, explain

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.calls import SCHEDULE_MARGIN, call_day
from airflow_provider_gong.testing import EmulatorConfig, GongEmulator

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(1500)]

HERE = Path(__file__).parent
DAG_FILE = HERE / "dags" / "gong_calls_week.py"
CONTENT = ["parties", "topics", "brief", "keyPoints"]
LOOKBACK = timedelta(days=7)
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def gong() -> Iterator[GongEmulator]:
    config = EmulatorConfig(
        users=40,
        calls=260,
        calls_from="2026-11-01T00:00:00Z",
        calls_to="2026-11-12T00:00:00Z",
        late_share=0.3,
        processing_delay=3600.0,
        late_delay=2 * 86400.0,
        page_size=50,
        rate_per_second=None,
        rate_per_day=None,
    )
    with GongEmulator(config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lake")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory, gong: GongEmulator, lake: Path) -> AirflowHome:
    env = {"AIRFLOW_CONN_GONG_DEFAULT": gong.connection_json(), "GONG_TEST_LAKE": f"file://{lake}"}
    return AirflowHome(tmp_path_factory.mktemp("calls-week"), [DAG_FILE], env=env).migrate()


def logical_date(day: date) -> str:
    """
    The date ``airflow dags test`` takes to load ``day``: its end, on every Airflow version. A manual run's
    data interval ends at its date (an interval timetable's), or is empty there (a trigger timetable's,
    and the load takes the schedule period before it).
    """
    return (day + DAY).isoformat()


def run_states(airflow: AirflowHome, dag_id: str) -> list[dict[str, str]]:
    """The task states of the DAG's latest run."""
    with sqlite3.connect(airflow.home / "airflow.db") as db:
        [run_id] = db.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        rows = db.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
        ).fetchall()
    return [{"task_id": task_id, "state": state} for task_id, state in rows]


def latest_summary(airflow: AirflowHome, dag_id: str, task_id: str) -> dict[str, Any]:
    with sqlite3.connect(airflow.home / "airflow.db") as db:
        [(value,)] = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = 'return_value' "
            "ORDER BY timestamp DESC LIMIT 1",
            (dag_id, task_id),
        ).fetchall()
    decoded = json.loads(value.decode() if isinstance(value, bytes) else value)
    return json.loads(decoded) if isinstance(decoded, str) else decoded


def snapshot(lake: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(lake)): path.read_bytes() for path in sorted(lake.rglob("*")) if path.is_file()
    }


def partitions(lake: Path, name: str) -> dict[date, list[dict[str, Any]]]:
    found: dict[date, list[dict[str, Any]]] = {}
    for path in sorted((lake / name).glob("date=*/*.jsonl")):
        day = date.fromisoformat(path.parent.name.removeprefix("date="))
        found[day] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return found


def expected_at(
    gong: GongEmulator, clock: str, day: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What Gong returned for ``day`` at ``clock``: the detailed calls that started then, and transcripts."""
    gong.configure(clock=clock)
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    hook = GongHook(calls_per_second=0)
    try:
        calls = [
            call
            for call in hook.iter_calls_extensive(
                from_datetime=start - SCHEDULE_MARGIN,
                to_datetime=start + DAY + SCHEDULE_MARGIN,
                content=CONTENT,
            )
            if call_day(call) == day
        ]
        transcripts = list(hook.iter_transcripts(from_datetime=start, to_datetime=start + DAY))
    finally:
        hook.close()
    return calls, transcripts


def test_a_week_of_daily_runs_loads_every_call_once_with_its_latest_content(
    airflow: AirflowHome, gong: GongEmulator, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_GONG_DEFAULT", gong.connection_json())
    # (day loaded, emulator clock during the run, whether the run fails): one hour after each day ended,
    # the run of Nov 6 fails and is run again at once, Nov 5 is run again after Nov 8.
    plan: list[tuple[date, str, bool]] = []
    for day in (date(2026, 11, d) for d in range(3, 10)):
        clock = f"{(day + DAY).isoformat()}T01:00:00Z"
        if day == date(2026, 11, 6):
            plan.append((day, clock, True))
        plan.append((day, clock, False))
        if day == date(2026, 11, 8):
            plan.append((date(2026, 11, 5), clock, False))
    last_clock: dict[date, str] = {}
    first_clock: dict[date, str] = {}
    for day, clock, fails in plan:
        gong.configure(clock=clock)
        if fails:
            before = snapshot(lake)
            # The transcripts task stages three days, then Gong refuses the fourth request (not retried).
            gong.fail_next({"fault": "pass"}, {"fault": "pass"}, {"fault": "pass"}, {"status": 400})
        proc = airflow.run("dags", "test", "gong_calls_week", logical_date(day), check=False)
        states = {row["task_id"]: row["state"] for row in run_states(airflow, "gong_calls_week")}
        if fails:
            assert states == {"transcripts": "failed", "calls": "upstream_failed"}, explain(proc)
            assert snapshot(lake) == before, "a failed run must change no partition and leave nothing staged"
            continue
        assert states == {"transcripts": "success", "calls": "success"}, explain(proc)
        for offset in range(LOOKBACK.days + 1):
            covered = day - timedelta(days=offset)
            last_clock[covered] = clock
            first_clock.setdefault(covered, clock)
        summary = latest_summary(airflow, "gong_calls_week", "calls")
        assert summary["window"]["from"] == f"{day.isoformat()}T00:00:00+00:00"
        assert summary["window"]["read_from"] == f"{(day - LOOKBACK).isoformat()}T00:00:00+00:00"
        assert sorted(summary["partitions"]) == [
            (day - timedelta(days=o)).isoformat() for o in range(7, -1, -1)
        ]
        assert "records" not in summary and summary["calls_made"] >= 1

    calls, transcripts = partitions(lake, "calls"), partitions(lake, "transcripts")
    assert sorted(calls) == sorted(transcripts) == sorted(last_clock)
    call_ids = [call["metaData"]["id"] for records in calls.values() for call in records]
    transcript_ids = [record["callId"] for records in transcripts.values() for record in records]
    assert len(call_ids) == len(set(call_ids)), "a call appears in more than one place"
    assert len(transcript_ids) == len(set(transcript_ids)), "a transcript appears in more than one place"
    for day, clock in sorted(last_clock.items()):
        expected_calls, expected_transcripts = expected_at(gong, clock, day)
        assert calls[day] == expected_calls, f"calls of {day}: not what Gong had at {clock}"
        assert transcripts[day] == expected_transcripts, f"transcripts of {day}: not what Gong had at {clock}"
    assert sum(map(len, calls.values())) > 100

    # The late data the lookback caught: calls Gong did not list yet when their own day was first loaded,
    # transcripts it had not finished, content it had not completed then.
    truth = requests.get(f"{gong.url}/_emulator/calls", timeout=10).json()["calls"]
    loaded = {call["metaData"]["id"]: call for records in calls.values() for call in records}

    def after(moment: str, clock: str) -> bool:
        return datetime.fromisoformat(moment) > datetime.fromisoformat(clock.replace("Z", "+00:00"))

    late_listed = [c for c in truth if c["id"] in loaded and after(c["visibleAt"], first_clock[call_day(c)])]
    late_transcripts = [
        c
        for c in truth
        if c["id"] in set(transcript_ids) and after(c["transcriptAt"], first_clock[call_day(c)])
    ]
    late_content = [c for c in truth if c["id"] in loaded and after(c["contentAt"], first_clock[call_day(c)])]
    assert late_listed and late_transcripts and late_content, (len(late_listed), len(late_transcripts))
    assert not list(lake.rglob("*.part*")), "nothing staged is left behind"


def test_a_trigger_timetable_and_an_interval_timetable_load_the_same_window(
    airflow: AirflowHome, gong: GongEmulator
) -> None:
    gong.configure(clock="2026-11-12T00:00:00Z")
    # The run for Nov 9 on both: the interval timetable's data interval ends at the date given, the trigger
    # timetable's is empty there and the load takes the day before.
    airflow.run("dags", "test", "gong_calls_trigger", logical_date(date(2026, 11, 9)))
    airflow.run("dags", "test", "gong_calls_interval", logical_date(date(2026, 11, 9)))
    trigger = latest_summary(airflow, "gong_calls_trigger", "transcripts")
    interval = latest_summary(airflow, "gong_calls_interval", "transcripts")
    assert (
        trigger["window"]
        == interval["window"]
        == {
            "from": "2026-11-09T00:00:00+00:00",
            "to": "2026-11-10T00:00:00+00:00",
            "read_from": "2026-11-09T00:00:00+00:00",
            "read_to": "2026-11-10T00:00:00+00:00",
        }
    )
    assert trigger["partitions"] == interval["partitions"]
    assert list(trigger["partitions"]) == ["2026-11-09"] and trigger["count"] > 0


def test_a_load_stopped_by_a_spent_quota_defers_and_resumes_in_a_real_run(
    airflow: AirflowHome, gong: GongEmulator, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_GONG_DEFAULT", gong.connection_json())
    # Five days of transcripts, one request each; 3 calls per 4-second "day": the load stops at the
    # fourth day, waits in the trigger, and resumes there (1 probe + days 4 and 5 in the next "day").
    gong.configure(clock="2026-11-12T00:00:00Z")
    config = gong.config.copy()
    config.rate_per_day, config.day_seconds, config.page_size = 3, 4.0, 100
    with GongEmulator(config) as quota:
        airflow.env["AIRFLOW_CONN_GONG_QUOTA"] = quota.connection_json()
        proc = airflow.run("dags", "test", "gong_calls_deferred", logical_date(date(2026, 11, 9)))
        stats = quota.stats()
    output = proc.stdout + proc.stderr
    assert "deferring for" in output, explain(proc)
    summary = latest_summary(airflow, "gong_calls_deferred", "transcripts")
    assert sorted(summary["partitions"]) == [f"2026-11-{day:02d}" for day in range(5, 10)], explain(proc)
    answered = stats["by_endpoint"]["POST /v2/calls/transcript"]
    assert answered.get("200", 0) + answered.get("404", 0) == 5, stats  # each day once
    assert answered["429"] == 1, stats
    expected = {}
    for day in (date(2026, 11, d) for d in range(5, 10)):
        expected[day.isoformat()] = len(expected_at(gong, "2026-11-12T00:00:00Z", day)[1])
    assert summary["partitions"] == expected
    assert not (lake / "deferred" / "_gong_staging").exists()
