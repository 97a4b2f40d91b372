"""The one retry policy of the Gong provider.

What is retried: connection failures, timeouts, 5xx answers and 429 answers. What is not: 400, 401,
403, 404 (retrying cannot fix them) and a 429 whose ``Retry-After`` is longer than the ceiling (the daily
quota is spent: sleeping for hours inside a task would hold a worker slot, so the error is raised at once
with its ``retry_after`` for a sensor or a deferrable operator to wait out).

How long: a 429 waits exactly what ``Retry-After`` says (seconds or an HTTP-date); anything else, and a
429 without a usable header, waits an exponential backoff with jitter, capped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import tenacity

from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConnectionError,
    GongRateLimitError,
    GongServerError,
)

__all__ = ["MIN_PROBE_WAIT", "RetryPolicy", "parse_retry_after"]

#: The shortest wait between two probes of a rate limit (sensor, trigger): a ``Retry-After`` of 0 or a date
#: in the past must not make an unbounded waiter spin against Gong, each probe costing daily quota.
MIN_PROBE_WAIT = 1.0

T = TypeVar("T")


class _Logger(Protocol):
    def warning(self, msg: Any, /, *args: Any, **kwargs: Any) -> Any: ...


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """
    Read a ``Retry-After`` header as seconds to wait, or ``None`` when there is no usable value.

    Both forms of RFC 9110 are understood: delay seconds (``"2"``, also ``"1.5"``) and an HTTP-date
    (a date in the past means 0). A negative number, an empty value or anything else unreadable gives
    ``None``, so the caller falls back to backoff instead of trusting garbage.

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
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return max(delta, 0.0)


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
    :param retry_rate_limits: Retry 429s (the default); ``False`` raises them at once, for a probe whose
        caller waits out the limit itself.
    """

    max_retries: int = 5
    max_retry_wait: float = 60.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    backoff_jitter: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    retry_rate_limits: bool = True

    def is_retryable(self, error: BaseException) -> bool:
        """
        Tell whether another attempt may succeed.

        :param error: What the last attempt raised.
        """
        if isinstance(error, GongRateLimitError):
            return self.retry_rate_limits and (
                error.retry_after is None or error.retry_after <= self.max_retry_wait
            )
        if isinstance(error, GongConnectionError):
            return error.retryable
        return isinstance(error, GongServerError)

    def wait(self, state: tenacity.RetryCallState) -> float:
        """
        Return how long to wait before the next attempt (a tenacity wait strategy).

        :param state: Tenacity's state of the call; its outcome holds what the last attempt raised.
        """
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, GongRateLimitError) and error.retry_after is not None:
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

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(self.is_retryable),
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            wait=self.wait,
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(replay_then_attempt)


def _describe(error: BaseException | None) -> str:
    if isinstance(error, GongApiError):
        text = f"status {error.status_code}"
        if error.request_id:
            text += f", requestId {error.request_id}"
        if isinstance(error, GongRateLimitError):
            text += (
                f", Retry-After {error.retry_after:g} s"
                if error.retry_after is not None
                else ", no Retry-After"
            )
        return text
    if error is None:
        return "unknown error"
    cause = error.__cause__
    return f"{type(error).__name__}: {type(cause).__name__ if cause else error}"
