"""The lineage of a calls load in a real Airflow: Asset events, the downstream DAG queued, OpenLineage events.

One migrated Airflow home, one ``airflow dags test`` of two calls loads (a literal ``output_path`` and a
templated one, through the AssetAlias) on the emulator, then the metadata database and the OpenLineage
provider's file transport are read.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_home import AirflowHome, explain

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_1_PLUS

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = Path(__file__).parent / "dags" / "gong_calls_lineage.py"
DOWNSTREAM = ROOT / "example_dags" / "example_gong_calls_downstream.py"

# Airflow 2.11 names the tables after datasets.
ASSET, EVENT, QUEUE = (
    ("asset", "asset_event", "asset_dag_run_queue")
    if AIRFLOW_V_3_0_PLUS
    else (
        "dataset",
        "dataset_event",
        "dataset_dag_run_queue",
    )
)


@pytest.fixture(scope="module")
def gong() -> Iterator[GongEmulator]:
    config = EmulatorConfig(users=20, calls=120, clock="2026-11-21T01:00:00Z", rate_per_second=None)
    with GongEmulator(config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, gong: GongEmulator) -> dict[str, Any]:
    pytest.importorskip("airflow.providers.openlineage", reason="needs airflow-provider-gong[openlineage]")
    lake = tmp_path_factory.mktemp("lake")
    events = tmp_path_factory.mktemp("openlineage") / "events.jsonl"
    transport = {"type": "file", "log_file_path": str(events), "append": True}
    airflow = AirflowHome(
        tmp_path_factory.mktemp("lineage"),
        [DAG_FILE, DOWNSTREAM],
        env={
            "AIRFLOW_CONN_GONG_DEFAULT": gong.connection_json(),
            "GONG_TEST_LAKE": f"file://{lake}",
            "GONG_EXAMPLE_LAKE": f"file://{lake}",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "gong-tests",
        },
    ).migrate()
    # Both DAGs in the database, as the DAG processor puts them: the downstream one must be known.
    airflow.run("dags", "reserialize")
    gong.reset()
    proc = airflow.run("dags", "test", "gong_calls_lineage", "2026-11-21")
    with sqlite3.connect(airflow.home / "airflow.db") as db:
        recorded = db.execute(
            f"SELECT {ASSET}.uri, {EVENT}.extra, {EVENT}.source_task_id FROM {EVENT} "  # noqa: S608
            f"JOIN {ASSET} ON {ASSET}.id = {EVENT}.{ASSET}_id"
        ).fetchall()
        queued = db.execute(
            f"SELECT {ASSET}.uri, {QUEUE}.target_dag_id FROM {QUEUE} "  # noqa: S608
            f"JOIN {ASSET} ON {ASSET}.id = {QUEUE}.{ASSET}_id"
        ).fetchall()
    return {
        "proc": proc,
        "lake": lake,
        "events": {task: (uri, json.loads(extra) if extra else {}) for uri, extra, task in recorded},
        "queued": queued,
        "summaries": airflow.xcoms("gong_calls_lineage"),
        "openlineage": events.read_text() if events.exists() else "",
    }


def test_asset_events_carry_the_window_partitions_and_counts(run: dict[str, Any], gong: GongEmulator) -> None:
    lake = run["lake"]
    # Airflow 2.11 gets no alias (it fails on one its DAG processor did not store): no templated event.
    templated = {"load_calls_templated"} if AIRFLOW_V_3_0_PLUS else set()
    assert set(run["events"]) == {"load_calls", *templated}, explain(run["proc"])
    paths = {"load_calls": f"{lake}/calls", "load_calls_templated": f"{lake}/gong_calls_lineage/calls"}
    for task in sorted(run["events"]):
        path = paths[task]
        uri, extra = run["events"][task]
        if not AIRFLOW_V_3_1_PLUS and task == "load_calls_templated":
            # Airflow 2.11 and 3.0 hash an alias event's extra: its nested values come as JSON text.
            extra = {
                key: json.loads(value) if key in ("window", "partitions") else value
                for key, value in extra.items()
            }
        summary = run["summaries"][(task, -1)]
        assert uri == f"file://{path}"
        assert extra["source"] == f"gong://127.0.0.1:{gong.port}/calls"
        assert extra["resource"] == "calls" and extra["operation_id"] == "listCalls"
        assert extra["window"]["from"] == "2026-11-19T00:00:00+00:00"
        assert extra["window"]["to"] == "2026-11-20T00:00:00+00:00"
        assert extra["partitions"] == summary["partitions"] == {"2026-11-19": summary["count"]}
        assert extra["count"] == summary["count"] > 0


def test_the_downstream_dag_is_queued_on_the_calls_asset(run: dict[str, Any]) -> None:
    assert (f"file://{run['lake']}/calls", "example_gong_calls_downstream") in run["queued"], run["queued"]


def test_openlineage_start_and_complete_carry_gong_input_and_storage_output(
    run: dict[str, Any], gong: GongEmulator
) -> None:
    text = run["openlineage"]
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    mine = [event for event in events if event.get("job", {}).get("name") == "gong_calls_lineage.load_calls"]
    by_type = {event["eventType"]: event for event in mine}
    assert {"START", "COMPLETE"} <= set(by_type), [event.get("eventType") for event in mine]
    for kind in ("START", "COMPLETE"):
        event = by_type[kind]
        inputs = [(each["namespace"], each["name"]) for each in event["inputs"]]
        outputs = [(each["namespace"], each["name"]) for each in event["outputs"]]
        assert (f"gong://127.0.0.1:{gong.port}", "calls") in inputs, kind
        assert ("file", f"{run['lake']}/calls") in outputs, kind
    complete = by_type["COMPLETE"]
    count = run["summaries"][("load_calls", -1)]["count"]
    (gong_input,) = [each for each in complete["inputs"] if each["namespace"].startswith("gong://")]
    assert gong_input["facets"]["gong"]["recordCount"] == count
    assert gong_input["facets"]["gong"]["window"]["from"] == "2026-11-19T00:00:00+00:00"
    assert gong_input["inputFacets"]["inputStatistics"]["rowCount"] == count
    (output,) = [each for each in complete["outputs"] if each["namespace"] == "file"]
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == count
    basic = base64.b64encode(f"{gong.config.access_key}:{gong.config.secret}".encode()).decode()
    for secret in (gong.config.secret, basic):
        assert secret not in text
