"""GongHook: the Airflow connection to Gong and every HTTP call the provider makes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import requests
import urllib3
from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from airflow_provider_gong import __version__
from airflow_provider_gong.client.dates import date_window, iso_datetime
from airflow_provider_gong.client.deadline import GongHTTPAdapter, deadline
from airflow_provider_gong.client.decode import (
    DEADLINE_SLACK,
    connection_error,
    decode_answer,
    incomplete_error,
    redirect_error,
    timeout_error,
)
from airflow_provider_gong.client.ids import validate_user_id, validate_user_ids
from airflow_provider_gong.client.idset import IdSet
from airflow_provider_gong.client.pacing import Pacer, shared_pacer
from airflow_provider_gong.client.retry import MIN_PROBE_WAIT, RetryPolicy
from airflow_provider_gong.client.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRY_WAIT,
    GongSettings,
    check_hook_params,
    checked_setting,
    settings_from_connection,
)
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongBadRequestError,
    GongError,
    GongNotFoundError,
    GongRateLimitError,
    describe_keys,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "DEFAULT_BASE_URL",
    "PROBE_PARAMS",
    "PROBE_PATH",
    "GongHook",
    "GongSettings",
    "UsersResume",
    "check_hook_params",
    "checked_setting",
    "date_window",
    "iso_datetime",
    "settings_from_connection",
]

#: Gong's documented page size for user listings, and the most ids sent in one filter.
PAGE_SIZE = 100
#: Gong's message for a filter that matched nobody (answered as a 404, which is no failure).
NO_USERS_FOUND = "no users found corresponding to the provided filters"
#: Most empty pages in a row, each with a new cursor, before a listing is taken as broken.
MAX_EMPTY_PAGES = 100

#: The rate-limit probe: the cheapest call in the users scope (the first page of the user listing), made
#: by :meth:`GongHook.probe` and by the async trigger alike.
PROBE_PATH = "/v2/users"
PROBE_PARAMS: Mapping[str, str] = {"includeAvatars": "false"}


USER_AGENT = f"airflow-provider-gong/{__version__}"

#: Most bytes taken from the socket by one read of an answer's body.
_READ_CHUNK = 64 * 1024


@dataclass
class UsersResume:
    """
    Where a fetch of users stands, as a few bytes of JSON: what a task that stops mid-way (e.g. on a long
    rate limit) keeps to resume later without fetching any page again.

    Pass one to :meth:`GongHook.iter_users` (``resume=``): the fetch starts where it says, and the hook keeps
    it up to date as pages are consumed. After the fetch raised, it names the first page whose users were
    not yielded: every user yielded before stays yielded, none is yielded twice when resuming. The
    fetch's inputs (ids, filters) must be the same on resume (checked with ``fingerprint``).

    :param cursor: Listings (all users, or a created-date filter): Gong's cursor of the next page to
        fetch; ``None`` for the first page.
    :param next_index: Fetch by ids: position, in the checked list of ids, of the first id whose chunk of
        100 is not fetched yet.
    :param missing_ids: Fetch by ids: ids Gong did not return so far (reported when the fetch ends).
    :param fingerprint: A digest of the fetch's inputs, set on first use.
    :param done: Whether the fetch completed.
    :param restarted: Listings: Gong rejected a kept cursor and the listing started again from the first
        page; until it ends, every resume skips the users stored before (``known_ids``).
    """

    cursor: str | None = None
    next_index: int = 0
    missing_ids: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    done: bool = False
    restarted: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the state as a JSON-ready dict."""
        return {
            "cursor": self.cursor,
            "next_index": self.next_index,
            "missing_ids": list(self.missing_ids),
            "fingerprint": self.fingerprint,
            "done": self.done,
            "restarted": self.restarted,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UsersResume:
        """
        Rebuild a state from :meth:`to_json`.

        :param data: The dict :meth:`to_json` returned.
        """
        cursor = data.get("cursor")
        return cls(
            cursor=None if cursor is None else str(cursor),
            next_index=int(data.get("next_index") or 0),
            missing_ids=[str(uid) for uid in data.get("missing_ids") or []],
            fingerprint=data.get("fingerprint"),
            done=bool(data.get("done")),
            restarted=bool(data.get("restarted")),
        )


class _GongAuth(requests.auth.AuthBase):
    """Sets the Authorization header; being the session's auth keeps ``~/.netrc`` from replacing it."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "<GongAuth ***>"


class GongHook(BaseHook):
    """
    Talk to Gong's REST API (users) with an Airflow connection of type ``gong``.

    The connection holds the company's API base URL (host), and either an access key (login) with its
    secret (password) for Basic auth, or an OAuth ``access_token`` (extra) for Bearer auth. Nothing is
    looked up and no request is sent until the first call. Every call goes through one retry policy
    (:class:`~airflow_provider_gong.client.retry.RetryPolicy`) and a client-side pace shared by every hook of the
    process that talks to the same company.

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
    """

    conn_name_attr = "gong_conn_id"
    default_conn_name = "gong_default"
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
    ) -> None:
        super().__init__()
        self.gong_conn_id = gong_conn_id
        self._timeout_arg = timeout
        self._max_retries_arg = max_retries
        self._calls_per_second_arg = calls_per_second
        self._max_retry_wait = (
            DEFAULT_MAX_RETRY_WAIT
            if max_retry_wait is None
            else checked_setting("max_retry_wait", max_retry_wait, "GongHook argument 'max_retry_wait'")
        )
        self._sleep = sleep or time.sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._settings_lock = threading.Lock()
        self._settings: GongSettings | None = None

    # ------------------------------------------------------------------ connection and settings

    @property
    def settings(self) -> GongSettings:
        """The connection resolved and checked: looked up once, on first use, by one thread."""
        settings = self._settings
        if settings is None:
            with self._settings_lock:
                if self._settings is None:
                    self._settings = self._resolve_settings()
                settings = self._settings
        return settings

    def _resolve_settings(self) -> GongSettings:
        conn = self.get_connection(self.gong_conn_id)
        settings = settings_from_connection(
            conn,
            self.gong_conn_id,
            {
                "timeout": self._timeout_arg,
                "max_retries": self._max_retries_arg,
                "calls_per_second": self._calls_per_second_arg,
            },
        )
        for secret in settings.secrets:
            mask_secret(secret)
        return settings

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this hook (from ``max_retries`` and ``max_retry_wait``)."""
        return RetryPolicy(
            max_retries=self.settings.max_retries, max_retry_wait=self._max_retry_wait, sleep=self._sleep
        )

    @cached_property
    def pacer(self) -> Pacer:
        """The pace shared by every hook of this process that talks to the same company."""
        settings = self.settings
        return shared_pacer(settings.base_url, settings.authorization, settings.calls_per_second)

    @property
    def session(self) -> requests.Session:
        """This thread's keep-alive session (built on first use, then reused)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = GongHTTPAdapter()
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.auth = _GongAuth(self.settings.authorization)
            # Refused before requests looks at the Location at all (it parses it even when not following).
            session.hooks["response"].append(self._refuse_redirect)
            session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _refuse_redirect(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """A session response hook: a redirect is an error, and nothing follows it (see ``transport``)."""
        if not 300 <= response.status_code < 400:
            return response
        request = response.request
        url = str(request.url)
        response.close()
        raise redirect_error(
            response.status_code,
            response.headers.get("Location"),
            str(request.method),
            urlsplit(url).path,
            url,
            self.settings.secrets,
        )

    def get_conn(self) -> requests.Session:
        """Return this thread's ``requests.Session`` for Gong (Airflow's usual hook accessor)."""
        return self.session

    def close(self) -> None:
        """Close every session this hook opened (their pooled connections too)."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

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
        what = f"{method} {path}"

        def attempt() -> dict[str, Any]:
            return self._send_once(method, path, params=params, json=json)

        if not retry:
            return attempt()
        return self.retry_policy.call(attempt, log=self.log, what=what)

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        json: dict[str, Any] | None,
    ) -> dict[str, Any]:
        settings = self.settings
        url = settings.base_url + path
        self.pacer.acquire()
        with deadline(settings.timeout + DEADLINE_SLACK) as attempt:
            status = 0
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    timeout=settings.timeout,
                    stream=True,
                    allow_redirects=False,
                )
                status = response.status_code
                content = _read_body(response)
            except Exception as err:
                typed = self._transport_error(err, method, path, status, expired=attempt.expired)
                if typed is None:
                    raise
                raise typed from err
            if attempt.expired:
                # Cut mid-answer: what arrived looks complete to http.client (its headers end at EOF).
                raise timeout_error(method, path, settings.base_url, settings.timeout)
        try:
            return decode_answer(
                status,
                response.headers,
                content,
                method,
                path,
                url=url,
                secrets=settings.secrets,
                max_retry_wait=self._max_retry_wait,
            )
        except GongApiError as err:
            # Hold the shared pace back only for a wait this hook would sleep anyway: a longer one is
            # raised at once, and must not make the next call of the process sleep it out instead.
            if err.retry_after is not None and err.retry_after <= self._max_retry_wait:
                self.pacer.hold_off(err.retry_after)
            raise

    def _transport_error(
        self, err: Exception, method: str, path: str, status: int, *, expired: bool
    ) -> GongError | None:
        """The typed error for what the transport raised in one attempt (``None``: not the transport's)."""
        base_url = self.settings.base_url
        if expired or isinstance(err, requests.Timeout):
            return timeout_error(method, path, base_url, self.settings.timeout)
        if isinstance(err, requests.exceptions.ContentDecodingError):
            return incomplete_error(method, path, status, err)
        if isinstance(err, requests.exceptions.SSLError):
            return connection_error(method, path, base_url, err, tls=True)
        if isinstance(err, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return connection_error(method, path, base_url, err)
        return None

    # ------------------------------------------------------------------ users

    def get_user(self, user_id: str | int) -> dict[str, Any]:
        """
        Retrieve one user (``GET /v2/users/{id}``), exactly as Gong sent it (unknown fields kept).

        :param user_id: Gong's user id: a string or integer of 1-20 digits.
        :raises ValueError: when the id is not a Gong user id (before any request).
        :raises GongNotFoundError: when Gong has no such user.
        """
        uid = validate_user_id(user_id)
        path = f"/v2/users/{uid}"
        body = self.call("GET", path)
        [user] = _expect(body, "GET", path, user=dict)
        return user  # type: ignore[no-any-return]

    def get_user_settings_history(self, user_id: str | int) -> list[dict[str, Any]]:
        """
        Retrieve a user's settings history (``GET /v2/users/{id}/settings-history``).

        :param user_id: Gong's user id: a string or integer of 1-20 digits.
        """
        uid = validate_user_id(user_id)
        path = f"/v2/users/{uid}/settings-history"
        body = self.call("GET", path)
        [history] = _expect(body, "GET", path, userSettingsHistory=list)
        return history  # type: ignore[no-any-return]

    def iter_users(
        self,
        user_ids: Iterable[str | int] | None = None,
        *,
        created_from: datetime | str | None = None,
        created_to: datetime | str | None = None,
        include_avatars: bool = False,
        missing: Literal["raise", "skip"] = "raise",
        resume: UsersResume | None = None,
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
            found, then raises :class:`GongNotFoundError` naming up to 10 missing ids and their count;
            ``"skip"`` logs them at WARNING and goes on.
        :param resume: Where to start, kept up to date while the users are consumed: after an error it tells
            where to resume (see :class:`UsersResume`). Same inputs required.
        :param known_ids: Listings resumed from a kept cursor: returns the ids of the users the caller
            stored before. Gong's cursors expire; when Gong rejects the kept one (a 400), the listing
            starts again from the first page, calls this once and skips those users, so none comes
            twice. Without it such a 400 is raised.
        """
        if missing not in ("raise", "skip"):
            raise ValueError(f"missing must be 'raise' or 'skip', got {missing!r}")
        if not isinstance(include_avatars, bool):
            raise ValueError(f"include_avatars must be True or False, got {include_avatars!r}")
        ids = None if user_ids is None else validate_user_ids(user_ids)
        start, end = date_window(created_from, created_to)
        date_filter: dict[str, Any] = {}
        if start is not None:
            date_filter["createdFromDateTime"] = start
        if end is not None:
            date_filter["createdToDateTime"] = end
        if resume is not None:
            fingerprint = _fingerprint(ids, date_filter, include_avatars)
            if resume.fingerprint is None:
                resume.fingerprint = fingerprint
            elif resume.fingerprint != fingerprint:
                raise ValueError(
                    "resume state belongs to another fetch (different ids or filters); start a new one"
                )
            if resume.done:
                return
        started = time.monotonic()
        progress = _Progress(self, total=len(ids) if ids is not None else None)
        if ids is None:
            if date_filter:
                pages = self._pages(
                    "POST",
                    {"filter": {**date_filter, "includeAvatars": include_avatars}},
                    resume=resume,
                    known_ids=known_ids,
                )
            else:
                pages = self._pages(
                    "GET",
                    {"includeAvatars": "true" if include_avatars else "false"},
                    resume=resume,
                    known_ids=known_ids,
                )
            for records, users in pages:
                progress.page(records, len(users))
                yield from users
        else:
            yield from self._users_by_id(ids, date_filter, include_avatars, missing, progress, resume)
        if resume is not None:
            resume.done = True
        self.log.info(
            "fetched %d users in %.1f s (%d page%s)",
            progress.fetched,
            time.monotonic() - started,
            progress.pages,
            "" if progress.pages == 1 else "s",
        )

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

    def _users_by_id(
        self,
        ids: Sequence[str],
        date_filter: dict[str, Any],
        include_avatars: bool,
        missing: Literal["raise", "skip"],
        progress: _Progress,
        resume: UsersResume | None = None,
    ) -> Iterator[dict[str, Any]]:
        not_found: list[str] = list(resume.missing_ids) if resume is not None else []
        first = resume.next_index if resume is not None else 0
        for start in range(first, len(ids), PAGE_SIZE):
            if resume is not None:
                # Set before the chunk's call: the chunk's users are yielded only once it is complete.
                resume.next_index = start
                resume.missing_ids = list(not_found)
            chunk = ids[start : start + PAGE_SIZE]
            found: dict[str, dict[str, Any]] = {}
            body = {"filter": {**date_filter, "userIds": list(chunk), "includeAvatars": include_avatars}}
            for records, users in self._pages("POST", body):
                for user in users:
                    found.setdefault(str(user.get("id")), user)
                progress.page(records, len(users))
            chunk_missing = [uid for uid in chunk if uid not in found]
            if chunk_missing:
                not_found.extend(chunk_missing)
                if missing == "skip":
                    self.log.warning(
                        "Gong returned no user for %d id(s), skipped: %s",
                        len(chunk_missing),
                        ", ".join(chunk_missing[:10]) + (" ..." if len(chunk_missing) > 10 else ""),
                    )
            for uid in chunk:
                if uid in found:
                    yield found[uid]
        if resume is not None:
            resume.next_index = len(ids)
            resume.missing_ids = list(not_found)
        if not_found and missing == "raise":
            shown = ", ".join(not_found[:10]) + (" ..." if len(not_found) > 10 else "")
            error = GongNotFoundError(
                404,
                "POST",
                "/v2/users/extensive",
                errors=[f"{len(not_found)} of {len(ids)} requested users not found: {shown}"],
                hint=_missing_hint(date_filter, include_avatars),
            )
            error.missing_ids = not_found  # type: ignore[attr-defined]
            raise error

    def _pages(
        self,
        method: Literal["GET", "POST"],
        inputs: dict[str, Any],
        *,
        resume: UsersResume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """
        Yield ``(records, users)`` for each page of a listing, following Gong's cursor.

        Gong's cursor is checked, not trusted: a cursor seen before (a cycle) raises, a run of
        :data:`MAX_EMPTY_PAGES` empty pages that keep handing out cursors raises, and a user already
        yielded by an earlier page is dropped (counted in the log). A listing resumed from a kept cursor
        that Gong rejects with a 400 (cursors expire) starts again from the first page when ``known_ids``
        tells which users are stored already: those are skipped, so every user comes once.
        """
        path = "/v2/users" if method == "GET" else "/v2/users/extensive"
        cursor: str | None = resume.cursor if resume is not None else None
        kept_cursor = cursor
        seen_cursors: set[str] = set()
        seen_ids = IdSet()
        skip = IdSet()
        if resume is not None and resume.restarted:
            # A listing that started again from page 1 and was stopped once more: the users stored
            # before the first stop can still come on any page of this pass.
            if known_ids is None:
                raise ValueError(
                    "this resume state is a restarted listing: pass known_ids to skip stored users"
                )
            skip = _id_set(known_ids())
        duplicates = skipped = empty_run = pages_again = 0
        restarted = False
        while True:
            if resume is not None:
                # Set before the call: the previous page has been consumed once we get here.
                resume.cursor = cursor
            paged = dict(inputs, **({"cursor": cursor} if cursor else {}))
            try:
                if method == "GET":
                    body = self.call("GET", path, params=paged)
                else:
                    body = self.call("POST", path, json=paged)
            except GongNotFoundError as err:
                if _no_users_found(err):
                    break
                raise
            except GongBadRequestError as err:
                if cursor is None or cursor != kept_cursor or restarted or known_ids is None:
                    raise
                skip = _id_set(known_ids())
                self.log.warning(
                    "Gong rejected the cursor kept from before the wait (%s, requestId %s): cursors expire; "
                    "restarting the listing from the first page and skipping the %d users stored already",
                    "; ".join(err.errors) or f"status {err.status_code}",
                    err.request_id or "-",
                    len(skip),
                )
                cursor, restarted = None, True
                if resume is not None:
                    resume.restarted = True
                continue
            records, users = _expect(body, method, path, records=dict, users=list)
            fresh: list[dict[str, Any]] = []
            skipped_before = skipped
            for user in users:
                uid = str(user.get("id"))
                if not seen_ids.add(uid):
                    duplicates += 1
                    continue
                if uid in skip:
                    skipped += 1
                    continue
                fresh.append(user)
            if skipped > skipped_before:
                pages_again += 1  # this page had been fetched before the cursor expired
            yield records, fresh
            next_cursor = records.get("cursor")
            if not next_cursor:
                break
            next_cursor = str(next_cursor)
            if cursor is not None:
                seen_cursors.add(cursor)
            problem = None
            empty_run = empty_run + 1 if not users else 0
            if next_cursor == cursor or next_cursor in seen_cursors:
                problem = (
                    "Gong handed out a cursor it had given before (a paging cycle); stopping rather than "
                    f"fetching the same pages again, after {len(seen_ids)} users"
                )
            elif empty_run >= MAX_EMPTY_PAGES:
                problem = (
                    f"Gong answered {empty_run} empty pages in a row, each with a new cursor; stopping "
                    "rather than paging on without end"
                )
            if problem is not None:
                raise GongApiError(
                    200, method, path, request_id=_str_or_none(body.get("requestId")), detail=problem
                )
            cursor = next_cursor
        if duplicates:
            self.log.warning("dropped %d user(s) Gong listed twice (overlapping pages)", duplicates)
        if restarted or skip:
            self.log.warning(
                "restarted listing after an expired cursor: %d page(s) fetched again, %d stored user(s) "
                "skipped",
                pages_again,
                skipped,
            )

    # ------------------------------------------------------------------ rate limit

    def probe(self) -> GongRateLimitError | None:
        """
        Tell whether Gong's rate limit lets calls through now, with one call (``GET /v2/users``, first page).

        A 429 is returned at once, not retried; a 5xx or a connection failure is retried like any call, so a
        blip does not end a wait. While an earlier 429 of this process still holds (Gong said to wait),
        nothing is sent and that wait is returned: probing again would only cost quota.

        :return: ``None`` when Gong answered, or the 429 as a :class:`GongRateLimitError` (its
            ``retry_after`` is what Gong asked to wait, or ``None`` when it sent no ``Retry-After``).
        :raises GongApiError: (or a subclass) on any other answer, e.g. :class:`GongAuthError`.
        :raises GongConnectionError: when Gong cannot be reached.
        """
        held = self.pacer.held_for()
        if held > MIN_PROBE_WAIT:  # a shorter hold is simply waited out by the pacer below
            return GongRateLimitError(
                429,
                "GET",
                PROBE_PATH,
                detail="an earlier call of this process got a 429 and Gong's Retry-After still holds",
                retry_after=held,
            )
        policy = dataclasses.replace(self.retry_policy, retry_rate_limits=False)
        try:
            policy.call(
                lambda: self._send_once("GET", PROBE_PATH, params=dict(PROBE_PARAMS), json=None),
                log=self.log,
                what=f"GET {PROBE_PATH}",
            )
        except GongRateLimitError as err:
            return err
        return None

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
            body = self.call("GET", PROBE_PATH, params=dict(PROBE_PARAMS), retry=False)
        except GongNotFoundError as err:
            if _no_users_found(err):
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


class _Progress:
    """Counts pages and users, and logs ``fetched 300/10000 users (page 3)`` once per page."""

    def __init__(self, hook: GongHook, total: int | None) -> None:
        self._hook = hook
        self.total = total
        self.fetched = 0
        self.pages = 0

    def page(self, records: dict[str, Any], count: int) -> None:
        self.pages += 1
        self.fetched += count
        if self.total is None and isinstance(records.get("totalRecords"), int):
            self.total = records["totalRecords"]
        total = "?" if self.total is None else str(self.total)
        self._hook.log.info("fetched %d/%s users (page %d)", self.fetched, total, self.pages)


def _fingerprint(ids: Sequence[str] | None, date_filter: dict[str, Any], include_avatars: bool) -> str:
    """A short digest of a fetch's inputs, so a resume state is never applied to another fetch."""
    text = json.dumps([ids, date_filter, include_avatars], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_body(response: requests.Response) -> bytes:
    """
    Read a streamed answer's whole body and hand its connection back to the pool.

    The attempt's :func:`~airflow_provider_gong.client.deadline.deadline` bounds the read: a server that sends a
    byte now and then is cut when the attempt's time is up.
    """
    raw = response.raw
    # urllib3 >= 2: read1 returns what has arrived, never waits for more.
    read1 = getattr(raw, "read1", None)
    if read1 is None:
        return response.content  # urllib3 1.x
    chunks: list[bytes] = []
    try:
        while chunk := _read1(read1):
            chunks.append(chunk)
    except BaseException:
        response.close()  # drop the connection: the rest of the body must not reach the next call
        raise
    raw.release_conn()
    return b"".join(chunks)


def _read1(read1: Callable[..., bytes]) -> bytes:
    """One ``read1`` of a urllib3 response, with urllib3's errors turned into requests' (as requests does)."""
    try:
        return read1(_READ_CHUNK, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as err:
        raise requests.exceptions.ReadTimeout(err) from err
    except urllib3.exceptions.DecodeError as err:
        raise requests.exceptions.ContentDecodingError(err) from err
    except urllib3.exceptions.ProtocolError as err:
        raise requests.exceptions.ChunkedEncodingError(err) from err


def _missing_hint(date_filter: dict[str, Any], include_avatars: bool) -> str:
    """Why Gong may not return an id that exists, and what to do about it."""
    reasons = ["the id is unknown to Gong"]
    if date_filter:
        reasons.append("the user was created outside created_from/created_to")
    if not include_avatars:
        reasons.append("the user is an avatar (pass include_avatars=True)")
    return f"Gong returns no user when {' or '.join(reasons)}. Pass missing='skip' to skip such ids"


def _expect(body: dict[str, Any], method: str, path: str, **kinds: type) -> list[Any]:
    """The values of ``body`` at each key of ``kinds``, or a ``GongApiError`` naming what the body held."""
    values = [body.get(key) for key in kinds]
    if not all(isinstance(body.get(key), kind) for key, kind in kinds.items()):
        expected = " and ".join(repr(key) for key in kinds)
        raise GongApiError(
            200,
            method,
            path,
            request_id=_str_or_none(body.get("requestId")),
            detail=f"unexpected answer shape: {describe_keys(body)} (expected {expected})",
        )
    return values


def _id_set(ids: Iterable[str]) -> IdSet:
    """The ids a restarted listing skips, kept as compactly as the ids it has seen."""
    kept = IdSet()
    for uid in ids:
        kept.add(str(uid))
    return kept


def _no_users_found(error: GongNotFoundError) -> bool:
    """Whether a 404 is Gong's answer to a filter that matched nobody (an empty result, no failure)."""
    return any(NO_USERS_FOUND in message.lower() for message in error.errors)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
