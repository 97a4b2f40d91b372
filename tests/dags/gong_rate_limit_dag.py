"""
DAGs whose GongRateLimitSensor must wait out Gong's rate limit (used by test_rate_limit_dag).

``gong_rate_limit_wait`` (deferrable) and ``gong_rate_limit_reschedule`` (reschedule mode):
``spend_daily_quota`` plays the heavy Gong task of another DAG: at the start of a fresh "day" of the
emulator it spends every call of the day. ``wait_for_gong`` then gets a 429 whose ``Retry-After`` is the
rest of the day and waits it out (in the triggerer, or by rescheduling itself); ``fetch_users`` runs once
Gong answers again.

``gong_rate_limit_reschedule_timeout``: the sensor alone, in reschedule mode with a 5 s timeout, while
Gong keeps asking to wait 2 s (scripted by the test): the timeout counts from the first poke across the
reschedules, so the sensor fails after a few of them instead of waiting as long as Gong keeps asking.
"""

from __future__ import annotations

import time
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor


@task
def spend_daily_quota() -> dict[str, Any]:
    """Spend the whole quota of a fresh emulator "day", right at its start."""
    # max_retry_wait=0: a 429 is returned at once and puts no hold-off on this process's shared pace
    # (``airflow dags test`` runs every task in one process, so the sensor would sleep it out instead).
    hook = GongHook(max_retry_wait=0)
    limited = hook.probe()
    while limited is None:
        limited = hook.probe()
    assert limited.retry_after is not None
    time.sleep(limited.retry_after)  # the next "day" starts
    spent = 0
    limited = hook.probe()
    while limited is None:
        spent += 1
        limited = hook.probe()
    print(f"SPENT {spent} CALLS; Gong asks to wait {limited.retry_after} s")
    return {"spent": spent, "retry_after": limited.retry_after}


@task
def report(users: list[dict[str, Any]]) -> None:
    print(f"FETCHED {len(users)} USERS: {sorted(user['id'] for user in users)}")


def _dag(dag_id: str) -> DAG:
    return DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        catchup=False,
        params={"user_ids": Param([], type="array")},
    )


def _wait_then_fetch(dag_id: str, **sensor_kwargs: Any) -> DAG:
    """Spend the day's quota, wait it out with the sensor, then fetch the users of ``params.user_ids``."""
    with _dag(dag_id) as dag:
        wait_for_gong = GongRateLimitSensor(
            task_id="wait_for_gong", timeout=120, poke_interval=1, **sensor_kwargs
        )
        fetch_users = GongUserOperator(task_id="fetch_users", user_ids="{{ params.user_ids | tojson }}")
        spend_daily_quota() >> wait_for_gong >> fetch_users
        report(fetch_users.output)
    return dag


deferrable_dag = _wait_then_fetch("gong_rate_limit_wait", deferrable=True)
reschedule_dag = _wait_then_fetch("gong_rate_limit_reschedule", deferrable=False, mode="reschedule")

with _dag("gong_rate_limit_reschedule_timeout") as reschedule_timeout_dag:
    GongRateLimitSensor(
        task_id="wait_for_gong", deferrable=False, mode="reschedule", timeout=5, poke_interval=1, retries=0
    )
