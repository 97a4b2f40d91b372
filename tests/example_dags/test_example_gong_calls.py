"""The calls example DAG, run for real with ``airflow dags test`` on the emulator at Gong's 3 calls/s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow_home import AirflowHome, explain

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_dags" / "example_gong_calls.py"


@pytest.fixture(scope="module")
def gong() -> Iterator[GongEmulator]:
    config = EmulatorConfig(users=80, calls=300, clock="2026-11-21T01:00:00Z", rate_per_second=3)
    with GongEmulator(config) as emulator:
        yield emulator


def test_example_calls_dag_loads_yesterday_and_says_what_landed_where(
    tmp_path_factory: pytest.TempPathFactory, gong: GongEmulator
) -> None:
    lake = tmp_path_factory.mktemp("lake")
    airflow = AirflowHome(
        tmp_path_factory.mktemp("example-calls"),
        [EXAMPLE],
        env={"AIRFLOW_CONN_GONG_DEFAULT": gong.connection_json(), "GONG_EXAMPLE_LAKE": f"file://{lake}"},
    ).migrate()
    airflow.run("pools", "set", "gong_api", "1", "Gong API calls")
    gong.reset()
    proc = airflow.run("dags", "test", "example_gong_calls", "2026-11-21")
    output = proc.stdout + proc.stderr
    assert "Gong calls load report:" in output, explain(proc)
    assert "window 2026-11-20T00:00:00+00:00 .. 2026-11-21T00:00:00+00:00" in output, explain(proc)
    assert gong.config.secret not in output.replace(f"MaskSecret(value='{gong.config.secret}'", "")

    days = [f"2026-11-{day:02d}" for day in range(13, 21)]
    for name in ("calls", "transcripts"):
        found = sorted(path.parent.name for path in (lake / name).glob(f"date=*/{name}.jsonl"))
        assert found == [f"date={day}" for day in days], name
        for day in days:
            assert f"  date={day}/{name}.jsonl: " in output, explain(proc)
    calls = [
        json.loads(line)
        for path in (lake / "calls").glob("date=*/calls.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert calls and all({"metaData", "parties", "content"} <= set(call) for call in calls)
    report = airflow.xcoms("example_gong_calls")[("load_report", -1)]
    stats = gong.stats()
    assert report["calls"] == len(calls) and report["gong_calls"] == stats["gong_calls"], stats
    assert stats["responses_429"] == 0, stats
    # One listing of detailed calls (9 days with the margins: under 100 calls), one request per day.
    assert stats["by_endpoint"]["POST /v2/calls/extensive"] == {"200": 1}, stats
    assert sum(stats["by_endpoint"]["POST /v2/calls/transcript"].values()) == len(days), stats
