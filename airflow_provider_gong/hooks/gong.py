"""GongHook: the Airflow connection to Gong, a thin shell over the client core."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, Literal

import requests

from airflow_provider_gong import endpoints
from airflow_provider_gong.client import calls, operations, users
from airflow_provider_gong.client.core import GongClient
from airflow_provider_gong.client.dates import date_window, gong_dates
from airflow_provider_gong.client.pacing import Pacer, PacerRegistry
from airflow_provider_gong.client.paging import Resume, UsersResume
from airflow_provider_gong.client.retry import RetryPolicy
from airflow_provider_gong.client.settings import (
    DEFAULT_CONN_ID,
    DEFAULT_MAX_RETRY_WAIT,
    GongSettings,
    checked_setting,
    settings_from_connection,
)
from airflow_provider_gong.client.shared import SharedStateUnavailableError
from airflow_provider_gong.endpoints import DEFAULT_PROBE_ENDPOINT, ENDPOINTS
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConfigError,
    GongNotFoundError,
    GongRateLimitError,
    describe_keys,
)
from airflow_provider_gong.hooks.oauth import oauth_tokens
from airflow_provider_gong.version_compat import BaseHook, mask_secret

__all__ = ["GongHook", "GongSettings", "UsersResume"]


class GongHook(BaseHook):
    """
    Talk to Gong's REST API with an Airflow connection of type ``gong``.

    The connection holds the company's API base URL (host), and either an access key (login) with its
    secret (password) for Basic auth, an OAuth ``access_token`` (extra) for Bearer auth, or an OAuth app
    (extras ``client_id``, ``client_secret``, ``refresh_token``), whose access tokens the hook refreshes
    itself, keeping Gong's single-use refresh tokens rotated safely across processes
    (:class:`~airflow_provider_gong.client.oauth.OAuthTokens`; without a host, the company's
    ``api_base_url_for_customer``). Nothing is looked up and no request is sent until the first call.
    Every call goes through the client core (:class:`~airflow_provider_gong.client.core.GongClient`): one
    retry policy
    (:class:`~airflow_provider_gong.client.retry.RetryPolicy`) and a client-side pace shared by every
    hook of the process that talks to the same company. With the connection extra ``shared_state_url``
    (a Redis URL; extra ``airflow-provider-gong[redis]``), every process of the company also shares one
    pace, a daily budget (``calls_per_day``, :meth:`remaining_daily_budget`) and Gong's ``Retry-After``
    (:class:`~airflow_provider_gong.client.shared.SharedLimits`).

    The hook is safe to share between threads: each thread gets its own keep-alive ``requests.Session``
    (built on its first call, then reused), since a ``Session`` is not documented as thread-safe.

    :param gong_conn_id: The Airflow connection id.
    :param timeout: Seconds to wait for Gong (connect, each read, and the whole body once the headers
        arrived); overrides the ``timeout`` extra. Default 30.
    :param max_retries: Retries of a failed call; overrides the ``max_retries`` extra. Default 5.
    :param calls_per_second: Client-side pace; overrides the ``calls_per_second`` extra. Default 3,
        Gong's default limit per company; 0 switches pacing off.
    :param max_retry_wait: The longest ``Retry-After`` (seconds) the hook sleeps inside the task; a 429
        asking for longer raises :class:`~airflow_provider_gong.exceptions.GongRateLimitError` at once.
        Default 60.
    :param sleep: Sleep function for retry waits (tests inject a fake one). Default :func:`time.sleep`.
    :param pacers: Where the company's pace comes from (tests inject one on a fake clock). Default: the
        process's :data:`~airflow_provider_gong.client.pacing.DEFAULT_PACERS`.
    """

    conn_name_attr = "gong_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "gong"
    hook_name = "Gong"

    def __init__(
        self,
        gong_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        calls_per_second: float | None = None,
        max_retry_wait: float | None = None,
        sleep: Callable[[float], None] | None = None,
        pacers: PacerRegistry | None = None,
    ) -> None:
        super().__init__()
        self.gong_conn_id = gong_conn_id
        self._overrides = {
            "timeout": timeout,
            "max_retries": max_retries,
            "calls_per_second": calls_per_second,
        }
        self._max_retry_wait = (
            DEFAULT_MAX_RETRY_WAIT
            if max_retry_wait is None
            else checked_setting("max_retry_wait", max_retry_wait, "GongHook argument 'max_retry_wait'")
        )
        self._sleep = sleep or time.sleep
        self._pacers = pacers
        self._lock = threading.Lock()
        self._client: GongClient | None = None
        self._testing = False  # test_connection: an OAuth app refreshes only with shared state

    # ------------------------------------------------------------------ connection form (Airflow < 3.2)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """
        The extra fields of the ``gong`` form for Airflow 2's Flask UI (and 3.0/3.1's ``hook_meta``).

        Derived from ``conn-fields`` of the provider info, which Airflow >= 3.2 reads instead (it does not
        call this method for a connection type that declares them).
        """
        from airflow_provider_gong.hooks import form  # noqa: PLC0415 - only the Flask UI asks

        return form.connection_form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """
        Hidden and relabelled standard fields and placeholders of the ``gong`` form, for Airflow < 3.2.

        Derived from ``ui-field-behaviour`` of the provider info, which Airflow >= 3.2 reads instead.
        """
        from airflow_provider_gong.hooks import form  # noqa: PLC0415 - only the Flask UI asks

        return form.ui_field_behaviour()

    # ------------------------------------------------------------------ connection and client

    @property
    def client(self) -> GongClient:
        """The client core for this connection: looked up and checked once, on first use, by one thread."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build_client()
                client = self._client
        return client

    def _build_client(self) -> GongClient:
        conn = self.get_connection(self.gong_conn_id)
        settings = settings_from_connection(conn, self.gong_conn_id, self._overrides)
        for secret in settings.secrets:
            mask_secret(secret)
        tokens = None
        if settings.oauth is not None:
            # The Test button runs in the API server: it refreshes only where every process reads the
            # rotated refresh token next (shared state); elsewhere a refresh would lose it.
            tokens = oauth_tokens(
                settings,
                self.gong_conn_id,
                mask=mask_secret,
                log=self.log,
                refresh_allowed=not (self._testing and settings.shared is None),
            )
            settings = tokens.base_url(settings)
        return GongClient(
            settings,
            max_retry_wait=self._max_retry_wait,
            sleep=self._sleep,
            pacers=self._pacers,
            log=self.log,
            tokens=tokens,
        )

    @property
    def settings(self) -> GongSettings:
        """The connection resolved and checked."""
        return self.client.settings

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this hook (from ``max_retries`` and ``max_retry_wait``)."""
        return self.client.retry_policy

    @property
    def pacer(self) -> Pacer:
        """The pace shared by every hook of this process that talks to the same company."""
        return self.client.pacer

    def remaining_daily_budget(self) -> int | None:
        """
        The calls left of the company's daily budget (``calls_per_day``) today, as every process counts it.

        The day is the UTC day. During a 429 whose ``Retry-After`` is longer than a minute (Gong's daily
        quota, perhaps spent by another tool of the company) the budget reads 0 until it ends.

        :return: The calls left, or ``None`` without ``shared_state_url`` (each process then counts nothing)
            or while Redis cannot be reached.
        """
        shared = self.client.shared
        return None if shared is None else shared.remaining()

    @property
    def session(self) -> requests.Session:
        """This thread's keep-alive session (built on first use, then reused)."""
        return self.client.transport.session

    @property
    def calls_sent(self) -> int:
        """Requests this hook sent to Gong so far (every attempt: retries and probes included)."""
        client = self._client
        return 0 if client is None else client.sent

    def get_conn(self) -> requests.Session:
        """Return this thread's ``requests.Session`` for Gong (Airflow's usual hook accessor)."""
        return self.session

    def close(self) -> None:
        """Close every session this hook opened (their pooled connections too)."""
        if self._client is not None:
            self._client.close()

    # ------------------------------------------------------------------ HTTP

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        """
        Call one Gong endpoint under the pace and the retry policy; return the decoded JSON object.

        :param method: HTTP method, e.g. ``"GET"``.
        :param path: Path below the base URL, e.g. ``"/v2/users/123"``.
        :param params: Query parameters.
        :param json: JSON body.
        :param retry: ``False`` makes a single attempt (e.g. a connection test).
        :raises GongApiError: (or a subclass) when Gong answers with an error or an unreadable body.
        :raises GongConnectionError: when Gong cannot be reached (``GongTimeoutError`` on timeouts).
        """
        return self.client.call(method, path, params=params, json=json, retry=retry)

    # ------------------------------------------------------------------ users

    def get_user(self, user_id: str | int) -> dict[str, Any]:
        """
        Retrieve one user (``GET /v2/users/{id}``), exactly as Gong sent it (unknown fields kept).

        :param user_id: Gong's user id: a string or integer of 1-20 digits.
        :raises ValueError: when the id is not a Gong user id (before any request).
        :raises GongNotFoundError: when Gong has no such user.
        """
        return users.get_user(self.client, user_id)

    def get_user_settings_history(self, user_id: str | int) -> list[dict[str, Any]]:
        """
        Retrieve a user's settings history (``GET /v2/users/{id}/settings-history``).

        :param user_id: Gong's user id: a string or integer of 1-20 digits.
        """
        return users.get_user_settings_history(self.client, user_id)

    def iter_users(
        self,
        user_ids: Iterable[str | int] | None = None,
        *,
        created_from: datetime | str | None = None,
        created_to: datetime | str | None = None,
        include_avatars: bool = False,
        missing: Literal["raise", "skip"] = "raise",
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield users, page by page, with as few calls as Gong allows.

        - ``user_ids=None``: every user of the company (``GET /v2/users``, following the cursor), or,
          with a created-date filter, ``POST /v2/users/extensive``.
        - ``user_ids`` given: ``POST /v2/users/extensive`` with up to 100 ids per call, so N distinct ids
          cost ceil(N/100) calls. Users come in the order the ids were given, each once.

        Every id is checked before the first request. Each page is retried on its own, so a failure
        mid-way never fetches or yields an earlier page again.

        :param user_ids: Ids to fetch (str or int, 1-20 digits), or ``None`` for all users.
        :param created_from: Only users created at or after this time (ISO-8601 string or datetime;
            a naive datetime is taken as UTC).
        :param created_to: Only users created before this time (exclusive).
        :param include_avatars: Include Gong's synthetic avatar users.
        :param missing: What to do with ids Gong did not return: ``"raise"`` (default) yields the users
            found, then raises :class:`GongNotFoundError` naming up to 10 missing ids and their count (all
            of them in its ``missing_ids``); ``"skip"`` logs them at WARNING and goes on.
        :param resume: Where to start, kept up to date while the users are consumed: after an error it tells
            where to resume (see :class:`~airflow_provider_gong.client.paging.Resume`). Same inputs
            required.
        :param known_ids: Listings resumed from a kept cursor: returns the ids of the users the caller
            stored before. Gong's cursors expire; when Gong rejects the kept one (a 400), the listing
            starts again from the first page, calls this once and skips those users, so none comes
            twice. Without it such a 400 is raised.
        """
        fetch = users.UsersFetch.check(
            user_ids,
            created_from=created_from,
            created_to=created_to,
            include_avatars=include_avatars,
            missing=missing,
            resume=resume,
            known_ids=known_ids,
        )
        yield from fetch.run(self.client)

    def get_users(
        self,
        user_ids: Iterable[str | int] | None = None,
        *,
        created_from: datetime | str | None = None,
        created_to: datetime | str | None = None,
        include_avatars: bool = False,
        missing: Literal["raise", "skip"] = "raise",
    ) -> list[dict[str, Any]]:
        """
        Return :meth:`iter_users` as a list (same arguments).

        :param user_ids: Ids to fetch, or ``None`` for all users.
        :param created_from: Only users created at or after this time.
        :param created_to: Only users created before this time.
        :param include_avatars: Include Gong's synthetic avatar users.
        :param missing: ``"raise"`` or ``"skip"`` ids Gong did not return.
        """
        return list(
            self.iter_users(
                user_ids,
                created_from=created_from,
                created_to=created_to,
                include_avatars=include_avatars,
                missing=missing,
            )
        )

    # ------------------------------------------------------------------ calls

    def get_call(self, call_id: str | int) -> dict[str, Any]:
        """
        Retrieve one call (``GET /v2/calls/{id}``): the ``call`` object exactly as Gong sent it.

        :param call_id: Gong's call id: a string or integer of 1-20 digits.
        :raises ValueError: when the id is not a Gong id (before any request).
        :raises GongNotFoundError: when Gong has no such call (or does not list it yet: Gong processes a
            call for a while after it ends).
        """
        return calls.get_call(self.client, call_id)

    def iter_calls(
        self,
        from_datetime: datetime | str,
        to_datetime: datetime | str,
        *,
        workspace_id: str | int | None = None,
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield the calls that started in ``[from_datetime, to_datetime)`` (``GET /v2/calls``, every page).

        Each record is Gong's basic call object (``id``, ``started``, ``duration``, ``primaryUserId``,
        ...), once. A window in which Gong finds no call (its 404 "No calls found") yields nothing.

        :param from_datetime: The inclusive start: a ``datetime`` (a naive one is UTC) or an ISO-8601
            string. For web conferences Gong's own recorder made, Gong filters by the scheduled time.
        :param to_datetime: The exclusive end.
        :param workspace_id: Only calls of this workspace (1-20 digits).
        :param resume: Where to start, kept up to date as calls are consumed (see
            :class:`~airflow_provider_gong.client.paging.Resume`).
        :param known_ids: Listings resumed from a kept cursor: the ids of the calls stored before.
        :raises ValueError: for a missing, malformed, empty or inverted window or a bad workspace id, before
            any request.
        """
        fetch = calls.CallsFetch.listing(
            from_datetime, to_datetime, workspace_id=workspace_id, resume=resume, known_ids=known_ids
        )
        yield from fetch.run(self.client)

    def iter_calls_extensive(
        self,
        *,
        from_datetime: datetime | str | None = None,
        to_datetime: datetime | str | None = None,
        call_ids: Iterable[str | int] | None = None,
        primary_user_ids: Iterable[str | int] | None = None,
        workspace_id: str | int | None = None,
        content: Iterable[str] | Mapping[str, Any] | str | None = None,
        context: str | None = None,
        context_timing: Iterable[str] | str | None = None,
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield detailed calls (``POST /v2/calls/extensive``): ``{"metaData": {...}, ...}`` per call, once.

        The filters combine: a window, call ids, primary users and a workspace. Ids go to Gong 100 per call,
        so N ids cost ceil(N/100) calls (more only when Gong pages); with ``call_ids`` the calls come in the
        ids' order, and ids Gong did not return (unknown, outside the window, not processed yet) are named
        in a WARNING.

        :param from_datetime: Only calls that started at or after this time (``datetime``, naive = UTC, or
            ISO-8601).
        :param to_datetime: Only calls that started before this time (exclusive).
        :param call_ids: Only these calls (1-20 digits each), checked before any request.
        :param primary_user_ids: Only calls these users hosted.
        :param workspace_id: Only calls of this workspace.
        :param content: What Gong returns besides ``metaData``: leaf names of Gong's ``exposedFields``,
            unique across its sections, e.g. ``["parties", "topics", "trackers", "brief", "outline",
            "highlights", "keyPoints", "callOutcome", "personInteractionStats", "questions",
            "publicComments"]`` (all of them: :data:`~airflow_provider_gong.client.content.EXPOSED_FIELDS`).
            ``"media"`` adds audio and video download URLs: an OAuth app needs the scope
            ``api:calls:read:media-url`` for it, and the URLs expire 8 hours after Gong hands them out. A
            mapping is Gong's raw ``contentSelector``, sent unchanged. ``None``: ``metaData`` only.
        :param context: ``"basic"`` adds each call's links to external systems (CRM), ``"extended"`` their
            fields too.
        :param context_timing: With ``context="extended"``: ``"now"`` and/or ``"timeOfCall"``.
        :param resume: Where to start, kept up to date as calls are consumed.
        :param known_ids: Listings resumed from a kept cursor: the ids of the calls stored before.
        :raises ValueError: naming the bad input (ids, dates, content names), before any request.
        """
        fetch = calls.CallsFetch.extensive(
            from_datetime=from_datetime,
            to_datetime=to_datetime,
            call_ids=call_ids,
            primary_user_ids=primary_user_ids,
            workspace_id=workspace_id,
            content=content,
            context=context,
            context_timing=context_timing,
            resume=resume,
            known_ids=known_ids,
        )
        yield from fetch.run(self.client)

    def iter_transcripts(
        self,
        *,
        from_datetime: datetime | str | None = None,
        to_datetime: datetime | str | None = None,
        call_ids: Iterable[str | int] | None = None,
        workspace_id: str | int | None = None,
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield call transcripts (``POST /v2/calls/transcript``): ``{"callId", "transcript"}`` per call, once.

        A transcript carries no start time: ask for one UTC day at a time (or join on ``callId`` to the
        calls) to know which day it belongs to. Gong transcribes a call some time after it ends; until then
        the call has no record here. Ids go 100 per call, in the ids' order.

        :param from_datetime: Only calls that started at or after this time.
        :param to_datetime: Only calls that started before this time (exclusive).
        :param call_ids: Only these calls (1-20 digits each), checked before any request.
        :param workspace_id: Only calls of this workspace.
        :param resume: Where to start, kept up to date as transcripts are consumed.
        :param known_ids: Listings resumed from a kept cursor: the call ids stored before.
        :raises ValueError: naming the bad input, before any request.
        """
        fetch = calls.CallsFetch.transcripts(
            from_datetime=from_datetime,
            to_datetime=to_datetime,
            call_ids=call_ids,
            workspace_id=workspace_id,
            resume=resume,
            known_ids=known_ids,
        )
        yield from fetch.run(self.client)

    # ------------------------------------------------------------------ any read operation

    def request(self, operation_id: str, **inputs: Any) -> dict[str, Any]:
        """
        Call any of Gong's read operations once; return Gong's whole answer (the first page of a paged one).

        Keyword inputs are the snake_case of Gong's parameter names (``workspace_id`` for ``workspaceId``
        or ``workspace-id``, ``from_`` for ``from``); a POST body's top-level keys by name (``filter=``,
        ``content_selector=``, ``aggregation_period=``), each a dict in Gong's own shape; never ``cursor``.
        ``ENDPOINTS[operation_id].inputs`` lists them. For example
        ``hook.request("listCrmSchemaFields", integration_id=123, object_type="DEAL")``.

        :param operation_id: Gong's ``operationId`` (a key of
            :data:`~airflow_provider_gong.endpoints.ENDPOINTS`).
        :param inputs: The operation's inputs.
        :raises GongConfigError: when the operation is not one this provider knows.
        :raises ValueError: naming the input that is missing, unknown or malformed, before any request.
        :raises GongApiError: (or a subclass) when Gong answers with an error; a 401/403 hint names the
            operation's scopes.
        """
        return operations.answer(self.client, operations.endpoint_for(operation_id), inputs)

    def iter_records(
        self,
        operation_id: str,
        *,
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
        **inputs: Any,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield the records of any of Gong's read operations that answers records: every page of a paged one
        (following Gong's cursor), the list of a list answer, or the one record of a single-record answer.

        Inputs as for :meth:`request`, checked before any request; an id filter of more than 100 ids goes
        100 per call. For example ``hook.iter_records("listLogs", log_type="AccessLog",
        from_date_time="2026-11-30T00:00:00Z")``.

        :param operation_id: Gong's ``operationId``.
        :param resume: Where to start (paged answers), kept up to date as records are consumed.
        :param known_ids: Listings resumed from a kept cursor: the ids stored before.
        :param inputs: The operation's inputs.
        :raises GongConfigError: for an unknown operation, or one whose answer is a single object.
        :raises ValueError: naming the bad input, before any request.
        """
        endpoint = operations.endpoint_for(operation_id)
        return operations.records(self.client, endpoint, inputs, resume=resume, known_ids=known_ids)

    # ------------------------------------------------------------------ stats (company dates)

    def iter_interaction_stats(
        self,
        from_date: date | datetime | str,
        to_date: date | datetime | str,
        *,
        user_ids: Iterable[str | int] | None = None,
        company_timezone: str = "UTC",
    ) -> Iterator[dict[str, Any]]:
        """
        Yield each user's interaction stats (``POST /v2/stats/interaction``, scope ``api:stats:interaction``).

        :param from_date: The first of Gong's dates (``date`` or ``YYYY-MM-DD``, the company's time zone),
            or the start of a window of instants (``datetime``), turned into the company's date.
        :param to_date: The date after the last (exclusive, not after today), or the window's end.
        :param user_ids: Only these users.
        :param company_timezone: The company's time zone (Gong's company settings), for windows of instants.
        :raises ValueError: naming the bad input, before any request.
        """
        return self._user_stats("listInteractionStats", from_date, to_date, user_ids, company_timezone, {})

    def iter_activity_day_by_day(
        self,
        from_date: date | datetime | str,
        to_date: date | datetime | str,
        *,
        user_ids: Iterable[str | int] | None = None,
        company_timezone: str = "UTC",
    ) -> Iterator[dict[str, Any]]:
        """
        Yield each user's activity day by day (``POST /v2/stats/activity/day-by-day``, scope
        ``api:stats:user-actions:detailed``): ``{"userId", "userEmailAddress", "userDailyActivityStats"}``.

        Dates as for :meth:`iter_interaction_stats`.

        :param from_date: The first date, or a window's start.
        :param to_date: The date after the last (exclusive), or a window's end.
        :param user_ids: Only these users.
        :param company_timezone: The company's time zone, for windows of instants.
        """
        return self._user_stats(
            "listMultipleUsersDayByDayActivity", from_date, to_date, user_ids, company_timezone, {}
        )

    def iter_activity_aggregate(
        self,
        from_date: date | datetime | str,
        to_date: date | datetime | str,
        *,
        user_ids: Iterable[str | int] | None = None,
        company_timezone: str = "UTC",
    ) -> Iterator[dict[str, Any]]:
        """
        Yield each user's activity summed over the dates (``POST /v2/stats/activity/aggregate``, scope
        ``api:stats:user-actions``). Dates as for :meth:`iter_interaction_stats`.

        :param from_date: The first date, or a window's start.
        :param to_date: The date after the last (exclusive), or a window's end.
        :param user_ids: Only these users.
        :param company_timezone: The company's time zone, for windows of instants.
        """
        return self._user_stats(
            "listMultipleUsersAggregateActivity", from_date, to_date, user_ids, company_timezone, {}
        )

    def iter_activity_by_period(
        self,
        from_date: date | datetime | str,
        to_date: date | datetime | str,
        period: Literal["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"],
        *,
        user_ids: Iterable[str | int] | None = None,
        company_timezone: str = "UTC",
    ) -> Iterator[dict[str, Any]]:
        """
        Yield each user's activity summed per period (``POST /v2/stats/activity/aggregate-by-period``, scope
        ``api:stats:user-actions``). Dates as for :meth:`iter_interaction_stats`.

        :param from_date: The first date, or a window's start.
        :param to_date: The date after the last (exclusive), or a window's end.
        :param period: Gong's ``aggregationPeriod``: ``DAY``, ``WEEK``, ``MONTH``, ``QUARTER`` or ``YEAR``.
        :param user_ids: Only these users.
        :param company_timezone: The company's time zone, for windows of instants.
        """
        return self._user_stats(
            "listMultipleUsersAggregateByPeriod",
            from_date,
            to_date,
            user_ids,
            company_timezone,
            {"aggregation_period": period},
        )

    def iter_answered_scorecards(
        self,
        *,
        review_from: date | datetime | str | None = None,
        review_to: date | datetime | str | None = None,
        call_from: date | datetime | str | None = None,
        call_to: date | datetime | str | None = None,
        scorecard_ids: Iterable[str | int] | None = None,
        reviewed_user_ids: Iterable[str | int] | None = None,
        review_method: Literal["AUTOMATIC", "MANUAL", "BOTH"] | None = None,
        company_timezone: str = "UTC",
    ) -> Iterator[dict[str, Any]]:
        """
        Yield answered scorecards (``POST /v2/stats/activity/scorecards``, scope ``api:stats:scorecards``).

        Scorecards are answered some time after the call: to load them incrementally, window by the review
        date (``review_from``/``review_to``) and re-read a lookback. Each pair of bounds is Gong's company
        dates, or a window of instants turned into them in ``company_timezone`` (see
        :meth:`iter_interaction_stats`); both bounds of a pair are needed once either is given.

        :param review_from: The first review date, or a window's start.
        :param review_to: The review date after the last (exclusive).
        :param call_from: The first date of the calls.
        :param call_to: The call date after the last (exclusive).
        :param scorecard_ids: Only these scorecards.
        :param reviewed_user_ids: Only these reviewed users.
        :param review_method: ``MANUAL`` (Gong's default), ``AUTOMATIC`` or ``BOTH``.
        :param company_timezone: The company's time zone, for windows of instants.
        :raises ValueError: naming the bad input, before any request.
        """
        body_filter: dict[str, Any] = {
            "scorecardIds": scorecard_ids,
            "reviewedUserIds": reviewed_user_ids,
            "reviewMethod": review_method,
        }
        for (first, last), (start, end) in (
            (("review_from", "review_to"), (review_from, review_to)),
            (("call_from", "call_to"), (call_from, call_to)),
        ):
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise ValueError(f"listAnsweredScorecards: {first} and {last} go together; got only one")
            wire = (
                ("reviewFromDate", "reviewToDate")
                if first == "review_from"
                else ("callFromDate", "callToDate")
            )
            body_filter.update(
                zip(wire, gong_dates(start, end, company_timezone, names=(first, last)), strict=True)
            )
        return self.iter_records("listAnsweredScorecards", filter=body_filter)

    def _user_stats(
        self,
        operation_id: str,
        from_date: date | datetime | str,
        to_date: date | datetime | str,
        user_ids: Iterable[str | int] | None,
        company_timezone: str,
        extra: dict[str, Any],
    ) -> Iterator[dict[str, Any]]:
        first, last = gong_dates(from_date, to_date, company_timezone)
        body_filter = {
            "fromDate": first,
            "toDate": last,
            "userIds": None if user_ids is None else list(user_ids),
        }
        return self.iter_records(operation_id, filter=body_filter, **extra)

    # ------------------------------------------------------------------ settings, library, logs, flows

    def iter_workspaces(self) -> Iterator[dict[str, Any]]:
        """Yield the company's workspaces (``GET /v2/workspaces``, scope ``api:workspaces:read``)."""
        return self.iter_records("listWorkspaces")

    def iter_trackers(self, workspace_id: str | int | None = None) -> Iterator[dict[str, Any]]:
        """
        Yield the keyword trackers (``GET /v2/settings/trackers``, scope ``api:settings:trackers:read``).

        :param workspace_id: Only this workspace's.
        """
        return self.iter_records("listTrackers", workspace_id=workspace_id)

    def iter_scorecards(self) -> Iterator[dict[str, Any]]:
        """
        Yield the scorecards' settings (``GET /v2/settings/scorecards``, scope
        ``api:settings:scorecards:read``).
        """
        return self.iter_records("listScorecards")

    def iter_library_folders(self, workspace_id: str | int | None = None) -> Iterator[dict[str, Any]]:
        """
        Yield the public library's folders (``GET /v2/library/folders``, scope ``api:library:read``).

        :param workspace_id: Only this workspace's.
        """
        return self.iter_records("getLibraryStructure", workspace_id=workspace_id)

    def iter_library_folder_calls(self, folder_id: str | int) -> Iterator[dict[str, Any]]:
        """
        Yield the calls of one library folder (``GET /v2/library/folder-content``, ``api:library:read``).

        :param folder_id: The folder (1-20 digits; :meth:`iter_library_folders` lists them).
        """
        if folder_id is None:
            raise ValueError("getCallsInSpecificFolder: folder_id is required (a Gong id of 1-20 digits)")
        return self.iter_records("getCallsInSpecificFolder", folder_id=folder_id)

    def iter_logs(
        self,
        log_type: Literal[
            "AccessLog",
            "UserActivityLog",
            "UserCallPlay",
            "ExternallySharedCallAccess",
            "ExternallySharedCallPlay",
        ],
        from_datetime: datetime | str,
        to_datetime: datetime | str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield audit log entries (``GET /v2/logs``, scope ``api:logs:read``), page by page.

        :param log_type: Gong's ``logType``.
        :param from_datetime: The window's start (ISO-8601 or ``datetime``; naive = UTC).
        :param to_datetime: Its end (exclusive); ``None``: up to the latest entry.
        :raises ValueError: naming the bad input (an unknown log type among them), before any request.
        """
        if to_datetime is not None:
            date_window(from_datetime, to_datetime, names=("from_datetime", "to_datetime"))
        return self.iter_records(
            "listLogs", log_type=log_type, from_date_time=from_datetime, to_date_time=to_datetime
        )

    def iter_flows(
        self,
        flow_owner_email: str,
        *,
        workspace_id: str | int | None = None,
        folder_id: str | int | None = None,
        most_recently_assigned: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield the Engage flows a user owns or shares (``GET /v2/flows``, scope ``api:flows:read``).

        :param flow_owner_email: The Gong user whose flows to list.
        :param workspace_id: Only this workspace's.
        :param folder_id: Only this folder's.
        :param most_recently_assigned: Only the 20 most recently assigned.
        """
        return self.iter_records(
            "listFlows",
            flow_owner_email=flow_owner_email,
            workspace_id=workspace_id,
            folder_id=folder_id,
            most_recently_assigned=most_recently_assigned,
        )

    # ------------------------------------------------------------------ rate limit

    def probe(self, probe_endpoint: str = DEFAULT_PROBE_ENDPOINT) -> GongRateLimitError | None:
        """
        Tell whether Gong's rate limit lets calls through now, with one cheap call.

        The call is the first page of ``probe_endpoint`` (by default ``GET /v2/users``); an endpoint that
        needs a date window gets the last hour, and its "nothing found" 404 counts as an answer. A 429 is
        returned at once, not retried; a 5xx or a connection failure is retried like any call, so a blip
        does not end a wait. While an earlier 429 of this process still holds (Gong said to wait), nothing
        is sent and that wait is returned: probing again would only cost quota.

        :param probe_endpoint: Gong's ``operationId`` of the endpoint to call, e.g. ``"listCalls"`` for an
            OAuth app with calls scopes only.
        :return: ``None`` when Gong answered, or the 429 as a :class:`GongRateLimitError` (its
            ``retry_after`` is what Gong asked to wait, or ``None`` when it sent no ``Retry-After``).
        :raises GongConfigError: when ``probe_endpoint`` cannot be probed (before any request).
        :raises GongApiError: (or a subclass) on any other answer, e.g. :class:`GongAuthError`.
        :raises GongConnectionError: when Gong cannot be reached.
        """
        return self.client.probe(endpoints.probe_endpoint(probe_endpoint))

    # ------------------------------------------------------------------ connection test

    def test_connection(self) -> tuple[bool, str]:
        """
        Check the connection with one cheap authenticated call; never raises, never shows a secret.

        An OAuth app tests with its current access token. It refreshes it (when expired, or after a 401)
        only with ``shared_state_url``, where every process reads the rotated refresh token next; without
        it, the message says a refresh would spend the single-use refresh token, and nothing is spent.

        :return: ``(True, message)`` naming the base URL, or ``(False, message)`` with the status and
            Gong's requestId.
        """
        if self._client is None:
            self._testing = True
        try:
            base_url = self.settings.base_url
        except Exception as err:
            return False, str(err)
        try:
            listing = ENDPOINTS["listUsers"]
            params, _ = listing.probe_request(self.client.clock())
            body = self.client.request(listing, params=params, retry=False)
        except GongNotFoundError as err:
            if listing.is_nothing_found(err):
                return True, (
                    f"Connected to Gong at {base_url} with {self.settings.auth_mode} auth; "
                    "no users are visible to these credentials"
                )
            return False, f"Gong at {base_url} refused the test: {err}"
        except GongApiError as err:
            return False, f"Gong at {base_url} refused the test: {err}"
        except GongConfigError as err:
            return False, f"Gong at {base_url} was not tested further: {err}"
        except Exception as err:
            return False, f"Gong at {base_url} could not be reached: {err}"
        records, users = body.get("records"), body.get("users")
        if not isinstance(records, dict) or not isinstance(users, list):
            return False, (
                f"{base_url} answered 200, but not as Gong does ({describe_keys(body)}; expected "
                "'records' and 'users'): check the connection's host is your company's Gong API base URL"
            )
        total = records.get("totalRecords")
        visible = f"; {total} users visible" if isinstance(total, int) else ""
        connected = f"Connected to Gong at {base_url} with {self.settings.auth_mode} auth{visible}"
        shared = self.client.shared
        if shared is None:
            return True, connected
        try:
            remaining = shared.check()
        except SharedStateUnavailableError as err:
            return False, f"{connected}, but {err}"
        return True, (
            f"{connected}; shared state at {shared.location}: {remaining} of "
            f"{shared.shared.calls_per_day} calls left today (UTC)"
        )
