"""GongRateLimitTrigger against the Gong emulator: serialization, waiting out a 429, failing fast."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fake_clock import FakeTime

from airflow_provider_gong.exceptions import GongAuthError, GongError, GongRateLimitError
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import (
    GongRateLimitTrigger,
    error_event,
    error_from_event,
)

RunTrigger = Callable[[Any], list[dict[str, Any]]]


def _list_calls(gong: GongEmulator) -> dict[str, int]:
    return gong.stats()["by_endpoint"].get("GET /v2/users", {})


# ---------------------------------------------------------------------------------------- serialize


def test_serialize_round_trips_through_the_classpath() -> None:
    trigger = GongRateLimitTrigger(
        "gong_other",
        resume_at="2030-01-01T00:00:05+00:00",
        give_up_at="2030-01-01T01:00:00+00:00",
        backoff=2.0,
        max_backoff=30.0,
        timeout=7.5,
        max_retries=1,
        payload={"resume": {"cursor": "abc", "next_index": 0}, "count": 200},
    )
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))

    assert classpath == "airflow_provider_gong.triggers.rate_limit.GongRateLimitTrigger"
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {
        "gong_conn_id": "gong_other",
        "resume_at": "2030-01-01T00:00:05+00:00",
        "give_up_at": "2030-01-01T01:00:00+00:00",
        "backoff": 2.0,
        "max_backoff": 30.0,
        "timeout": 7.5,
        "max_retries": 1,
        "payload": {"resume": {"cursor": "abc", "next_index": 0}, "count": 200},
        "probe_endpoint": "listUsers",
    }


def test_bad_arguments_fail_when_the_trigger_is_built() -> None:
    with pytest.raises(ValueError, match="resume_at must be an ISO-8601"):
        GongRateLimitTrigger(resume_at="in five minutes")
    with pytest.raises(ValueError, match="backoff"):
        GongRateLimitTrigger(backoff=0)


# ---------------------------------------------------------------------------------------- run


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_waits_out_retry_after_then_fires_ok(
    gong_emulator: GongEmulator,
    monkeypatch: pytest.MonkeyPatch,
    run_trigger: RunTrigger,
    auth: str,
    fake_time: FakeTime,
) -> None:
    # The connection comes from the environment, looked up asynchronously (JSON form, and URI form
    # with the OAuth token in the extras).
    value = (
        gong_emulator.connection_json() if auth == "basic" else gong_emulator.connection_uri(auth="bearer")
    )
    monkeypatch.setenv("AIRFLOW_CONN_GONG_WAIT", value)
    gong_emulator.fail_next({"status": 429, "retry_after": "1"})

    events = run_trigger(
        GongRateLimitTrigger("gong_wait", payload={"keep": [1, "two"]}, **fake_time.injected())
    )

    assert len(events) == 1
    event = events[0]
    assert event["status"] == "ok"
    assert event["probes"] == 2
    assert event["payload"] == {"keep": [1, "two"]}
    assert json.loads(json.dumps(event)) == event
    assert fake_time.sleeps == [1.0]  # Gong's Retry-After, exactly
    assert event["waited"] == 1.0
    assert _list_calls(gong_emulator) == {"429": 1, "200": 1}


def test_sleeps_until_resume_at_before_the_first_probe(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    trigger = GongRateLimitTrigger(
        gong_emulator_connection, resume_at=fake_time.in_(90.0), **fake_time.injected()
    )
    events = run_trigger(trigger)

    assert [event["status"] for event in events] == ["ok"]
    assert events[0]["probes"] == 1
    assert fake_time.sleeps == [pytest.approx(90.0)]
    assert _list_calls(gong_emulator) == {"200": 1}


def test_daily_limit_of_the_emulator_is_waited_out(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger
) -> None:
    # The emulator's day passes in real time, so this one test waits for real (about 2 s).
    gong_emulator.configure(rate_per_day=1, day_seconds=2.0)
    gong_emulator.reset()
    spend = run_trigger(GongRateLimitTrigger(gong_emulator_connection))  # spends the day's only call
    assert spend[0]["status"] == "ok"

    started = time.monotonic()
    events = run_trigger(GongRateLimitTrigger(gong_emulator_connection))
    elapsed = time.monotonic() - started

    assert events[0]["status"] == "ok"
    assert events[0]["probes"] == 2
    assert 0.5 <= elapsed < 5.0, elapsed
    assert gong_emulator.stats()["rate_limited"]["per_day"] == 1


def test_a_429_without_retry_after_backs_off(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 429}, {"status": 429})

    trigger = GongRateLimitTrigger(
        gong_emulator_connection, backoff=20, max_backoff=30, **fake_time.injected()
    )
    events = run_trigger(trigger)

    assert events[0]["status"] == "ok"
    assert events[0]["probes"] == 3
    assert fake_time.sleeps == [20.0, 30.0]  # 20 s, then doubled but capped at 30 s


def test_wrong_credentials_fail_at_once(
    gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    conn = gong_emulator.connection_dict()
    conn["password"] = "wrong-secret-0001"
    monkeypatch.setenv("AIRFLOW_CONN_GONG_WRONG", json.dumps(conn))

    events = run_trigger(GongRateLimitTrigger("gong_wrong", payload={"n": 1}, **fake_time.injected()))

    assert len(events) == 1
    event = events[0]
    assert event["status"] == "error"
    assert event["error_type"] == "GongAuthError"
    assert event["status_code"] == 401
    assert event["request_id"]
    assert event["payload"] == {"n": 1}
    assert "wrong-secret-0001" not in json.dumps(event)
    assert fake_time.sleeps == []
    assert _list_calls(gong_emulator) == {"401": 1}
    error = error_from_event(event)
    assert isinstance(error, GongAuthError)
    assert error.request_id == event["request_id"]
    assert str(error) == event["message"]


def test_server_errors_of_a_probe_are_retried(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 500})

    events = run_trigger(
        GongRateLimitTrigger(gong_emulator_connection, max_retries=1, **fake_time.injected())
    )

    assert events[0]["status"] == "ok"
    [backoff] = fake_time.sleeps  # the hook's backoff, awaited on the trigger's (fake) sleep
    assert 1.0 <= backoff <= 2.0
    assert _list_calls(gong_emulator) == {"500": 1, "200": 1}


def test_a_wait_past_give_up_at_fires_timeout_without_sleeping(
    gong_emulator: GongEmulator, gong_emulator_connection: str, run_trigger: RunTrigger, fake_time: FakeTime
) -> None:
    gong_emulator.fail_next({"status": 429, "retry_after": "3600"})

    trigger = GongRateLimitTrigger(
        gong_emulator_connection, give_up_at=fake_time.in_(30), **fake_time.injected()
    )
    events = run_trigger(trigger)

    assert [event["status"] for event in events] == ["timeout"]
    assert "after the wait's end" in events[0]["message"]
    assert fake_time.sleeps == []
    resume_at = datetime.fromisoformat(events[0]["resume_at"])
    assert resume_at == fake_time.now + timedelta(seconds=3600)


def test_unknown_connection_is_an_error_event(gong_emulator: GongEmulator, run_trigger: RunTrigger) -> None:
    events = run_trigger(GongRateLimitTrigger("gong_nowhere_to_be_found"))

    assert events[0]["status"] == "error"
    assert "gong_nowhere_to_be_found" in events[0]["message"]
    assert isinstance(error_from_event(events[0]), GongError)


def test_error_events_rebuild_rate_limit_errors() -> None:
    original = GongRateLimitError(
        429, "GET", "/v2/users", request_id="req-1", errors=["API request limit exceeded"], retry_after=12.0
    )
    event = error_event(original, {"p": 1})

    rebuilt = error_from_event(json.loads(json.dumps(event)))

    assert isinstance(rebuilt, GongRateLimitError)
    assert (rebuilt.retry_after, rebuilt.request_id, str(rebuilt)) == (12.0, "req-1", str(original))
