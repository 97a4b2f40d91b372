"""
DAG run by ``tests/reliability/test_secrets.py`` through ``airflow tasks test`` (it redacts like a worker).

- ``fetch_users``: the GongUserOperator, fetching the ids given in the params (``--task-params``).
- ``summarize_users``: a ``@task`` that uses GongHook itself, logs something derived from the users, and
  then logs the derived ``Authorization`` value on purpose (``auth=...``), which must come out as ``***``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, get_current_context, task

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.users import GongUserOperator

with DAG(
    dag_id="gong_secrets_check",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"user_ids": Param([], type="array")},
    tags=["test"],
) as dag:
    GongUserOperator(
        task_id="fetch_users",
        user_ids="{{ params.user_ids | tojson }}",
        fields=["id", "emailAddress", "active"],
    )

    @task
    def summarize_users() -> dict[str, Any]:
        """Fetch the users with GongHook directly and report their e-mail domains."""
        context = get_current_context()
        operator = context["task"]
        hook = GongHook()
        users = hook.get_users(context["params"]["user_ids"])
        domains = Counter(str(user.get("emailAddress", "")).rpartition("@")[2] for user in users)
        operator.log.info("fetched %d users; e-mail domains: %s", len(users), dict(domains))
        # Deliberately log what the hook derived from the credentials: the masker must hide it.
        operator.log.info("auth=%s", hook.settings.authorization)
        operator.log.info("settings=%r", hook.settings)
        print(f"print of the header: {hook.settings.authorization}")
        return {"users": len(users), "domains": dict(domains), "auth_mode": hook.settings.auth_mode}

    summarize_users()
