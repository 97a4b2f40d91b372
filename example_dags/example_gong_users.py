"""
Example pipeline: fetch Gong users and report who is active, per manager and per spoken language.

- ``fetch_chosen_users`` fetches the users whose ids come in the DAG params (100 ids per Gong call).
- ``wait_for_gong_rate_limit`` makes sure Gong's rate limit lets calls through before the heavy fetch; when
  the company's quota is spent it waits in the triggerer (deferrable), for as long as ``Retry-After`` says,
  without holding a worker or pool slot.
- ``fetch_all_users`` fetches every user of the company, keeping only the keys the report needs so the
  XCom stays small (set ``output_path`` instead when a company has thousands of users).
- ``active_users_report`` counts active users per manager and per primary spoken language, checks
  that the chosen users are among all users, and says where the data came from (the connection's base
  URL, never its credentials) and how many Gong calls the run needed.

Run it against the bundled Gong emulator with the README's demo command, or against your Gong by setting
``AIRFLOW_CONN_GONG_DEFAULT`` and ``airflow dags test example_gong_users -c '{"user_ids": ["..."]}'``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_gong.endpoints import PAGE_SIZE
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor

# Gong allows 3 calls per second and 10,000 calls per day per *company*, shared by every worker and DAG.
# The hook paces each task process on its own; running Gong tasks in one pool (create it with
# `airflow pools set gong_api 1 "Gong API calls"`) keeps all workers together under the limit.
GONG_POOL = "gong_api"

with DAG(
    dag_id="example_gong_users",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "gong"],
    params={
        "user_ids": Param(
            [],
            type="array",
            items={"type": "string", "pattern": "^[0-9]{1,20}$"},
            description="Gong user ids to fetch in detail (strings of up to 20 digits).",
        ),
    },
    doc_md=__doc__,
) as dag:
    chosen = GongUserOperator(
        task_id="fetch_chosen_users",
        user_ids="{{ params.user_ids | tojson }}",
        pool=GONG_POOL,
    )

    # One cheap probe; on a 429 the wait happens in the triggerer, at the pace of Gong's Retry-After.
    gong_ready = GongRateLimitSensor(
        task_id="wait_for_gong_rate_limit",
        deferrable=True,
        timeout=6 * 60 * 60,
        pool=GONG_POOL,
    )

    everyone = GongUserOperator(
        task_id="fetch_all_users",
        user_ids=None,
        fields=["id", "emailAddress", "active", "managerId", "spokenLanguages"],
        pool=GONG_POOL,
    )

    @task
    def active_users_report(
        chosen_users: list[dict[str, Any]], all_users: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Count active users per manager and per primary spoken language; say where they came from."""
        active = [user for user in all_users if user.get("active")]
        per_manager = Counter(user.get("managerId") or "(no manager)" for user in active)
        per_language = Counter(_primary_language(user) for user in active)
        known = {user["id"] for user in all_users}
        # No request here: the hook resolves the connection's base URL, which never holds credentials.
        source = GongHook(everyone.gong_conn_id).settings.base_url
        calls = _calls_needed(len(chosen_users), len(all_users))
        report = {
            "source": source,
            "users": len(all_users),
            "include_avatars": everyone.include_avatars,
            "active_users": len(active),
            "chosen_users": [user["id"] for user in chosen_users],
            "chosen_users_unknown_in_listing": [u["id"] for u in chosen_users if u["id"] not in known],
            "active_per_manager": dict(per_manager.most_common()),
            "active_per_primary_language": dict(per_language.most_common()),
            "gong_calls_needed": calls,
        }
        avatars = "included" if everyone.include_avatars else "hidden"
        print("Gong active-users report:")
        print(f"  data from: Gong at {source}")
        print(
            f"  {len(all_users)} users listed (avatars {avatars}: "
            f"include_avatars={everyone.include_avatars}), {len(active)} active"
        )
        print(
            "  top managers by active reports: "
            + ", ".join(f"{m}: {n}" for m, n in per_manager.most_common(5))
        )
        print(
            "  active users per primary language: "
            + ", ".join(f"{k}: {n}" for k, n in per_language.most_common())
        )
        print(f"  chosen users fetched: {len(chosen_users)}")
        print(
            f"  Gong calls: {sum(calls.values())} needed ({calls['chosen_ids']} for "
            f"{len(chosen_users)} chosen ids, {calls['rate_limit_probe']} rate-limit probe, "
            f"{calls['pages_of_all_users']} pages of all users); retries and repeated probes are not "
            "counted (each task's hook counts its own calls, in its own process: GongHook.calls_sent)"
        )
        return report

    gong_ready >> everyone
    active_users_report(chosen.output, everyone.output)


def _calls_needed(chosen: int, listed: int) -> dict[str, int]:
    """The Gong calls a successful run makes, without retries: ids go 100 per call, pages hold 100."""
    return {
        "chosen_ids": math.ceil(chosen / PAGE_SIZE),
        "rate_limit_probe": 1,
        "pages_of_all_users": max(1, math.ceil(listed / PAGE_SIZE)),
    }


def _primary_language(user: dict[str, Any]) -> str:
    for language in user.get("spokenLanguages") or []:
        if language.get("primary"):
            return str(language.get("language"))
    return "(none)"
