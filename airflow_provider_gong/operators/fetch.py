"""GongFetchOperator: any of Gong's read endpoints from a DAG; date-ranged ones loaded day by day.

One operator for every operation of :data:`~airflow_provider_gong.endpoints.ENDPOINTS`: a listing (paged
or not) returns its records, an endpoint that answers one object returns that answer, to XCom or to
``output_path``. An endpoint with a window (stats, scorecards, logs, calls...) whose window the inputs
leave out follows the run's data interval, one request plan per day, into idempotent day partitions
(:class:`~airflow_provider_gong.operators.incremental.BaseGongIncrementalOperator`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_gong.client.dates import check_timezone, company_dates
from airflow_provider_gong.client.operations import endpoint_for
from airflow_provider_gong.client.paging import Resume, fingerprint
from airflow_provider_gong.endpoints import DEFAULT_PROBE_ENDPOINT, Endpoint
from airflow_provider_gong.exceptions import GongConfigError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.arguments import (
    check_output_path,
    describe,
    is_literal,
    is_nothing,
    map_index_of,
    rendered_to_nothing,
)
from airflow_provider_gong.operators.base import (
    DEFAULT_MAX_XCOM_BYTES,
    BaseGongFetchOperator,
    Fetch,
    KnownIds,
)
from airflow_provider_gong.operators.incremental import BaseGongIncrementalOperator, Segment
from airflow_provider_gong.operators.partitions import PartitionSink
from airflow_provider_gong.operators.sinks import Sink
from airflow_provider_gong.operators.window import DEFAULT_LOOKBACK, LoadWindow
from airflow_provider_gong.version_compat import ObjectStoragePath, conf

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = ["GongFetchOperator"]

_DAY = timedelta(days=1)


def _endpoint(operation_id: object, task_id: object) -> Endpoint:
    """The registry's entry for ``operation_id``, or ``ValueError`` naming the closest operation ids."""
    try:
        return endpoint_for(operation_id)
    except GongConfigError as err:
        raise ValueError(f"{task_id}: operation_id: {err}") from None


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return noun[:-1] + "ies"
    return noun if noun.endswith("s") else noun + "s"


