"""GongHook against real local HTTP servers (pytest-httpserver, and a keep-alive server from conftest)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from airflow.sdk import BaseHook
from airflow.sdk._shared.secrets_masker import redact
from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import airflow_provider_gong
from airflow_provider_gong.client import pacing
from airflow_provider_gong.client.pacing import JITTER_MARGIN, Pacer
from airflow_provider_gong.client.settings import DEFAULT_BASE_URL, normalize_base_url
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongAuthError,
    GongBadRequestError,
    GongConfigError,
    GongConnectionError,
    GongNotFoundError,
    GongRateLimitError,
    GongServerError,
    GongTimeoutError,
)
from airflow_provider_gong.hooks import gong as gong_module
from airflow_provider_gong.hooks.gong import GongHook

ACCESS_KEY = "test-access-key"
ACCESS_SECRET = "test-access-secret-0001"
BASIC = "Basic " + base64.b64encode(f"{ACCESS_KEY}:{ACCESS_SECRET}".encode()).decode()

#: A user as Gong documents it, plus a field Gong added later (kept, never dropped).
USER: dict[str, Any] = {
    "id": "234599484848423",
    "emailAddress": "test@test.com",
    "created": "2018-02-17T02:30:00-08:00",
    "active": True,
    "emailAliases": ["testAlias@test.com"],
    "trustedEmailAddress": None,
    "firstName": "Jon",
    "lastName": "Snow",
    "title": None,
    "phoneNumber": None,
    "extension": None,
    "personalMeetingUrls": ["https://zoom.us/j/123"],
    "settings": {
        "webConferencesRecorded": True,
        "preventWebConferenceRecording": False,
        "telephonyCallsImported": False,
        "emailsImported": True,
        "preventEmailImport": False,
        "nonRecordedMeetingsImported": True,
        "gongConnectEnabled": True,
    },
    "managerId": None,
    "meetingConsentPageUrl": None,
    "spokenLanguages": [{"language": "en-US", "primary": True}],
    "conferencingProviders": ["Zoom"],
}

LIST_ENVELOPE = {
    "requestId": "list-1",
    "records": {"totalRecords": 1, "currentPageSize": 1, "currentPageNumber": 0},
    "users": [USER],
}


# ---------------------------------------------------------------------------------------- helpers


def gong_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def gong_error(
    status: int, *errors: str, request_id: str = "req-1", headers: dict[str, str] | None = None
) -> Response:
    """An error answer in Gong's documented shape."""
    return gong_json({"requestId": request_id, "errors": list(errors)}, status=status, headers=headers)


def user_ok(user: dict[str, Any] | None = None) -> Response:
    return gong_json({"requestId": "ok-1", "user": user or USER})


