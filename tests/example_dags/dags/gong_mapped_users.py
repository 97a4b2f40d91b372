"""Test DAG: GongUserOperator mapped over groups of ids with .partial().expand()."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_gong.operators.users import GongUserOperator

with DAG(
    dag_id="gong_mapped_users",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"groups": Param([], type="array")},
    render_template_as_native_obj=True,
):
    GongUserOperator.partial(task_id="users_per_group", fields=["id", "emailAddress"]).expand(
        user_ids=["{{ params.groups[0] }}", "{{ params.groups[1] | join(',') }}", "{{ params.groups[2] }}"]
    )
