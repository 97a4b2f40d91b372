from __future__ import annotations

import numbers
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from airflow.sdk import BaseOperator, ObjectStoragePath, conf
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_gong.client.dates import date_window
from airflow_provider_gong.client.ids import parse_user_ids, split_list
from airflow_provider_gong.client.settings import check_hook_params
from airflow_provider_gong.exceptions import GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook, UsersResume
from airflow_provider_gong.operators._sinks import (
    XCOM_PART_KEY,
    FileSink,
    Sink,
    XComSink,
    remove_stale_parts,
    xcom_size,
)
from airflow_provider_gong.triggers.rate_limit import (
    DEFAULT_BACKOFF,
    GongRateLimitTrigger,
    deferral_deadline,
    error_from_event,
    moment_in,
    parse_moment,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["DEFAULT_MAX_XCOM_BYTES", "XCOM_PART_KEY", "GongUserOperator", "xcom_size"]

#: Default ceiling of the result pushed to XCom (1 MiB, measured by :func:`xcom_size`): XCom lives in the
#: metadata database.
DEFAULT_MAX_XCOM_BYTES = 1024 * 1024

_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


class _Request(NamedTuple):
    """The operator's arguments as checked after rendering."""

    ids: list[str] | None
    fields: list[str] | None
    created_from: str | None
    created_to: str | None
    output: ObjectStoragePath | None


class GongUserOperator(BaseOperator):
    """
    Fetch Gong users (chosen ids, or every user) and return them as a list of user dicts (XCom).

    Ids go to Gong 100 per call (``POST /v2/users/extensive``), so N ids cost ceil(N/100) calls; the
    result keeps the order the ids were given, each user once. With ``user_ids=None`` every user of the
    company is fetched page by page. Every argument is checked before the first request: literal values
    when the DAG is parsed, templated ones (and XComArgs) once rendered, with the same rules.

    XCom is for small values: as soon as the users fetched so far exceed ``max_xcom_bytes`` in XCom the task
    fails and says so, unless ``output_path`` is set, in which case the users are written there as JSON
    Lines and ``{"path": ..., "count": ...}`` is returned instead.

    :param user_ids: One id (str or integer), a list or tuple of ids, a comma- or space-separated string,
        or a string holding a JSON list (e.g. a rendered template). ``None`` fetches all users, but only
        when given literally (or left out) on an unmapped task: a template or XComArg that renders to
        ``None``, ``""``, ``"None"`` or ``"null"`` fails, naming it (an upstream task that returned nothing
        must not fetch every user), and so does a mapped ``user_ids`` (``.expand(user_ids=...)``,
        ``.expand_kwargs(...)``) whose value for a map index is one of those, naming the map index. One that
        renders to an empty list returns ``[]`` without a call. Templated.
    :param gong_conn_id: The Gong connection id.
    :param fields: Keep only these top-level keys of each user (e.g. ``["id", "emailAddress"]``), given as
        a list or in any string form ``user_ids`` takes (JSON list, Python list, comma- or space-separated
        names). A requested key that no returned user has is named in one WARNING. Templated.
    :param output_path: Where to write the users as JSON Lines instead of XCom: an
        :class:`~airflow.sdk.ObjectStoragePath`, a URI such as ``file:///data/gong/users.jsonl`` or
        ``s3://bucket/gong/{{ ds }}/users.jsonl``, or an absolute local path (a relative one is refused).
        The file appears only when every user was fetched; part files an earlier, cleared or killed try
        left next to it are removed when a new fetch starts. A mapped task whose map indexes share
        ``output_path`` (given to ``partial()``, in ``default_args``, the same literal path mapped twice, or
        mapped paths crossed with another mapped argument) must put ``{{ ti.map_index }}`` in it, else it
        fails before fetching. Templated.
    :param max_xcom_bytes: The largest result returned through XCom, in bytes as the metadata database
        stores it (see :func:`~airflow_provider_gong.operators.users.xcom_size`). Default 1 MiB.
    :param missing: ``"raise"`` (default) fails when Gong does not know some of the ids, naming them;
        ``"skip"`` logs them at WARNING and returns the others.
    :param created_from: Only users created at or after this time (ISO-8601 or datetime). Templated.
    :param created_to: Only users created before this time. Templated.
    :param include_avatars: Include Gong's synthetic avatar users.
    :param hook_params: Keyword arguments for :class:`GongHook` (``timeout``, ``max_retries``,
        ``calls_per_second``, ``max_retry_wait``), checked when the DAG is parsed.
    :param deferrable: When Gong's rate limit stops the fetch mid-way with a wait longer than the hook's
        ``max_retry_wait`` (e.g. the daily quota is spent), wait in the triggerer
        (:class:`~airflow_provider_gong.triggers.rate_limit.GongRateLimitTrigger`) and resume where the
        fetch stopped: no page is fetched twice and no user is lost or repeated. Should Gong's cursor have
        expired meanwhile (a 400), the listing restarts from the first page and skips the users already
        stored. The users fetched so far wait in hidden part files next to ``output_path``
        (``.<name>.<token>.partNNNN``, joined into the file at the end), or without ``output_path`` in XCom
        (keys ``gong_users_part_N``, bounded by ``max_xcom_bytes``); the position (Gong's cursor, or how
        many ids are done) travels in the trigger's small JSON payload. Each deferral ends at the latest
        15 minutes after the wait Gong asked for; then the task fails with :class:`GongRateLimitError`.
        Without it, the task fails with the wait and both remedies.
        Default: ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = ("user_ids", "fields", "output_path", "created_from", "created_to")
    ui_color = "#8039df"

    def __init__(
        self,
        *,
        user_ids: str | int | Sequence[str | int] | None = None,
        gong_conn_id: str = GongHook.default_conn_name,
        fields: str | Sequence[str] | None = None,
        output_path: str | ObjectStoragePath | None = None,
        max_xcom_bytes: int = DEFAULT_MAX_XCOM_BYTES,
        missing: Literal["raise", "skip"] = "raise",
        created_from: datetime | str | None = None,
        created_to: datetime | str | None = None,
        include_avatars: bool = False,
        hook_params: dict[str, Any] | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        task_id = self.task_id
        if missing not in ("raise", "skip"):
            raise ValueError(f"{task_id}: missing must be 'raise' or 'skip', got {missing!r}")
        if isinstance(max_xcom_bytes, bool) or not isinstance(max_xcom_bytes, int) or max_xcom_bytes < 0:
            raise ValueError(f"{task_id}: max_xcom_bytes must be a whole number >= 0, got {max_xcom_bytes!r}")
        if not isinstance(gong_conn_id, str) or not gong_conn_id:
            raise ValueError(f"{task_id}: gong_conn_id must be a connection id, got {gong_conn_id!r}")
        for name, flag in (("include_avatars", include_avatars), ("deferrable", deferrable)):
            if not isinstance(flag, bool):
                raise ValueError(f"{task_id}: {name} must be True or False, got {flag!r}")
        self.user_ids = user_ids
        self.gong_conn_id = gong_conn_id
        self.fields = fields
        self.output_path = output_path
        self.max_xcom_bytes = max_xcom_bytes
        self.missing: Literal["raise", "skip"] = missing
        self.created_from = created_from
        self.created_to = created_to
        self.include_avatars = include_avatars
        self.hook_params = check_hook_params(hook_params, owner=task_id)
        self.deferrable = deferrable
        # What a templated value was before rendering, for the run-time checks and their messages.
        self._sources = {
            name: _describe(value)
            for name, value in (("user_ids", user_ids), ("fields", fields))
            if not _is_literal(value)
        }
        self._output_template = output_path if isinstance(output_path, str) else None
        # An XComArg or a mapped task group's argument: resolved for each map index on its own.
        self._output_resolved = output_path is not None and not isinstance(
            output_path, (str, ObjectStoragePath)
        )
        self._active_sink: Sink | None = None
        # Fail at DAG parse time, not at 3 a.m.: plain values need no rendering to be checked.
        # A mapped task's user_ids is checked once mapped (in _request), where its map index is known.
        if _is_literal(user_ids) and self._mapped_operator() is None:
            try:
                parse_user_ids(user_ids)
            except ValueError as err:
                raise ValueError(f"{task_id}: {err}") from None
        if _is_literal(fields):
            _check_fields(fields, task_id)
        if _is_literal(output_path):
            _check_output_path(output_path, task_id)
        from_literal, to_literal = _is_literal(created_from), _is_literal(created_to)
        if from_literal or to_literal:
            _check_dates(created_from if from_literal else None, created_to if to_literal else None, task_id)

    @property
    def hook(self) -> GongHook:
        """A new hook for this task's connection (no lookup until its first call)."""
        return GongHook(self.gong_conn_id, **self.hook_params)

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        """Fetch the users; return them (or, with ``output_path``, where they were written)."""
        map_index = _map_index(context)
        request = self._request(map_index)
        self._check_mapped_output(map_index, request.output)
        if request.output is not None:
            remove_stale_parts(request.output, self.log)
        if request.ids == []:
            self.log.info("No user ids given: nothing to fetch")
        return self._fetch(context, request, progress=None)

    def execute_complete(
        self, context: Context, event: dict[str, Any]
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """
        Resume the fetch where Gong's rate limit stopped it (after :class:`GongRateLimitTrigger`).

        :param context: The task context.
        :param event: The trigger's event; its ``payload`` is where the fetch stands.
        """
        progress = event.get("payload") or {}
        map_index = _map_index(context)
        if event.get("status") != "ok":
            self._sink(context, progress, self._request(map_index)).discard()
            if event.get("status") == "error":
                raise error_from_event(event)
            raise self._deadline_passed(event, int(progress.get("count") or 0))
        self.log.info(
            "Gong answers again after %s s in the triggerer; resuming after %d users",
            event.get("waited"),
            int(progress.get("count") or 0),
        )
        return self._fetch(context, self._request(map_index), progress=progress)

    def on_kill(self) -> None:
        """Remove what the running fetch stored so far (its part files, or its XCom parts)."""
        sink = self._active_sink
        if sink is not None:
            self.log.info("Task killed: removing the %d users fetched so far", sink.count)
            sink.discard()

    def _request(self, map_index: int) -> _Request:
        """
        Check the rendered arguments with the rules literal ones are checked with at parse time.

        :param map_index: The task instance's map index (``-1`` when not mapped).
        """
        task_id = self.task_id
        for name in ("user_ids", "fields"):
            value = getattr(self, name)
            if name in self._sources and _is_nothing(value):
                raise _rendered_to_nothing(task_id, name, self._sources[name], value, map_index)
        if (
            map_index >= 0
            and _is_nothing(self.user_ids)
            and _maps_user_ids(self._mapped_operator(), map_index)
        ):
            raise _mapped_to_nothing(task_id, map_index, self.user_ids)
        fields = _check_fields(self.fields, task_id)
        created_from, created_to = _check_dates(self.created_from, self.created_to, task_id)
        try:
            ids = parse_user_ids(self.user_ids)
        except ValueError as err:
            raise ValueError(f"{task_id}: {_index_prefix(map_index)}{err}") from None
        return _Request(
            ids=ids,
            fields=fields,
            created_from=created_from,
            created_to=created_to,
            output=_check_output_path(self.output_path, task_id),
        )

    def _mapped_operator(self) -> object | None:
        """The mapped operator this task was unmapped from (``None`` when it is not one, or has no DAG)."""
        if not self.has_dag():  # type: ignore[no-untyped-call]
            return None
        mapped = self.dag.task_dict.get(self.task_id)
        if isinstance(getattr(mapped, "partial_kwargs", None), dict) and hasattr(mapped, "expand_input"):
            return mapped
        return None

    def _check_mapped_output(self, map_index: int, output: ObjectStoragePath | None) -> None:
        """A mapped task must not write one map index's users to the file of another."""
        if output is None or map_index < 0 or self._output_resolved:
            return
        if self._output_template is not None and "map_index" in self._output_template:
            return
        own = self._output_template if self._output_template is not None else output
        shared = _shared_output(self._mapped_operator(), map_index, own)
        if shared is None:
            return
        shown = self._output_template if self._output_template is not None else str(output)
        whose = shared.format(shown=repr(shown))
        raise ValueError(
            f"{self.task_id}: map index {map_index} would overwrite the file of {whose}. "
            "Put the map index in the path, e.g. "
            "output_path='s3://bucket/gong/{{ ds }}/users-{{ ti.map_index }}.jsonl', or map over "
            "output_path too, with a path of its own for every map index"
        )

    def _fetch(
        self, context: Context, request: _Request, progress: dict[str, Any] | None
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Fetch (from ``progress`` on, when resuming); on a long rate limit defer or fail with the hint."""
        progress = dict(progress or {})
        state = UsersResume.from_json(progress["resume"]) if progress.get("resume") else UsersResume()
        fields = request.fields
        # Requested keys no user had so far (kept across a deferral): named in one WARNING at the end.
        unseen = [str(key) for key in progress.get("fields_unseen", fields or [])]
        hook = self.hook  # builds nothing until its first call: no cleanup needed should the sink fail
        sink = self._sink(context, progress, request)
        self._active_sink = sink
        limit: GongRateLimitError | None = None
        try:
            try:
                users: Iterable[dict[str, Any]] = (
                    ()
                    if request.ids == []
                    else hook.iter_users(
                        request.ids,
                        created_from=request.created_from,
                        created_to=request.created_to,
                        include_avatars=self.include_avatars,
                        missing=self.missing,
                        resume=state,
                        # Resuming a listing: Gong's cursor may have expired during the wait; the hook
                        # then restarts from the first page and skips the users stored before.
                        known_ids=sink.stored_ids if progress and request.ids is None else None,
                    )
                )
                for user in users:
                    record = user if fields is None else {key: user[key] for key in fields if key in user}
                    if unseen:
                        unseen = [key for key in unseen if key not in record]
                    user_id = user.get("id")
                    sink.add(record, None if user_id is None else str(user_id))
            except GongRateLimitError as err:
                if not self.deferrable:
                    self._explain_limit(err, sink.count)
                    raise
                limit = err
            if limit is None:
                result = sink.finish()
                if unseen and sink.count:
                    self.log.warning(
                        "Requested fields %s are in none of the %d users Gong returned (misspelled?); "
                        "Gong's user keys include id, emailAddress, firstName, lastName, active, managerId",
                        unseen,
                        sink.count,
                    )
                return result
            saved = sink.pause()
            wait = limit.retry_after if limit.retry_after is not None else DEFAULT_BACKOFF
            deadline = deferral_deadline(wait)
            self.log.warning(
                "Gong's rate limit stopped the fetch after %d users (requestId %s); deferring for %.0f s, "
                "then resuming where it stopped (at the latest until %s)",
                saved["count"],
                limit.request_id or "-",
                wait,
                deadline.give_up_at,
            )
            trigger = GongRateLimitTrigger(
                self.gong_conn_id,
                resume_at=moment_in(wait),
                give_up_at=deadline.give_up_at,
                timeout=self.hook_params.get("timeout"),
                max_retries=self.hook_params.get("max_retries"),
                payload={"resume": state.to_json(), "fields_unseen": unseen, **saved},
            )
            self.defer(trigger=trigger, method_name="execute_complete", timeout=deadline.timeout)
        except TaskDeferred:
            raise
        except BaseException:
            sink.discard()
            raise
        finally:
            self._active_sink = None
            hook.close()

    def _deadline_passed(self, event: dict[str, Any], fetched: int) -> GongRateLimitError:
        """The error of a ``timeout`` event: Gong's wait outlasted the deferral's deadline."""
        resume_at = event.get("resume_at")
        retry_after: float | None = None
        try:
            moment = parse_moment(resume_at if isinstance(resume_at, str) else None, "resume_at")
        except ValueError:
            moment = None
        if moment is not None:
            retry_after = max((moment - datetime.now(timezone.utc)).total_seconds(), 0.0)
        return GongRateLimitError(
            429,
            "GET",
            "/v2/users",
            errors=[
                f"{self.task_id}: the wait for Gong's rate limit passed the deferral's deadline "
                f"({event.get('message') or 'no more waiting'})"
            ],
            hint=(
                f"The {fetched} users fetched so far were discarded; clear the task once Gong's quota is "
                f"back{f' (after {resume_at})' if resume_at else ''}, or wait with GongRateLimitSensor first"
            ),
            retry_after=retry_after,
        )

    def _explain_limit(self, error: GongRateLimitError, fetched: int) -> None:
        if error.hint:
            return  # the hook's message already gives the wait and both remedies
        wait = "no Retry-After" if error.retry_after is None else f"Retry-After {error.retry_after:g} s"
        self.log.error(
            "Gong's rate limit stopped the fetch after %d users (%s, retries exhausted): wait it out with "
            "GongRateLimitSensor before this task, or run GongUserOperator with deferrable=True",
            fetched,
            wait,
        )

    def _sink(self, context: Context, progress: dict[str, Any], request: _Request) -> Sink:
        ids_aside = request.fields is not None and "id" not in request.fields
        if request.output is not None:
            return FileSink(request.output, progress, ids_aside=ids_aside)
        return XComSink(
            context,
            progress,
            ids_aside=ids_aside,
            task_id=self.task_id,
            limit=self.max_xcom_bytes,
            log=self.log,
        )


def _is_literal(value: object) -> bool:
    """Whether a value is final as given: no template, nothing Airflow resolves at run time (XComArg)."""
    if value is None or isinstance(value, (numbers.Number, dict, datetime, ObjectStoragePath)):
        return True
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    if isinstance(value, (list, tuple)):
        return all(_is_literal(item) for item in value)
    return False


def _describe(value: object) -> str:
    """How a templated value reads in a message: the template, or which task's XCom it is."""
    upstream = getattr(getattr(value, "operator", None), "task_id", None)
    if isinstance(upstream, str):
        return f"(the XCom of task {upstream!r})"
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


#: The texts a missing value renders to: ``str(None)``, JSON's ``null`` (``| tojson``), nothing at all.
_NOTHING_TEXTS = {
    "None": "the text of a missing value",
    "null": "JSON's missing value",
    "": "the string is empty",
}


def _is_nothing(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in _NOTHING_TEXTS)


def _why_nothing(name: str, value: object) -> str:
    if not isinstance(value, str):
        return "no value"
    why = _NOTHING_TEXTS[value.strip()]
    return f"Invalid Gong user id {value!r}: {why}" if name == "user_ids" and value.strip() else why


def _map_index(context: Context) -> int:
    """The task instance's map index; ``-1`` when it is not mapped (or the context has no task instance)."""
    map_index = getattr(context.get("ti"), "map_index", None)
    return map_index if isinstance(map_index, int) and not isinstance(map_index, bool) else -1


def _index_prefix(map_index: int) -> str:
    return f"map index {map_index}: " if map_index >= 0 else ""


def _rendered_to_nothing(
    task_id: str, name: str, source: str, value: object, map_index: int = -1
) -> ValueError:
    meaning = "every user" if name == "user_ids" else "every key"
    instead = "[] fetches no user" if name == "user_ids" else "or list the keys"
    return ValueError(
        f"{task_id}: {_index_prefix(map_index)}{name} {source} rendered to {value!r} "
        f"({_why_nothing(name, value)}): did an upstream task return nothing? A rendered value must not "
        f"silently mean {meaning}: give {name}=None literally for that; {instead}"
    )


def _mapped_to_nothing(task_id: str, map_index: int, value: object) -> ValueError:
    return ValueError(
        f"{task_id}: map index {map_index}: the mapped user_ids {value!r} is no list of ids "
        f"({_why_nothing('user_ids', value)}): did an upstream task return nothing for this map index? A "
        "mapped value must not silently mean every user: to fetch every user, use a separate, unmapped task "
        "with user_ids=None; [] fetches no user"
    )


def _expand_value(mapped: object) -> object:
    """What ``expand()`` (a dict of mapped names) or ``expand_kwargs()`` (a list of dicts, an XComArg) got."""
    return getattr(getattr(mapped, "expand_input", None), "value", None)


def _maps_user_ids(mapped: object | None, map_index: int) -> bool:
    """
    Whether a mapped task's ``user_ids`` comes from its expand input for this map index.

    ``.expand(user_ids=...)`` maps it; ``.expand_kwargs([...])`` does for a map index whose dict names it.
    With ``.expand_kwargs(xcom_arg)`` the dicts are unknown until run time: ``user_ids`` is taken as mapped
    unless ``partial()`` gave it.

    :param mapped: The mapped operator (``None``: the task is not one).
    :param map_index: The task instance's map index.
    """
    if mapped is None or "user_ids" in getattr(mapped, "partial_kwargs", {}):
        return False
    value = _expand_value(mapped)
    if isinstance(value, Mapping):
        return "user_ids" in value
    if isinstance(value, (list, tuple)):
        entry = value[map_index] if map_index < len(value) else None
        return "user_ids" in entry if isinstance(entry, Mapping) else True
    return True


def _path_key(value: object) -> str | None:
    """The file a literal output path names (a template, or anything else: ``None``), to compare paths."""
    if isinstance(value, ObjectStoragePath):
        return value.path if value.protocol in ("", "file") else str(value)
    if not isinstance(value, str) or not _is_literal(value):
        return None
    text = value.strip()
    scheme = _SCHEME_RE.match(text)
    if scheme and scheme.group(1).lower() == "file":
        return text[scheme.end() :]
    return text


def _shared_output(mapped: object | None, map_index: int, own: object) -> str | None:
    """
    Why this map index's output path is another map index's too (``{shown}`` stands for the path), or
    ``None`` when it is its own, or when that cannot be told before run time (mapped from an XComArg).

    :param mapped: The mapped operator (``None``: not found, so the path is taken as shared).
    :param map_index: The task instance's map index.
    :param own: This map index's output path before rendering.
    """
    same_for_all = "every other map index: output_path {shown} is the same for all of them"
    twice = "another map index: output_path {shown} is given to more than one map index"
    if mapped is None:
        return same_for_all
    value = _expand_value(mapped)
    key = _path_key(own)
    if isinstance(value, Mapping):
        if "output_path" not in value:
            return same_for_all
        paths = value["output_path"]
        if not isinstance(paths, (list, tuple)):
            return None  # mapped from an XComArg
        crossed = sorted(
            name
            for name, values in value.items()
            if name != "output_path" and isinstance(values, (list, tuple, dict)) and len(values) > 1
        )
        if crossed:
            return (
                "another map index: output_path {shown} is crossed with the other mapped argument(s) "
                f"{crossed}, so each path is used by several map indexes"
            )
        if key is not None and [_path_key(path) for path in paths].count(key) > 1:
            return twice
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(entry, Mapping) for entry in value):
        return None  # expand_kwargs() from an XComArg
    named = [_path_key(entry["output_path"]) for entry in value if "output_path" in entry]
    if map_index < len(value) and "output_path" not in value[map_index]:
        if len(value) - len(named) > 1:
            return same_for_all
        return twice if key is not None and key in named else None
    return twice if key is not None and named.count(key) > 1 else None


def _check_fields(fields: object, task_id: str) -> list[str] | None:
    """Return the user keys to keep (``None``: all), from a list or any string form ``user_ids`` takes."""
    if fields is None:
        return None
    problem = ""
    items: object = fields
    if isinstance(fields, str):
        try:
            items = split_list(fields, "fields")
        except ValueError as err:
            problem = f" ({err})"
    if not problem and isinstance(items, (list, tuple)) and items:
        names = [item.strip() if isinstance(item, str) else item for item in items]
        if all(isinstance(name, str) and _FIELD_RE.fullmatch(name) for name in names):
            return list(dict.fromkeys(names))
    raise ValueError(
        f"{task_id}: fields must be a non-empty list of user keys such as ['id', 'emailAddress'] "
        f"(None keeps every key), got {fields!r}{problem}"
    )


def _check_dates(created_from: object, created_to: object, task_id: str) -> tuple[str | None, str | None]:
    """Return both bounds as ISO-8601 (``None``/``""``: no bound), parsed as the hook parses them."""
    try:
        return date_window(
            None if created_from == "" else created_from,  # type: ignore[arg-type]
            None if created_to == "" else created_to,  # type: ignore[arg-type]
        )
    except ValueError as err:
        raise ValueError(f"{task_id}: {err}") from None


def _check_output_path(value: object, task_id: str) -> ObjectStoragePath | None:
    """Return the target (``None``/``""``: XCom); refuse anything that is not absolute or a URI."""
    if value is None or value == "":
        return None
    if isinstance(value, ObjectStoragePath):
        if value.protocol in ("", "file") and not posixpath.isabs(value.path):
            raise ValueError(f"{task_id}: output_path {str(value)!r} is relative: {_ABSOLUTE}")
        return value
    if not isinstance(value, str):
        raise ValueError(
            f"{task_id}: output_path must be a URI, an absolute path or an ObjectStoragePath, got "
            f"{value!r} ({type(value).__name__}): {_ABSOLUTE}"
        )
    text = value.strip()
    scheme = _SCHEME_RE.match(text)
    local = text[scheme.end() :] if scheme and scheme.group(1).lower() == "file" else None if scheme else text
    if local is not None and not posixpath.isabs(local):
        raise ValueError(f"{task_id}: output_path {value!r} is relative: {_ABSOLUTE}")
    return ObjectStoragePath(text)


_ABSOLUTE = (
    "a relative path would land in the worker's current directory; give a URI such as "
    "'s3://bucket/gong/users.jsonl' or 'file:///data/gong/users.jsonl', or an absolute path"
)
