"""``probe_endpoint``: the sensor waits out a limit by calling another endpoint (e.g. calls scopes only).

Against a real local HTTP server: the probe of ``listCalls`` goes to ``GET /v2/calls`` with a short
recent window, Gong's "nothing found" 404 is an answer (done) in every mode, any other 404 fails with
:class:`GongNotFoundError`, and a bad ``probe_endpoint`` is a :class:`GongConfigError` before any call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pendulum
import pytest
from airflow.providers.common.compat.sdk import DAG, task
from pytest_httpserver import HTTPServer
from sensor_helpers import RescheduleContext, RunTrigger, deferral, env_connection, seconds_until
from werkzeug import Request

from airflow_provider_gong.exceptions import GongConfigError, GongNotFoundError
from airflow_provider_gong.sensors.rate_limit import GongRateLimitSensor

NOTHING_FOUND = {"requestId": "r1", "errors": ["No calls found corresponding to the provided filters"]}
OTHER_404 = {"requestId": "r2", "errors": ["The requested resource does not exist"]}
#: The longest window a probe may ask for to count as "short".
SHORT = timedelta(hours=24)


@pytest.fixture
def conn_id(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> str:
    return env_connection(monkeypatch, httpserver.url_for("/"))


def _limited_then(httpserver: HTTPServer, status: int, body: dict[str, Any]) -> None:
    """``GET /v2/calls`` answers a 429 (``Retry-After: 1``), then ``status`` with ``body``."""
    calls = httpserver.expect_ordered_request("/v2/calls", method="GET")
    calls.respond_with_json({"requestId": "r0", "errors": ["Too many requests"]}, 429, {"Retry-After": "1"})
    httpserver.expect_ordered_request("/v2/calls", method="GET").respond_with_json(body, status)


def _assert_short_recent_windows(requests: list[Request]) -> None:
    assert requests, "no probe reached the server"
    now = datetime.now(UTC)
    for request in requests:
        assert (request.method, request.path) == ("GET", "/v2/calls")
        start = datetime.fromisoformat(request.args["fromDateTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(request.args["toDateTime"].replace("Z", "+00:00"))
        assert timedelta(0) < end - start <= SHORT, (start, end)
        assert abs((now - end).total_seconds()) < 60, end


def _sensor(conn_id: str, **kwargs: Any) -> GongRateLimitSensor:
    kwargs.setdefault("timeout", 120)
    return GongRateLimitSensor(
        task_id="wait_for_gong", gong_conn_id=conn_id, probe_endpoint="listCalls", **kwargs
    )


# ---------------------------------------------------------------------------------------- poke, reschedule


def test_a_calls_probe_waits_out_a_429_and_nothing_found_means_done(
    httpserver: HTTPServer, conn_id: str
) -> None:
    _limited_then(httpserver, 404, NOTHING_FOUND)

    assert _sensor(conn_id, mode="poke", deferrable=False).execute({}) is None  # type: ignore[arg-type]

    httpserver.check_assertions()
    assert len(httpserver.log) == 2
    _assert_short_recent_windows([request for request, _ in httpserver.log])


def test_a_calls_probe_in_reschedule_mode_is_done_on_nothing_found(
    httpserver: HTTPServer, conn_id: str, reschedule_context: RescheduleContext
) -> None:
    httpserver.expect_request("/v2/calls", method="GET").respond_with_json(NOTHING_FOUND, 404)
    sensor = _sensor(conn_id, mode="reschedule", deferrable=False)

    assert sensor.execute(reschedule_context(sensor)) is None  # type: ignore[arg-type]

    _assert_short_recent_windows([request for request, _ in httpserver.log])


def test_another_404_of_a_calls_probe_fails(httpserver: HTTPServer, conn_id: str) -> None:
    _limited_then(httpserver, 404, OTHER_404)

    with pytest.raises(GongNotFoundError) as caught:
        _sensor(conn_id, mode="poke", deferrable=False).execute({})  # type: ignore[arg-type]

    assert caught.value.status_code == 404
    assert caught.value.request_id == "r2"
    assert len(httpserver.log) == 2


# ---------------------------------------------------------------------------------------- deferrable


def test_deferrable_hands_the_probe_endpoint_to_the_trigger(
    httpserver: HTTPServer, conn_id: str, run_trigger: RunTrigger
) -> None:
    _limited_then(httpserver, 404, NOTHING_FOUND)
    sensor = _sensor(conn_id, deferrable=True)

    _, trigger = deferral(lambda: sensor.execute({}))  # type: ignore[arg-type]

    _, kwargs = trigger.serialize()
    assert kwargs["probe_endpoint"] == "listCalls"
    assert kwargs["resume_at"] is not None and 0 <= seconds_until(kwargs["resume_at"]) <= 1.1
    # The deferral survives Airflow's round trip through the trigger's kwargs, then waits it out.
    events = run_trigger(type(trigger)(**kwargs))
    assert [event["status"] for event in events] == ["ok"], events
    assert sensor.execute_complete({}, events[0]) is None  # type: ignore[arg-type]
    httpserver.check_assertions()
    assert len(httpserver.log) == 2
    _assert_short_recent_windows([request for request, _ in httpserver.log])


def test_deferrable_another_404_of_a_calls_probe_fails(
    httpserver: HTTPServer, conn_id: str, run_trigger: RunTrigger
) -> None:
    _limited_then(httpserver, 404, OTHER_404)
    sensor = _sensor(conn_id, deferrable=True)
    _, trigger = deferral(lambda: sensor.execute({}))  # type: ignore[arg-type]
    events = run_trigger(trigger)

    with pytest.raises(GongNotFoundError) as failed:
        sensor.execute_complete({}, events[0])  # type: ignore[arg-type]

    assert failed.value.request_id == "r2"
    assert len(httpserver.log) == 2


# ---------------------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(("value", "named"), [("getUser", "getUser"), ("nope", "nope"), (5, "5")])
def test_a_bad_probe_endpoint_fails_when_the_sensor_is_built(
    httpserver: HTTPServer, conn_id: str, value: Any, named: str
) -> None:
    with pytest.raises(GongConfigError, match=named) as caught:
        GongRateLimitSensor(task_id="wait_for_gong", gong_conn_id=conn_id, probe_endpoint=value)

    assert "wait_for_gong" in str(caught.value)
    assert "listCalls" in str(caught.value) and "listUsers" in str(caught.value), "the choices are named"
    assert httpserver.log == []


@pytest.mark.parametrize(
    "flags", [{}, {"deferrable": True}, {"never_fail": True}, {"silent_fail": True}], ids=str
)
@pytest.mark.parametrize("value", ["getUser", "nope"])
def test_a_templated_probe_endpoint_is_checked_before_any_call(
    httpserver: HTTPServer, conn_id: str, value: str, flags: dict[str, bool]
) -> None:
    # A configuration error fails the task whatever the flags: it is no failed poke to skip or retry.
    flags.setdefault("deferrable", False)
    sensor = GongRateLimitSensor(
        task_id="wait_for_gong",
        gong_conn_id=conn_id,
        probe_endpoint="{{ params.probe }}",
        timeout=2,
        poke_interval=1,
        **flags,
    )
    sensor.render_template_fields({"params": {"probe": value}})  # type: ignore[arg-type]

    with pytest.raises(GongConfigError, match=value):
        sensor.execute({})  # type: ignore[arg-type]

    assert httpserver.log == []


def test_a_templated_probe_endpoint_is_probed_once_rendered(httpserver: HTTPServer, conn_id: str) -> None:
    httpserver.expect_request("/v2/calls", method="GET").respond_with_json(NOTHING_FOUND, 404)
    sensor = GongRateLimitSensor(
        task_id="wait_for_gong", gong_conn_id=conn_id, probe_endpoint="{{ params.probe }}", deferrable=False
    )
    sensor.render_template_fields({"params": {"probe": "listCalls"}})  # type: ignore[arg-type]

    assert sensor.execute({}) is None  # type: ignore[arg-type]
    assert [request.path for request, _ in httpserver.log] == ["/v2/calls"]


def test_a_probe_endpoint_from_an_upstream_task_is_accepted_when_built() -> None:
    with DAG("gong_probe_from_xcom", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

        @task
        def pick() -> str:
            return "listCalls"

        sensor = GongRateLimitSensor(task_id="wait_for_gong", probe_endpoint=pick())  # type: ignore[arg-type]

    assert sensor.upstream_task_ids == {"pick"}
