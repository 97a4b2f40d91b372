"""A DAG whose Gong connection is an OAuth app without shared state (used by test_oauth_dag).

``fetch_users`` loads the users with the connection ``gong_oauth``: its first run refreshes the access
token with the connection's seed refresh token, and saves the rotated one to the Airflow Variable
``gong_oauth_token__gong_oauth`` through the Task SDK; a later run reads it there.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_gong.operators.users import GongUserOperator

with DAG(
    dag_id="gong_oauth_users",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
):
    GongUserOperator(task_id="fetch_users", gong_conn_id="gong_oauth", fields=["id"])
