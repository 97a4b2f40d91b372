"""GongUserOperator: fetch Gong users (chosen ids, or every user) on :class:`BaseGongFetchOperator`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from airflow_provider_gong.client.ids import parse_user_ids
from airflow_provider_gong.client.paging import Resume
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.arguments import check_dates, is_literal
from airflow_provider_gong.operators.base import (
    DEFAULT_MAX_XCOM_BYTES,
    BaseGongFetchOperator,
    Fetch,
    KnownIds,
)
from airflow_provider_gong.operators.sinks import xcom_size
from airflow_provider_gong.version_compat import ObjectStoragePath, conf

__all__ = ["DEFAULT_MAX_XCOM_BYTES", "XCOM_PART_KEY", "GongUserOperator", "xcom_size"]

#: XCom key prefix of the users a deferred task fetched before the deferral (no ``output_path``).
XCOM_PART_KEY = "gong_users_part"


class GongUserOperator(BaseGongFetchOperator):
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
    :param probe_endpoint: What the triggerer probes during such a wait: Gong's ``operationId`` of a
        listing the connection's credentials may read. Default ``"listUsers"``.
    """

    record_noun = "user"
    record_plural = "users"
    known_keys = ("id", "emailAddress", "firstName", "lastName", "active", "managerId")
    ids_argument = "user_ids"
    user_ids: Any  # set by BaseGongFetchOperator (ids_argument)
    template_fields: Sequence[str] = ("user_ids", "fields", "output_path", "created_from", "created_to")

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
        super().__init__(
            user_ids=user_ids,
            gong_conn_id=gong_conn_id,
            fields=fields,
            output_path=output_path,
            max_xcom_bytes=max_xcom_bytes,
            hook_params=hook_params,
            deferrable=deferrable,
            **kwargs,
        )
        if missing not in ("raise", "skip"):
            raise ValueError(f"{self.task_id}: missing must be 'raise' or 'skip', got {missing!r}")
        self.check_flag("include_avatars", include_avatars)
        self.missing: Literal["raise", "skip"] = missing
        self.created_from = created_from
        self.created_to = created_to
        self.include_avatars = include_avatars
        from_literal, to_literal = is_literal(created_from), is_literal(created_to)
        if from_literal or to_literal:
            check_dates(
                created_from if from_literal else None, created_to if to_literal else None, self.task_id
            )

    def parse_ids(self, value: object) -> list[str] | None:
        """The user ids to fetch (``None``: every user), from any form ``user_ids`` takes."""
        return parse_user_ids(value)

    def prepare(self, ids: list[str] | None) -> Fetch:
        """Check the rendered dates; return the fetch of the users."""
        created_from, created_to = check_dates(self.created_from, self.created_to, self.task_id)

        def fetch(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterable[dict[str, Any]]:
            return hook.iter_users(
                ids,
                created_from=created_from,
                created_to=created_to,
                include_avatars=self.include_avatars,
                missing=self.missing,
                resume=resume,
                # Resuming a listing: Gong's cursor may have expired during the wait; the hook then
                # restarts from the first page and skips the users stored before.
                known_ids=known_ids if ids is None else None,
            )

        return fetch
