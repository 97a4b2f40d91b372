"""
DAG run by ``tests/reliability/test_shared_deployment.py`` in a real deployment (scheduler, LocalExecutor).

``list_users``: GongUserOperator mapped over ``GONG_SHARED_MAPPED`` output paths (default 8), so that many
task instances run at once, each listing every user of the company page by page (``GET /v2/users``) into
its own JSON Lines file under ``GONG_SHARED_OUTPUT_DIR``. The connection (``gong_default``) shares one
pace through Redis (its ``shared_state_url`` extra): together they must stay within Gong's 3 calls/s.
"""

from __future__ import annotations

import os

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_gong.operators.users import GongUserOperator

OUTPUT_DIR = os.environ.get("GONG_SHARED_OUTPUT_DIR", "/tmp/gong-shared-mapped")
MAPPED = int(os.environ.get("GONG_SHARED_MAPPED", "8"))

with DAG(
    dag_id="gong_shared_mapped",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=MAPPED,
    tags=["test"],
) as dag:
    GongUserOperator.partial(task_id="list_users", fields=["id"], retries=0).expand(
        output_path=[f"{OUTPUT_DIR}/users-{index}.jsonl" for index in range(MAPPED)]
    )
