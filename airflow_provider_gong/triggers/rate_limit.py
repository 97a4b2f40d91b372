"""GongRateLimitTrigger: wait out Gong's rate limit in the triggerer, without holding a worker slot."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

import airflow.sdk.log as sdk_log
import httpx
import tenacity
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_gong import exceptions as gong_exceptions
from airflow_provider_gong.client.decode import (
    DEADLINE_SLACK,
    connection_error,
    decode_answer,
    incomplete_error,
    timeout_error,
)
from airflow_provider_gong.client.retry import MIN_PROBE_WAIT, RetryPolicy
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConnectionError,
    GongError,
    GongRateLimitError,
)
from airflow_provider_gong.hooks.gong import (
    PROBE_PARAMS,
    PROBE_PATH,
    USER_AGENT,
    GongHook,
    GongSettings,
    settings_from_connection,
)

__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_MAX_BACKOFF",
    "DEFERRAL_SLACK",
    "DeferralDeadline",
    "GongRateLimitTrigger",
    "deferral_deadline",
    "error_event",
    "error_from_event",
    "moment_in",
    "parse_moment",
]

#: First wait after a 429 without ``Retry-After``, in seconds (doubles up to ``DEFAULT_MAX_BACKOFF``).
DEFAULT_BACKOFF = 10.0
DEFAULT_MAX_BACKOFF = 600.0
#: How much longer than Gong's wait a deferral may last: the probes after the wait (each bounded by the
#: hook's timeout, retried on a blip) and a short 429 then. Past it the trigger fires a ``timeout`` event.
DEFERRAL_SLACK = 900.0


class DeferralDeadline(NamedTuple):
    """
    When a deferral for a rate limit ends at the latest.

    :param give_up_at: For the trigger (ISO-8601): it fires a ``timeout`` event rather than wait past it.
    :param timeout: For ``BaseOperator.defer``: Airflow's own backstop, later than ``give_up_at`` so the
        trigger's clear event wins while the triggerer runs.
    """

    give_up_at: str
    timeout: timedelta


def deferral_deadline(wait: float) -> DeferralDeadline:
    """
    The deadline of a deferral that waits ``wait`` seconds for Gong: no shorter than the wait, plus slack.

    :param wait: Seconds Gong asked to wait (its ``Retry-After``, at most 24 h), or the first backoff.
    """
    return DeferralDeadline(
        give_up_at=moment_in(wait + DEFERRAL_SLACK),
        timeout=timedelta(seconds=wait + 2 * DEFERRAL_SLACK),
    )


class GongRateLimitTrigger(BaseTrigger):
    """
    Sleep in the triggerer until Gong's rate limit is over, then fire one event.

    Until ``resume_at`` it only sleeps; then it probes Gong with one cheap call (``GET /v2/users``, as
    :meth:`GongHook.probe <airflow_provider_gong.hooks.gong.GongHook.probe>`). A 429 means another sleep:
    the ``Retry-After`` Gong gave, or without it an exponential backoff from ``backoff`` to ``max_backoff``.
    Connection errors, timeouts and 5xx answers of a probe are retried with the hook's backoff
    (``max_retries``). The connection is fetched asynchronously and resolved with the hook's own rules.

    Events (JSON only): ``{"status": "ok", "probes": n, "waited": seconds, "payload": ...}`` once Gong
    answers; ``{"status": "error", "error_type": ..., "message": ..., "status_code": ..., "request_id":
    ..., "payload": ...}`` on any other error (wrong credentials fail at once); ``{"status": "timeout", ...}``
    when Gong asks to wait past ``give_up_at`` or is still limited there. Rebuild the typed error with
    :func:`error_from_event`.

    :param gong_conn_id: The Gong connection id.
    :param resume_at: When to probe first (ISO-8601, UTC if naive); ``None``: at once.
    :param give_up_at: When to stop waiting (ISO-8601): Gong's ``Retry-After`` ending later fires a
        ``timeout`` event at once instead of sleeping in vain; a backoff ending later is cut short to probe
        once more at ``give_up_at``, and a 429 then fires ``timeout``. ``None``: no end (the task's deferral
        timeout applies).
    :param backoff: First wait after a 429 without ``Retry-After``, in seconds.
    :param max_backoff: Longest wait after a 429 without ``Retry-After``, in seconds.
    :param timeout: HTTP timeout of a probe; default: the connection's ``timeout`` extra, else 30 s.
    :param max_retries: Retries of a probe that failed on a connection error, a timeout or a 5xx; default:
        the connection's ``max_retries`` extra, else 5.
    :param payload: Small JSON handed back unchanged in every event, e.g. where a deferred task stands.
    """

    def __init__(
        self,
        gong_conn_id: str = GongHook.default_conn_name,
        *,
        resume_at: str | None = None,
        give_up_at: str | None = None,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        timeout: float | None = None,
        max_retries: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.gong_conn_id = gong_conn_id
        self.resume_at = resume_at
        self.give_up_at = give_up_at
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.timeout = timeout
        self.max_retries = max_retries
        self.payload = payload
        # Checked here, in the task, so a bad value fails before the deferral rather than in the triggerer.
        parse_moment(resume_at, "resume_at")
        parse_moment(give_up_at, "give_up_at")
        if self.backoff <= 0 or self.max_backoff < self.backoff:
            raise ValueError(f"need 0 < backoff <= max_backoff, got {backoff!r} and {max_backoff!r}")

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and the keyword arguments of ``__init__``, all JSON."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "gong_conn_id": self.gong_conn_id,
                "resume_at": self.resume_at,
                "give_up_at": self.give_up_at,
                "backoff": self.backoff,
                "max_backoff": self.max_backoff,
                "timeout": self.timeout,
                "max_retries": self.max_retries,
                "payload": self.payload,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Sleep, probe, repeat until Gong answers; yield one event."""
        started = _now()
        probes = 0
        try:
            settings = await _async_settings(
                self.gong_conn_id, {"timeout": self.timeout, "max_retries": self.max_retries}
            )
        except Exception as err:
            yield _event(error_event(err, self.payload))
            return
        next_probe = parse_moment(self.resume_at, "resume_at") or started
        give_up = parse_moment(self.give_up_at, "give_up_at")
        backoff = self.backoff
        headers = {
            "Authorization": settings.authorization,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        async with httpx.AsyncClient(
            headers=headers, timeout=settings.timeout, follow_redirects=False
        ) as client:
            while True:
                if give_up is not None and next_probe > give_up:
                    yield _event(
                        {
                            "status": "timeout",
                            "message": (
                                f"Gong's rate limit holds until {next_probe.isoformat()}, "
                                f"after the wait's end at {give_up.isoformat()}"
                            ),
                            "resume_at": next_probe.isoformat(),
                            "probes": probes,
                            "payload": self.payload,
                        }
                    )
                    return
                delay = (next_probe - _now()).total_seconds()
                if delay > 0:
                    self.log.info(
                        "Waiting %.1f s for Gong's rate limit (until %s)", delay, next_probe.isoformat()
                    )
                    await asyncio.sleep(delay)
                probes += 1
                try:
                    limited = await self._probe(client, settings)
                except Exception as err:
                    self.log.error("Gong probe failed, ending the wait: %s", err)
                    yield _event(error_event(err, self.payload))
                    return
                if limited is None:
                    waited = (_now() - started).total_seconds()
                    self.log.info("Gong answers again after %.1f s (%d probe(s))", waited, probes)
                    yield _event(
                        {
                            "status": "ok",
                            "probes": probes,
                            "waited": round(waited, 3),
                            "payload": self.payload,
                        }
                    )
                    return
                if limited.retry_after is not None:
                    wait = max(limited.retry_after, MIN_PROBE_WAIT)
                    how = "Retry-After"
                else:
                    wait, backoff = backoff, min(backoff * 2, self.max_backoff)
                    how = "backoff, no Retry-After"
                probed_at, now = next_probe, _now()
                next_probe = now + timedelta(seconds=wait)
                if limited.retry_after is None and give_up is not None and probed_at < give_up < next_probe:
                    # Only Gong's own Retry-After ends the wait early: a backoff of ours is cut short so
                    # that one last probe comes at the deadline (once: this probe was not that one).
                    next_probe = give_up
                    wait = max((give_up - now).total_seconds(), 0.0)
                    how = "backoff cut short: last probe at the wait's end"
                self.log.info(
                    "Gong is still rate limited (requestId %s); next probe in %.1f s (%s)",
                    limited.request_id,
                    wait,
                    how,
                )

    async def _probe(self, client: httpx.AsyncClient, settings: GongSettings) -> GongRateLimitError | None:
        """One probe, its transient failures retried with the hook's backoff; the 429 is returned."""
        policy = RetryPolicy(max_retries=settings.max_retries, retry_rate_limits=False)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            self.log.warning("Gong probe failed (%s); retry %d in %.1f s", error, state.attempt_number, wait)

        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(policy.is_retryable),
            stop=tenacity.stop_after_attempt(settings.max_retries + 1),
            wait=policy.wait,
            before_sleep=before_sleep,
            reraise=True,
        )
        result: GongRateLimitError | None = await retrying(_probe_once, client, settings)
        return result