def serve_sequence(httpserver: HTTPServer, path: str, responses: list[Response], method: str = "GET") -> None:
    """Answer ``path`` with ``responses`` in order; the last one is repeated after that."""
    queue = list(responses)

    def handler(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    httpserver.expect_request(path, method=method).respond_with_handler(handler)


def closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seen(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log]


# ---------------------------------------------------------------------------------------- class and __init__


def test_class_attributes() -> None:
    assert issubclass(GongHook, BaseHook)
    assert GongHook.conn_name_attr == "gong_conn_id"
    assert GongHook.default_conn_name == "gong_default"
    assert GongHook.conn_type == "gong"
    assert GongHook.hook_name == "Gong"
    assert GongHook().gong_conn_id == "gong_default"


def test_init_looks_nothing_up_until_the_first_call() -> None:
    hook = GongHook("gong_conn_that_does_not_exist")  # no error here

    with pytest.raises(AirflowNotFoundException, match="gong_conn_that_does_not_exist"):
        hook.get_user("1")


def test_init_sends_nothing_and_reads_the_connection_late(
    httpserver: HTTPServer, server_conn: Callable[..., str]
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook("gong_defined_after_init")
    assert seen(httpserver) == []

    server_conn(conn_id="gong_defined_after_init")  # defined only after the hook was built
    assert hook.get_user("1") == USER
    assert len(seen(httpserver)) == 1


# ---------------------------------------------------------------------------------------- settings


def test_extras_are_read(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("us-1.api.gong.io", timeout=5, max_retries=2, calls_per_second=1.5)

    settings = GongHook(conn_id).settings

    assert (settings.timeout, settings.max_retries, settings.calls_per_second) == (5.0, 2, 1.5)


def test_keyword_arguments_override_extras(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("us-1.api.gong.io", timeout=5, max_retries=2, calls_per_second=1.5)

    settings = GongHook(conn_id, timeout=7, max_retries=0, calls_per_second=0).settings

    assert (settings.timeout, settings.max_retries, settings.calls_per_second) == (7.0, 0, 0.0)


def test_defaults_without_extras(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("us-1.api.gong.io", calls_per_second=None)

    settings = GongHook(conn_id).settings

    assert (settings.timeout, settings.max_retries, settings.calls_per_second) == (30.0, 5, 3.0)


def test_extras_as_numeric_strings(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("us-1.api.gong.io", timeout="12.5", max_retries="3", calls_per_second="2")

    settings = GongHook(conn_id).settings

    assert (settings.timeout, settings.max_retries, settings.calls_per_second) == (12.5, 3, 2.0)


def test_extras_from_a_uri_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_GONG_URI",
        "gong://key-12345:secret-12345@us-7.api.gong.io/?timeout=12.5&max_retries=3&calls_per_second=0.5",
    )

    settings = GongHook("gong_uri").settings

    assert settings.base_url == "https://us-7.api.gong.io"
    assert (settings.timeout, settings.max_retries, settings.calls_per_second) == (12.5, 3, 0.5)
    assert settings.auth_mode == "basic"


def test_extras_with_the_old_prefixed_names(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("us-1.api.gong.io", extra__gong__timeout="9", extra__gong__max_retries=1)

    settings = GongHook(conn_id).settings

    assert (settings.timeout, settings.max_retries) == (9.0, 1)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"timeout": "soon"}, "'timeout'"),
        ({"timeout": 0}, "greater than 0"),
        ({"timeout": -1}, "greater than 0"),
        ({"max_retries": 1.5}, "whole number"),
        ({"max_retries": -1}, "at least 0"),
        ({"max_retries": True}, "'max_retries'"),
        ({"calls_per_second": -3}, "at least 0"),
        ({"calls_per_second": "nan"}, "'calls_per_second'"),
    ],
)
def test_bad_extras_are_refused(make_conn: Callable[..., str], extra: dict[str, Any], words: str) -> None:
    conn_id = make_conn("us-1.api.gong.io", **extra)

    with pytest.raises(GongConfigError, match=words) as info:
        GongHook(conn_id).settings  # noqa: B018

    assert conn_id in str(info.value)


# ---------------------------------------------------------------------------------------- base URL


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("us-1.api.gong.io", None, "https://us-1.api.gong.io"),
        ("  US-1.api.gong.io  ", None, "https://us-1.api.gong.io"),
        ("https://us-1.api.gong.io/", None, "https://us-1.api.gong.io"),
        ("https://us-1.api.gong.io/v2", None, "https://us-1.api.gong.io"),
        ("https://us-1.api.gong.io/v2/", None, "https://us-1.api.gong.io"),
        ("HTTPS://us-1.api.gong.io", None, "https://us-1.api.gong.io"),
        ("", None, DEFAULT_BASE_URL),
        (None, None, DEFAULT_BASE_URL),
        ("   ", None, DEFAULT_BASE_URL),
        ("us-1.api.gong.io", 8443, "https://us-1.api.gong.io:8443"),
        ("https://us-1.api.gong.io:9443", 8443, "https://us-1.api.gong.io:9443"),
        ("http://127.0.0.1", 5000, "http://127.0.0.1:5000"),
        ("http://127.1.2.3:7000/", None, "http://127.1.2.3:7000"),
        ("http://localhost:7000/v2", None, "http://localhost:7000"),
        ("http://[::1]:8080/v2/", None, "http://[::1]:8080"),
    ],
)
def test_normalize_base_url(host: str | None, port: int | None, expected: str) -> None:
    assert normalize_base_url(host, port) == expected


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("ftp://us-1.api.gong.io", "ftp://"),
        ("http://us-1.api.gong.io", "plain http to us-1.api.gong.io"),
        ("http://10.0.0.1", "plain http to 10.0.0.1"),
        ("http://localhost.evil.example", "plain http"),
        ("http://127.0.0.1.nip.io", "plain http"),
        ("https://user:pw@us-1.api.gong.io", "no credentials"),
        ("https://us-1.api.gong.io/?x=1", "no credentials, query"),
        ("https://us-1.api.gong.io:99999", "not a valid URL"),
    ],
)
def test_normalize_base_url_refuses(host: str, words: str) -> None:
    with pytest.raises(GongConfigError, match=words) as info:
        normalize_base_url(host, conn_id="my_gong")

    assert "'my_gong'" in str(info.value)


