"""What a run reports as lineage: the record, OpenLineage's naming and facets, no import of OpenLineage."""

from __future__ import annotations

import pytest
from airflow_home import run_python

from airflow_provider_gong.endpoints import ENDPOINTS
from airflow_provider_gong.lineage import openlineage_dataset_name, operator_lineage, run_lineage

SUMMARY = {
    "window": {"from": "2026-11-19T00:00:00+00:00", "to": "2026-11-20T00:00:00+00:00"},
    "path": "s3://bucket/gong/calls",
    "partitions": {"2026-11-19": 5, "2026-11-18": 2},
    "count": 7,
    "calls_made": 1,
}


def test_run_lineage_of_a_load_summary() -> None:
    lineage = run_lineage(
        "https://us-1.api.gong.io", ENDPOINTS["listCalls"], "s3://conn@bucket/gong/calls", SUMMARY
    )
    assert lineage.input_uri == "gong://us-1.api.gong.io/calls"
    assert lineage.output_uri == "s3://bucket/gong/calls"
    assert lineage.extra() == {
        "source": "gong://us-1.api.gong.io/calls",
        "resource": "calls",
        "operation_id": "listCalls",
        "window": SUMMARY["window"],
        "partitions": {"2026-11-19": 5, "2026-11-18": 2},
        "count": 7,
    }


def test_run_lineage_of_records_returned_to_xcom() -> None:
    lineage = run_lineage(
        "https://us-1.api.gong.io", ENDPOINTS["listUsers"], None, [{"id": "1"}, {"id": "2"}]
    )
    assert (lineage.output_uri, lineage.count, lineage.window) == (None, 2, None)
    assert lineage.extra() == {
        "source": "gong://us-1.api.gong.io/users",
        "resource": "users",
        "operation_id": "listUsers",
        "count": 2,
    }


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://bucket/gong/calls", ("s3://bucket", "gong/calls")),
        ("gs://bucket/gong/calls", ("gs://bucket", "gong/calls")),
        ("file:///data/gong/calls", ("file", "/data/gong/calls")),
        ("gong://us-1.api.gong.io/calls/transcript", ("gong://us-1.api.gong.io", "calls/transcript")),
    ],
)
def test_openlineage_naming_of_object_stores(uri: str, expected: tuple[str, str]) -> None:
    assert openlineage_dataset_name(uri) == expected


def test_operator_lineage_carries_resource_window_and_counts() -> None:
    pytest.importorskip("airflow.providers.openlineage", reason="needs airflow-provider-gong[openlineage]")
    lineage = run_lineage(
        "https://us-1.api.gong.io", ENDPOINTS["listCalls"], "s3://bucket/gong/calls", SUMMARY
    )
    found = operator_lineage(lineage)
    (source,) = found.inputs
    (target,) = found.outputs
    assert (source.namespace, source.name) == ("gong://us-1.api.gong.io", "calls")
    assert (target.namespace, target.name) == ("s3://bucket", "gong/calls")
    assert source.facets["gong"].resource == "calls" and source.facets["gong"].recordCount == 7
    assert source.facets["gong"].window == SUMMARY["window"]
    assert source.inputFacets["inputStatistics"].rowCount == 7
    assert target.facets["gong"].partitions == {"2026-11-19": 5, "2026-11-18": 2}
    assert target.outputFacets["outputStatistics"].rowCount == 7
    assert target.outputFacets["outputStatistics"].fileCount == 2
    assert operator_lineage(None).inputs == []


def test_without_the_openlineage_provider_everything_else_works(tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = run_python(
        """
        import json, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                # The client and the provider's code; Airflow still reads the installed provider's info.
                ours = name.startswith("airflow.providers.openlineage.")
                provider = ours and "get_provider_info" not in name
                if name.split(".")[0] == "openlineage" or provider:
                    raise ImportError(f"blocked: {name}")
                return None

        sys.meta_path.insert(0, Block())
        from airflow_provider_gong.operators.calls import GongCallsOperator
        from airflow_provider_gong.operators.users import GongUserOperator
        from airflow_provider_gong.operators.fetch import GongFetchOperator
        from airflow_provider_gong.operators.transcripts import GongTranscriptsOperator
        from airflow_provider_gong import assets, lineage
        op = GongCallsOperator(task_id="c", output_path="file:///tmp/gong/calls")
        ol = ("openlineage", "airflow.providers.openlineage.")
        loaded = sorted(m for m in sys.modules if m.startswith(ol) and not m.endswith(".get_provider_info"))
        try:
            op.get_openlineage_facets_on_start()
            facets = "returned"
        except ImportError as err:
            facets = "ImportError"
        print(json.dumps({"loaded": loaded, "outlets": [o.uri for o in op.outlets], "facets": facets}))
        """,
        home=tmp_path,
    )
    assert found == {"loaded": [], "outlets": ["file:///tmp/gong/calls"], "facets": "ImportError"}


def test_no_module_imports_openlineage_when_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    loaded = run_python(
        """
        import json, sys
        import airflow_provider_gong.operators.calls, airflow_provider_gong.operators.users
        import airflow_provider_gong.operators.fetch, airflow_provider_gong.lineage
        import airflow_provider_gong.assets
        # Airflow's ProvidersManager reads every provider's get_provider_info; nothing else may load.
        ol = ("openlineage", "airflow.providers.openlineage.")
        found = sorted(m for m in sys.modules if m.startswith(ol) and not m.endswith(".get_provider_info"))
        print(json.dumps(found))
        """,
        home=tmp_path,
    )
    assert loaded == []


def test_the_hook_lineage_collector_gets_the_gong_input_and_the_output(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("airflow.providers.openlineage", reason="the collector is on with a lineage reader")
    found = run_python(
        """
        import json, os
        # With a transport, OpenLineage registers its hook-lineage reader: the collector is on.
        os.environ["AIRFLOW__OPENLINEAGE__TRANSPORT"] = '{"type": "console"}'
        from airflow_provider_gong.endpoints import ENDPOINTS
        from airflow_provider_gong.hooks.gong import GongHook
        from airflow_provider_gong.lineage import report_to_collector, run_lineage
        from airflow_provider_gong.version_compat import get_hook_lineage_collector

        summary = {"window": {"from": "a", "to": "b"}, "partitions": {"2026-11-19": 3}, "count": 3}
        base, calls = "https://us-1.api.gong.io", ENDPOINTS["listCalls"]
        lineage = run_lineage(base, calls, "s3://b/gong/calls", summary)
        report_to_collector(GongHook(), lineage)
        collected = get_hook_lineage_collector().collected_assets
        print(json.dumps({
            "inputs": [[each.asset.uri, each.asset.extra] for each in collected.inputs],
            "outputs": [each.asset.uri for each in collected.outputs],
        }))
        """,
        home=tmp_path,
    )
    extra = {"source": "gong://us-1.api.gong.io/calls", "resource": "calls", "operation_id": "listCalls"}
    extra |= {"window": {"from": "a", "to": "b"}, "count": 3}
    assert found == {"inputs": [["gong://us-1.api.gong.io/calls", extra]], "outputs": ["s3://b/gong/calls"]}
