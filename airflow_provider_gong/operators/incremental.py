"""The base of Gong's incremental loads: a window of UTC days, re-read with a lookback, written whole.

:class:`BaseGongIncrementalOperator` runs on
:class:`~airflow_provider_gong.operators.base.BaseGongFetchOperator` (deferral on a long rate limit,
resume without fetching anything twice, the argument checks) and adds the window
(:mod:`~airflow_provider_gong.operators.window`) and the day partitions
(:mod:`~airflow_provider_gong.operators.partitions`): each run rewrites every day its window and lookback
cover with what Gong returns now, so after any sequence of runs, reruns, backfills and retries each
record is in exactly one partition, with its latest content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_gong.client.ids import validate_id
from airflow_provider_gong.client.paging import Resume, fingerprint
from airflow_provider_gong.exceptions import GongApiError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.arguments import check_mapped_output, check_output_path, is_literal
from airflow_provider_gong.operators.base import BaseGongFetchOperator, Fetch, KnownIds
from airflow_provider_gong.operators.partitions import PartitionSink, WriterLock, recover
from airflow_provider_gong.operators.sinks import Sink
from airflow_provider_gong.operators.window import (
    DEFAULT_LOOKBACK,
    LoadWindow,
    check_lookback,
    check_moment,
    resolve_window,
)
from airflow_provider_gong.version_compat import ObjectStoragePath, conf

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = ["BaseGongIncrementalOperator", "Segment"]

#: One request plan of a load: given the hook and a :class:`Resume` of its own, yields its records.
Segment = Callable[[GongHook, Resume, "KnownIds | None"], Iterable[dict[str, Any]]]


class BaseGongIncrementalOperator(BaseGongFetchOperator):
    """
    Load Gong records of a window into day partitions under ``output_path``, idempotently.

    A subclass gives :meth:`segments` (the request plan: one or more fetches, each resumable) and
    :meth:`day_of` (the UTC day a record belongs to), besides the names of
    :class:`~airflow_provider_gong.operators.base.BaseGongFetchOperator`.

    :param output_path: The folder of the partitions (a URI of any fsspec file system, e.g.
        ``s3://bucket/gong/calls``, an absolute path or an :class:`~airflow.sdk.ObjectStoragePath`).
        Required. Templated.
    :param from_datetime: The window's start instead of the run's (ISO-8601 or ``datetime``; naive = UTC).
        Templated.
    :param to_datetime: The window's end (exclusive) instead of the run's. Templated.
    :param lookback: How far before the window to re-read (default 7 days); every UTC day the window and
        the lookback touch is rewritten whole.
    :param workspace_id: Only records of this Gong workspace. Templated.
    """

    #: The file of each day partition, e.g. ``calls.jsonl``.
    partition_file: str = "records.jsonl"
    #: Whether ``output_path`` must be given (a subclass that also returns records to XCom says no).
    output_required: ClassVar[bool] = True
    template_fields: Sequence[str] = ("fields", "output_path", "from_datetime", "to_datetime", "workspace_id")

    def __init__(
        self,
        *,
        output_path: str | ObjectStoragePath,
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
        # Two runs of this task writing the same partitions at once: Airflow never starts them.
        kwargs.setdefault("max_active_tis_per_dag", 1)
        if self.output_required and (
            output_path is None or (isinstance(output_path, str) and not output_path.strip())
        ):
            raise ValueError(
                f"{kwargs.get('task_id')}: output_path is required: the folder of the day partitions, e.g. "
                f"'s3://bucket/gong/{self.record_plural}' or 'file:///data/gong/{self.record_plural}'"
            )
        super().__init__(
            gong_conn_id=gong_conn_id,
            fields=fields,
            output_path=output_path,
            hook_params=hook_params,
            deferrable=deferrable,
            **kwargs,
        )
        task_id = self.task_id
        self.from_datetime = from_datetime
        self.to_datetime = to_datetime
        self.lookback = check_lookback(lookback, task_id)
        self.workspace_id = workspace_id
        if is_literal(workspace_id):
            self._workspace(workspace_id)
        for name, value in (("from_datetime", from_datetime), ("to_datetime", to_datetime)):
            if value is not None and is_literal(value):
                check_moment(value, name, task_id)
        self._window: LoadWindow | None = None
        self._segment_day: date | None = None
        self._last_hook: GongHook | None = None
        self._outside = 0

    # ------------------------------------------------------------------------------ what a subclass gives

    def segments(self, window: LoadWindow, workspace_id: str | None) -> list[tuple[date | None, Segment]]:
        """
        The request plan: fetches in order, each with the day its records belong to (``None``: by record).

        :param window: The run's window.
        :param workspace_id: The checked workspace id.
        """
        raise NotImplementedError

    def day_of(self, record: Mapping[str, Any]) -> date | None:
        """The UTC day a record belongs to, from the record (for segments without a day of their own)."""
        raise NotImplementedError

    def describe_start(self, record: Mapping[str, Any]) -> str:
        """What a record holds where its day is read, for the error when it cannot be placed."""
        return "no time of its own"

    def fetch_inputs(self) -> list[Any]:
        """The subclass's own inputs that shape the fetch (a resume is refused for other inputs)."""
        return []

    def partition_days(self, window: LoadWindow) -> list[date]:
        """Every day the load rewrites, in order (default: the window's UTC days, the lookback included)."""
        return window.days

    # ------------------------------------------------------------------------------ Airflow's entry points

    @property
    def hook(self) -> GongHook:
        """A new hook for this task's connection; the last one built counts the calls of the load."""
        hook = super().hook
        self._last_hook = hook
        return hook

    def execute(self, context: Context) -> dict[str, Any]:
        """Load the window: claim the folder, finish an earlier crashed commit, fetch, then commit."""
        window = self._resolve(context)
        plan = self._plan(context)  # every argument checked before the folder is touched
        check_mapped_output(self, plan.map_index, self._output_given, plan.output, self.record_plural)
        output = plan.output
        if output is None:
            raise ValueError(f"{self.task_id}: output_path rendered to nothing; it is required")
        lock = self._lock(context, output)
        lock.acquire(self.task_id)
        try:
            recover(output, self.partition_file, self.log)
        except BaseException:
            lock.release()
            raise
        self.log.info("Loading Gong %s: %s into %s", self.record_plural, window.describe(), output)
        result = self._fetch(context, plan, progress={})
        assert isinstance(result, dict)
        return result

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume the load where Gong's rate limit stopped it (the window is the run's, as before)."""
        self._resolve(context)
        result = super().execute_complete(context, event)
        assert isinstance(result, dict)
        return result

    def discard_kept(self, context: Context) -> None:
        """Airflow ended the deferral itself: drop this task instance's claim; the next run cleans staging."""
        try:
            output = check_output_path(self.output_path, self.task_id, self.record_plural)
            if output is not None:
                self._lock(context, output).release()
        except Exception as err:  # cleanup only: never hide why Airflow fails the task
            self.log.warning("could not release the claim on %s: %s", self.output_path, err)

    # ------------------------------------------------------------------------------ the load

    def _resolve(self, context: Context) -> LoadWindow:
        self._window = resolve_window(
            context, self.from_datetime, self.to_datetime, self.lookback, self.task_id
        )
        return self._window

    def _lock(self, context: Context, output: ObjectStoragePath) -> WriterLock:
        ti = context.get("ti")
        run_id = getattr(ti, "run_id", None) or getattr(context.get("dag_run"), "run_id", None)
        dag_id = getattr(ti, "dag_id", None) or getattr(self, "dag_id", None)
        owner = f"{dag_id}/{self.task_id}/{run_id}/{getattr(ti, 'map_index', -1)}"
        return WriterLock(output, self.partition_file, owner)

    def _workspace(self, value: object) -> str | None:
        if value is None or value == "":
            return None
        try:
            return validate_id(value, "workspace")
        except ValueError as err:
            raise ValueError(f"{self.task_id}: workspace_id: {err}") from None

    def prepare(self, ids: list[str] | None) -> Fetch:
        """Check the rendered arguments; return the fetch of every segment of the window, in order."""
        window = self._window
        if window is None:
            raise RuntimeError("the window is resolved before the fetch is prepared")
        workspace_id = self._workspace(self.workspace_id)
        plan = self.segments(window, workspace_id)
        digest = fingerprint(type(self).__name__, window.to_json(), workspace_id, self.fetch_inputs())

        def fetch(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
            resume.check(digest)
            return self._run_segments(plan, hook, resume, known_ids)

        return fetch

    def _run_segments(
        self,
        plan: list[tuple[date | None, Segment]],
        hook: GongHook,
        resume: Resume,
        known_ids: KnownIds | None,
    ) -> Iterator[dict[str, Any]]:
        """Each segment with a :class:`Resume` of its own, mirrored into ``resume`` (``next_index``)."""
        first = resume.next_index
        for index in range(first, len(plan)):
            day, segment = plan[index]
            resumed = index == first and (resume.cursor is not None or resume.restarted)
            inner = Resume(cursor=resume.cursor, restarted=resume.restarted) if resumed else Resume()
            resume.next_index, resume.cursor, resume.restarted = index, inner.cursor, inner.restarted
            self._segment_day = day
            if day is not None:
                self.log.info(
                    "%s of %s (%d of %d)", self.record_plural, day.isoformat(), index + 1, len(plan)
                )
            try:
                yield from segment(hook, inner, known_ids if resumed else None)
            finally:
                resume.cursor, resume.restarted = inner.cursor, inner.restarted
            resume.cursor, resume.restarted = None, False
        resume.next_index, resume.done = len(plan), True

    def store(self, sink: Sink, record: Mapping[str, Any], kept: dict[str, Any]) -> None:
        """Stage a record in its day; one whose day this load does not rewrite is left to the runs that do."""
        assert isinstance(sink, PartitionSink) and self._window is not None
        day = self._segment_day or self.day_of(record)
        if day is None:
            endpoint = self.source()
            raise GongApiError(
                200,
                endpoint.method,
                endpoint.path,
                detail=f"{self.record_noun} {self.record_id(record)} has no start time to place it in a day: "
                f"{self.describe_start(record)}",
            )
        days = self.partition_days(self._window)
        if not days[0] <= day <= days[-1]:
            self._outside += 1
            return
        sink.add_to(day, kept, self.record_id(record))

    def before_defer(self, sink: Sink, give_up_at: str) -> None:
        """Keep the claim on the folder for as long as the deferral may last."""
        if isinstance(sink, PartitionSink):
            deadline = datetime.fromisoformat(give_up_at)
            sink.hold_until(
                (deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)) + timedelta(minutes=15)
            )

    def _sink(self, context: Context, progress: Mapping[str, Any], plan: Any) -> Sink:
        window = self._window
        assert window is not None and plan.output is not None
        before = int(progress.get("calls") or 0)
        hook = self._last_hook

        def calls_made() -> int:
            return before + (hook.calls_sent if hook is not None else 0)

        return _LoadSink(
            plan.output,
            self.partition_file,
            self.partition_days(window),
            progress,
            lock=self._lock(context, plan.output),
            noun=self.record_plural,
            log=self.log,
            window=window,
            calls_made=calls_made,
            outside=lambda: self._outside,
        )


class _LoadSink(PartitionSink):
    """A :class:`PartitionSink` whose pauses and result also carry the window and the calls made."""

    def __init__(
        self,
        *args: Any,
        window: LoadWindow,
        calls_made: Callable[[], int],
        outside: Callable[[], int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.window = window
        self.calls_made = calls_made
        self.outside = outside

    def pause(self) -> dict[str, Any]:
        return {**super().pause(), "calls": self.calls_made()}

    def finish(self) -> dict[str, Any]:
        result = super().finish()
        outside = self.outside()
        if outside:
            self.log.info(
                "%d %s Gong listed belong to days outside this load (Gong files web conferences by their "
                "scheduled time, the partitions go by start): left to the runs that rewrite those days",
                outside,
                self.noun,
            )
        summary = {"window": self.window.to_json(), **result, "calls_made": self.calls_made()}
        self.log.info(
            "Loaded %d %s into %d partition(s) of %s with %d Gong call(s)",
            self.count,
            self.noun,
            len(self.counts),
            self.root,
            summary["calls_made"],
        )
        return summary
