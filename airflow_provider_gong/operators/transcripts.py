"""GongTranscriptsOperator: call transcripts loaded incrementally, one UTC day at a time, by day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from airflow_provider_gong.client.paging import Resume
from airflow_provider_gong.endpoints import ENDPOINTS, Endpoint
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.base import KnownIds
from airflow_provider_gong.operators.incremental import BaseGongIncrementalOperator, Segment
from airflow_provider_gong.operators.window import LoadWindow

__all__ = ["GongTranscriptsOperator"]


class GongTranscriptsOperator(BaseGongIncrementalOperator):
    """
    Load the transcripts of a window's calls into day partitions,
    ``<output_path>/date=YYYY-MM-DD/transcripts.jsonl``.

    A transcript (``{"callId", "transcript": [{"speakerId", "topic", "sentences": [...]}]}``, scope
    ``api:calls:read:transcript``) carries no start time, so each UTC day is asked from Gong on its own
    (``POST /v2/calls/transcript``, one request per day and page of 100): a transcript lands in the day
    Gong files its call under. Gong transcribes a call some time after it ends, so each run rewrites every
    day its window and ``lookback`` (default 7 days) touch, whole, with what Gong returns now: a transcript
    that was not ready yesterday is in today's rewrite, and each call's transcript is in exactly one
    partition. Nothing is written until every day was fetched (see
    :class:`~airflow_provider_gong.operators.calls.GongCallsOperator` for the window, the staging and the
    summary returned to XCom, and
    :class:`~airflow_provider_gong.operators.incremental.BaseGongIncrementalOperator` for the arguments).
    """

    record_noun = "transcript"
    record_plural = "transcripts"
    partition_file = "transcripts.jsonl"
    id_path = ("callId",)
    known_keys = ("callId", "transcript")
    default_probe_endpoint = "listCalls"

    def source(self) -> Endpoint:
        """Transcripts come from ``POST /v2/calls/transcript``."""
        return ENDPOINTS["getCallTranscripts"]

    def day_of(self, record: Mapping[str, Any]) -> date | None:
        """Transcripts are placed by the day they were asked for (a record has no time of its own)."""
        return None

    def segments(self, window: LoadWindow, workspace_id: str | None) -> list[tuple[date | None, Segment]]:
        """One request plan per UTC day rewritten."""
        return [(day, _one_day(day, workspace_id)) for day in window.days]


def _one_day(day: date, workspace_id: str | None) -> Segment:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)

    def transcripts(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
        return hook.iter_transcripts(
            from_datetime=start,
            to_datetime=end,
            workspace_id=workspace_id,
            resume=resume,
            known_ids=known_ids,
        )

    return transcripts
