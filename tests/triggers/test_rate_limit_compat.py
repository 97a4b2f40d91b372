"""What today's release hands to the next: a serialised trigger, its error events; and one connection path.

A trigger serialised by release 0.1 (no ``probe_endpoint``) must load and run; an ``error`` event built
by 0.1 must rebuild the same typed error. The hook and the trigger resolve a connection with the same
function, so a bad connection is the same ``GongConfigError`` through both.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from airflow_compat import needs_airflow_reading_bad_extras
from fake_clock import FakeTime
from pytest_httpserver import HTTPServer

from airflow_provider_gong.exceptions import (
    GongApiError,
    GongAuthError,
    GongConfigError,
    GongConnectionError,
    GongError,
    GongNotFoundError,
    GongRateLimitError,
    GongTimeoutError,
)
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger, error_event, error_from_event

RunTrigger = Callable[[Any], list[dict[str, Any]]]

#: ``GongRateLimitTrigger.serialize()`` of release 0.1, as the metadata database keeps it.
RELEASE_0_1_KWARGS = {
    "gong_conn_id": "gong_old",
    "resume_at": None,
    "give_up_at": "2099-01-01T00:00:00+00:00",
    "backoff": 10.0,
    "max_backoff": 600.0,
    "timeout": None,
    "max_retries": None,
    "payload": {"resume": {"cursor": None, "next_index": 100, "missing_ids": [], "fingerprint": "ab"}},
}


def test_a_trigger_serialised_by_release_0_1_loads_and_runs(
    gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_GONG_OLD", gong_emulator.connection_json())
    trigger = GongRateLimitTrigger(**json.loads(json.dumps(RELEASE_0_1_KWARGS)), **fake_time.injected())

    assert trigger.serialize()[1] == {**RELEASE_0_1_KWARGS, "probe_endpoint": "listUsers"}
    [event] = run_trigger(trigger)
    assert event["status"] == "ok"
    assert event["payload"] == RELEASE_0_1_KWARGS["payload"]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # error events exactly as release 0.1 built them
        (
            {
                "status": "error",
                "error_type": "GongAuthError",
                "message": "Gong API 401 on GET /v2/users: bad key (requestId r-1)",
                "status_code": 401,
                "request_id": "r-1",
                "payload": {"n": 1},
                "method": "GET",
                "path": "/v2/users",
                "errors": ["bad key"],
                "detail": None,
                "hint": None,
                "retry_after": None,
            },
            (GongAuthError, 401, "r-1"),
        ),
        (
            {
                "status": "error",
                "error_type": "GongRateLimitError",
                "message": "...",
                "status_code": 429,
                "request_id": None,
                "payload": None,
                "method": "GET",
                "path": "/v2/users",
                "errors": [],
                "detail": None,
                "hint": None,
                "retry_after": 30.0,
            },
            (GongRateLimitError, 429, None),
        ),
        (
            {
                "status": "error",
                "error_type": "GongTimeoutError",
                "message": "Gong GET /v2/users at https://x timed out",
                "status_code": None,
                "request_id": None,
                "payload": None,
                "retryable": True,
            },
            (GongTimeoutError, None, None),
        ),
        (
            {
                "status": "error",
                "error_type": "GongError",
                "message": "KeyError: 'x'",
                "status_code": None,
                "request_id": None,
                "payload": None,
            },
            (GongError, None, None),
        ),
        ({"status": "error", "error_type": "NoSuchError", "message": "odd"}, (GongError, None, None)),
    ],
)
def test_error_events_of_release_0_1_rebuild_the_typed_error(
    event: dict[str, Any], expected: tuple[type[GongError], int | None, str | None]
) -> None:
    cls, status, request_id = expected

    error = error_from_event(event)

    assert type(error) is cls
    if isinstance(error, GongApiError):
        assert (error.status_code, error.request_id) == (status, request_id)
    else:
        assert status is None
    if isinstance(error, GongRateLimitError):
        assert error.retry_after == 30.0
    if type(error) is GongError:
        assert str(error) == event["message"]


@pytest.mark.parametrize(
    "error",
    [
        GongNotFoundError(404, "POST", "/v2/users/extensive", errors=["2 missing"], missing_ids=["1", "2"]),
        GongRateLimitError(429, "GET", "/v2/calls", request_id="r-9", retry_after=12.5, hint="wait"),
        GongConnectionError("TLS failed", retryable=False),
        GongConfigError("bad extra"),
    ],
)
def test_errors_serialise_one_way_through_events_pickle_and_airflow(error: GongError) -> None:
    through_event = error_from_event(json.loads(json.dumps(error_event(error, {"p": 1}))))
    through_pickle = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    classpath, args, kwargs = error.serialize()
    through_airflow = type(error)(*args, **json.loads(json.dumps(kwargs)))

    assert classpath == f"airflow_provider_gong.exceptions.{type(error).__name__}"
    for rebuilt in (through_event, through_pickle, through_airflow):
        assert type(rebuilt) is type(error)
        assert str(rebuilt) == str(error)
        assert rebuilt.to_json() == error.to_json()
    if isinstance(error, GongNotFoundError):
        assert through_event.missing_ids == ["1", "2"]  # type: ignore[attr-defined]


BAD_CONNECTIONS: list[tuple[dict[str, Any], str]] = [
    pytest.param(
        {"host": "https://us-1.api.gong.io", "login": "k", "password": "s", "extra": "[1, 2]"},
        "JSON object",
        marks=needs_airflow_reading_bad_extras,
    ),
    pytest.param(
        {"host": "https://us-1.api.gong.io", "login": "k", "password": "s", "extra": "{nope"},
        "not valid JSON",
        marks=needs_airflow_reading_bad_extras,
    ),
    ({"host": "http://gong.example.com", "login": "k", "password": "s"}, "plain http"),
    ({"host": "https://us-1.api.gong.io", "login": "k"}, "no Access key secret"),
    (
        {"host": "https://us-1.api.gong.io", "login": "k", "password": "s", "extra": '{"timeout": -1}'},
        "timeout",
    ),
]


@pytest.mark.parametrize(("conn", "problem"), BAD_CONNECTIONS)
def test_a_bad_connection_is_the_same_config_error_through_hook_and_trigger(
    conn: dict[str, Any],
    problem: str,
    monkeypatch: pytest.MonkeyPatch,
    run_trigger: RunTrigger,
    fake_time: FakeTime,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_GONG_BAD", json.dumps({"conn_type": "gong", **conn}))
    with pytest.raises(GongConfigError) as through_hook:
        GongHook("gong_bad").get_user("1")

    [event] = run_trigger(GongRateLimitTrigger("gong_bad", **fake_time.injected()))

    assert event["status"] == "error"
    assert event["error_type"] == "GongConfigError"
    assert event["message"] == str(through_hook.value)
    assert problem in event["message"]
    assert fake_time.sleeps == []


@pytest.fixture
def calls_conn(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """``gong_calls``: an OAuth connection to the local server, as an app with calls scopes has."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_GONG_CALLS",
        json.dumps({"conn_type": "gong", "host": httpserver.url_for("/"), "extra": {"access_token": "tok"}}),
    )
    return "gong_calls"


