"""
Example pipeline: load yesterday's Gong calls (detailed) and their transcripts into a lake, every day.

- ``load_calls`` loads detailed calls (parties, topics, trackers, brief, highlights, key points, outcome,
  interaction stats) into ``<lake>/calls/date=YYYY-MM-DD/calls.jsonl``.
- ``load_transcripts`` loads their transcripts into ``<lake>/transcripts/date=YYYY-MM-DD/transcripts.jsonl``.
- Each run rewrites the day it is for and the 7 days before it: Gong lists calls, and completes their
  transcripts and detailed content, hours or days after they happened; the re-read catches them. Each
  call is in exactly one partition, with its latest content, however runs, reruns and backfills follow.
- ``load_report`` says what landed where: the window, each partition and its record count, and the Gong
  calls the loads needed. The records themselves never go through XCom.

The lake is ``GONG_EXAMPLE_LAKE`` (any fsspec URI, e.g. ``s3://bucket/gong``; default a local folder).
Run it against the bundled Gong emulator with the README's demo command, or against your Gong by setting
``AIRFLOW_CONN_GONG_DEFAULT`` and ``airflow dags test example_gong_calls``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, task

from airflow_provider_gong.operators.calls import GongCallsOperator
from airflow_provider_gong.operators.transcripts import GongTranscriptsOperator

LAKE = os.environ.get("GONG_EXAMPLE_LAKE", "file:///tmp/gong-example-lake").rstrip("/")
# Gong allows 3 calls per second and 10,000 calls per day per company: one pool for every Gong task.
GONG_POOL = "gong_api"
# The Asset of the calls' folder: each successful load records an event on it (extra: the window, the
# partitions written, the record counts), which runs example_gong_calls_downstream. The operator adds it to
# its outlets by itself (emit_asset=True); it is named here to be seen, and shared with that DAG.
CALLS_ASSET = Asset(f"{LAKE}/calls")

with DAG(
    dag_id="example_gong_calls",
    # On Airflow 3 "@daily" has a zero-length data interval: the load takes the day before the run's logical
    # date. On Airflow 2 the data interval is that same day. Either way a run at midnight loads yesterday.
    schedule="@daily",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["example", "gong"],
    doc_md=__doc__,
) as dag:
    calls = GongCallsOperator(
        task_id="load_calls",
        output_path=f"{LAKE}/calls",
        outlets=[CALLS_ASSET],
        content=[
            "parties",
            "topics",
            "trackers",
            "brief",
            "highlights",
            "keyPoints",
            "callOutcome",
            "personInteractionStats",
            "questions",
        ],
        lookback=timedelta(days=7),
        deferrable=True,
        pool=GONG_POOL,
    )

    transcripts = GongTranscriptsOperator(
        task_id="load_transcripts",
        output_path=f"{LAKE}/transcripts",
        lookback=timedelta(days=7),
        deferrable=True,
        pool=GONG_POOL,
    )

    @task
    def load_report(calls_summary: dict[str, Any], transcripts_summary: dict[str, Any]) -> dict[str, Any]:
        """Say what landed where, from the loads' summaries."""
        window = calls_summary["window"]
        lines = [
            "Gong calls load report:",
            f"window {window['from']} .. {window['to']}, re-read from {window['read_from']} "
            f"(lookback) to {window['read_to']}",
        ]
        for name, summary in (("calls", calls_summary), ("transcripts", transcripts_summary)):
            lines.append(f"{name}: {summary['count']} records in {len(summary['partitions'])} day partitions")
            lines.append(f"  under {summary['path']}")
            for day, count in sorted(summary["partitions"].items()):
                lines.append(f"  date={day}/{name}.jsonl: {count}")
        total = calls_summary["calls_made"] + transcripts_summary["calls_made"]
        lines.append(
            f"Gong calls: {total} ({calls_summary['calls_made']} for calls, "
            f"{transcripts_summary['calls_made']} for transcripts)"
        )
        for line in lines:
            print(line)
        return {
            "calls": calls_summary["count"],
            "transcripts": transcripts_summary["count"],
            "gong_calls": total,
        }

    load_report(calls.output, transcripts.output)
