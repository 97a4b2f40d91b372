"""
Example downstream pipeline: runs whenever ``example_gong_calls`` has landed new calls, not on a clock.

It is scheduled on the Asset of the calls' folder (``<lake>/calls``, the ``output_path`` of
``load_calls``): each successful load records an Asset event whose extra carries the window, the day
partitions written with their record counts, and the total; the scheduler then queues a run of this DAG.
``report_landed_calls`` prints what the triggering events say, e.g. to start a warehouse load of exactly
those partitions.

The lake is ``GONG_EXAMPLE_LAKE``, as in ``example_gong_calls`` (the same URI gives the same Asset).
On Airflow 2.11 the same code schedules on a Dataset (common-compat names it ``Asset``).
"""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset, task

LAKE = os.environ.get("GONG_EXAMPLE_LAKE", "file:///tmp/gong-example-lake").rstrip("/")
CALLS_ASSET = Asset(f"{LAKE}/calls")

with DAG(
    dag_id="example_gong_calls_downstream",
    schedule=[CALLS_ASSET],
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    tags=["gong", "example", "lineage"],
    doc_md=__doc__,
):

    @task(inlets=[CALLS_ASSET])
    def report_landed_calls(**context: Any) -> dict[str, Any]:
        """Say which partitions the triggering loads wrote (from the Asset events' extra)."""
        # Airflow 3 names them triggering_asset_events, Airflow 2.11 triggering_dataset_events.
        events = context.get("triggering_asset_events") or context.get("triggering_dataset_events") or {}
        partitions: dict[str, int] = {}
        for asset_events in events.values():
            for event in asset_events:
                extra = event.extra or {}
                print(
                    f"Gong {extra.get('resource')} landed: window {extra.get('window')}, "
                    f"{extra.get('count')} records"
                )
                partitions.update(extra.get("partitions") or {})
        return {"partitions": partitions, "count": sum(partitions.values())}

    report_landed_calls()
