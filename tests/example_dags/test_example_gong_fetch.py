"""The fetch example DAG, run for real with ``airflow dags test`` on the emulator at Gong's 3 calls/s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from airflow_home import AirflowHome, explain

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import EmulatorConfig, GongEmulator

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_dags" / "example_gong_fetch.py"
ACTIVITY = "listMultipleUsersDayByDayActivity.jsonl"


@pytest.fixture(scope="module")
def gong() -> Iterator[GongEmulator]:
    config = EmulatorConfig(users=60, calls=300, clock="2026-11-21T01:00:00Z", rate_per_second=3)
    with GongEmulator(config) as emulator:
        yield emulator


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_example_fetch_dag_loads_settings_and_company_days_of_activity(
    tmp_path_factory: pytest.TempPathFactory, gong: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path_factory.mktemp("lake")
    airflow = AirflowHome(
        tmp_path_factory.mktemp("example-fetch"),
        [EXAMPLE],
        env={
            "AIRFLOW_CONN_GONG_DEFAULT": gong.connection_json(),
            "GONG_EXAMPLE_LAKE": f"file://{lake}",
            "GONG_COMPANY_TIMEZONE": "America/New_York",
        },
    ).migrate()
    airflow.run("pools", "set", "gong_api", "1", "Gong API calls")
    gong.reset()
    proc = airflow.run("dags", "test", "example_gong_fetch", "2026-11-21")
    output = proc.stdout + proc.stderr
    assert "Gong fetch report:" in output, explain(proc)
    assert gong.config.secret not in output.replace(f"MaskSecret(value='{gong.config.secret}'", "")
    stats = gong.stats()
    assert stats["responses_429"] == 0, stats

    # The window Nov 20 (UTC) and its 7 days of lookback, Nov 13 00:00Z .. Nov 21 00:00Z, fall on the
    # New York dates Nov 12 .. Nov 20: one request and one partition each.
    days = [date(2026, 11, 12) + timedelta(days=offset) for offset in range(9)]
    found = sorted(path.parent.name for path in (lake / "activity").glob(f"date=*/{ACTIVITY}"))
    assert found == [f"date={day.isoformat()}" for day in days], explain(proc)
    assert stats["by_endpoint"]["POST /v2/stats/activity/day-by-day"] == {"200": len(days)}, stats

    monkeypatch.setenv("AIRFLOW_CONN_GONG_DEFAULT", gong.connection_json())
    hook = GongHook()
    total = 0
    for day in days:
        written = _lines(lake / "activity" / f"date={day.isoformat()}" / ACTIVITY)
        expected = list(hook.iter_activity_day_by_day(day, day + timedelta(days=1)))
        assert written == expected, day
        assert f"  date={day.isoformat()}/{ACTIVITY}: {len(written)}" in output, explain(proc)
        total += len(written)
    assert total > 0
    assert _lines(lake / "settings" / "workspaces.jsonl") == list(hook.iter_workspaces())
    assert _lines(lake / "settings" / "trackers.jsonl") == list(hook.iter_trackers())

    report = airflow.xcoms("example_gong_fetch")[("load_report", -1)]
    assert report["activity"] == total
    assert report["days"] == [day.isoformat() for day in days]
    assert report["workspaces"] > 0 and report["trackers"] > 0
