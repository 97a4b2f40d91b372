"""GongHook.test_connection (the UI's Test button): one unretried call, never raises, never shows a secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from gong_hook_helpers import ACCESS_SECRET, BASIC, LIST_ENVELOPE, closed_port, gong_error, seen
from pytest_httpserver import HTTPServer

from airflow_provider_gong.hooks.gong import GongHook


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
