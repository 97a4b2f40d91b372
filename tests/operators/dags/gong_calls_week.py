"""DAGs of the incremental-load tests: calls and transcripts into a lake, daily, on each timetable."""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_gong.operators.calls import GongCallsOperator
from airflow_provider_gong.operators.transcripts import GongTranscriptsOperator

try:  # Airflow 3
    from airflow.sdk import CronDataIntervalTimetable, CronTriggerTimetable
except ImportError:  # Airflow 2
    from airflow.timetables.interval import CronDataIntervalTimetable
    from airflow.timetables.trigger import CronTriggerTimetable

LAKE = os.environ["GONG_TEST_LAKE"]
START = pendulum.datetime(2026, 11, 1, tz="UTC")

with DAG(dag_id="gong_calls_week", schedule="@daily", start_date=START, catchup=False, max_active_runs=1):
    transcripts = GongTranscriptsOperator(
        task_id="transcripts", output_path=f"{LAKE}/transcripts", lookback=timedelta(days=7)
    )
    calls = GongCallsOperator(
        task_id="calls",
        output_path=f"{LAKE}/calls",
        content=["parties", "topics", "brief", "keyPoints"],
        lookback=timedelta(days=7),
    )
    transcripts >> calls

# The same daily schedule on both kinds of timetable: a zero-length data interval (trigger) and a real one.
for name, timetable in (
    ("gong_calls_trigger", CronTriggerTimetable("@daily", timezone="UTC")),
    ("gong_calls_interval", CronDataIntervalTimetable("@daily", timezone="UTC")),
):
    with DAG(dag_id=name, schedule=timetable, start_date=START, catchup=False):
        GongTranscriptsOperator(task_id="transcripts", output_path=f"{LAKE}/{name}", lookback=timedelta(0))

# A load stopped by a spent daily quota: it defers, waits in the trigger (in line, in `dags test`) and
# resumes at the day it stopped at.
with DAG(dag_id="gong_calls_deferred", schedule="@daily", start_date=START, catchup=False):
    GongTranscriptsOperator(
        task_id="transcripts",
        gong_conn_id="gong_quota",
        output_path=f"{LAKE}/deferred",
        lookback=timedelta(days=4),
        deferrable=True,
        hook_params={"calls_per_second": 0, "max_retry_wait": 0.5},
    )
