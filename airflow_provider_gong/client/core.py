"""The Gong client: one company's settings, a transport, the retry policy and the pace, for any endpoint.

:class:`GongClient` (sync, ``requests``) and :class:`AsyncGongClient` (async, ``httpx``) make each
attempt the same way: wait for the pace, send, decode the answer with the shared decoder, and hold the
company's pace back on a ``Retry-After`` the caller sleeps anyway. Retries go through one
:class:`~airflow_provider_gong.client.retry.RetryPolicy` (``call`` / ``acall``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from airflow_provider_gong.client.aio import AsyncTransport
from airflow_provider_gong.client.dates import now_utc
from airflow_provider_gong.client.decode import decode_answer
from airflow_provider_gong.client.oauth import OAuthTokens, Token
from airflow_provider_gong.client.pacing import DEFAULT_PACERS, Pacer, PacerRegistry
from airflow_provider_gong.client.retry import MIN_PROBE_WAIT, RetryPolicy
from airflow_provider_gong.client.settings import DEFAULT_MAX_RETRY_WAIT, GongSettings
from airflow_provider_gong.client.shared import SharedLimits, shared_limits
from airflow_provider_gong.client.sync import Answer, SyncTransport
from airflow_provider_gong.endpoints import Endpoint
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongAuthError,
    GongNotFoundError,
    GongRateLimitError,
)

__all__ = ["AsyncGongClient", "GongClient"]

_default_log = logging.getLogger("airflow_provider_gong.client")


class _Client:
    """What both clients share: settings, retry policy, pace, and reading one answer."""

    def __init__(
        self,
        settings: GongSettings,
        *,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pacers: PacerRegistry | None = None,
        clock: Callable[[], datetime] = now_utc,
        log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
        tokens: OAuthTokens | None = None,
    ) -> None:
        self.settings = settings
        #: The OAuth app's tokens (``auth_mode="oauth"``), asked for the Authorization of every attempt.
        self.tokens = tokens
        self.max_retry_wait = max_retry_wait
        self.retry_policy = RetryPolicy(
            max_retries=settings.max_retries, max_retry_wait=max_retry_wait, sleep=sleep, asleep=asleep
        )
        registry = pacers if pacers is not None else DEFAULT_PACERS
        #: The pace shared by every client of this registry that talks to the same company.
        self.pacer: Pacer = registry.pacer_for(
            settings.base_url, settings.identity, settings.calls_per_second
        )
        self.clock = clock
        #: The company's limits shared with every other process through Redis (``shared_state_url``), or
        #: ``None``: then the pace above is all there is.
        self.shared: SharedLimits | None = (
            None if settings.shared is None else shared_limits(settings.shared, clock)
        )
        self.log = log if log is not None else _default_log
        #: Requests sent to Gong by this client (every attempt, retries and probes included).
        self.sent = 0
        self._sent_lock = threading.Lock()

    def _renew(self, token: Token, error: GongAuthError) -> Token | None:
        """After a 401: a newer token to send the call again with once, or ``None`` (raise the 401)."""
        if self.tokens is None or error.status_code != 401:
            return None
        self.log.info(
            "Gong refused the OAuth access token (401); sending the call again with a refreshed one"
        )
        return self.tokens.after_401(token.access_token)

    def _count_sent(self) -> None:
        with self._sent_lock:
            self.sent += 1

    def _read(self, answer: Answer, method: str, path: str, scopes: tuple[str, ...] | None) -> dict[str, Any]:
        try:
            return decode_answer(
                answer.status,
                answer.headers,
                answer.content,
                method,
                path,
                url=answer.url,
                secrets=self.settings.secrets,
                max_retry_wait=self.max_retry_wait,
                scopes=scopes,
            )
        except GongApiError as err:
            # Hold the shared pace back only for a wait this client would sleep anyway: a longer one is
            # raised at once, and must not make the next call of the process sleep it out instead.
            if err.retry_after is not None and err.retry_after <= self.max_retry_wait:
                self.pacer.hold_off(err.retry_after)
            raise

    @staticmethod
    def _shared_hold(error: GongApiError) -> float | None:
        """The wait every process of the company must keep after ``error`` (its ``Retry-After``)."""
        return error.retry_after if isinstance(error, GongRateLimitError) else None

    def _held(self, endpoint: Endpoint, shared_held: float = 0.0) -> GongRateLimitError | None:
        """The 429 a probe returns without a call while an earlier one still holds this company back."""
        held = max(self.pacer.held_for(), shared_held)
        if held <= MIN_PROBE_WAIT:  # a shorter hold is simply waited out by the pacer
            return None
        whose = "of this company (in any process)" if shared_held >= held else "of this process"
        return GongRateLimitError(
            429,
            endpoint.method,
            endpoint.path,
            detail=f"an earlier call {whose} got a 429 and Gong's Retry-After still holds",
            retry_after=held,
        )

    def _probe_policy(self) -> RetryPolicy:
        """The retry policy of a probe: transient failures retried, a 429 returned to the caller at once."""
        return dataclasses.replace(self.retry_policy, retry_rate_limits=False)

    @staticmethod
    def _probe_answer(endpoint: Endpoint, error: GongApiError) -> GongRateLimitError | None:
        """What a probe that ended in ``error`` tells: the 429, or an answer (the "nothing found" 404)."""
        if isinstance(error, GongRateLimitError):
            return error
        if isinstance(error, GongNotFoundError) and endpoint.is_nothing_found(error):
            return None
        raise error


class GongClient(_Client):
    """
    Call Gong from threads with ``requests``; safe to share between threads.

    :param settings: The resolved connection.
    :param max_retry_wait: The longest ``Retry-After`` slept inside a call; a longer one is raised.
    :param sleep: Sleep of retry waits (tests inject a fake one).
    :param asleep: Async sleep (unused here; accepted so both clients take the same arguments).
    :param pacers: Where the company's pace comes from (default: the process's).
    :param clock: The current UTC time, for probe windows.
    :param log: Where retries and paging are logged.
    """

    def __init__(self, settings: GongSettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.transport = SyncTransport(settings)

    def send_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        scopes: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        """
        One attempt under the pace, no retry; return the decoded JSON object or raise the typed error.

        :param method: HTTP method.
        :param path: Path below the base URL.
        :param params: Query parameters.
        :param json: JSON body.
        :param scopes: The endpoint's scopes, named in a 401/403 hint (``None``: the users scope).
        """
        tokens = self.tokens
        if tokens is None:
            return self._send(method, path, params, json, scopes, None)
        token = tokens.current()
        try:
            return self._send(method, path, params, json, scopes, token.access_token)
        except GongAuthError as err:
            renewed = self._renew(token, err)
            if renewed is None:
                raise
        return self._send(method, path, params, json, scopes, renewed.access_token)

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        scopes: tuple[str, ...] | None,
        access_token: str | None,
    ) -> dict[str, Any]:
        self.pacer.acquire()
        if self.shared is not None:
            # Redis failing now took its timeout: the process's own pace books this call again, from now.
            self.shared.acquire(method, path, self.max_retry_wait, failed=self.pacer.acquire)
        self._count_sent()
        answer = self.transport.send(method, path, params=params, json=json, access_token=access_token)
        try:
            return self._read(answer, method, path, scopes)
        except GongApiError as err:
            hold = self._shared_hold(err)
            if self.shared is not None and hold is not None:
                self.shared.hold_off(hold)
            raise

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: bool = True,
        scopes: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        """
        :meth:`send_once` under the retry policy (or once, with ``retry=False``).

        :param method: HTTP method.
        :param path: Path below the base URL.
        :param params: Query parameters.
        :param json: JSON body.
        :param retry: ``False`` makes a single attempt.
        :param scopes: The endpoint's scopes, named in a 401/403 hint.
        """

        def attempt() -> dict[str, Any]:
            return self.send_once(method, path, params=params, json=json, scopes=scopes)

        if not retry:
            return attempt()
        return self.retry_policy.call(attempt, log=self.log, what=f"{method} {path}")

    def request(
        self,
        endpoint: Endpoint,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        """
        Call one endpoint of the registry; return Gong's whole answer.

        :param endpoint: The endpoint (``ENDPOINTS["getUser"]``).
        :param path_params: Its path parameters (checked ids).
        :param params: Query parameters.
        :param json: JSON body.
        :param retry: ``False`` makes a single attempt.
        """
        path = endpoint.url_path(**(path_params or {}))
        return self.call(endpoint.method, path, params=params, json=json, retry=retry, scopes=endpoint.scopes)

    def probe(self, endpoint: Endpoint) -> GongRateLimitError | None:
        """
        Tell whether Gong's rate limit lets calls through now, with one cheap call of ``endpoint``.

        A 429 is returned at once, not retried; a 5xx or a connection failure is retried like any call.
        The endpoint's "nothing found" 404 is an answer. While an earlier 429 of this process still holds,
        nothing is sent and that wait is returned.

        :param endpoint: A probeable endpoint (:attr:`Endpoint.probeable`).
        :return: ``None`` when Gong answered, or the 429.
        """
        held = self._held(endpoint, self.shared.held_for() if self.shared is not None else 0.0)
        if held is not None:
            return held
        params, body = endpoint.probe_request(self.clock())

        def attempt() -> dict[str, Any]:
            return self.send_once(
                endpoint.method, endpoint.path, params=params, json=body, scopes=endpoint.scopes
            )

        try:
            self._probe_policy().call(attempt, log=self.log, what=f"{endpoint.method} {endpoint.path}")
        except (GongRateLimitError, GongNotFoundError) as err:
            return self._probe_answer(endpoint, err)
        return None

    def close(self) -> None:
        """Close every session of the transport."""
        self.transport.close()


class AsyncGongClient(_Client):
    """
    Call Gong from an event loop with ``httpx``; use as ``async with AsyncGongClient(...) as client``.

    Takes the arguments of :class:`GongClient`; ``asleep`` is what retry waits await.
    """

    def __init__(self, settings: GongSettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.transport = AsyncTransport(settings)

    async def _apace(self) -> float:
        if self.pacer.calls_per_second <= 0:
            return 0.0
        return await asyncio.to_thread(self.pacer.acquire)  # a pacer's wait blocks: never in the event loop

    async def __aenter__(self) -> AsyncGongClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.transport.aclose()

    async def send_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        scopes: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        """One attempt under the pace, no retry: :meth:`GongClient.send_once`, awaited."""
        tokens = self.tokens
        if tokens is None:
            return await self._send(method, path, params, json, scopes, None)
        # The token manager blocks (its lock, the token call): in a thread, never in the event loop.
        token = await asyncio.to_thread(tokens.current)
        try:
            return await self._send(method, path, params, json, scopes, token.access_token)
        except GongAuthError as err:
            renewed = await asyncio.to_thread(self._renew, token, err)
            if renewed is None:
                raise
        return await self._send(method, path, params, json, scopes, renewed.access_token)

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        scopes: tuple[str, ...] | None,
        access_token: str | None,
    ) -> dict[str, Any]:
        await self._apace()
        if self.shared is not None:
            await self.shared.aacquire(method, path, self.max_retry_wait, failed=self._apace)
        self._count_sent()
        answer = await self.transport.send(method, path, params=params, json=json, access_token=access_token)
        try:
            return self._read(answer, method, path, scopes)
        except GongApiError as err:
            hold = self._shared_hold(err)
            if self.shared is not None and hold is not None:
                await self.shared.ahold_off(hold)
            raise

    async def probe(self, endpoint: Endpoint) -> GongRateLimitError | None:
        """
        :meth:`GongClient.probe`, awaited.

        :param endpoint: A probeable endpoint.
        """
        held = self._held(endpoint, await self.shared.aheld_for() if self.shared is not None else 0.0)
        if held is not None:
            return held
        params, body = endpoint.probe_request(self.clock())

        async def attempt() -> dict[str, Any]:
            return await self.send_once(
                endpoint.method, endpoint.path, params=params, json=body, scopes=endpoint.scopes
            )

        try:
            await self._probe_policy().acall(attempt, log=self.log, what=f"{endpoint.method} {endpoint.path}")
        except (GongRateLimitError, GongNotFoundError) as err:
            return self._probe_answer(endpoint, err)
        return None