async def _async_settings(conn_id: str, overrides: Mapping[str, Any]) -> GongSettings:
    """Fetch the connection without blocking the event loop and resolve it with the hook's rules."""
    aget = getattr(GongHook, "aget_connection", None)
    if aget is not None:
        conn = await aget(conn_id)
    else:  # Airflow < 3.1: the sync lookup, in a thread (never in the event loop)
        conn = await asyncio.to_thread(GongHook.get_connection, conn_id)
    settings = settings_from_connection(conn, conn_id, overrides)
    amask_secret = getattr(sdk_log, "amask_secret", None)
    for secret in settings.secrets:
        if amask_secret is not None:
            await amask_secret(secret)
        else:  # pragma: no cover - older Airflow: no async masking
            sdk_log.mask_secret(secret)
    return settings


async def _probe_once(client: httpx.AsyncClient, settings: GongSettings) -> GongRateLimitError | None:
    """
    One probe, bounded as a whole by the timeout (plus :data:`DEADLINE_SLACK`), whatever the server does.

    httpx's timeout, like requests', bounds each read: a trickled answer is cut here by the deadline.
    """
    method, path = "GET", PROBE_PATH
    url = settings.base_url + path
    try:
        response = await asyncio.wait_for(
            client.get(url, params=dict(PROBE_PARAMS)), settings.timeout + DEADLINE_SLACK
        )
    except (asyncio.TimeoutError, httpx.TimeoutException) as err:
        raise timeout_error(method, path, settings.base_url, settings.timeout) from err
    except httpx.DecodingError as err:
        raise incomplete_error(method, path, 200, err) from err
    except httpx.TransportError as err:
        raise connection_error(method, path, settings.base_url, err, tls=_caused_by_tls(err)) from err
    try:
        decode_answer(
            response.status_code,
            response.headers,
            response.content,
            method,
            path,
            url=url,
            secrets=settings.secrets,
        )
    except GongRateLimitError as limited:
        return limited
    return None


