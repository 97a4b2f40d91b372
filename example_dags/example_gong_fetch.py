"""
Example pipeline: Gong's settings and daily activity statistics into a lake, every day.

- ``load_workspaces`` and ``load_trackers`` fetch the company's workspaces and keyword trackers whole (two
  of Gong's listings without a window) into one JSON Lines file each, rewritten by every run.
- ``load_activity`` loads each user's daily activity (``listMultipleUsersDayByDayActivity``: calls
  attended, e-mails, scorecards given...) into ``<lake>/activity/date=YYYY-MM-DD/``, one partition per
  day of Gong's company dates (``GONG_COMPANY_TIMEZONE``, your company settings' time zone; default
  UTC). Each run rewrites the day it is for and the 7 days before it: figures Gong completes late are
  caught, and each user's day is in exactly one partition.
- ``load_report`` says what landed where. The records themselves never go through XCom.

Any other read endpoint of Gong's API loads the same way: ``GongFetchOperator(operation_id=...,
inputs={...})``, by Gong's ``operationId`` (README, "Every Gong read endpoint").

The lake is ``GONG_EXAMPLE_LAKE`` (any fsspec URI, e.g. ``s3://bucket/gong``; default a local folder).
Run it against the bundled Gong emulator with the README's demo command, or against your Gong by setting
``AIRFLOW_CONN_GONG_DEFAULT`` and ``airflow dags test example_gong_fetch``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_gong.operators.fetch import GongFetchOperator

LAKE = os.environ.get("GONG_EXAMPLE_LAKE", "file:///tmp/gong-example-lake").rstrip("/")
COMPANY_TIMEZONE = os.environ.get("GONG_COMPANY_TIMEZONE", "UTC")
# Gong allows 3 calls per second and 10,000 calls per day per company: one pool for every Gong task.
GONG_POOL = "gong_api"

with DAG(
    dag_id="example_gong_fetch",
    # A run at midnight loads the day before (on Airflow 3 "@daily" has a zero-length data interval: the
    # load takes the schedule period before the logical date; on Airflow 2 the data interval is that day).
    schedule="@daily",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["example", "gong"],
    doc_md=__doc__,
) as dag:
    workspaces = GongFetchOperator(
        task_id="load_workspaces",
        operation_id="listWorkspaces",
        output_path=f"{LAKE}/settings/workspaces.jsonl",
        pool=GONG_POOL,
    )
    trackers = GongFetchOperator(
        task_id="load_trackers",
        operation_id="listTrackers",
        output_path=f"{LAKE}/settings/trackers.jsonl",
        pool=GONG_POOL,
    )
    activity = GongFetchOperator(
        task_id="load_activity",
        operation_id="listMultipleUsersDayByDayActivity",
        output_path=f"{LAKE}/activity",
        company_timezone=COMPANY_TIMEZONE,
        lookback=timedelta(days=7),
        deferrable=True,
        pool=GONG_POOL,
    )

    @task
    def load_report(
        workspaces_summary: dict[str, Any], trackers_summary: dict[str, Any], activity_summary: dict[str, Any]
    ) -> dict[str, Any]:
        """Say what landed where, from the loads' summaries."""
        window = activity_summary["window"]
        lines = ["Gong fetch report:"]
        for name, summary in (("workspaces", workspaces_summary), ("trackers", trackers_summary)):
            lines.append(f"{name}: {summary['count']} records in {summary['path']}")
        lines.append(
            f"activity: {activity_summary['count']} user-days of window {window['from']} .. {window['to']} "
            f"(re-read from {window['read_from']}), company dates in {COMPANY_TIMEZONE}, under "
            f"{activity_summary['path']}"
        )
        for day, count in sorted(activity_summary["partitions"].items()):
            lines.append(f"  date={day}/listMultipleUsersDayByDayActivity.jsonl: {count}")
        lines.append(f"Gong calls for activity: {activity_summary['calls_made']}")
        for line in lines:
            print(line)
        return {
            "workspaces": workspaces_summary["count"],
            "trackers": trackers_summary["count"],
            "activity": activity_summary["count"],
            "days": sorted(activity_summary["partitions"]),
        }

    load_report(workspaces.output, trackers.output, activity.output)