def test_hook_tolerates_trailing_v2(httpserver: HTTPServer, make_conn: Callable[..., str]) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    conn_id = make_conn(httpserver.url_for("/v2/"))

    assert GongHook(conn_id).get_user("1") == USER
    assert [request.path for request in seen(httpserver)] == ["/v2/users/1"]


def test_hook_uses_the_port_field(httpserver: HTTPServer, make_conn: Callable[..., str]) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    conn_id = make_conn("http://localhost", port=httpserver.port)

    assert GongHook(conn_id).get_user("1") == USER
    assert len(seen(httpserver)) == 1


def test_hook_empty_host_means_default_base_url(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("")

    assert GongHook(conn_id).settings.base_url == "https://api.gong.io"


def test_hook_refuses_ftp(make_conn: Callable[..., str], sleeps: list[float]) -> None:
    conn_id = make_conn("ftp://us-1.api.gong.io")

    with pytest.raises(GongConfigError, match="ftp://"):
        GongHook(conn_id, sleep=sleeps.append).get_user("1")

    assert sleeps == []


def test_hook_refuses_plain_http_before_any_request(
    httpserver: HTTPServer,
    make_conn: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> None:
    # Route every plain-http request through the local server as a proxy: had the hook sent anything
    # to gong.example.com, the server would have seen it.
    httpserver.expect_request("/control").respond_with_data("ok")
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert requests.get("http://gong.example.com/control", timeout=5).text == "ok"  # the trap works
    conn_id = make_conn("http://gong.example.com")

    with pytest.raises(GongConfigError, match="refusing to send credentials over plain http") as info:
        GongHook(conn_id, sleep=sleeps.append).get_user("1")

    assert conn_id in str(info.value)
    assert [request.path for request in seen(httpserver)] == ["/control"]
    assert sleeps == []


# ---------------------------------------------------------------------------------------- auth


def test_basic_auth_and_user_agent_reach_the_server(
    httpserver: HTTPServer, server_conn: Callable[..., str]
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn())

    hook.get_user("1")

    (request,) = seen(httpserver)
    assert request.headers["Authorization"] == BASIC
    assert request.headers["User-Agent"] == f"airflow-provider-gong/{airflow_provider_gong.__version__}"
    assert hook.settings.auth_mode == "basic"


def test_bearer_auth_reaches_the_server(httpserver: HTTPServer, server_conn: Callable[..., str]) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn(login=None, password=None, access_token="oauth-token-12345"))

    hook.get_user("1")

    (request,) = seen(httpserver)
    assert request.headers["Authorization"] == "Bearer oauth-token-12345"
    assert hook.settings.auth_mode == "bearer"


@pytest.mark.parametrize(
    ("credentials", "words"),
    [
        ({"access_token": "oauth-token-12345"}, "both an access key/secret and an OAuth access_token"),
        ({"login": None, "password": None}, "has no credentials"),
        ({"password": None}, r"has no Access key secret \(password\)"),
        ({"login": None}, r"has no Access key \(login\)"),
    ],
    ids=["both", "neither", "only-login", "only-password"],
)
def test_credentials_must_be_one_kind(
    httpserver: HTTPServer,
    server_conn: Callable[..., str],
    sleeps: list[float],
    credentials: dict[str, Any],
    words: str,
) -> None:
    conn_id = server_conn(conn_id="gong_bad_creds", **credentials)

    with pytest.raises(GongConfigError, match=words) as info:
        GongHook(conn_id, sleep=sleeps.append).get_user("1")

    assert "'gong_bad_creds'" in str(info.value)
    assert seen(httpserver) == []
    assert sleeps == []


def test_basic_secrets_are_masked(make_conn: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    key, secret = "mask-key-8c1f", "mask-secret-8c1f2e"
    encoded = base64.b64encode(f"{key}:{secret}".encode()).decode()
    masked: list[object] = []
    real_mask_secret = gong_module.mask_secret

    def spy(value: Any, name: str | None = None) -> None:
        masked.append(value)
        real_mask_secret(value, name)

    monkeypatch.setattr(gong_module, "mask_secret", spy)
    conn_id = make_conn("us-1.api.gong.io", login=key, password=secret)
    assert redact(f"Authorization: Basic {encoded}") == f"Authorization: Basic {encoded}"  # not yet

    hook = GongHook(conn_id)
    settings = hook.settings

    assert {secret, encoded, f"Basic {encoded}"} <= set(masked)
    line = str(redact(f"sent Authorization: Basic {encoded} with secret {secret}"))
    assert encoded not in line
    assert secret not in line
    assert "***" in line
    for text in (repr(settings), str(settings), repr(hook.session.auth)):
        assert secret not in text
        assert encoded not in text


def test_bearer_token_is_masked(make_conn: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    token = "oauth-token-5d7e9a31"
    masked: list[object] = []
    real_mask_secret = gong_module.mask_secret

    def spy(value: Any, name: str | None = None) -> None:
        masked.append(value)
        real_mask_secret(value, name)

    monkeypatch.setattr(gong_module, "mask_secret", spy)
    conn_id = make_conn("us-1.api.gong.io", login=None, password=None, access_token=token)

    settings = GongHook(conn_id).settings

    assert {token, f"Bearer {token}"} <= set(masked)
    assert token not in str(redact(f"sent Authorization: Bearer {token}"))
    assert token not in repr(settings)


# ---------------------------------------------------------------------------------------- sessions


def test_session_is_built_once_per_thread(make_conn: Callable[..., str]) -> None:
    hook = GongHook(make_conn("us-1.api.gong.io"))
    main_session = hook.session
    other: list[requests.Session] = []

    thread = threading.Thread(target=lambda: other.extend([hook.session, hook.session]))
    thread.start()
    thread.join()

    assert hook.session is main_session
    assert hook.get_conn() is main_session
    assert other[0] is other[1]
    assert other[0] is not main_session


def test_calls_reuse_one_connection(keepalive_server: Any, make_conn: Callable[..., str]) -> None:
    hook = GongHook(make_conn(keepalive_server.url))

    for _ in range(3):
        hook.get_user("1")

    assert len(keepalive_server.requests) == 3
    assert keepalive_server.connections == 1


def test_close_drops_the_pooled_connection(keepalive_server: Any, make_conn: Callable[..., str]) -> None:
    hook = GongHook(make_conn(keepalive_server.url))
    hook.get_user("1")
    first_session = hook.session

    hook.close()
    hook.get_user("1")

    assert hook.session is not first_session
    assert keepalive_server.connections == 2


# ---------------------------------------------------------------------------------------- get_user


def test_get_user_returns_the_user_as_sent(httpserver: HTTPServer, server_conn: Callable[..., str]) -> None:
    httpserver.expect_request("/v2/users/234599484848423", method="GET").respond_with_response(user_ok())

    user = GongHook(server_conn()).get_user("234599484848423")

    assert user == USER
    assert user["conferencingProviders"] == ["Zoom"]
    (request,) = seen(httpserver)
    assert request.method == "GET"


@pytest.mark.parametrize(
    ("user_id", "path_id"),
    [
        ("123", "123"),
        (123, "123"),
        ("  123  ", "123"),
        ("\t42\n", "42"),
        ("0", "0"),
        ("1" * 20, "1" * 20),
        (99999999999999999999, "9" * 20),
    ],
)
def test_get_user_accepts(
    httpserver: HTTPServer, server_conn: Callable[..., str], user_id: str | int, path_id: str
) -> None:
    httpserver.expect_request(f"/v2/users/{path_id}").respond_with_response(user_ok())

    GongHook(server_conn()).get_user(user_id)

    assert [request.path for request in seen(httpserver)] == [f"/v2/users/{path_id}"]


@pytest.mark.parametrize(
    "user_id",
    ["", "   ", "abc", "12a", "-5", -5, 1.5, "1.5", True, False, None, "1" * 21, 10**20, [1], {"id": 1}],
    ids=repr,
)
def test_get_user_refuses_before_sending(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float], user_id: Any
) -> None:
    hook = GongHook(server_conn(), sleep=sleeps.append)

    with pytest.raises(ValueError, match="Invalid Gong user id") as info:
        hook.get_user(user_id)

    assert repr(user_id) in str(info.value)
    assert not isinstance(info.value, GongApiError)
    assert seen(httpserver) == []


# ---------------------------------------------------------------------------------------- errors


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


# ---------------------------------------------------------------------------------------- retries


def test_server_error_is_retried_then_succeeds(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    serve_sequence(httpserver, "/v2/users/1", [gong_error(500, "boom"), gong_error(503, "busy"), user_ok()])

    assert GongHook(server_conn(), sleep=sleeps.append).get_user("1") == USER
    assert len(seen(httpserver)) == 3
    assert len(sleeps) == 2


def test_retry_after_seconds_is_honoured(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float], pacer_waits: list[float]
) -> None:
    serve_sequence(
        httpserver, "/v2/users/1", [gong_error(429, "limit", headers={"Retry-After": "2"}), user_ok()]
    )

    assert GongHook(server_conn(), sleep=sleeps.append).get_user("1") == USER
    assert sleeps == [2.0]
    assert len(seen(httpserver)) == 2
    # The shared pacer was held off too (it would make other threads wait; here the fake retry sleep
    # took no time, so the pacer's own wait shows the hold-off).
    assert len(pacer_waits) == 1
    assert 1.5 < pacer_waits[0] <= 2.0


def test_retry_after_http_date_is_honoured(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    serve_sequence(
        httpserver, "/v2/users/1", [gong_error(429, "limit", headers={"Retry-After": when}), user_ok()]
    )

    assert GongHook(server_conn(), sleep=sleeps.append).get_user("1") == USER
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
    retry_after: str,
    attempts: int,
) -> None:
    serve_sequence(
        httpserver, "/v2/users/1", [gong_error(429, "limit", headers={"Retry-After": retry_after}), user_ok()]
    )
    hook = GongHook(server_conn(), max_retry_wait=5, sleep=sleeps.append)

    if attempts == 1:
        with pytest.raises(GongRateLimitError):
            hook.get_user("1")
    else:
        assert hook.get_user("1") == USER
    assert len(seen(httpserver)) == attempts


def test_long_retry_after_does_not_stall_later_calls(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float], pacer_waits: list[float]
) -> None:
    # A Retry-After beyond max_retry_wait is raised at once so nothing sleeps for hours in a task; the
    # shared pacer must not then make the next call of the process (another task, a connection test in
    # the API server) sleep that long instead.
    serve_sequence(
        httpserver,
        "/v2/users/1",
        [gong_error(429, "daily limit", headers={"Retry-After": "3600"}), user_ok()],
    )
    hook = GongHook(server_conn(), sleep=sleeps.append)
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

    GongHook(server_conn(), sleep=sleeps.append).get_user("1")

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


# ---------------------------------------------------------------------------------------- pacing


def test_pacing_spaces_real_calls(
    httpserver: HTTPServer, server_conn: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pacing, "Pacer", Pacer)  # real sleeps for this one test
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn(calls_per_second=10))

    started = time.monotonic()
    for _ in range(11):
        hook.get_user("1")
    elapsed = time.monotonic() - started

    assert len(seen(httpserver)) == 11
    assert elapsed >= 10 * (1 + JITTER_MARGIN) / 10 - 0.01


