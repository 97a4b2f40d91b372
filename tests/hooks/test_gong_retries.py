"""
GongHook retries against a local server: what is retried, how long it waits, and how each retry is logged.

The retry ``sleep`` is a recorder; a ``Retry-After`` also holds the company's pace back, so the tests that
get one pass ``pacers`` (pacers that record their waits in ``pacer_waits`` instead of sleeping).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from gong_hook_helpers import USER, gong_error, seen, serve_sequence, user_ok
from pytest_httpserver import HTTPServer

from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.exceptions import GongApiError, GongRateLimitError, GongServerError
from airflow_provider_gong.hooks.gong import GongHook


def test_server_error_is_retried_then_succeeds(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    serve_sequence(httpserver, "/v2/users/1", [gong_error(500, "boom"), gong_error(503, "busy"), user_ok()])

    assert GongHook(server_conn(), sleep=sleeps.append).get_user("1") == USER
    assert len(seen(httpserver)) == 3
    assert len(sleeps) == 2


def test_retry_after_seconds_is_honoured(
    httpserver: HTTPServer,
    server_conn: Callable[..., str],
    sleeps: list[float],
    pacers: PacerRegistry,
    pacer_waits: list[float],
) -> None:
    serve_sequence(
        httpserver, "/v2/users/1", [gong_error(429, "limit", headers={"Retry-After": "2"}), user_ok()]
    )

    assert GongHook(server_conn(), sleep=sleeps.append, pacers=pacers).get_user("1") == USER
    assert sleeps == [2.0]
    assert len(seen(httpserver)) == 2
    # The shared pacer was held off too (it would make other threads wait; here the fake retry sleep
    # took no time, so the pacer's own wait shows the hold-off).
    assert len(pacer_waits) == 1
    assert 1.5 < pacer_waits[0] <= 2.0


def test_retry_after_http_date_is_honoured(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float], pacers: PacerRegistry
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    serve_sequence(
        httpserver, "/v2/users/1", [gong_error(429, "limit", headers={"Retry-After": when}), user_ok()]
    )

    assert GongHook(server_conn(), sleep=sleeps.append, pacers=pacers).get_user("1") == USER
    assert len(sleeps) == 1
    assert 28.0 <= sleeps[0] <= 30.0


@pytest.mark.parametrize("header", [None, "soon", "-3", ""], ids=["absent", "garbage", "negative", "empty"])
def test_unusable_retry_after_falls_back_to_backoff(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float], header: str | None
) -> None:
    headers = {"Retry-After": header} if header is not None else None
    serve_sequence(httpserver, "/v2/users/1", [gong_error(429, "limit", headers=headers)])

    with pytest.raises(GongRateLimitError) as info:
        GongHook(server_conn(), sleep=sleeps.append).get_user("1")

    assert info.value.retry_after is None
    assert len(seen(httpserver)) == 6
    assert len(sleeps) == 5
    for number, wait in enumerate(sleeps):
        base = 2.0**number  # backoff_initial 1 s, doubling
        assert base <= wait <= min(base + 1.0, 30.0)  # jitter up to 1 s, cap 30 s
    assert sleeps == sorted(sleeps)
    assert sleeps[-1] > sleeps[0]


def test_retry_after_above_the_ceiling_raises_at_once(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    serve_sequence(
        httpserver,
        "/v2/users/1",
        [gong_error(429, "daily limit", headers={"Retry-After": "3600"}), user_ok()],
    )

    with pytest.raises(GongRateLimitError, match="max_retry_wait") as info:
        GongHook(server_conn(), sleep=sleeps.append).get_user("1")

    assert info.value.retry_after == 3600.0
    assert len(seen(httpserver)) == 1
    assert sleeps == []


@pytest.mark.parametrize(("retry_after", "attempts"), [("5", 2), ("5.5", 1)])
def test_max_retry_wait_is_the_ceiling(
    httpserver: HTTPServer,
    server_conn: Callable[..., str],
    sleeps: list[float],
    pacers: PacerRegistry,
    retry_after: str,
    attempts: int,
) -> None:
    serve_sequence(
        httpserver, "/v2/users/1", [gong_error(429, "limit", headers={"Retry-After": retry_after}), user_ok()]
    )
    hook = GongHook(server_conn(), max_retry_wait=5, sleep=sleeps.append, pacers=pacers)

    if attempts == 1:
        with pytest.raises(GongRateLimitError):
            hook.get_user("1")
    else:
        assert hook.get_user("1") == USER
    assert len(seen(httpserver)) == attempts


def test_long_retry_after_does_not_stall_later_calls(
    httpserver: HTTPServer,
    server_conn: Callable[..., str],
    sleeps: list[float],
    pacers: PacerRegistry,
    pacer_waits: list[float],
) -> None:
    # A Retry-After beyond max_retry_wait is raised at once so nothing sleeps for hours in a task; the
    # shared pacer must not then make the next call of the process (another task, a connection test in
    # the API server) sleep that long instead.
    serve_sequence(
        httpserver,
        "/v2/users/1",
        [gong_error(429, "daily limit", headers={"Retry-After": "3600"}), user_ok()],
    )
    hook = GongHook(server_conn(), sleep=sleeps.append, pacers=pacers)
    with pytest.raises(GongRateLimitError):
        hook.get_user("1")

    assert hook.get_user("1") == USER
    assert all(wait < 1.0 for wait in pacer_waits)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_never_retried(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float], status: int
) -> None:
    serve_sequence(httpserver, "/v2/users/1", [gong_error(status, "no"), user_ok()])

    with pytest.raises(GongApiError) as info:
        GongHook(server_conn(), sleep=sleeps.append).get_user("1")

    assert info.value.status_code == status
    assert len(seen(httpserver)) == 1
    assert sleeps == []


def test_default_max_retries_is_five(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    serve_sequence(httpserver, "/v2/users/1", [gong_error(503, "busy", request_id="r-503")])

    with pytest.raises(GongServerError) as info:
        GongHook(server_conn(), sleep=sleeps.append).get_user("1")

    assert info.value.status_code == 503
    assert len(seen(httpserver)) == 6
    assert len(sleeps) == 5


def test_max_retries_extra_is_used(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    serve_sequence(httpserver, "/v2/users/1", [gong_error(500, "boom")])

    with pytest.raises(GongServerError):
        GongHook(server_conn(max_retries="2"), sleep=sleeps.append).get_user("1")

    assert len(seen(httpserver)) == 3


def test_each_retry_is_logged_at_warning(
    httpserver: HTTPServer,
    server_conn: Callable[..., str],
    sleeps: list[float],
    pacers: PacerRegistry,
    gong_logs: list[dict[str, Any]],
) -> None:
    serve_sequence(
        httpserver,
        "/v2/users/1",
        [
            gong_error(503, "busy", request_id="req-503"),
            gong_error(429, "limit", request_id="req-429", headers={"Retry-After": "2"}),
            user_ok(),
        ],
    )

    GongHook(server_conn(), sleep=sleeps.append, pacers=pacers).get_user("1")

    warnings = [event for event in gong_logs if event["log_level"] == "warning"]
    assert len(warnings) == 2
    first, second = (str(event["event"]) for event in warnings)
    assert "GET /v2/users/1" in first
    assert "status 503" in first
    assert "requestId req-503" in first
    assert f"in {sleeps[0]:.1f} s" in first
    assert "status 429" in second
    assert "requestId req-429" in second
    assert "in 2.0 s" in second
    assert all(str(event["logger"]).startswith("airflow.task.hooks.") for event in warnings)
