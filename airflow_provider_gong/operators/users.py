"""GongUserOperator: fetch Gong users and hand them to downstream tasks."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseOperator, ObjectStoragePath, conf
from airflow.sdk.execution_time.xcom import XCom

from airflow_provider_gong.exceptions import GongRateLimitError, GongResultTooLargeError
from airflow_provider_gong.hooks.gong import GongHook, UsersResume
from airflow_provider_gong.triggers.rate_limit import (
    DEFAULT_BACKOFF,
    GongRateLimitTrigger,
    error_from_event,
    moment_in,
)
from airflow_provider_gong.user_ids import parse_user_ids

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["DEFAULT_MAX_XCOM_BYTES", "GongUserOperator"]

#: Default ceiling of the JSON pushed to XCom (1 MiB): XCom lives in the metadata database.
DEFAULT_MAX_XCOM_BYTES = 1024 * 1024
#: XCom key prefix of the users a deferred task fetched before the deferral (no ``output_path``).
XCOM_PART_KEY = "gong_users_part"


class GongUserOperator(BaseOperator):
    """
    Fetch Gong users (chosen ids, or every user) and return them as a list of user dicts (XCom).

    Ids go to Gong 100 per call (``POST /v2/users/extensive``), so N ids cost ceil(N/100) calls; the
    result keeps the order the ids were given, each user once. With ``user_ids=None`` every user of the
    company is fetched page by page. Every id is checked before the first request.

    XCom is for small values: when the result's JSON would exceed ``max_xcom_bytes`` the task fails and
    says so, unless ``output_path`` is set, in which case the users are written there as JSON Lines and
    ``{"path": ..., "count": ...}`` is returned instead.

    :param user_ids: One id (str or int), a list or tuple of ids, a comma- or space-separated string, or a
        string holding a JSON list (e.g. a rendered template); ``None`` fetches all users. Templated.
    :param gong_conn_id: The Gong connection id.
    :param fields: Keep only these top-level keys of each user (e.g. ``["id", "emailAddress"]``). Templated.
    :param output_path: Where to write the users as JSON Lines instead of XCom: an
        :class:`~airflow.sdk.ObjectStoragePath` or a URI such as ``file:///data/gong/users.jsonl`` or
        ``s3://bucket/gong/{{ ds }}/users.jsonl``. The file appears only when every user was fetched.
        Templated.
    :param max_xcom_bytes: The largest JSON result returned through XCom. Default 1 MiB.
    :param missing: ``"raise"`` (default) fails when Gong does not know some of the ids, naming them;
        ``"skip"`` logs them at WARNING and returns the others.
    :param created_from: Only users created at or after this time (ISO-8601 or datetime). Templated.
    :param created_to: Only users created before this time. Templated.
    :param include_avatars: Include Gong's synthetic avatar users.
    :param hook_params: Keyword arguments for :class:`GongHook` (``timeout``, ``max_retries``,
        ``calls_per_second``, ``max_retry_wait``).
    :param deferrable: When Gong's rate limit stops the fetch mid-way with a wait longer than the hook's
        ``max_retry_wait`` (e.g. the daily quota is spent), wait in the triggerer
        (:class:`~airflow_provider_gong.triggers.rate_limit.GongRateLimitTrigger`) and resume where the
        fetch stopped: no page is fetched twice and no user is lost or repeated. The users fetched so far
        wait in hidden part files next to ``output_path`` (``.<name>.<token>.partNNNN``, joined into the
        file at the end), or without ``output_path`` in XCom (keys ``gong_users_part_N``, bounded by
        ``max_xcom_bytes``); the position (Gong's cursor, or how many ids are done) travels in the
        trigger's small JSON payload. Without it, the task fails with the wait and both remedies.
        Default: ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = ("user_ids", "fields", "output_path", "created_from", "created_to")
    ui_color = "#8039df"

    def __init__(
        self,
        *,
        user_ids: str | int | Sequence[str | int] | None = None,
        gong_conn_id: str = GongHook.default_conn_name,
        fields: Sequence[str] | None = None,
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
        if missing not in ("raise", "skip"):
            raise ValueError(f"{self.task_id}: missing must be 'raise' or 'skip', got {missing!r}")
        if isinstance(max_xcom_bytes, bool) or not isinstance(max_xcom_bytes, int) or max_xcom_bytes < 0:
            raise ValueError(
                f"{self.task_id}: max_xcom_bytes must be a whole number >= 0, got {max_xcom_bytes!r}"
            )
        self.user_ids = user_ids
        self.gong_conn_id = gong_conn_id
        self.fields = fields
        self.output_path = output_path
        self.max_xcom_bytes = max_xcom_bytes
        self.missing: Literal["raise", "skip"] = missing
        self.created_from = created_from
        self.created_to = created_to
        self.include_avatars = include_avatars
        self.hook_params = dict(hook_params or {})
        self.deferrable = deferrable
        if _is_literal(user_ids):
            # Fail at DAG parse time, not at 3 a.m.: plain values need no rendering to be checked.
            parse_user_ids(user_ids)

    @property
    def hook(self) -> GongHook:
        """A new hook for this task's connection (no lookup until its first call)."""
        return GongHook(self.gong_conn_id, **self.hook_params)

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        """Fetch the users; return them (or, with ``output_path``, where they were written)."""
        ids = parse_user_ids(self.user_ids)
        fields = _check_fields(self.fields, self.task_id)
        if ids == []:
            self.log.info("No user ids given: nothing to fetch")
            return self._store(iter(())) if self.output_path else []
        return self._fetch(context, ids, fields, progress=None)

    def execute_complete(
        self, context: Context, event: dict[str, Any]
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """
        Resume the fetch where Gong's rate limit stopped it (after :class:`GongRateLimitTrigger`).

        :param context: The task context.
        :param event: The trigger's event; its ``payload`` is where the fetch stands.
        """
        progress = event.get("payload") or {}
        if event.get("status") != "ok":
            self._sink(context, progress).discard()
            if event.get("status") == "error":
                raise error_from_event(event)
            raise GongRateLimitError(429, "GET", "/v2/users", errors=[str(event.get("message"))])
        self.log.info(
            "Gong answers again after %s s in the triggerer; resuming after %d users",
            event.get("waited"),
            int(progress.get("count") or 0),
        )
        ids = parse_user_ids(self.user_ids)
        fields = _check_fields(self.fields, self.task_id)
        return self._fetch(context, ids, fields, progress=progress)

    def _fetch(
        self,
        context: Context,
        ids: list[str] | None,
        fields: list[str] | None,
        progress: dict[str, Any] | None,
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Fetch (from ``progress`` on, when resuming); on a long rate limit defer or fail with the hint."""
        progress = dict(progress or {})
        state = UsersResume.from_json(progress["resume"]) if progress.get("resume") else UsersResume()
        sink = self._sink(context, progress)
        hook = self.hook
        limit: GongRateLimitError | None = None
        try:
            try:
                for user in hook.iter_users(
                    ids,
                    created_from=self.created_from or None,
                    created_to=self.created_to or None,
                    include_avatars=self.include_avatars,
                    missing=self.missing,
                    resume=state,
                ):
                    sink.add(_keep(user, fields))
            except GongRateLimitError as err:
                if not self.deferrable:
                    self._explain_limit(err, sink.count)
                    raise
                limit = err
            if limit is None:
                return sink.finish()
            saved = sink.pause()
        except BaseException:
            sink.discard()
            raise
        finally:
            hook.close()
        wait = limit.retry_after if limit.retry_after is not None else DEFAULT_BACKOFF
        self.log.warning(
            "Gong's rate limit stopped the fetch after %d users (requestId %s); deferring for %.0f s, then "
            "resuming where it stopped",
            saved["count"],
            limit.request_id or "-",
            wait,
        )
        self.defer(
            trigger=GongRateLimitTrigger(
                self.gong_conn_id,
                resume_at=moment_in(wait),
                timeout=self.hook_params.get("timeout"),
                max_retries=self.hook_params.get("max_retries"),
                payload={"resume": state.to_json(), **saved},
            ),
            method_name="execute_complete",
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

    def _sink(self, context: Context, progress: dict[str, Any]) -> _Sink:
        if self.output_path:
            target = self.output_path
            path = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(str(target))
            return _FileSink(path, progress)
        return _XComSink(self, context, progress)

    def _check_xcom_size(self, users: list[dict[str, Any]], size: int | None = None) -> None:
        if size is None:
            size = _json_size(users)
        if size > self.max_xcom_bytes:
            raise GongResultTooLargeError(
                f"{self.task_id}: {len(users)} users are {size:,} bytes of JSON, over max_xcom_bytes "
                f"({self.max_xcom_bytes:,}); XCom is for small values. Set output_path (e.g. "
                "'s3://bucket/gong/{{ ds }}/users.jsonl' or 'file:///data/gong/users.jsonl') to write them "
                "as JSON Lines and pass {path, count} instead, keep fewer keys with fields=[...], "
                "or raise max_xcom_bytes"
            )

    def _store(self, users: Iterator[dict[str, Any]]) -> dict[str, Any]:
        target = self.output_path
        path = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(str(target))
        sink = _FileSink(path, {})
        try:
            for user in users:
                sink.add(user)
            return sink.finish()
        except BaseException:
            sink.discard()
            raise


class _Sink:
    """Where fetched users go until the fetch ends; survives a deferral (``pause``) and resumes."""

    count: int

    def add(self, user: dict[str, Any]) -> None:
        raise NotImplementedError

    def pause(self) -> dict[str, Any]:
        """Keep what was collected so far; return the small JSON that finds it again."""
        raise NotImplementedError

    def finish(self) -> list[dict[str, Any]] | dict[str, Any]:
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError


class _FileSink(_Sink):
    """
    JSON Lines into hidden part files next to the target, one per run segment; joined at the end.

    The target appears only when every user was fetched (one rename of a complete file).
    """

    def __init__(self, path: ObjectStoragePath, progress: dict[str, Any]) -> None:
        self.path = path
        self.token = str(progress.get("token") or uuid.uuid4().hex)
        self.parts = int(progress.get("parts") or 0)
        self.count = int(progress.get("count") or 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._current = self._part(self.parts)
        self._out: Any = None

    def _part(self, number: int) -> ObjectStoragePath:
        return self.path.parent / f".{self.path.name}.{self.token}.part{number:04d}"

    def add(self, user: dict[str, Any]) -> None:
        if self._out is None:
            self._out = self._current.open("w", encoding="utf-8")  # type: ignore[no-untyped-call]
        self._out.write(json.dumps(user, separators=(",", ":"), default=str) + "\n")
        self.count += 1

    def _close(self) -> None:
        if self._out is None:
            self._current.touch()
        else:
            self._out.close()
            self._out = None

    def pause(self) -> dict[str, Any]:
        self._close()
        return {"token": self.token, "parts": self.parts + 1, "count": self.count}

    def finish(self) -> dict[str, Any]:
        self._close()
        if self.parts == 0:
            self._current.replace(self.path)
        else:
            joined = self.path.parent / f".{self.path.name}.{self.token}.partial"
            with joined.open("wb") as out:  # type: ignore[no-untyped-call]
                for number in range(self.parts + 1):
                    with self._part(number).open("rb") as part:  # type: ignore[no-untyped-call]
                        shutil.copyfileobj(part, out)
            joined.replace(self.path)
            for number in range(self.parts + 1):
                self._part(number).unlink(missing_ok=True)
        return {"path": str(self.path), "count": self.count}

    def discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        for number in range(self.parts + 1):
            self._part(number).unlink(missing_ok=True)
        (self.path.parent / f".{self.path.name}.{self.token}.partial").unlink(missing_ok=True)


class _XComSink(_Sink):
    """Users in memory; across a deferral, each segment waits in XCom (bounded by ``max_xcom_bytes``)."""

    def __init__(self, operator: GongUserOperator, context: Context, progress: dict[str, Any]) -> None:
        self.operator = operator
        self.context = context
        self.parts = int(progress.get("parts") or 0)
        self.count = int(progress.get("count") or 0)
        self.bytes = int(progress.get("bytes") or 0)
        self.users: list[dict[str, Any]] = []

    def add(self, user: dict[str, Any]) -> None:
        self.users.append(user)
        self.count += 1

    def _key(self, number: int) -> str:
        return f"{XCOM_PART_KEY}_{number}"

    def pause(self) -> dict[str, Any]:
        size = self.bytes + _json_size(self.users)
        self.operator._check_xcom_size(self.users, size)
        ti = self.context["ti"]
        ti.xcom_push(key=self._key(self.parts), value=self.users)
        return {"parts": self.parts + 1, "count": self.count, "bytes": size}

    def finish(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if self.parts:
            ti = self.context["ti"]
            for number in range(self.parts):
                part = ti.xcom_pull(task_ids=ti.task_id, key=self._key(number), map_indexes=ti.map_index)
                if not isinstance(part, list):
                    raise GongResultTooLargeError(
                        f"{self.operator.task_id}: the users fetched before the deferral are gone from XCom "
                        f"(key {self._key(number)}); clear the task to fetch again"
                    )
                result.extend(part)
        result.extend(self.users)
        self.operator._check_xcom_size(result)
        self._delete_parts()  # the result goes to return_value: do not keep every user twice
        return result

    def discard(self) -> None:
        self.users = []
        self._delete_parts()

    def _delete_parts(self) -> None:
        if not self.parts:
            return
        ti = self.context["ti"]
        for number in range(self.parts):
            try:
                XCom.delete(
                    key=self._key(number),
                    task_id=ti.task_id,
                    dag_id=ti.dag_id,
                    run_id=ti.run_id,
                    map_index=ti.map_index,
                )
            except Exception as err:  # cleanup only: the users are safe in return_value or refetched
                self.operator.log.warning("could not delete XCom %s: %s", self._key(number), err)


def _json_size(users: list[dict[str, Any]]) -> int:
    return len(json.dumps(users, separators=(",", ":"), default=str).encode())


def _is_literal(value: object) -> bool:
    """Whether a value is final as given: no template, nothing Airflow resolves at run time (XComArg)."""
    if value is None or isinstance(value, (int, float, dict)):
        return True
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    if isinstance(value, (list, tuple)):
        return all(_is_literal(item) for item in value)
    return False


def _check_fields(fields: object, task_id: str) -> list[str] | None:
    if fields is None:
        return None
    given = fields
    if isinstance(fields, str):
        fields = [part for part in fields.replace(",", " ").split() if part]
    if isinstance(fields, (list, tuple)) and fields and all(isinstance(f, str) and f for f in fields):
        return list(fields)
    raise ValueError(
        f"{task_id}: fields must be a non-empty list of user keys such as ['id', 'emailAddress'] "
        f"(None keeps every key), got {given!r}"
    )


def _keep(user: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return user if fields is None else {key: user[key] for key in fields if key in user}