def test_pacing_off_with_zero(
    httpserver: HTTPServer, server_conn: Callable[..., str], pacer_waits: list[float]
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn(calls_per_second="0"))

    for _ in range(5):
        hook.get_user("1")

    assert hook.pacer.calls_per_second == 0
    assert pacer_waits == []


def test_pacing_on_by_default_at_three_per_second(
    httpserver: HTTPServer, server_conn: Callable[..., str], pacer_waits: list[float]
) -> None:
    httpserver.expect_request("/v2/users/1").respond_with_response(user_ok())
    hook = GongHook(server_conn(calls_per_second=None))

    for _ in range(3):
        hook.get_user("1")

    assert hook.pacer.calls_per_second == 3
    assert len(pacer_waits) == 2  # the 2nd and 3rd call waited for their slot (fake sleep here)


def test_hooks_of_one_company_share_a_pacer(make_conn: Callable[..., str]) -> None:
    one = make_conn("us-1.api.gong.io", conn_id="gong_one", calls_per_second=3)
    two = make_conn("https://us-1.api.gong.io/v2", conn_id="gong_two", calls_per_second=3)
    other_key = make_conn(
        "us-1.api.gong.io", conn_id="gong_other_key", login="another-key", calls_per_second=3
    )
    other_host = make_conn("us-2.api.gong.io", conn_id="gong_other_host", calls_per_second=3)

    pacer = GongHook(one).pacer

    assert GongHook(two).pacer is pacer
    assert GongHook(other_key).pacer is not pacer
    assert GongHook(other_host).pacer is not pacer


