"""GongHook errors: each answer becomes a typed error with Gong's requestId and a hint; transport ones too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from gong_hook_helpers import closed_port, gong_error, seen
from pytest_httpserver import HTTPServer

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
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.version_compat import AirflowException

# ---------------------------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, GongBadRequestError),
        (401, GongAuthError),
        (403, GongAuthError),
        (404, GongNotFoundError),
        (429, GongRateLimitError),
        (500, GongServerError),
        (502, GongServerError),
        (503, GongServerError),
        (504, GongServerError),
    ],
)
def test_status_gives_typed_error(
    httpserver: HTTPServer,
    server_conn: Callable[..., str],
    status: int,
    error_class: type[GongApiError],
) -> None:
    httpserver.expect_request("/v2/users/123").respond_with_response(
        gong_error(status, "Something went wrong", request_id="abc")
    )

    with pytest.raises(error_class) as info:
        GongHook(server_conn(), max_retries=0).get_user("123")

    error = info.value
    assert type(error) is error_class
    assert isinstance(error, GongApiError)
    assert isinstance(error, AirflowException)
    assert error.status_code == status
    assert error.request_id == "abc"
    assert error.errors == ["Something went wrong"]
    assert str(error).startswith(
        f"Gong API {status} on GET /v2/users/123: Something went wrong (requestId abc)"
    )


def test_not_found_message(httpserver: HTTPServer, server_conn: Callable[..., str]) -> None:
    httpserver.expect_request("/v2/users/123").respond_with_response(
        gong_error(404, "User not found", request_id="abc")
    )

    with pytest.raises(GongNotFoundError) as info:
        GongHook(server_conn()).get_user("123")

    assert str(info.value) == "Gong API 404 on GET /v2/users/123: User not found (requestId abc)"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_error_names_scope_and_base_url(
    httpserver: HTTPServer, server_conn: Callable[..., str], status: int
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(gong_error(status, "Access denied"))

    with pytest.raises(GongAuthError) as info:
        GongHook(server_conn()).get_user("1")

    message = str(info.value)
    assert "api:users:read" in message
    assert "base URL" in message
    assert "us-12345.api.gong.io" in message


def test_rate_limit_error_carries_retry_after(
    httpserver: HTTPServer, server_conn: Callable[..., str]
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(
        gong_error(429, "API request limit exceeded", request_id="rl-1", headers={"Retry-After": "7"})
    )

    with pytest.raises(GongRateLimitError) as info:
        GongHook(server_conn(), max_retries=0).get_user("1")

    assert info.value.retry_after == 7.0
    assert info.value.request_id == "rl-1"


def test_html_502_gives_status_and_excerpt(httpserver: HTTPServer, server_conn: Callable[..., str]) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body></html>"
    httpserver.expect_request("/v2/users/1").respond_with_data(page, status=502, content_type="text/html")

    with pytest.raises(GongServerError) as info:
        GongHook(server_conn(), max_retries=0).get_user("1")

    message = str(info.value)
    assert info.value.status_code == 502
    assert info.value.request_id is None
    assert "502 Bad Gateway" in message
    assert "text/html" in message
    assert len(message) < 500


@pytest.mark.parametrize("status", [200, 500])
def test_truncated_json_gives_api_error(
    httpserver: HTTPServer, server_conn: Callable[..., str], status: int
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_data(
        '{"requestId": "t-1", "user": {"id": "1", "emai', status=status, content_type="application/json"
    )

    with pytest.raises(GongApiError) as info:
        GongHook(server_conn(), max_retries=0).get_user("1")

    assert info.value.status_code == status
    assert "not Gong's JSON" in str(info.value)
    assert '"user": {"id": "1", "emai' in str(info.value)


@pytest.mark.parametrize(
    "body",
    [{"requestId": "s-1", "users": []}, {"requestId": "s-1", "user": ["1"]}, ["not", "an", "object"]],
    ids=["no-user-key", "user-not-object", "json-list"],
)
def test_200_of_unexpected_shape(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float], body: Any
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_json(body)

    with pytest.raises(GongApiError, match="unexpected answer shape") as info:
        GongHook(server_conn(), sleep=sleeps.append).get_user("1")

    assert info.value.status_code == 200
    assert len(seen(httpserver)) == 1
    assert sleeps == []


# ---------------------------------------------------------------------------------------- transport


def test_connection_refused_after_retries(make_conn: Callable[..., str], sleeps: list[float]) -> None:
    conn_id = make_conn(f"http://127.0.0.1:{closed_port()}")

    with pytest.raises(GongConnectionError) as info:
        GongHook(conn_id, max_retries=2, sleep=sleeps.append).get_user("1")

    assert not isinstance(info.value, GongTimeoutError)
    assert isinstance(info.value.__cause__, requests.ConnectionError)
    assert isinstance(info.value, AirflowException)
    assert "GET /v2/users/1" in str(info.value)
    assert len(sleeps) == 2


def test_read_timeout_after_retries(
    keepalive_server: Any, make_conn: Callable[..., str], sleeps: list[float]
) -> None:
    keepalive_server.delay = 0.6

    with pytest.raises(GongTimeoutError) as info:
        GongHook(make_conn(keepalive_server.url), timeout=0.1, max_retries=1, sleep=sleeps.append).get_user(
            "1"
        )

    assert isinstance(info.value, GongConnectionError)
    assert isinstance(info.value.__cause__, requests.Timeout)
    assert "timed out after 0.1 s" in str(info.value)
    assert len(keepalive_server.requests) == 2
    assert len(sleeps) == 1
