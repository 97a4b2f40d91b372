"""GongRateLimitTrigger: wait out Gong's rate limit in the triggerer, without holding a worker slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, TypedDict

from airflow_provider_gong import endpoints
from airflow_provider_gong.client.core import AsyncGongClient
from airflow_provider_gong.client.dates import moment_in, now_utc, parse_moment
from airflow_provider_gong.client.oauth import OAuthTokens
from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.client.retry import MIN_PROBE_WAIT
from airflow_provider_gong.client.settings import DEFAULT_CONN_ID, GongSettings, settings_from_connection
from airflow_provider_gong.endpoints import DEFAULT_PROBE_ENDPOINT
from airflow_provider_gong.exceptions import GongError
from airflow_provider_gong.hooks.oauth import oauth_tokens
from airflow_provider_gong.version_compat import BaseTrigger, TriggerEvent, amask_secret, get_async_connection

__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_MAX_BACKOFF",
    "DEFERRAL_SLACK",
    "DeferralDeadline",
    "ErrorEvent",
    "GongRateLimitTrigger",
    "OkEvent",
    "TimeoutEvent",
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


class OkEvent(TypedDict):
    """Gong answers again."""

    status: Literal["ok"]
    probes: int
    waited: float
    payload: dict[str, Any] | None


class TimeoutEvent(TypedDict):
    """Gong's limit holds past ``give_up_at``: ``resume_at`` says until when."""

    status: Literal["timeout"]
    message: str
    resume_at: str
    probes: int
    payload: dict[str, Any] | None


class ErrorEvent(TypedDict, total=False):
    """
    The wait failed: ``error_type``, ``message`` and the error's other fields
    (:meth:`~airflow_provider_gong.exceptions.GongError.to_json`), plus the payload.
    """

    status: Literal["error"]
    error_type: str
    message: str
    status_code: int | None
    request_id: str | None
    payload: dict[str, Any] | None


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

    Until ``resume_at`` it only sleeps; then it probes Gong with one cheap call of ``probe_endpoint``
    (by default ``GET /v2/users``), as :meth:`GongHook.probe
    <airflow_provider_gong.hooks.gong.GongHook.probe>` does, through the same client core
    (:class:`~airflow_provider_gong.client.core.AsyncGongClient`). A 429 means another sleep: the
    ``Retry-After`` Gong gave, or without it an exponential backoff from ``backoff`` to ``max_backoff``.
    Connection errors, timeouts and 5xx answers of a probe are retried with the hook's backoff
    (``max_retries``). The connection is fetched asynchronously and resolved by the hook's own function
    (:func:`~airflow_provider_gong.client.settings.settings_from_connection`), so a bad connection is
    the same :class:`~airflow_provider_gong.exceptions.GongConfigError` here as in the hook.

    Events (JSON only; their shapes are :class:`OkEvent`, :class:`ErrorEvent` and :class:`TimeoutEvent`):
    ``ok`` once Gong answers; ``error`` on any other error (wrong credentials fail at once), carrying the
    error's :meth:`~airflow_provider_gong.exceptions.GongError.to_json`; ``timeout`` when Gong asks to wait
    past ``give_up_at`` or is still limited there. Rebuild the typed error with :func:`error_from_event`.

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
    :param probe_endpoint: Gong's ``operationId`` of the endpoint probed (default ``"listUsers"``).
    :param clock: The current UTC time (not serialised: tests inject a fake one).
    :param sleep: The async sleep of waits and retries (not serialised: tests inject a fake one).
    :param pacers: Where the company's pace comes from (not serialised; default: the process's).
    """

    def __init__(
        self,
        gong_conn_id: str = DEFAULT_CONN_ID,
        *,
        resume_at: str | None = None,
        give_up_at: str | None = None,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        timeout: float | None = None,
        max_retries: int | None = None,
        payload: dict[str, Any] | None = None,
        probe_endpoint: str = DEFAULT_PROBE_ENDPOINT,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        pacers: PacerRegistry | None = None,
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
        self.probe_endpoint = probe_endpoint
        self._clock = clock or now_utc
        self._sleep = sleep or asyncio.sleep
        self._pacers = pacers
        # Checked here, in the task, so a bad value fails before the deferral rather than in the triggerer.
        parse_moment(resume_at, "resume_at")
        parse_moment(give_up_at, "give_up_at")
        endpoints.probe_endpoint(probe_endpoint)
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
                "probe_endpoint": self.probe_endpoint,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Sleep, probe, repeat until Gong answers; yield one event."""
        started = self._clock()
        probes = 0
        try:
            endpoint = endpoints.probe_endpoint(self.probe_endpoint)
            settings, tokens = await _async_settings(
                self.gong_conn_id, {"timeout": self.timeout, "max_retries": self.max_retries}, self.log
            )
        except Exception as err:
            yield _event(error_event(err, self.payload))
            return
        next_probe = parse_moment(self.resume_at, "resume_at") or started
        give_up = parse_moment(self.give_up_at, "give_up_at")
        backoff = self.backoff
        client = AsyncGongClient(
            settings, asleep=self._sleep, clock=self._clock, pacers=self._pacers, log=self.log, tokens=tokens
        )
        async with client:
            while True:
                if give_up is not None and next_probe > give_up:
                    timeout: TimeoutEvent = {
                        "status": "timeout",
                        "message": (
                            f"Gong's rate limit holds until {next_probe.isoformat()}, "
                            f"after the wait's end at {give_up.isoformat()}"
                        ),
                        "resume_at": next_probe.isoformat(),
                        "probes": probes,
                        "payload": self.payload,
                    }
                    yield _event(timeout)
                    return
                delay = (next_probe - self._clock()).total_seconds()
                if delay > 0:
                    self.log.info(
                        "Waiting %.1f s for Gong's rate limit (until %s)", delay, next_probe.isoformat()
                    )
                    await self._sleep(delay)
                probes += 1
                try:
                    limited = await client.probe(endpoint)
                except Exception as err:
                    self.log.error("Gong probe failed, ending the wait: %s", err)
                    yield _event(error_event(err, self.payload))
                    return
                if limited is None:
                    waited = (self._clock() - started).total_seconds()
                    self.log.info("Gong answers again after %.1f s (%d probe(s))", waited, probes)
                    ok: OkEvent = {
                        "status": "ok",
                        "probes": probes,
                        "waited": round(waited, 3),
                        "payload": self.payload,
                    }
                    yield _event(ok)
                    return
                if limited.retry_after is not None:
                    wait = max(limited.retry_after, MIN_PROBE_WAIT)
                    how = "Retry-After"
                else:
                    wait, backoff = backoff, min(backoff * 2, self.max_backoff)
                    how = "backoff, no Retry-After"
                probed_at, now = next_probe, self._clock()
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


