"""The one retry policy: Retry-After parsing, what is retried, how long it waits, what it logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from airflow_provider_gong.client.retry import RetryPolicy, parse_retry_after
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongAuthError,
    GongBadRequestError,
    GongConnectionError,
    GongNotFoundError,
    GongRateLimitError,
    GongServerError,
    GongTimeoutError,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)

# ---------------------------------------------------------------------------------------- parse_retry_after


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 2 ", 2.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("3600", 3600.0),
        (None, None),
        ("", None),
        ("   ", None),
        ("-1", None),
        ("-0.5", None),
        ("soon", None),
        ("inf", None),
        ("nan", None),
        ("2 seconds", None),
        ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),
        ("Sat, 01 Mar 2025 11:59:00 GMT", 0.0),  # in the past: go now
        ("Sat, 01 Mar 2025 12:01:00 -0000", 60.0),  # no zone information: taken as UTC
        ("Sat, 01 Mar 2025 13:00:00 +0100", 0.0),
        ("Sat, 32 Mar 2025 12:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_http_date_defaults_to_now() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)

    seconds = parse_retry_after(when)

    assert seconds is not None
    assert 118.0 <= seconds <= 120.0


# ---------------------------------------------------------------------------------------- is_retryable


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (GongServerError(500, "GET", "/v2/users"), True),
        (GongServerError(503, "GET", "/v2/users"), True),
        (GongRateLimitError(429, "GET", "/v2/users"), True),
        (GongRateLimitError(429, "GET", "/v2/users", retry_after=60.0), True),
        (GongRateLimitError(429, "GET", "/v2/users", retry_after=60.5), False),
        (GongConnectionError("refused"), True),
        (GongTimeoutError("timed out"), True),
        (GongConnectionError("TLS failed", retryable=False), False),
        (GongBadRequestError(400, "GET", "/v2/users"), False),
        (GongAuthError(401, "GET", "/v2/users"), False),
        (GongAuthError(403, "GET", "/v2/users"), False),
        (GongNotFoundError(404, "GET", "/v2/users/1"), False),
        (GongApiError(200, "GET", "/v2/users/1", detail="unexpected answer shape"), False),
        (ValueError("bad id"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_is_retryable(error: BaseException, retryable: bool) -> None:
    assert RetryPolicy().is_retryable(error) is retryable


def test_defaults() -> None:
    policy = RetryPolicy()

    assert policy.max_retries == 5
    assert policy.max_retry_wait == 60.0
    assert (policy.backoff_initial, policy.backoff_max, policy.backoff_jitter) == (1.0, 30.0, 1.0)


# ---------------------------------------------------------------------------------------- call


class FakeLog:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, msg: Any, /, *args: Any, **kwargs: Any) -> None:
        self.warnings.append(msg % args)


class Script:
    """An attempt that raises the given errors in turn, then returns ``"done"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def run(policy: RetryPolicy, attempt: Script, log: FakeLog | None = None) -> str:
    return policy.call(attempt, log=log or FakeLog(), what="GET /v2/users/1")


def test_success_after_retries() -> None:
    waits: list[float] = []
    attempt = Script(GongServerError(500, "GET", "/v2/users/1"), GongConnectionError("refused"))

    assert run(RetryPolicy(sleep=waits.append), attempt) == "done"
    assert attempt.calls == 3
    assert len(waits) == 2


def test_gives_up_after_max_retries_with_the_original_error() -> None:
    waits: list[float] = []
    errors = [GongServerError(503, "GET", "/v2/users/1", request_id=f"r{n}") for n in range(10)]
    attempt = Script(*errors)

    with pytest.raises(GongServerError) as info:
        run(RetryPolicy(max_retries=3, sleep=waits.append), attempt)

    assert info.value is errors[3]
    assert attempt.calls == 4
    assert len(waits) == 3


def test_zero_retries_means_one_attempt() -> None:
    waits: list[float] = []
    attempt = Script(GongServerError(500, "GET", "/v2/users/1"))

    with pytest.raises(GongServerError):
        run(RetryPolicy(max_retries=0, sleep=waits.append), attempt)

    assert attempt.calls == 1
    assert waits == []


