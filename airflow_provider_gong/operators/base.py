"""The base of Gong's fetch operators: a subclass says what to fetch, the base does the rest.

:class:`BaseGongFetchOperator` owns ``execute``, the deferral on a long rate limit and the resume,
``fields``, ``output_path`` (:mod:`~airflow_provider_gong.operators.sinks`), the XCom size guard and the
checks of its arguments (:mod:`~airflow_provider_gong.operators.arguments`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, NoReturn, Protocol

from airflow_provider_gong import endpoints
from airflow_provider_gong.client.paging import Resume
from airflow_provider_gong.client.settings import check_hook_params
from airflow_provider_gong.endpoints import DEFAULT_PROBE_ENDPOINT
from airflow_provider_gong.exceptions import GongApiError, GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.lineage import (
    RunLineage,
    alias_name,
    emit_asset_event,
    operator_lineage,
    output_outlet,
    report_to_collector,
    run_lineage,
)
from airflow_provider_gong.operators.arguments import (
    check_fields,
    check_mapped_output,
    check_output_path,
    describe,
    index_prefix,
    is_literal,
    is_nothing,
    map_index_of,
    mapped_operator,
    mapped_to_nothing,
    maps_argument,
    rendered_to_nothing,
)
from airflow_provider_gong.operators.deferral import deadline_passed, defer_for, discard_kept, explain_limit
from airflow_provider_gong.operators.sinks import FileSink, Sink, XComSink, remove_stale_parts
from airflow_provider_gong.triggers.rate_limit import error_from_event
from airflow_provider_gong.version_compat import (
    AIRFLOW_V_3_0_PLUS,
    TRIGGER_FAIL_REPR,
    BaseOperator,
    ObjectStoragePath,
    TaskDeferred,
    conf,
)

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = ["DEFAULT_MAX_XCOM_BYTES", "BaseGongFetchOperator", "Fetch", "KnownIds"]

#: Default ceiling of the result pushed to XCom (1 MiB, measured by
#: :func:`~airflow_provider_gong.operators.sinks.xcom_size`): XCom lives in the metadata database.
DEFAULT_MAX_XCOM_BYTES = 1024 * 1024


#: Returns the ids of the records stored before a deferral (a listing that restarts skips them).
KnownIds = Callable[[], Iterable[str]]


class Fetch(Protocol):
    """What a subclass fetches: records from the hook, from ``resume`` on (kept up to date as they come)."""

    def __call__(
        self, hook: GongHook, resume: Resume, known_ids: KnownIds | None
    ) -> Iterable[dict[str, Any]]:
        """
        :param hook: The task's hook.
        :param resume: Where the fetch stands (:class:`Resume`); pass it to the hook's fetch.
        :param known_ids: When resuming: the ids stored before, for the hook's ``known_ids``.
        """


class _Plan(NamedTuple):
    """The operator's arguments as checked after rendering."""

    map_index: int
    ids: list[str] | None
    fetch: Fetch
    fields: list[str] | None
    output: ObjectStoragePath | None