async def _async_settings(
    conn_id: str, overrides: Mapping[str, Any], log: Any
) -> tuple[GongSettings, OAuthTokens | None]:
    """
    Fetch the connection without blocking the event loop; resolve it as the hook does; mask secrets.

    An OAuth app's tokens come from the hook's token manager (:func:`~.hooks.oauth.oauth_tokens`), run in
    worker threads: its lock and its token call block.
    """
    conn = await get_async_connection(conn_id)
    settings = settings_from_connection(conn, conn_id, overrides)
    for secret in settings.secrets:
        await amask_secret(secret)
    if settings.oauth is None:
        return settings, None
    loop = asyncio.get_running_loop()

    def mask(value: str) -> None:  # called from the token manager's worker thread
        asyncio.run_coroutine_threadsafe(amask_secret(value), loop).result()

    tokens = oauth_tokens(settings, conn_id, mask=mask, log=log)
    return await asyncio.to_thread(tokens.base_url, settings), tokens


# ---------------------------------------------------------------------------------------------- events


def _event(payload: Mapping[str, Any]) -> TriggerEvent:
    return TriggerEvent(dict(payload))  # type: ignore[no-untyped-call]


def error_event(error: BaseException, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """
    Describe an error as a JSON-only ``error`` event (:class:`ErrorEvent`), from which
    :func:`error_from_event` rebuilds it.

    :param error: What the probe (or the connection lookup) raised; an error that is not the provider's
        becomes a :class:`GongError` naming its type.
    :param payload: The trigger's payload, handed back.
    """
    gong = error if isinstance(error, GongError) else GongError(f"{type(error).__name__}: {error}")
    event: dict[str, Any] = {"status": "error", "status_code": None, "request_id": None}
    event.update(gong.to_json())
    event["payload"] = payload
    return event


def error_from_event(event: Mapping[str, Any]) -> GongError:
    """
    Rebuild the typed error an ``error`` event describes (e.g. :class:`GongAuthError` for a 401).

    :param event: The event's payload (also one built by earlier releases).
    """
    if not event.get("message"):
        event = {**event, "message": "Gong rate-limit wait failed"}
    return GongError.from_json(event)