def test_the_probe_endpoint_is_configurable_and_nothing_found_is_an_answer(
    httpserver: HTTPServer, calls_conn: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    answers = iter(
        [
            ({"requestId": "r-1", "errors": ["API request limit exceeded"]}, 429, {"Retry-After": "7"}),
            (
                {"requestId": "r-2", "errors": ["No calls found corresponding to the provided filters"]},
                404,
                {},
            ),
        ]
    )
    seen: list[dict[str, str]] = []

    def handler(request: Any) -> Any:
        from werkzeug import Response

        seen.append(dict(request.args))
        body, status, headers = next(answers)
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

    httpserver.expect_request("/v2/calls", method="GET").respond_with_handler(handler)

    [event] = run_trigger(
        GongRateLimitTrigger(calls_conn, probe_endpoint="listCalls", **fake_time.injected())
    )

    assert event["status"] == "ok"
    assert event["probes"] == 2
    assert fake_time.sleeps == [7.0]
    assert len(seen) == 2
    for args in seen:
        start, end = args["fromDateTime"], args["toDateTime"]
        assert start < end
    assert GongRateLimitTrigger("gong_calls", probe_endpoint="listCalls").serialize()[1][
        "probe_endpoint"
    ] == ("listCalls")


def test_another_404_of_the_probe_endpoint_is_an_error(
    httpserver: HTTPServer, calls_conn: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    httpserver.expect_request("/v2/calls").respond_with_json({"requestId": "r", "errors": ["Not found"]}, 404)

    [event] = run_trigger(
        GongRateLimitTrigger(calls_conn, probe_endpoint="listCalls", **fake_time.injected())
    )

    assert event["status"] == "error"
    assert event["error_type"] == "GongNotFoundError"


@pytest.mark.parametrize("endpoint", ["getUser", "nope", 5, ""])
def test_a_bad_probe_endpoint_fails_when_the_trigger_is_built(endpoint: Any) -> None:
    with pytest.raises(GongConfigError, match=r"probe_endpoint|cannot be a rate-limit probe"):
        GongRateLimitTrigger(probe_endpoint=endpoint)


def test_the_auth_hint_names_the_probe_endpoints_scope(
    httpserver: HTTPServer, calls_conn: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    httpserver.expect_request("/v2/calls").respond_with_json({"requestId": "r", "errors": ["no scope"]}, 403)

    [event] = run_trigger(
        GongRateLimitTrigger(calls_conn, probe_endpoint="listCalls", **fake_time.injected())
    )

    assert event["error_type"] == "GongAuthError"
    assert "'api:calls:read:basic'" in event["message"]
    assert "api:users:read" not in event["message"]