def _nothing(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
    return ()


class BaseGongFetchOperator(BaseOperator):
    """
    Fetch Gong records and return them as a list of dicts (XCom), or write them to ``output_path``.

    A subclass gives what to fetch and the names: :meth:`prepare` (its own rendered arguments checked,
    then a :class:`Fetch` calling the hook with ``resume`` and ``known_ids``), ``record_noun`` /
    ``record_plural``, ``id_path`` (where a record keeps its id), ``known_keys`` (for messages about
    ``fields``) and ``template_fields``. An operator fetching chosen ids names that argument in
    ``ids_argument``, passes it on to this ``__init__`` under that name, and parses it in
    :meth:`parse_ids`: a templated or mapped value that arrives as nothing then fails instead of fetching
    everything, and ``[]`` fetches nothing.

    :param gong_conn_id: The Gong connection id.
    :param fields: Keep only these top-level keys of each record, as a list or in any string form an ids
        argument takes. A requested key that no record has is named in one WARNING. Templated.
    :param output_path: Where to write the records as JSON Lines instead of XCom (a URI, an absolute path
        or an :class:`~airflow.sdk.ObjectStoragePath`); ``{"path": ..., "count": ...}`` is returned.
        Templated.
    :param max_xcom_bytes: The largest result returned through XCom, in bytes as the metadata database
        stores it. Default 1 MiB.
    :param hook_params: Keyword arguments for :class:`GongHook`, checked when the DAG is parsed.
    :param deferrable: Wait out a long rate limit in the triggerer and resume where the fetch stopped.
        Default: ``[operators] default_deferrable``.
    :param probe_endpoint: What the triggerer probes during that wait (Gong's ``operationId`` of a
        listing the credentials may read); default: the operator's :attr:`default_probe_endpoint`.
    :param emit_asset: With ``output_path``: add its Asset to the task's outlets, so Airflow records an
        Asset event (extra: the window, the partitions written, the record counts) when the task succeeds
        and a DAG scheduled on that Asset runs. A templated ``output_path`` goes through the
        ``AssetAlias`` ``gong/<dag_id>/<task_id>`` (Airflow 3 only); a mapped task adds none (give
        ``partial(outlets=...)``).
        Default ``True``; ``False`` adds no outlet. The run's
        lineage (the ``gong://`` input, the output) is reported either way
        (:mod:`airflow_provider_gong.lineage`).
    """

    #: What one record is, and many, for messages, logs and the XCom keys of the parts.
    record_noun: str = "record"
    record_plural: str = "records"
    #: Where a record keeps its id, key by key from the top (e.g. ``("metaData", "id")``).
    id_path: tuple[str, ...] = ("id",)
    #: A few top-level keys of a record, named in messages about ``fields``.
    known_keys: ClassVar[tuple[str, ...]] = ()
    #: The argument holding the ids to fetch (``None``: the operator has none).
    ids_argument: ClassVar[str | None] = None
    #: What the trigger probes while a deferred fetch waits out a rate limit: an endpoint the fetch's own
    #: credentials may read (Gong's ``operationId``, e.g. ``"listCalls"`` for calls).
    default_probe_endpoint: ClassVar[str] = DEFAULT_PROBE_ENDPOINT

    template_fields: Sequence[str] = ("fields", "output_path")
    ui_color = "#8039df"

    def __init__(
        self,
        *,
        gong_conn_id: str = GongHook.default_conn_name,
        fields: str | Sequence[str] | None = None,
        output_path: str | ObjectStoragePath | None = None,
        max_xcom_bytes: int = DEFAULT_MAX_XCOM_BYTES,
        hook_params: dict[str, Any] | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        probe_endpoint: str | None = None,
        emit_asset: bool = True,
        **kwargs: Any,
    ) -> None:
        ids_name = self.ids_argument
        ids = kwargs.pop(ids_name, None) if ids_name else None
        super().__init__(**kwargs)
        task_id = self.task_id
        if isinstance(max_xcom_bytes, bool) or not isinstance(max_xcom_bytes, int) or max_xcom_bytes < 0:
            raise ValueError(f"{task_id}: max_xcom_bytes must be a whole number >= 0, got {max_xcom_bytes!r}")
        if not isinstance(gong_conn_id, str) or not gong_conn_id:
            raise ValueError(f"{task_id}: gong_conn_id must be a connection id, got {gong_conn_id!r}")
        self.check_flag("deferrable", deferrable)
        self.check_flag("emit_asset", emit_asset)
        self.emit_asset = emit_asset
        self.gong_conn_id = gong_conn_id
        self.fields = fields
        self.output_path = output_path
        self.max_xcom_bytes = max_xcom_bytes
        self.hook_params = check_hook_params(hook_params, owner=task_id)
        self.deferrable = deferrable
        self.probe_endpoint = endpoints.probe_endpoint(
            self.default_probe_endpoint if probe_endpoint is None else probe_endpoint, owner=task_id
        ).operation_id
        if ids_name:
            setattr(self, ids_name, ids)
        # What a templated value was before rendering, for the run-time checks and their messages.
        self._sources = {
            name: describe(value)
            for name, value in ((ids_name, ids), ("fields", fields))
            if name and not is_literal(value)
        }
        self._output_given = output_path  # before rendering: a template, or what a mapped task group passes
        self._active_sink: Sink | None = None
        # Fail at DAG parse time, not at 3 a.m.: plain values need no rendering to be checked. A mapped
        # task's ids are checked once mapped (in _plan), where its map index is known.
        if ids_name and is_literal(ids) and mapped_operator(self) is None:
            try:
                self.parse_ids(ids)
            except ValueError as err:
                raise ValueError(f"{task_id}: {err}") from None
        if is_literal(fields):
            self._check_fields(fields)
        literal_output = None
        if is_literal(output_path):
            literal_output = check_output_path(output_path, task_id, self.record_plural)
        self._lineage: RunLineage | None = None
        self._asset_outlet: Any = None
        # A task unmapped from partial().expand() adds nothing: its outlets are the partial()'s, known when
        # the DAG was parsed; an alias added only now is in no metadata database (Airflow 2.11 fails on it).
        # Airflow 2.11 fails a task whose alias the DAG processor has not stored yet (``airflow dags test``
        # never stores one): there a templated path adds no alias.
        alias_ok = literal_output is not None or AIRFLOW_V_3_0_PLUS
        if emit_asset and output_path not in (None, "") and alias_ok and mapped_operator(self) is None:
            # Outlets are fixed when the DAG is parsed: a templated path goes through an alias.
            outlet = output_outlet(literal_output, alias_name(self._dag_id_now(), task_id))
            given = list(self.outlets or [])
            # The same Asset given in ``outlets`` already (to show it in the DAG file): that one is used.
            same = [each for each in given if getattr(each, "uri", None) == getattr(outlet, "uri", False)]
            self._asset_outlet = same[0] if same else outlet
            self.outlets = given if same else [*given, outlet]

    # ------------------------------------------------------------------------------ what a subclass gives

    def parse_ids(self, value: object) -> list[str] | None:
        """
        Check the ids argument (literal, or rendered): the ids to fetch, or ``None`` for every record.

        :param value: Any form the argument takes.
        :raises ValueError: naming the bad ids.
        """
        raise NotImplementedError(f"{type(self).__name__} names ids_argument but does not parse it")

    def prepare(self, ids: list[str] | None) -> Fetch:
        """
        Check the subclass's own rendered arguments (raise ``ValueError`` before any call); return the fetch.

        :param ids: The checked ids argument (``None``: every record, or no ids argument). With ``[]``
            the fetch returned is not called.
        """
        raise NotImplementedError

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        """The id of a record (at ``id_path``), as a string; ``None`` when it has none."""
        value: Any = record
        for key in self.id_path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return None if value is None else str(value)

    def source(self) -> endpoints.Endpoint:
        """The endpoint the records come from (named in errors about a record's shape)."""
        return endpoints.ENDPOINTS[self.default_probe_endpoint]

    def store(self, sink: Sink, record: Mapping[str, Any], kept: dict[str, Any]) -> None:
        """
        Put one fetched record into the sink.

        :param sink: Where the fetch's records go.
        :param record: The record as Gong sent it.
        :param kept: What ``fields`` keeps of it.
        """
        sink.add(kept, self.record_id(record))

    def before_defer(self, sink: Sink, give_up_at: str) -> None:
        """
        Called just before the task defers on a rate limit, with the deferral's deadline (a no-op here).

        :param sink: The paused sink.
        :param give_up_at: The deadline of the deferral (ISO-8601).
        """

    def check_flag(self, name: str, flag: object) -> None:
        """Refuse a flag argument that is not ``True`` or ``False``, naming the task."""
        if not isinstance(flag, bool):
            raise ValueError(f"{self.task_id}: {name} must be True or False, got {flag!r}")

    # ------------------------------------------------------------------------------ Airflow's entry points

    @property
    def xcom_part_key(self) -> str:
        """XCom key prefix of the records kept across a deferral without ``output_path``."""
        return f"gong_{self.record_plural}_part"

    @property
    def hook(self) -> GongHook:
        """A new hook for this task's connection (no lookup until its first call)."""
        return GongHook(self.gong_conn_id, **self.hook_params)

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        """Fetch the records; return them (or, with ``output_path``, where they were written)."""
        plan = self._plan(context)
        check_mapped_output(self, plan.map_index, self._output_given, plan.output, self.record_plural)
        if plan.output is not None:
            remove_stale_parts(plan.output, self.log)
        if plan.ids == []:
            self.log.info("No %s ids given: nothing to fetch", self.record_noun)
        return self._fetch(context, plan, progress={})

    def execute_complete(
        self, context: Context, event: dict[str, Any]
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """
        Resume the fetch where Gong's rate limit stopped it (after :class:`GongRateLimitTrigger`).

        :param context: The task context.
        :param event: The trigger's event: ``ok`` resumes; ``error`` and ``timeout`` (Gong's wait passed the
            deferral's end) fail, after removing what was kept. Its ``payload`` is where the fetch stands.
        """
        progress = event.get("payload") or {}
        plan = self._plan(context)
        count = int(progress.get("count") or 0)
        if event.get("status") != "ok":
            self._sink(context, progress, plan).discard()
            if event.get("status") == "error":
                raise error_from_event(event)
            raise deadline_passed(event, self.task_id, count, self.record_plural)
        self.log.info(
            "Gong answers again after %s s in the triggerer; resuming after %d %s",
            event.get("waited"),
            count,
            self.record_plural,
        )
        return self._fetch(context, plan, progress=progress)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """
        Resume after a deferral. When Airflow ends a deferral itself (its ``timeout`` passed, the trigger
        crashed), it resumes with ``__fail__``, which fails the task without :meth:`execute_complete`:
        what the fetch kept for the resume is removed first.
        """
        if next_method == TRIGGER_FAIL_REPR:
            self.discard_kept(context)
        return super().resume_execution(next_method, next_kwargs, context)

    def discard_kept(self, context: Context) -> None:
        """Remove what a deferred fetch kept, when Airflow ended the deferral without the trigger's event."""
        discard_kept(
            context, self.output_path, self.task_id, self.xcom_part_key, self.record_plural, self.log
        )

    def on_kill(self) -> None:
        """Remove what the running fetch stored so far (its part files, or its XCom parts)."""
        sink = self._active_sink
        if sink is not None:
            self.log.info("Task killed: removing the %d %s fetched so far", sink.count, self.record_plural)
            sink.discard()

    # ------------------------------------------------------------------------------ lineage

    def _dag_id_now(self) -> str | None:
        """The DAG's id while the operator is built, if it is in one already."""
        try:
            return str(self.dag.dag_id) if self.has_dag() else None  # type: ignore[no-untyped-call]
        except Exception:  # not in a DAG (yet): the alias is named by the task alone
            return None

    def _report_lineage(self, context: Context, hook: GongHook, output: Any, result: object) -> None:
        """Report the finished run's lineage: collector, the output's Asset event, OpenLineage's later."""
        try:
            lineage = run_lineage(hook.settings.base_url, self.source(), output, result)
        except Exception as err:  # lineage never fails a load that succeeded
            self.log.warning("Could not work out the lineage of this run: %s", err)
            return
        self._lineage = lineage
        try:
            report_to_collector(hook, lineage)
        except Exception as err:
            self.log.warning("Could not report the lineage to Airflow's collector: %s", err)
        if self._asset_outlet is not None and output is not None:
            try:
                emit_asset_event(context, self._asset_outlet, lineage)
            except Exception as err:
                self.log.warning("Could not give %s's Asset event its extra: %s", lineage.output_uri, err)

    def _planned_lineage(self) -> RunLineage | None:
        """What the run will read and write, before it ran (rendered arguments; ``None`` when unknown)."""
        try:
            output = check_output_path(self.output_path, self.task_id, self.record_plural)
        except ValueError:
            output = None
        try:
            return run_lineage(self.hook.settings.base_url, self.source(), output)
        except Exception as err:
            self.log.warning("Could not work out the lineage of this task: %s", err)
            return None

    def get_openlineage_facets_on_start(self) -> Any:
        """OpenLineage (optional extra): the Gong input and the ``output_path`` output, before the run."""
        return operator_lineage(self._planned_lineage())

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage: the run's input and output with the window and the record counts."""
        return operator_lineage(self._lineage or self._planned_lineage())

    # ------------------------------------------------------------------------------ the checks

    def _check_fields(self, fields: object) -> list[str] | None:
        return check_fields(fields, self.task_id, self.record_noun, self.known_keys[:2])

    def _plan(self, context: Context) -> _Plan:
        """Check the rendered arguments with the rules literal ones are checked with at parse time."""
        map_index = map_index_of(context)
        ids = self._rendered_ids(map_index)
        if "fields" in self._sources and is_nothing(self.fields):
            raise rendered_to_nothing(self.task_id, "fields", self._sources["fields"], self.fields, map_index)
        fields = self._check_fields(self.fields)
        fetch = self.prepare(ids)
        output = check_output_path(self.output_path, self.task_id, self.record_plural)
        return _Plan(map_index, ids, _nothing if ids == [] else fetch, fields, output)

    def _rendered_ids(self, map_index: int) -> list[str] | None:
        name = self.ids_argument
        if not name:
            return None
        value, noun = getattr(self, name), self.record_noun
        if name in self._sources and is_nothing(value):
            raise rendered_to_nothing(self.task_id, name, self._sources[name], value, map_index, noun)
        if map_index >= 0 and is_nothing(value) and maps_argument(mapped_operator(self), map_index, name):
            raise mapped_to_nothing(self.task_id, map_index, name, value, noun)
        try:
            return self.parse_ids(value)
        except ValueError as err:
            raise ValueError(f"{self.task_id}: {index_prefix(map_index)}{err}") from None

    # ------------------------------------------------------------------------------ the fetch

    def _fetch(
        self, context: Context, plan: _Plan, progress: Mapping[str, Any]
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Fetch (from ``progress`` on, when resuming); on a long rate limit defer or fail with the hint."""
        state = Resume.from_json(progress["resume"]) if progress.get("resume") else Resume()
        fields = plan.fields
        # Requested keys no record had so far (kept across a deferral): named in one WARNING at the end.
        unseen = [str(key) for key in progress.get("fields_unseen", fields or [])]
        hook = self.hook  # builds nothing until its first call: no cleanup needed should the sink fail
        sink = self._sink(context, progress, plan)
        self._active_sink = sink
        limit: GongRateLimitError | None = None
        try:
            try:
                for record in plan.fetch(hook, state, sink.stored_ids if progress else None):
                    if not isinstance(record, Mapping):
                        source = self.source()
                        raise GongApiError(
                            200,
                            source.method,
                            source.path,
                            detail=f"unexpected answer shape: a {type(record).__name__} among the "
                            f"{self.record_plural}, where Gong sends objects",
                        )
                    kept = record if fields is None else {key: record[key] for key in fields if key in record}
                    if unseen:
                        unseen = [key for key in unseen if key not in kept]
                    self.store(sink, record, kept)
            except GongRateLimitError as err:
                if not self.deferrable:
                    explain_limit(self.log, err, sink.count, self.record_plural, type(self).__name__)
                    raise
                limit = err
            if limit is None:
                result = sink.finish()
                self._report_lineage(context, hook, plan.output, result)
                if unseen and sink.count:
                    also = f"; Gong's {self.record_noun} keys include {', '.join(self.known_keys)}"
                    self.log.warning(
                        "Requested fields %s are in none of the %d %s Gong returned (misspelled?)%s",
                        unseen,
                        sink.count,
                        self.record_plural,
                        also if self.known_keys else "",
                    )
                return result
            self._defer(limit, sink, {"resume": state.to_json(), "fields_unseen": unseen, **sink.pause()})
        except TaskDeferred:
            raise
        except BaseException:
            sink.discard()
            raise
        finally:
            self._active_sink = None
            hook.close()

    def _defer(self, limit: GongRateLimitError, sink: Sink, payload: dict[str, Any]) -> NoReturn:
        """Wait for Gong in the triggerer; the trigger hands ``payload`` (where the fetch stands) back."""
        deferral = defer_for(limit, self.gong_conn_id, self.hook_params, payload, self.probe_endpoint)
        self.before_defer(sink, deferral.deadline.give_up_at)
        self.log.warning(
            "Gong's rate limit stopped the fetch after %d %s (requestId %s); deferring for %.0f s, then "
            "resuming where it stopped (at the latest until %s)",
            payload["count"],
            self.record_plural,
            limit.request_id or "-",
            deferral.wait,
            deferral.deadline.give_up_at,
        )
        self.defer(
            trigger=deferral.trigger, method_name="execute_complete", timeout=deferral.deadline.timeout
        )

    def _sink(self, context: Context, progress: Mapping[str, Any], plan: _Plan) -> Sink:
        ids_aside = plan.fields is not None and self.id_path[0] not in plan.fields
        if plan.output is not None:
            return FileSink(
                plan.output, progress, ids_aside=ids_aside, record_id=self.record_id, noun=self.record_plural
            )
        return self._xcom_sink(context, progress, ids_aside=ids_aside)

    def _xcom_sink(self, context: Context, progress: Mapping[str, Any], *, ids_aside: bool) -> XComSink:
        """The records returned through XCom, kept in XCom parts across a deferral."""
        return XComSink(
            context,
            progress,
            ids_aside=ids_aside,
            record_id=self.record_id,
            key=self.xcom_part_key,
            noun=self.record_plural,
            task_id=self.task_id,
            limit=self.max_xcom_bytes,
            log=self.log,
        )
