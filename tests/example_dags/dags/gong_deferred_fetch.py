"""Test DAG: a deferrable GongUserOperator whose fetch of all users is stopped by a spent quota."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_gong.operators.users import GongUserOperator

with DAG(
    dag_id="gong_deferred_fetch",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
):
    GongUserOperator(
        task_id="all_users",
        gong_conn_id="gong_deferred",
        fields=["id"],
        deferrable=True,
        hook_params={"calls_per_second": 0, "max_retry_wait": 0.5},
    )
