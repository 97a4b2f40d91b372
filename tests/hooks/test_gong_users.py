"""GongHook.get_user against a local server: the user as Gong sent it, ids checked before sending."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from gong_hook_helpers import USER, seen, user_ok
from pytest_httpserver import HTTPServer

from airflow_provider_gong.exceptions import GongApiError
from airflow_provider_gong.hooks.gong import GongHook


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
