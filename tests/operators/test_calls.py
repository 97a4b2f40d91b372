"""GongCallsOperator and GongTranscriptsOperator: arguments checked when the DAG is parsed, and loads."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from operator_helpers import FakeTI, task_context

from airflow_provider_gong.operators.calls import GongCallsOperator, call_day
from airflow_provider_gong.operators.transcripts import GongTranscriptsOperator
from airflow_provider_gong.testing import GongEmulator

WINDOW = {"from_datetime": "2026-11-10T00:00:00Z", "to_datetime": "2026-11-12T00:00:00Z"}


@pytest.fixture
def gong(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> GongEmulator:
    monkeypatch.setenv("AIRFLOW_CONN_GONG_DEFAULT", gong_emulator.connection_json())
    gong_emulator.configure(users=40, calls=300, clock="2026-12-01T00:00:00Z", rate_per_second=None)
    return gong_emulator


def read(root: Path, name: str) -> dict[str, list[dict[str, Any]]]:
    return {
        path.parent.name: [json.loads(line) for line in path.read_text().splitlines() if line]
        for path in sorted(root.glob(f"date=*/{name}"))
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"output_path": None}, "output_path is required"),
        ({"output_path": "  "}, "output_path is required"),
        ({"output_path": "gong/calls"}, "is relative"),
        ({"content": ["topic"]}, r"'topic' is not among Gong's exposedFields \(did you mean topics\?\)"),
        ({"crm_context": "all"}, "context must be one of"),
        ({"lookback": 7}, "lookback must be a timedelta"),
        ({"lookback": timedelta(days=-1)}, "lookback must be a timedelta of zero or more"),
        ({"workspace_id": "ws-1"}, "workspace_id: Invalid Gong workspace id 'ws-1'"),
        ({"from_datetime": "last monday"}, "from_datetime 'last monday' is not an ISO-8601 date-time"),
        ({"to_datetime": 5}, "to_datetime must be a datetime or an ISO-8601 string"),
        ({"deferrable": "yes"}, "deferrable must be True or False"),
        ({"probe_endpoint": "listCall"}, "probe_endpoint 'listCall' is not an endpoint"),
    ],
)
def test_bad_arguments_fail_when_the_dag_is_parsed(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"task_id": "load", "output_path": "file:///tmp/gong/calls", **kwargs}
    with pytest.raises(Exception, match=f"load: .*{message}"):
        GongCallsOperator(**arguments)


def test_two_runs_of_a_load_never_run_at_once_unless_asked() -> None:
    assert GongTranscriptsOperator(task_id="t", output_path="file:///tmp/t").max_active_tis_per_dag == 1
    assert (
        GongCallsOperator(task_id="c", output_path="/tmp/c", max_active_tis_per_dag=2).max_active_tis_per_dag
        == 2
    )


def test_templated_arguments_are_checked_once_rendered(gong: GongEmulator, tmp_path: Path) -> None:
    operator = GongCallsOperator(
        task_id="load",
        output_path=f"file://{tmp_path}/{{{{ params.folder }}}}",
        content="{{ params.content }}",
        from_datetime="{{ params.start }}",
        to_datetime="2026-11-12T00:00:00Z",
        lookback=timedelta(0),
    )
    ti = FakeTI("load")
    context = task_context(ti, params={"folder": "calls", "content": "topics,bogus", "start": "2026-11-10"})
    operator.render_template_fields(context)
    with pytest.raises(ValueError, match="load: content: 'bogus' is not among"):
        operator.execute(context)
    assert gong.stats()["gong_calls"] == 0, "nothing is sent before every argument is checked"


def test_basic_calls_land_in_the_day_they_started_with_the_workspace_and_fields_chosen(
    gong: GongEmulator, tmp_path: Path
) -> None:
    calls = requests.get(f"{gong.url}/_emulator/calls", timeout=10).json()
    workspace = calls["workspaceIds"][0]
    operator = GongCallsOperator(
        task_id="load",
        output_path=f"file://{tmp_path}",
        workspace_id=workspace,
        fields=["id", "started", "workspaceId"],
        lookback=timedelta(0),
        **WINDOW,
    )
    summary = operator.execute({"ti": FakeTI("load")})
    landed = read(tmp_path, "calls.jsonl")
    assert list(landed) == ["date=2026-11-10", "date=2026-11-11"]
    expected = {
        day: sorted(
            c["id"]
            for c in calls["calls"]
            if c["workspaceId"] == workspace
            and call_day(c) is not None
            and call_day(c).isoformat() == day[5:]
        )
        for day in landed
    }
    assert {day: sorted(r["id"] for r in records) for day, records in landed.items()} == expected
    assert all(
        set(record) == {"id", "started", "workspaceId"} for records in landed.values() for record in records
    )
    assert summary["partitions"] == {day[5:]: len(records) for day, records in landed.items()}
    assert summary["count"] == sum(map(len, landed.values())) > 0
    assert gong.stats()["by_endpoint"].get("POST /v2/calls/extensive") is None, (
        "basic calls: GET /v2/calls only"
    )


@pytest.mark.parametrize(
    ("answer_calls", "message"),
    [
        (["7"], r"POST /v2/calls/extensive: .*a str among the calls"),
        (
            [{"metaData": {"id": "1", "started": "yesterday"}}],
            r"POST /v2/calls/extensive: .*call 1 has no start time .*'started' is 'yesterday'",
        ),
    ],
)
def test_a_call_gong_sent_that_cannot_be_placed_fails_naming_it_and_writes_nothing(
    gong: GongEmulator, tmp_path: Path, answer_calls: list[Any], message: str
) -> None:
    page = {"requestId": "r1", "records": {"totalRecords": 1, "currentPageSize": 1}, "calls": answer_calls}
    gong.fail_next({"status": 200, "body": page})
    operator = GongCallsOperator(
        task_id="load", output_path=f"file://{tmp_path}", content=["brief"], lookback=timedelta(0), **WINDOW
    )
    with pytest.raises(Exception, match=message):
        operator.execute({"ti": FakeTI("load")})
    assert not list(tmp_path.rglob("*.jsonl")) and not (tmp_path / "_gong_staging").exists()
