"""The operators' lineage: outlets at parse time, the Asset event's extra, OpenLineage facets (emulator)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from operator_helpers import FakeTI, task_context

from airflow_provider_gong.operators.calls import GongCallsOperator
from airflow_provider_gong.operators.fetch import GongFetchOperator
from airflow_provider_gong.operators.transcripts import GongTranscriptsOperator
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_1_PLUS, Asset, AssetAlias

try:  # the accessors a worker puts in the context as outlet_events
    from airflow.sdk.execution_time.context import OutletEventAccessors
except ImportError:  # Airflow 2.11
    from airflow.utils.context import OutletEventAccessors  # type: ignore[no-redef]

WINDOW = {"from_datetime": "2026-11-10T00:00:00Z", "to_datetime": "2026-11-11T00:00:00Z"}


@pytest.fixture
def gong(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> GongEmulator:
    monkeypatch.setenv("AIRFLOW_CONN_GONG_DEFAULT", gong_emulator.connection_json())
    gong_emulator.configure(users=12, calls=200, clock="2026-12-01T00:00:00Z", rate_per_second=None)
    return gong_emulator


def alias_events(accessor: Any) -> list[Any]:
    return list(
        getattr(accessor, "asset_alias_events", None) or getattr(accessor, "dataset_alias_events", [])
    )


def test_a_literal_output_path_is_an_asset_outlet() -> None:
    op = GongCallsOperator(task_id="load", output_path="file:///data/gong/calls")
    assert [outlet.uri for outlet in op.outlets] == ["file:///data/gong/calls"]
    assert isinstance(op.outlets[0], Asset)


def test_emit_asset_false_adds_no_outlet_and_a_bad_flag_is_refused() -> None:
    assert GongCallsOperator(task_id="load", output_path="file:///d/calls", emit_asset=False).outlets == []
    with pytest.raises(ValueError, match="load: emit_asset must be True or False"):
        GongCallsOperator(task_id="load", output_path="file:///d/calls", emit_asset="no")


def test_no_output_path_no_outlet() -> None:
    assert GongUserOperator(task_id="users").outlets == []


def test_the_same_asset_given_in_outlets_is_not_added_twice() -> None:
    asset = Asset("file:///data/gong/calls")
    op = GongCallsOperator(task_id="load", output_path="file:///data/gong/calls", outlets=[asset])
    assert op.outlets == [asset]


ALIAS_ON_AIRFLOW_3 = pytest.mark.skipif(
    not AIRFLOW_V_3_0_PLUS,
    reason="Airflow 2.11 fails on an alias its DAG processor has not stored: none added",
)


def test_a_templated_output_path_adds_no_alias_on_airflow_2() -> None:
    op = GongTranscriptsOperator(task_id="load", output_path="file:///data/{{ ds }}/transcripts")
    assert [type(outlet) for outlet in op.outlets] == ([AssetAlias] if AIRFLOW_V_3_0_PLUS else [])


@ALIAS_ON_AIRFLOW_3
def test_a_templated_output_path_goes_through_an_alias() -> None:
    from airflow.providers.common.compat.sdk import DAG

    with DAG(dag_id="lake", schedule=None):
        op = GongTranscriptsOperator(task_id="load", output_path="file:///data/{{ ds }}/transcripts")
    (outlet,) = op.outlets
    assert isinstance(outlet, AssetAlias) and outlet.name == "gong/lake/load"


def test_a_calls_load_gives_its_asset_event_the_window_partitions_and_counts(
    gong: GongEmulator, tmp_path: Path
) -> None:
    op = GongCallsOperator(
        task_id="load", output_path=f"file://{tmp_path}/calls", lookback=timedelta(0), **WINDOW
    )
    events = OutletEventAccessors()
    context = task_context(FakeTI("load"), outlet_events=events)
    op.render_template_fields(context)
    summary = op.execute(context)
    extra = events[op.outlets[0]].extra
    assert extra == {
        "source": f"gong://127.0.0.1:{gong.port}/calls",
        "resource": "calls",
        "operation_id": "listCalls",
        "window": summary["window"],
        "partitions": summary["partitions"],
        "count": summary["count"],
    }
    assert summary["count"] > 0 and list(summary["partitions"]) == ["2026-11-10"]
    # OpenLineage, when installed: the same run, with the counts.
    pytest.importorskip("airflow.providers.openlineage", reason="needs airflow-provider-gong[openlineage]")
    found = op.get_openlineage_facets_on_complete(None)
    assert [(each.namespace, each.name) for each in found.inputs] == [
        (f"gong://127.0.0.1:{gong.port}", "calls")
    ]
    assert [(each.namespace, each.name) for each in found.outputs] == [("file", f"{tmp_path}/calls")]
    assert found.outputs[0].outputFacets["outputStatistics"].rowCount == summary["count"]
    start = op.get_openlineage_facets_on_start()
    assert [each.name for each in start.inputs] == ["calls"] and start.outputs[0].name == f"{tmp_path}/calls"


@ALIAS_ON_AIRFLOW_3
def test_a_templated_path_names_the_written_asset_through_the_alias(
    gong: GongEmulator, tmp_path: Path
) -> None:
    op = GongCallsOperator(
        task_id="load",
        output_path=f"file://{tmp_path}/{{{{ ti.dag_id }}}}/calls",
        lookback=timedelta(0),
        **WINDOW,
    )
    events = OutletEventAccessors()
    context = task_context(FakeTI("load"), outlet_events=events)
    op.render_template_fields(context)
    summary = op.execute(context)
    (event,) = alias_events(events[op.outlets[0]])
    if AIRFLOW_V_3_0_PLUS:
        uri, extra = event.dest_asset_key.uri, dict(event.extra)
    else:  # Airflow 2.11: a TypedDict
        uri, extra = event["dest_dataset_uri"], dict(event["extra"])
    assert uri == f"file://{tmp_path}/gong_dag/calls"
    if not AIRFLOW_V_3_1_PLUS:  # Airflow 2.11 and 3.0 hash an alias event's extra: nested values as JSON
        extra = {
            key: json.loads(value) if key in ("window", "partitions") else value
            for key, value in extra.items()
        }
    assert extra["partitions"] == summary["partitions"] and extra["count"] == summary["count"]


def test_users_to_a_file_report_the_users_resource_and_count(gong: GongEmulator, tmp_path: Path) -> None:
    op = GongUserOperator(task_id="users", output_path=f"file://{tmp_path}/users.jsonl")
    events = OutletEventAccessors()
    context = task_context(FakeTI("users"), outlet_events=events)
    result = op.execute(context)
    extra = events[op.outlets[0]].extra
    assert extra == {
        "source": f"gong://127.0.0.1:{gong.port}/users",
        "resource": "users",
        "operation_id": "listUsers",
        "count": 12,
    }
    assert result["count"] == 12


def test_a_fetch_to_xcom_reports_its_endpoint_without_an_output(gong: GongEmulator) -> None:
    pytest.importorskip("airflow.providers.openlineage", reason="needs airflow-provider-gong[openlineage]")
    op = GongFetchOperator(task_id="fetch", operation_id="listUsers")
    records = op.execute(task_context(FakeTI("fetch")))
    found = op.get_openlineage_facets_on_complete(None)
    (source,) = found.inputs
    assert (source.name, source.facets["gong"].recordCount, found.outputs) == ("users", len(records), [])
