"""GongCallsOperator: calls (basic, or detailed with ``content``) loaded incrementally into day partitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow_provider_gong.client.content import MEDIA_NOTE, content_selector, requests_media
from airflow_provider_gong.client.paging import Resume
from airflow_provider_gong.endpoints import ENDPOINTS, Endpoint
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.base import KnownIds
from airflow_provider_gong.operators.incremental import BaseGongIncrementalOperator, Segment
from airflow_provider_gong.operators.window import DEFAULT_LOOKBACK, LoadWindow
from airflow_provider_gong.version_compat import ObjectStoragePath, conf

__all__ = ["SCHEDULE_MARGIN", "GongCallsOperator", "call_day"]

#: How far beyond the days it rewrites a calls load asks Gong: Gong files a web conference it recorded
#: by its scheduled time, the partitions go by the time it started, and the two differ by minutes.
SCHEDULE_MARGIN = timedelta(hours=12)


def call_day(call: Mapping[str, Any]) -> date | None:
    """
    The UTC day a call started (``metaData.started`` of a detailed call, ``started`` of a basic one; the
    scheduled time when Gong gives no start), or ``None``.

    :param call: A call as Gong sent it.
    """
    meta = call.get("metaData")
    source = meta if isinstance(meta, Mapping) else call
    for key in ("started", "scheduled"):
        text = source.get(key)
        if isinstance(text, str) and text:
            try:
                moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
            except ValueError:
                continue
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
    return None


class GongCallsOperator(BaseGongIncrementalOperator):
    """
    Load the calls of a window into day partitions: ``<output_path>/date=YYYY-MM-DD/calls.jsonl``.

    Each run rewrites every UTC day its window and ``lookback`` touch with what Gong returns now, placed
    by the day each call started, so a call Gong lists late (it processes calls for hours, sometimes days)
    is caught by a later run, and each call is in exactly one partition, with its latest content, however
    runs, reruns, backfills and retries follow each other. Nothing is written until the whole window was
    fetched: records are staged under ``<output_path>/_gong_staging/`` and each partition is then replaced
    whole (see :mod:`~airflow_provider_gong.operators.partitions`). A day without calls gets an empty file.

    Without ``content`` the calls are Gong's basic call objects (``GET /v2/calls``, scope
    ``api:calls:read:basic``); with it, detailed calls (``POST /v2/calls/extensive``, scope
    ``api:calls:read:extensive``): ``{"metaData": {...}, "parties": [...], "content": {...}, ...}``.
    Use a separate ``output_path`` for basic and detailed loads. The window is asked from Gong 12 hours
    wider on each side (:data:`SCHEDULE_MARGIN`; Gong files web conferences by their scheduled time);
    calls that started outside the days rewritten are left to the runs that rewrite their day.

    Returns a small summary to XCom: ``{"window", "path", "partitions": {"2026-11-30": 12, ...}, "count",
    "calls_made"}``, never the records.

    :param output_path: The folder of the partitions: an :class:`~airflow.sdk.ObjectStoragePath` or a URI
        of any fsspec file system (``file://``, ``s3://``, ``gs://``...). Required. Templated.
    :param content: What a detailed call holds besides ``metaData``: leaf names of Gong's
        ``exposedFields`` (``"parties"``, ``"topics"``, ``"trackers"``, ``"brief"``, ``"outline"``,
        ``"highlights"``, ``"keyPoints"``, ``"callOutcome"``, ``"personInteractionStats"``,
        ``"questions"``, ``"publicComments"``, ...), as a list or a comma-separated string, or Gong's raw
        ``contentSelector`` dict. ``"media"`` adds download URLs of the audio and video: an OAuth app needs
        the scope ``api:calls:read:media-url``, and the URLs expire 8 hours after the load, so a file that
        keeps them holds dead links by the next day. ``None`` (default): basic calls. Templated.
    :param crm_context: ``"basic"`` adds each call's links to external systems (CRM objects), ``"extended"``
        their fields too (Gong's ``contentSelector.context``); detailed calls only.
    :param context_timing: With ``crm_context="extended"``: ``["now"]`` and/or ``"timeOfCall"``.
    :param from_datetime: The window's start instead of the run's data interval (ISO-8601 or
        ``datetime``; naive = UTC). Templated.
    :param to_datetime: The window's end (exclusive). Templated.
    :param lookback: How far before the window to re-read (default 7 days).
    :param workspace_id: Only calls of this workspace. Templated.
    :param gong_conn_id: The Gong connection id.
    :param fields: Keep only these top-level keys of each call. Templated.
    :param hook_params: Keyword arguments for :class:`GongHook`, checked when the DAG is parsed.
    :param deferrable: Wait out a long rate limit in the triggerer and resume where the load stopped
        (nothing fetched twice). Default: ``[operators] default_deferrable``.
    :param probe_endpoint: What the triggerer probes meanwhile. Default ``"listCalls"``.
    """

    record_noun = "call"
    record_plural = "calls"
    partition_file = "calls.jsonl"
    known_keys = ("metaData", "parties", "content", "interaction", "collaboration", "media", "context")
    default_probe_endpoint = "listCalls"
    template_fields: Sequence[str] = (
        "fields",
        "output_path",
        "from_datetime",
        "to_datetime",
        "workspace_id",
        "content",
    )

    def __init__(
        self,
        *,
        output_path: str | ObjectStoragePath,
        content: Iterable[str] | Mapping[str, Any] | str | None = None,
        crm_context: str | None = None,
        context_timing: Iterable[str] | str | None = None,
        from_datetime: datetime | str | None = None,
        to_datetime: datetime | str | None = None,
        lookback: timedelta = DEFAULT_LOOKBACK,
        workspace_id: str | int | None = None,
        gong_conn_id: str = GongHook.default_conn_name,
        fields: str | Sequence[str] | None = None,
        hook_params: dict[str, Any] | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(
            output_path=output_path,
            from_datetime=from_datetime,
            to_datetime=to_datetime,
            lookback=lookback,
            workspace_id=workspace_id,
            gong_conn_id=gong_conn_id,
            fields=fields,
            hook_params=hook_params,
            deferrable=deferrable,
            **kwargs,
        )
        self.content = content
        self.crm_context = crm_context
        self.context_timing = context_timing
        if not isinstance(content, str) or "{{" not in content:
            self._selector()

    def _selector(self) -> dict[str, Any] | None:
        content = None if self.content in ("", None) else self.content
        try:
            selector = content_selector(content, context=self.crm_context, context_timing=self.context_timing)
        except ValueError as err:
            raise ValueError(f"{self.task_id}: {err}") from None
        return selector

    @property
    def detailed(self) -> bool:
        """Whether the load asks for detailed calls (``content`` or ``crm_context`` given)."""
        return self._selector() is not None

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        """A basic call's ``id``, or a detailed call's ``metaData.id``."""
        meta = record.get("metaData")
        value = meta.get("id") if isinstance(meta, Mapping) else record.get("id")
        return None if value is None else str(value)

    def day_of(self, record: Mapping[str, Any]) -> date | None:
        """The UTC day the call started."""
        return call_day(record)

    def source(self) -> Endpoint:
        """Detailed calls come from ``POST /v2/calls/extensive``, basic ones from ``GET /v2/calls``."""
        return ENDPOINTS["listCallsExtensive" if self._selector() is not None else "listCalls"]

    def describe_start(self, record: Mapping[str, Any]) -> str:
        """What the call holds as ``started`` and ``scheduled``."""
        meta = record.get("metaData")
        source = meta if isinstance(meta, Mapping) else record
        return (
            f"'started' is {source.get('started')!r} and 'scheduled' {source.get('scheduled')!r} "
            "(ISO-8601 date-times expected)"
        )

    def fetch_inputs(self) -> list[Any]:
        """The content selector: a resume applies to the same one only."""
        return [self._selector()]

    def segments(self, window: LoadWindow, workspace_id: str | None) -> list[tuple[date | None, Segment]]:
        """One listing over the days rewritten, :data:`SCHEDULE_MARGIN` wider on each side."""
        selector = self._selector()
        start, end = window.read_from - SCHEDULE_MARGIN, window.read_to + SCHEDULE_MARGIN
        if selector is not None and requests_media(selector):
            self.log.warning("content includes media: %s", MEDIA_NOTE)

        def listing(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
            if selector is None:
                return hook.iter_calls(
                    start, end, workspace_id=workspace_id, resume=resume, known_ids=known_ids
                )
            return hook.iter_calls_extensive(
                from_datetime=start,
                to_datetime=end,
                workspace_id=workspace_id,
                content=selector,
                resume=resume,
                known_ids=known_ids,
            )

        return [(None, listing)]
