"""GongUserOperator: fetch Gong users and hand them to downstream tasks."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseOperator, ObjectStoragePath

from airflow_provider_gong.exceptions import GongResultTooLargeError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.user_ids import parse_user_ids

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["DEFAULT_MAX_XCOM_BYTES", "GongUserOperator"]

#: Default ceiling of the JSON pushed to XCom (1 MiB): XCom lives in the metadata database.
DEFAULT_MAX_XCOM_BYTES = 1024 * 1024


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
        hook = self.hook
        try:
            users = hook.iter_users(
                ids,
                created_from=self.created_from or None,
                created_to=self.created_to or None,
                include_avatars=self.include_avatars,
                missing=self.missing,
            )
            shaped = (_keep(user, fields) for user in users)
            if self.output_path:
                return self._store(shaped)
            result = list(shaped)
        finally:
            hook.close()
        self._check_xcom_size(result)
        return result

    def _check_xcom_size(self, users: list[dict[str, Any]]) -> None:
        size = len(json.dumps(users, separators=(",", ":"), default=str).encode())
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
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.parent / f".{path.name}.{uuid.uuid4().hex}.partial"
        count = 0
        try:
            with partial.open("w", encoding="utf-8") as out:  # type: ignore[no-untyped-call]
                for user in users:
                    out.write(json.dumps(user, separators=(",", ":"), default=str) + "\n")
                    count += 1
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.log.info("wrote %d users to %s", count, path)
        return {"path": str(path), "count": count}


def _is_literal(value: object) -> bool:
    """Whether a value is final as given: not a template, nor anything Airflow resolves at run time."""
    if value is None or isinstance(value, int):
        return True
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, (str, int)) and _is_literal(item) for item in value)
    return False


def _check_fields(fields: object, task_id: str) -> list[str] | None:
    if fields is None:
        return None
    if isinstance(fields, str):
        fields = [part for part in fields.replace(",", " ").split() if part]
    if not isinstance(fields, Iterable) or not all(isinstance(f, str) and f for f in fields):
        raise ValueError(
            f"{task_id}: fields must be a list of user keys such as ['id', 'emailAddress'], got {fields!r}"
        )
    return list(fields)


def _keep(user: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return user if fields is None else {key: user[key] for key in fields if key in user}
