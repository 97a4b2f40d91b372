"""Test DAG: one day of basic calls into ``GONG_TEST_LAKE/calls``, whose Asset runs the downstream example."""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_gong.operators.calls import GongCallsOperator

LAKE = os.environ["GONG_TEST_LAKE"].rstrip("/")

with DAG(
    dag_id="gong_calls_lineage",
    schedule=None,
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
):
    GongCallsOperator(
        task_id="load_calls",
        output_path=f"{LAKE}/calls",
        from_datetime="2026-11-19T00:00:00Z",
        to_datetime="2026-11-20T00:00:00Z",
        lookback=timedelta(0),
        hook_params={"calls_per_second": 0},
    )
    # The same load with a templated path: its Asset event goes through the AssetAlias.
    GongCallsOperator(
        task_id="load_calls_templated",
        output_path=LAKE + "/{{ dag.dag_id }}/calls",
        from_datetime="2026-11-19T00:00:00Z",
        to_datetime="2026-11-20T00:00:00Z",
        lookback=timedelta(0),
        hook_params={"calls_per_second": 0},
    )
