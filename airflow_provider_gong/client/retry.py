"""The one retry policy of the Gong provider.

What is retried: connection failures, timeouts, 5xx answers, 408 and 429 answers, and answers cut short
(a 200 whose JSON ends early, a corrupt compressed body). What is not: 400, 401, 403, 404 (retrying
cannot fix them) and a 429 or 503 whose ``Retry-After`` is longer than the ceiling (the daily quota is
spent: sleeping for hours inside a task would hold a worker slot, so the error is raised at once with its
``retry_after`` for a sensor or a deferrable operator to wait out).

How long: an answer with ``Retry-After`` (429, 503) waits exactly what it says (seconds or an HTTP-date,
at most 24 h); anything else waits an exponential backoff with jitter, capped.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import tenacity

from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConnectionError,
    GongIncompleteAnswerError,
    GongRateLimitError,
    GongServerError,
)

__all__ = ["MAX_RETRY_AFTER", "MIN_PROBE_WAIT", "RetryPolicy", "parse_retry_after"]

#: The shortest wait between two probes of a rate limit (sensor, trigger): a ``Retry-After`` of 0 or a date
#: in the past must not make an unbounded waiter spin against Gong, each probe costing daily quota.
MIN_PROBE_WAIT = 1.0
#: The longest ``Retry-After`` believed, in seconds (24 h): Gong's daily quota resets within a day, and a
#: larger value (``99999999999999``) would overflow date arithmetic downstream.
MAX_RETRY_AFTER = 86400.0
#: Statuses whose ``Retry-After`` is read: Gong's rate limit, and a server that is briefly unavailable.
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: Error statuses other than 5xx and 429 that are worth another attempt (the request timed out upstream).
TRANSIENT_STATUSES = frozenset({408})

T = TypeVar("T")


class _Logger(Protocol):
    def warning(self, msg: Any, /, *args: Any, **kwargs: Any) -> Any: ...


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """
    Read a ``Retry-After`` header as seconds to wait, or ``None`` when there is no usable value.

    Both forms of RFC 9110 are understood: delay seconds (``"2"``, also ``"1.5"``) and an HTTP-date
    (a date in the past means 0). A negative number, an empty value or anything else unreadable gives
    ``None``, so the caller falls back to backoff instead of trusting garbage. A wait longer than
    :data:`MAX_RETRY_AFTER` (24 h) is clamped to it.

    :param value: The header value as received.
    :param now: The current time, for HTTP-dates (default: now, UTC).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds) or seconds < 0:
            return None
        return min(seconds, MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


@dataclass(frozen=True)
class RetryPolicy:
    """
    How the hook retries one HTTP call.

    :param max_retries: Retries after the first attempt (so ``max_retries + 1`` attempts at most).
    :param max_retry_wait: The longest ``Retry-After`` slept inside the task, in seconds; a longer one
        raises :class:`~airflow_provider_gong.exceptions.GongRateLimitError` at once.
    :param backoff_initial: First backoff wait, in seconds (doubles with each retry).
    :param backoff_max: Cap of one backoff wait, in seconds.
    :param backoff_jitter: Up to this many random seconds added to each backoff wait.
    :param sleep: The sleep function (injectable so tests need not sleep for real).
    :param asleep: The async sleep of :meth:`acall` (injectable likewise).
    :param retry_rate_limits: Retry 429s (the default); ``False`` raises them at once, for a probe whose
        caller waits out the limit itself.
    """

    max_retries: int = 5
    max_retry_wait: float = 60.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    backoff_jitter: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    asleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    retry_rate_limits: bool = True

    def is_retryable(self, error: BaseException) -> bool:
        """
        Tell whether another attempt may succeed.

        :param error: What the last attempt raised.
        """
        if isinstance(error, GongConnectionError):
            return error.retryable
        if not isinstance(error, GongApiError):
            return False
        if error.retry_after is not None and error.retry_after > self.max_retry_wait:
            return False
        if isinstance(error, GongRateLimitError):
            return self.retry_rate_limits
        return (
            isinstance(error, (GongServerError, GongIncompleteAnswerError))
            or error.status_code in TRANSIENT_STATUSES
        )

    def wait(self, state: tenacity.RetryCallState) -> float:
        """
        Return how long to wait before the next attempt (a tenacity wait strategy).

        :param state: Tenacity's state of the call; its outcome holds what the last attempt raised.
        """
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, GongApiError) and error.retry_after is not None:
            return error.retry_after
        backoff = tenacity.wait_exponential_jitter(
            initial=self.backoff_initial, max=self.backoff_max, jitter=self.backoff_jitter
        )
        return float(backoff(state))

    def call(
        self,
        attempt: Callable[[], T],
        *,
        log: _Logger,
        what: str,
    ) -> T:
        """
        Run ``attempt`` under this policy and return its result, or re-raise its last error.

        Every retry is logged at WARNING with the status, Gong's requestId and the wait.

        :param attempt: One try of the call; raises a provider error on failure.
        :param log: Where retries are logged.
        :param what: The call in words for the log, e.g. ``GET /v2/users/123``.
        """
        # Fast path: nearly every call succeeds at once, and a tenacity run costs about a tenth of a
        # loopback call (bench/). Tenacity only starts after a retryable failure, which it gets back as
        # its first attempt: waits, logs and the attempt count are the same as without the fast path.
        failed: list[Exception] = []
        try:
            return attempt()
        except Exception as error:
            if not self.is_retryable(error):
                raise
            failed.append(error)

        def replay_then_attempt() -> T:
            if failed:
                raise failed.pop()
            return attempt()

        retrying = tenacity.Retrying(sleep=self.sleep, **self._tenacity(log, what))
        return retrying(replay_then_attempt)

    async def acall(self, attempt: Callable[[], Awaitable[T]], *, log: _Logger, what: str) -> T:
        """
        :meth:`call` for a coroutine: the same retries, waits and logs, sleeping with :attr:`asleep`.

        :param attempt: Returns one try of the call (a coroutine); raises a provider error on failure.
        :param log: Where retries are logged.
        :param what: The call in words for the log.
        """
        retrying = tenacity.AsyncRetrying(sleep=self.asleep, **self._tenacity(log, what))
        return await retrying(attempt)

    def _tenacity(self, log: _Logger, what: str) -> dict[str, Any]:
        """What the sync and the async tenacity runs share: which errors, how many, how long, the log."""

        def before_sleep(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "Gong %s failed (%s); retry %d of %d in %.1f s",
                what,
                _describe(error),
                state.attempt_number,
                self.max_retries,
                wait,
            )

        return {
            "retry": tenacity.retry_if_exception(self.is_retryable),
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "wait": self.wait,
            "before_sleep": before_sleep,
            "reraise": True,
        }


def _describe(error: BaseException | None) -> str:
    if isinstance(error, GongApiError):
        text = f"status {error.status_code}"
        if error.request_id:
            text += f", requestId {error.request_id}"
        if error.retry_after is not None:
            text += f", Retry-After {error.retry_after:g} s"
        elif isinstance(error, GongRateLimitError):
            text += ", no Retry-After"
        return text
    if error is None:
        return "unknown error"
    cause = error.__cause__
    return f"{type(error).__name__}: {type(cause).__name__ if cause else error}"