def _event(payload: dict[str, Any]) -> TriggerEvent:
    return TriggerEvent(payload)  # type: ignore[no-untyped-call]


def _caused_by_tls(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _now() -> datetime:
    return datetime.now(timezone.utc)


def parse_moment(value: str | None, name: str) -> datetime | None:
    """
    Read an ISO-8601 moment (UTC when naive), as ``resume_at`` / ``give_up_at`` carry it.

    :param value: The text, or ``None``.
    :param name: What it is, for the error.
    :raises ValueError: naming ``name`` when the text is no date-time.
    """
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an ISO-8601 date-time, got {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def moment_in(seconds: float) -> str:
    """
    Return the ISO-8601 UTC time ``seconds`` from now (for ``resume_at`` / ``give_up_at``).

    :param seconds: Seconds from now.
    """
    return (_now() + timedelta(seconds=seconds)).isoformat()


# ---------------------------------------------------------------------------------------------- events


def error_event(error: BaseException, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """
    Describe an error as a JSON-only event payload, from which :func:`error_from_event` rebuilds it.

    :param error: What the probe (or the connection lookup) raised.
    :param payload: The trigger's payload, handed back.
    """
    name = type(error).__name__ if isinstance(error, GongError) else "GongError"
    message = str(error) if isinstance(error, GongError) else f"{type(error).__name__}: {error}"
    event: dict[str, Any] = {
        "status": "error",
        "error_type": name,
        "message": message,
        "status_code": None,
        "request_id": None,
        "payload": payload,
    }
    if isinstance(error, GongApiError):
        event.update(
            status_code=error.status_code,
            request_id=error.request_id,
            method=error.method,
            path=error.path,
            errors=list(error.errors),
            detail=error.detail,
            hint=error.hint,
            retry_after=getattr(error, "retry_after", None),
        )
    elif isinstance(error, GongConnectionError):
        event["retryable"] = error.retryable
    return event


def error_from_event(event: Mapping[str, Any]) -> GongError:
    """
    Rebuild the typed error an ``error`` event describes (e.g. :class:`GongAuthError` for a 401).

    :param event: The event's payload.
    """
    found = getattr(gong_exceptions, str(event.get("error_type")), None)
    cls: type[GongError] = GongError
    if isinstance(found, type) and issubclass(found, GongError):
        cls = found
    message = str(event.get("message") or "Gong rate-limit wait failed")
    if issubclass(cls, GongApiError) and isinstance(event.get("status_code"), int):
        common: dict[str, Any] = {
            "request_id": event.get("request_id"),
            "errors": list(event.get("errors") or []),
            "detail": event.get("detail"),
            "hint": event.get("hint"),
        }
        args = (event["status_code"], str(event.get("method") or "GET"), str(event.get("path") or PROBE_PATH))
        if issubclass(cls, GongRateLimitError):
            return cls(*args, retry_after=event.get("retry_after"), **common)
        return cls(*args, **common)
    if issubclass(cls, GongConnectionError):
        return cls(message, retryable=bool(event.get("retryable", True)))
    if issubclass(cls, GongApiError):
        return GongError(message)
    return cls(message)