def test_a_hook_with_pacing_off_leaves_the_shared_pace_alone(make_conn: Callable[..., str]) -> None:
    paced = GongHook(make_conn("us-1.api.gong.io", conn_id="gong_paced", calls_per_second=3))
    pacer = paced.pacer

    unpaced = GongHook(make_conn("us-1.api.gong.io", conn_id="gong_unpaced", calls_per_second=0))

    assert unpaced.pacer is not pacer
    assert unpaced.pacer.calls_per_second == 0
    assert pacer.calls_per_second == 3


# ---------------------------------------------------------------------------------------- test_connection


def test_test_connection_success(httpserver: HTTPServer, server_conn: Callable[..., str]) -> None:
    httpserver.expect_request(
        "/v2/users", method="GET", query_string={"includeAvatars": "false"}
    ).respond_with_json(LIST_ENVELOPE)
    hook = GongHook(server_conn())

    ok, message = hook.test_connection()

    assert ok is True
    assert hook.settings.base_url in message
    assert len(seen(httpserver)) == 1


def test_test_connection_401(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    httpserver.expect_request("/v2/users").respond_with_response(
        gong_error(401, "Unauthorized", request_id="auth-77")
    )

    ok, message = GongHook(server_conn(), sleep=sleeps.append).test_connection()

    assert ok is False
    assert "401" in message
    assert "auth-77" in message
    assert ACCESS_SECRET not in message
    assert BASIC.split()[1] not in message


def test_test_connection_does_not_retry(
    httpserver: HTTPServer, server_conn: Callable[..., str], sleeps: list[float]
) -> None:
    httpserver.expect_request("/v2/users").respond_with_response(gong_error(503, "busy", request_id="b-1"))

    ok, message = GongHook(server_conn(), sleep=sleeps.append).test_connection()

    assert ok is False
    assert "503" in message
    assert len(seen(httpserver)) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("conn", "words"),
    [
        ({"host": "ftp://us-1.api.gong.io"}, "ftp://"),
        ({"host": "http://us-1.api.gong.io"}, "plain http"),
        ({"host": "us-1.api.gong.io", "login": None}, "no Access key"),
        ({"host": "us-1.api.gong.io", "timeout": "soon"}, "'timeout'"),
        ({"host": "closed-port"}, "could not be reached"),
    ],
    ids=["ftp", "plain-http", "no-login", "bad-timeout", "closed-port"],
)
def test_test_connection_never_raises(
    make_conn: Callable[..., str], sleeps: list[float], conn: dict[str, Any], words: str
) -> None:
    if conn["host"] == "closed-port":
        conn["host"] = f"http://127.0.0.1:{closed_port()}"
    conn_id = make_conn(**conn)

    ok, message = GongHook(conn_id, sleep=sleeps.append).test_connection()

    assert ok is False
    assert words in message
    assert ACCESS_SECRET not in message
    assert sleeps == []


def test_test_connection_missing_connection() -> None:
    ok, message = GongHook("gong_nowhere").test_connection()

    assert ok is False
    assert "gong_nowhere" in message
