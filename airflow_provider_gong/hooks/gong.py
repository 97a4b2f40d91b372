"""GongHook: the Airflow connection to Gong, a thin shell over the client core."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

import requests

from airflow_provider_gong import endpoints
from airflow_provider_gong.client import calls, users
from airflow_provider_gong.client.core import GongClient
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
from airflow_provider_gong.endpoints import DEFAULT_PROBE_ENDPOINT, ENDPOINTS
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongNotFoundError,
    GongRateLimitError,
    describe_keys,
)
from airflow_provider_gong.version_compat import BaseHook, mask_secret

__all__ = ["GongHook", "GongSettings", "UsersResume"]


class GongHook(BaseHook):
    """
    Talk to Gong's REST API with an Airflow connection of type ``gong``.

    The connection holds the company's API base URL (host), and either an access key (login) with its
    secret (password) for Basic auth, or an OAuth ``access_token`` (extra) for Bearer auth. Nothing is
    looked up and no request is sent until the first call. Every call goes through the client core
    (:class:`~airflow_provider_gong.client.core.GongClient`): one retry policy
    (:class:`~airflow_provider_gong.client.retry.RetryPolicy`) and a client-side pace shared by every
    hook of the process that talks to the same company.

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
        return GongClient(
            settings,
            max_retry_wait=self._max_retry_wait,
            sleep=self._sleep,
            pacers=self._pacers,
            log=self.log,
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

        :return: ``(True, message)`` naming the base URL, or ``(False, message)`` with the status and
            Gong's requestId.
        """
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
        return True, f"Connected to Gong at {base_url} with {self.settings.auth_mode} auth{visible}"
