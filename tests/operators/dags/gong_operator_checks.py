"""Test DAGs: the XCom size GongUserOperator measures, mapped tasks writing files, mapped ``user_ids`` of
None, and the XCom parts a deferred fetch keeps, in a real run."""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, task, task_group

from airflow_provider_gong.operators.users import GongUserOperator

OUT = os.environ.get("GONG_TEST_OUTPUT_DIR", "/nonexistent")
START = pendulum.datetime(2024, 1, 1, tz="UTC")

with DAG(dag_id="gong_xcom_size", schedule=None, start_date=START, catchup=False):
    GongUserOperator(task_id="all_users", hook_params={"calls_per_second": 0})

with DAG(dag_id="gong_mapped_output", schedule=None, start_date=START, catchup=False):
    GongUserOperator.partial(
        task_id="shared_path", output_path=f"file://{OUT}/shared.jsonl", fields=["id"]
    ).expand(user_ids=[[], []])
    GongUserOperator.partial(
        task_id="path_per_index",
        output_path=f"file://{OUT}/users-{{{{ ti.map_index }}}}.jsonl",
        fields=["id"],
    ).expand(user_ids=[[], []])


with DAG(dag_id="gong_mapped_group_output", schedule=None, start_date=START, catchup=False):

    @task_group
    def per_path(path: str) -> None:
        GongUserOperator(task_id="users", user_ids=[], output_path=path)

    per_path.expand(path=[f"file://{OUT}/group-a.jsonl", f"file://{OUT}/group-b.jsonl"])


with DAG(dag_id="gong_mapped_user_ids_none", schedule=None, start_date=START, catchup=False):

    @task
    def give_mapped() -> list[Any]:
        return [None, [], "", "None", "null"]  # each way an upstream task returns nothing, then no ids

    GongUserOperator.partial(task_id="m_xcom", fields=["id"], hook_params={"calls_per_second": 0}).expand(
        user_ids=give_mapped()
    )
    GongUserOperator.partial(task_id="m_literal", fields=["id"], hook_params={"calls_per_second": 0}).expand(
        user_ids=[None, []]
    )


with DAG(
    dag_id="gong_mapped_shared_output",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={"output_path": f"{OUT}/dflt.jsonl"},
):
    GongUserOperator.partial(task_id="m_default").expand(user_ids=[[], []])
    GongUserOperator.partial(task_id="m_twice", user_ids=[]).expand(
        output_path=[f"file://{OUT}/twice.jsonl", f"{OUT}/twice.jsonl"]
    )


with DAG(dag_id="gong_deferred_xcom", schedule=None, start_date=START, catchup=False):
    GongUserOperator(
        task_id="all_users",
        gong_conn_id="gong_deferred",
        fields=["id"],
        deferrable=True,
        hook_params={"calls_per_second": 0, "max_retry_wait": 0.5},
    )