@pytest.mark.parametrize(
    "error",
    [
        GongBadRequestError(400, "GET", "/v2/users/1"),
        GongAuthError(401, "GET", "/v2/users/1"),
        GongAuthError(403, "GET", "/v2/users/1"),
        GongNotFoundError(404, "GET", "/v2/users/1"),
        GongRateLimitError(429, "GET", "/v2/users/1", retry_after=3600.0),
        GongConnectionError("TLS failed", retryable=False),
    ],
    ids=lambda error: f"{type(error).__name__}-{getattr(error, 'status_code', 'conn')}",
)
def test_not_retried(error: BaseException) -> None:
    waits: list[float] = []
    attempt = Script(error)

    with pytest.raises(type(error)) as info:
        run(RetryPolicy(sleep=waits.append), attempt)

    assert info.value is error
    assert attempt.calls == 1
    assert waits == []


def test_retry_after_is_waited_exactly() -> None:
    waits: list[float] = []
    attempt = Script(
        GongRateLimitError(429, "GET", "/v2/users/1", retry_after=2.0),
        GongRateLimitError(429, "GET", "/v2/users/1", retry_after=0.0),
        GongRateLimitError(429, "GET", "/v2/users/1", retry_after=60.0),
    )

    assert run(RetryPolicy(sleep=waits.append), attempt) == "done"
    assert waits == [2.0, 0.0, 60.0]


def test_custom_ceiling() -> None:
    waits: list[float] = []
    attempt = Script(GongRateLimitError(429, "GET", "/v2/users/1", retry_after=11.0))

    with pytest.raises(GongRateLimitError):
        run(RetryPolicy(max_retry_wait=10.0, sleep=waits.append), attempt)

    assert attempt.calls == 1


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    waits: list[float] = []
    attempt = Script(*[GongRateLimitError(429, "GET", "/v2/users/1") for _ in range(8)])
    policy = RetryPolicy(
        max_retries=8, backoff_initial=1.0, backoff_max=5.0, backoff_jitter=1.0, sleep=waits.append
    )

    assert run(policy, attempt) == "done"
    assert len(waits) == 8
    for number, wait in enumerate(waits):
        base = 2.0**number
        assert min(base, 5.0) <= wait <= min(base + 1.0, 5.0)
    assert waits == sorted(waits)
    assert waits[3:] == [5.0] * 5  # capped (jitter included)
    assert any(wait != int(wait) for wait in waits[:2])  # jitter, not bare powers of two


def test_backoff_without_jitter_is_exponential() -> None:
    waits: list[float] = []
    attempt = Script(*[GongServerError(500, "GET", "/v2/users/1") for _ in range(6)])
    policy = RetryPolicy(
        max_retries=6, backoff_initial=1.0, backoff_max=6.0, backoff_jitter=0.0, sleep=waits.append
    )

    run(policy, attempt)

    assert waits == [1.0, 2.0, 4.0, 6.0, 6.0, 6.0]


def test_jitter_differs_between_runs() -> None:
    first: list[float] = []
    second: list[float] = []
    for waits in (first, second):
        run(RetryPolicy(sleep=waits.append), Script(*[GongServerError(500, "GET", "/") for _ in range(3)]))

    assert first != second


def test_each_retry_is_logged() -> None:
    log = FakeLog()
    waits: list[float] = []
    attempt = Script(
        GongServerError(503, "GET", "/v2/users/1", request_id="req-503"),
        GongRateLimitError(429, "GET", "/v2/users/1", request_id="req-429", retry_after=2.0),
        GongRateLimitError(429, "GET", "/v2/users/1"),
        GongTimeoutError("timed out"),
    )

    run(RetryPolicy(sleep=waits.append), attempt, log)

    assert len(log.warnings) == 4
    first, second, third, fourth = log.warnings
    assert first.startswith("Gong GET /v2/users/1 failed (status 503, requestId req-503); retry 1 of 5 in ")
    assert first.endswith(f"in {waits[0]:.1f} s")
    assert second == (
        "Gong GET /v2/users/1 failed (status 429, requestId req-429, Retry-After 2 s); retry 2 of 5 in 2.0 s"
    )
    assert "status 429, no Retry-After); retry 3 of 5" in third
    assert "(GongTimeoutError: timed out); retry 4 of 5" in fourth


def test_log_names_the_cause_of_a_connection_error() -> None:
    log = FakeLog()
    error = GongConnectionError("connection failed")
    error.__cause__ = ConnectionRefusedError("refused")

    run(RetryPolicy(sleep=lambda _: None), Script(error), log)

    assert "(GongConnectionError: ConnectionRefusedError)" in log.warnings[0]
