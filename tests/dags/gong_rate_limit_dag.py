"""
A DAG whose deferrable GongRateLimitSensor must wait out a spent daily quota (used by test_rate_limit_dag).

``spend_daily_quota`` plays the heavy Gong task of another DAG: at the start of a fresh "day" of the
emulator it spends every call of the day. ``wait_for_gong`` then gets a 429 whose ``Retry-After`` is the
rest of the day, defers, and the trigger waits it out; ``fetch_users`` runs once Gong answers again.
"""

from __future__ import annotations

import time
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor

with DAG(
    dag_id="gong_rate_limit_wait",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"user_ids": Param([], type="array")},
) as dag:

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

    wait_for_gong = GongRateLimitSensor(
        task_id="wait_for_gong", deferrable=True, timeout=120, poke_interval=1
    )

    fetch_users = GongUserOperator(task_id="fetch_users", user_ids="{{ params.user_ids | tojson }}")

    @task
    def report(users: list[dict[str, Any]]) -> None:
        print(f"FETCHED {len(users)} USERS: {sorted(user['id'] for user in users)}")

    spend_daily_quota() >> wait_for_gong >> fetch_users
    report(fetch_users.output)