def _literal(value: object) -> bool:
    """Whether ``inputs`` is final as given, looking inside dicts and lists (no template, no XComArg)."""
    if isinstance(value, Mapping):
        return all(_literal(key) and _literal(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return all(_literal(item) for item in value)
    return is_literal(value)


class GongFetchOperator(BaseGongIncrementalOperator):
    """
    Fetch the records of any of Gong's read endpoints, by its ``operationId``.

    ``inputs`` are the endpoint's keyword inputs as :meth:`GongHook.iter_records
    <airflow_provider_gong.hooks.gong.GongHook.iter_records>` takes them (the snake_case of Gong's names:
    ``workspace_id``, ``log_type``, a POST body's top-level keys by name: ``filter``,
    ``aggregation_period``...; ``ENDPOINTS[operation_id].inputs`` lists them). They are checked before any
    request: literal ones when the DAG is parsed, templated ones once rendered, each error naming the input.

    **Endpoints without a window** (workspaces, trackers, scorecards, library, flows, CRM...), and any
    endpoint whose window ``inputs`` give themselves: one fetch of exactly what ``inputs`` ask, every page
    followed, returned as a list of records to XCom, or written to ``output_path`` as one JSON Lines file
    (``{"path", "count"}`` returned). An endpoint that answers one object (``getFlowProspectsBulkAssignment``,
    ``listCrmSchemaFields``, ``getCrmObjects``, the data-privacy look-ups...) gives Gong's whole answer as
    the one record.

    **Endpoints with a window** (stats, answered scorecards, logs, calls, coaching) whose window ``inputs``
    leave out: the window is the run's data interval (or ``from_datetime`` / ``to_datetime``), widened by
    ``lookback``, as for :class:`~airflow_provider_gong.operators.calls.GongCallsOperator`, and Gong is
    asked one day at a time: one request plan per day, each record placed in the day it was asked for.
    For stats and answered scorecards (Gong's dates, ``fromDate`` / ``toDate``, in the company's time
    zone) the days are Gong's own dates in ``company_timezone``: the dates the window's instants fall on
    there, never past yesterday (Gong refuses a ``toDate`` after today, and today's figures are not final:
    the next run rewrites that day). Answered scorecards are asked by review date
    (``reviewFromDate`` / ``reviewToDate``): one reviewed late is caught by the lookback. For the others
    (date-times) the days are UTC days. With ``output_path`` the days become idempotent day partitions,
    ``<output_path>/date=YYYY-MM-DD/<operation_id>.jsonl``, each rewritten whole by every run that covers
    it, staged first, committed when every day was fetched, one writer at a time (see
    :class:`~airflow_provider_gong.operators.incremental.BaseGongIncrementalOperator`); the summary
    ``{"window", "path", "partitions", "count", "calls_made"}`` is returned. Without it, the window's
    records are returned to XCom as one list, day after day.

    :param operation_id: Gong's ``operationId`` of the endpoint (e.g. ``"listWorkspaces"``,
        ``"listMultipleUsersDayByDayActivity"``, ``"listAnsweredScorecards"``, ``"listLogs"``).
    :param inputs: The endpoint's keyword inputs (``None``: none), a dict, or a template rendering to one
        (a dict, or JSON text of one). A template that renders to nothing fails (give ``None`` literally
        for no inputs). Templated.
    :param output_path: Where to write the records instead of XCom: the folder of the day partitions for a
        windowed load, else one JSON Lines file. A URI of any fsspec file system, an absolute path or an
        :class:`~airflow.sdk.ObjectStoragePath`. Templated.
    :param fields: Keep only these top-level keys of each record. Templated.
    :param company_timezone: The company's IANA time zone (Gong's company settings), in which Gong's dates
        of stats and scorecards are: it turns the window into those dates. Default ``"UTC"``.
    :param lookback: How far before the window a windowed load re-reads (default 7 days).
    :param from_datetime: The window's start instead of the run's (ISO-8601 or ``datetime``; naive = UTC).
        Templated.
    :param to_datetime: The window's end (exclusive) instead of the run's. Templated.
    :param gong_conn_id: The Gong connection id.
    :param max_xcom_bytes: The largest result returned through XCom. Default 1 MiB.
    :param hook_params: Keyword arguments for :class:`GongHook`, checked when the DAG is parsed.
    :param deferrable: Wait out a long rate limit in the triggerer and resume where the fetch stopped
        (nothing fetched twice). Default: ``[operators] default_deferrable``.
    :param probe_endpoint: What the triggerer probes meanwhile; default: the endpoint itself when it can
        be probed, else ``"listUsers"``.
    """

    output_required = False
    template_fields: Sequence[str] = ("inputs", "fields", "output_path", "from_datetime", "to_datetime")
    template_fields_renderers: ClassVar[dict[str, str]] = {"inputs": "json"}

    def __init__(
        self,
        *,
        operation_id: str,
        inputs: dict[str, Any] | str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        fields: str | Sequence[str] | None = None,
        company_timezone: str = "UTC",
        lookback: timedelta = DEFAULT_LOOKBACK,
        from_datetime: datetime | str | None = None,
        to_datetime: datetime | str | None = None,
        gong_conn_id: str = GongHook.default_conn_name,
        max_xcom_bytes: int = DEFAULT_MAX_XCOM_BYTES,
        hook_params: dict[str, Any] | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        probe_endpoint: str | None = None,
        **kwargs: Any,
    ) -> None:
        task_id = kwargs.get("task_id")
        endpoint = _endpoint(operation_id, task_id)
        # The names the base classes read in their messages, XCom keys and partition files.
        self.endpoint = endpoint
        self.record_noun = endpoint.noun
        self.record_plural = _plural(endpoint.noun)
        self.partition_file = f"{endpoint.operation_id}.jsonl"
        self.id_path = tuple(endpoint.id_field.split(".")) if endpoint.id_field else ("id",)
        if probe_endpoint is None:
            probe_endpoint = endpoint.operation_id if endpoint.probeable else DEFAULT_PROBE_ENDPOINT
        super().__init__(
            output_path=output_path,  # type: ignore[arg-type]  # optional here (output_required)
            from_datetime=from_datetime,
            to_datetime=to_datetime,
            lookback=lookback,
            gong_conn_id=gong_conn_id,
            fields=fields,
            hook_params=hook_params,
            deferrable=deferrable,
            max_xcom_bytes=max_xcom_bytes,
            probe_endpoint=probe_endpoint,
            **kwargs,
        )
        self.operation_id = endpoint.operation_id
        try:
            check_timezone(company_timezone)
        except ValueError as err:
            raise ValueError(f"{self.task_id}: {err}") from None
        self.company_timezone = company_timezone
        self.inputs = inputs  # the argument; the fingerprint is fetch_inputs()
        self._inputs_source = None if _literal(inputs) else describe(inputs)
        self._windowed = False
        self._days: tuple[LoadWindow, list[date]] | None = None
        overrides = [
            name for name, value in (("from_datetime", from_datetime), ("to_datetime", to_datetime)) if value
        ]
        if overrides and endpoint.window is None:
            raise ValueError(
                f"{self.task_id}: {' and '.join(overrides)}: {self.operation_id} takes no window (it is "
                "fetched whole, without dates)"
            )
        if self._inputs_source is None:
            checked = self._check_inputs(inputs)
            if overrides and not self._takes_window(checked):
                raise ValueError(
                    f"{self.task_id}: {' and '.join(overrides)} and the window in inputs "
                    f"({', '.join(endpoint.window or ())}) are given both: give one of them"
                )

    # ------------------------------------------------------------------------------ the inputs

    def _check_inputs(self, value: object, map_index: int = -1) -> dict[str, Any]:
        """The inputs checked as the endpoint takes them (literal at parse time, or rendered)."""
        prefix = f"{self.task_id}: {'' if map_index < 0 else f'map index {map_index}: '}"
        if self._inputs_source is not None and is_nothing(value):
            raise rendered_to_nothing(
                self.task_id,
                "inputs",
                self._inputs_source,
                value,
                map_index,
                empty=(
                    "no inputs",
                    f"else a dict of {self.operation_id}'s inputs {list(self.endpoint.input_names)}",
                ),
            )
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(
                    f"{prefix}inputs must be a dict, or JSON text of one, got {value!r}"
                ) from None
        if value is None:
            value = {}
        if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
            raise ValueError(
                f"{prefix}inputs must be a dict of {self.operation_id}'s keyword inputs "
                f"{list(self.endpoint.input_names)}, got {value!r}"
            )
        inputs = dict(value)
        try:
            self.endpoint.check_inputs(inputs, window_given=not self._takes_window(inputs))
        except ValueError as err:
            raise ValueError(f"{prefix}inputs: {err}") from None
        return inputs

    def _takes_window(self, inputs: Mapping[str, Any]) -> bool:
        """Whether the operator fills in the window: the endpoint has one and ``inputs`` leave it out."""
        return self.endpoint.window is not None and not self.endpoint.gives_window(inputs)

    def _rendered(self, context: Context) -> dict[str, Any]:
        """Check the rendered inputs; decide whether this run follows the window."""
        inputs = self._check_inputs(self.inputs, map_index_of(context))
        self._windowed = self._takes_window(inputs)
        return inputs

    def _partitioned(self) -> bool:
        return (
            self._windowed
            and check_output_path(self.output_path, self.task_id, self.record_plural) is not None
        )

    def fetch_inputs(self) -> list[Any]:
        """What the fetch's resume state is tied to: the operation, its inputs, the company's zone."""
        inputs = self._check_inputs(self.inputs)
        return [self.operation_id, json.loads(json.dumps(inputs, default=str)), self.company_timezone]

    # ------------------------------------------------------------------------------ Airflow's entry points

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:  # type: ignore[override]
        """Fetch what ``inputs`` ask, or the window's days (into partitions with ``output_path``)."""
        self._rendered(context)
        if self._partitioned():
            return super().execute(context)
        if self._windowed:
            self._resolve(context)
        return BaseGongFetchOperator.execute(self, context)

    def execute_complete(  # type: ignore[override]  # records too, not only a load's summary
        self, context: Context, event: dict[str, Any]
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Resume the fetch where Gong's rate limit stopped it."""
        self._rendered(context)
        if self._partitioned():
            return super().execute_complete(context, event)
        if self._windowed:
            self._resolve(context)
        return BaseGongFetchOperator.execute_complete(self, context, event)

    def discard_kept(self, context: Context) -> None:
        """Airflow ended a deferral itself: release the partitions' folder, or remove the kept records."""
        try:
            self._rendered(context)
        except ValueError:
            self._windowed = False
        if self._partitioned():
            super().discard_kept(context)
        else:
            BaseGongFetchOperator.discard_kept(self, context)

    @property
    def xcom_part_key(self) -> str:
        """XCom key prefix of the records kept across a deferral without ``output_path``."""
        return f"gong_{self.operation_id}_part"

    # ------------------------------------------------------------------------------ what the bases ask

    def source(self) -> Endpoint:
        """The endpoint the records come from."""
        return self.endpoint

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        """
        The record's id (where the endpoint keeps it); in a windowed load, prefixed with the day asked for
        (``2026-11-30/123``): the same user's statistics come once per day.
        """
        found = self.endpoint.record_id(record)
        day = self._segment_day if self._windowed else None
        return found if found is None or day is None else f"{day.isoformat()}/{found}"

    def day_of(self, record: Mapping[str, Any]) -> date | None:
        """Records are placed in the day they were asked for (a segment's day)."""
        return None

    def partition_days(self, window: LoadWindow) -> list[date]:
        """
        The days of the window and its lookback: Gong's dates in ``company_timezone`` for an endpoint of
        dates (up to yesterday there), else UTC days.
        """
        if self.endpoint.window_kind != "date":
            return window.days
        if self._days is None or self._days[0] != window:
            try:
                first, end = company_dates(window.start - window.lookback, window.end, self.company_timezone)
            except ValueError as err:
                raise ValueError(f"{self.task_id}: {err}") from None
            self._days = (window, [first + _DAY * offset for offset in range((end - first).days)])
        return self._days[1]

    def prepare(self, ids: list[str] | None) -> Fetch:
        """The fetch of what ``inputs`` ask, or of every day of the window, in order."""
        inputs = self._check_inputs(self.inputs)
        if not self._windowed:

            def whole(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
                return self._records(hook, inputs, resume, known_ids)

            return whole
        window = self._window
        if window is None:
            raise RuntimeError("the window is resolved before the fetch is prepared")
        days = self.partition_days(window)
        zone = f" in {self.company_timezone}" if self.endpoint.window_kind == "date" else " (UTC)"
        self.log.info(
            "%s of %s: %d day(s)%s, %s .. %s",
            self.record_plural,
            window.describe(),
            len(days),
            zone,
            days[0].isoformat(),
            days[-1].isoformat(),
        )
        plan: list[tuple[date | None, Segment]] = [(day, self._one_day(inputs, day)) for day in days]
        digest = fingerprint(type(self).__name__, window.to_json(), self.fetch_inputs())

        def by_day(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
            resume.check(digest)
            return self._run_segments(plan, hook, resume, known_ids)

        return by_day

    def store(self, sink: Sink, record: Mapping[str, Any], kept: dict[str, Any]) -> None:
        """Stage a record in its day's partition, or add it to the records returned."""
        if isinstance(sink, PartitionSink):
            super().store(sink, record, kept)
        else:
            BaseGongFetchOperator.store(self, sink, record, kept)

    def _sink(self, context: Context, progress: Mapping[str, Any], plan: Any) -> Sink:
        if self._partitioned():
            return super()._sink(context, progress, plan)
        if not self._windowed:
            return BaseGongFetchOperator._sink(self, context, progress, plan)
        # A windowed load to XCom keeps its ids (day-prefixed) aside: a record holds no day of its own.
        return self._xcom_sink(context, progress, ids_aside=True)

    # ------------------------------------------------------------------------------ the requests

    def _one_day(self, inputs: Mapping[str, Any], day: date) -> Segment:
        """One day's request plan: the inputs with the day as the window, its records."""
        if self.endpoint.window_kind == "date":
            start: date | datetime = day
            end: date | datetime = day + _DAY
        else:
            start = datetime.combine(day, time(0), tzinfo=UTC)
            end = start + _DAY
        placed = self.endpoint.with_window(inputs, start, end)
        prefix = f"{day.isoformat()}/"

        def one_day(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
            def this_day() -> list[str]:
                assert known_ids is not None
                return [known[len(prefix) :] for known in known_ids() if known.startswith(prefix)]

            return self._records(hook, placed, resume, None if known_ids is None else this_day)

        return one_day

    def _records(
        self, hook: GongHook, inputs: Mapping[str, Any], resume: Resume, known_ids: KnownIds | None
    ) -> Iterable[dict[str, Any]]:
        if not self.endpoint.iterable:
            return [hook.request(self.operation_id, **inputs)]
        return hook.iter_records(self.operation_id, resume=resume, known_ids=known_ids, **inputs)
