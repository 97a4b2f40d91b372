"""GongHook and its connection: class attributes, late lookup, extras, base URLs (against local servers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from airflow.providers.common.compat.sdk import AirflowNotFoundException
from gong_hook_helpers import USER, seen, user_ok
from pytest_httpserver import HTTPServer

from airflow_provider_gong.exceptions import GongConfigError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.version_compat import BaseHook

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
