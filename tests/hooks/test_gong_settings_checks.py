"""
The connection is refused while it is resolved when a credential, a number or the host cannot be right,
with a ``GongConfigError`` that names the field and the problem, never a credential's value; nothing
is sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from airflow_provider_gong.client.retry import MAX_RETRY_AFTER, parse_retry_after
from airflow_provider_gong.client.settings import check_hook_params
from airflow_provider_gong.exceptions import GongConfigError
from airflow_provider_gong.hooks.gong import GongHook

GOOD_TOKEN = "tok-3f9a8b7c6d5e"


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (f"{GOOD_TOKEN}\nX-Injected: 1", "a line break"),
        (f"{GOOD_TOKEN}\r", "a line break"),
        (f"{GOOD_TOKEN}\x00", "a control character"),
        (f"{GOOD_TOKEN}\x7f", "a control character"),
        (f"{GOOD_TOKEN}\u200b", "a character HTTP headers cannot carry"),
        (f"\u201c{GOOD_TOKEN}\u201d", "a character HTTP headers cannot carry"),
        (f" {GOOD_TOKEN} ", "spaces before or after it"),
        (f"{GOOD_TOKEN} {GOOD_TOKEN}", "contains spaces"),
    ],
    ids=[
        "newline",
        "carriage-return",
        "nul",
        "del",
        "zero-width-space",
        "curly-quotes",
        "spaces",
        "inner-space",
    ],
)
def test_a_bad_token_is_refused_naming_the_field_never_the_value(
    make_conn: Callable[..., str], httpserver: HTTPServer, token: str, problem: str
) -> None:
    conn_id = make_conn(httpserver.url_for("/"), login=None, password=None, access_token=token)

    with pytest.raises(GongConfigError) as caught:
        GongHook(conn_id).get_user("1")

    message = str(caught.value)
    assert "OAuth access token (access_token)" in message
    assert problem in message
    assert GOOD_TOKEN not in message
    assert conn_id in message
    assert httpserver.log == []  # nothing was sent


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"login": "key\n", "password": "secret-1234"}, "Access key (login)"),
        ({"login": " key", "password": "secret-1234"}, "Access key (login)"),
        ({"login": "key", "password": "secret-1234\r\n"}, "Access key secret (password)"),
        ({"login": "key", "password": "secret-1234\u00a0\u200b"}, "Access key secret (password)"),
        ({"login": "key", "password": "secret-1234 "}, "Access key secret (password)"),
    ],
    ids=["login-newline", "login-space", "secret-crlf", "secret-zero-width", "secret-trailing-space"],
)
def test_a_bad_access_key_or_secret_is_refused(
    make_conn: Callable[..., str], httpserver: HTTPServer, fields: dict[str, str], field_name: str
) -> None:
    conn_id = make_conn(httpserver.url_for("/"), **fields)

    with pytest.raises(GongConfigError) as caught:
        GongHook(conn_id).get_user("1")

    message = str(caught.value)
    assert field_name in message
    assert "secret-1234" not in message
    assert httpserver.log == []


def test_a_colon_in_the_access_key_is_refused(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("https://us-1.api.gong.io", login="key:part", password="secret-1234")

    with pytest.raises(GongConfigError, match=r"Access key \(login\) contains ':'"):
        _ = GongHook(conn_id).settings


@pytest.mark.parametrize("pasted", [f"Bearer {GOOD_TOKEN}", f"bearer {GOOD_TOKEN}", GOOD_TOKEN])
def test_a_token_pasted_with_bearer_is_sent_once_as_bearer(
    make_conn: Callable[..., str], httpserver: HTTPServer, pasted: str
) -> None:
    httpserver.expect_request(
        "/v2/users/1", headers={"Authorization": f"Bearer {GOOD_TOKEN}"}
    ).respond_with_json({"requestId": "r", "user": {"id": "1"}})
    conn_id = make_conn(httpserver.url_for("/"), login=None, password=None, access_token=pasted)

    assert GongHook(conn_id).get_user("1") == {"id": "1"}


def test_latin1_secret_still_works_in_basic_auth(
    make_conn: Callable[..., str], httpserver: HTTPServer
) -> None:
    """Refusing what headers cannot carry must not refuse what they can: Basic auth is base64."""
    encoded = base64.b64encode("key:s\u00e9cret".encode()).decode()
    httpserver.expect_request("/v2/users/1", headers={"Authorization": f"Basic {encoded}"}).respond_with_json(
        {"requestId": "r", "user": {"id": "1"}}
    )
    conn_id = make_conn(httpserver.url_for("/"), login="key", password="s\u00e9cret")

    assert GongHook(conn_id).get_user("1") == {"id": "1"}


# ------------------------------------------------------------------------------------ numbers in range


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ({"timeout": 1e10}, ["'timeout'", "at most 3600", "10000000000"]),
        ({"timeout": "1e400"}, ["'timeout'", "at most 3600"]),
        ({"max_retries": 10**9}, ["'max_retries'", "at most 50", "1000000000"]),
        ({"calls_per_second": 1e6}, ["'calls_per_second'", "at most 1000"]),
    ],
    ids=["timeout-huge", "timeout-overflow", "max-retries-huge", "pace-huge"],
)
def test_numbers_out_of_range_are_refused_naming_the_range(
    make_conn: Callable[..., str], extra: dict[str, Any], needles: list[str]
) -> None:
    conn_id = make_conn("https://us-1.api.gong.io", **extra)

    with pytest.raises(GongConfigError) as caught:
        _ = GongHook(conn_id).settings

    for needle in needles:
        assert needle in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"max_retry_wait": -1}, "'max_retry_wait'"),
        ({"max_retry_wait": float("inf")}, "'max_retry_wait'"),
        ({"max_retry_wait": 10**7}, "at most 86400"),
    ],
)
def test_hook_arguments_out_of_range_are_refused_at_once(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(GongConfigError, match=needle):
        GongHook("never_looked_up", **kwargs)


def test_hook_params_are_checked_by_key_and_range() -> None:
    assert check_hook_params({"timeout": 10, "max_retries": None}, owner="t") == {
        "timeout": 10,
        "max_retries": None,
    }
    with pytest.raises(GongConfigError, match=r"t: unknown hook_params key\(s\) \['max_retry'\]"):
        check_hook_params({"max_retry": 3}, owner="t")
    with pytest.raises(GongConfigError, match="hook_params 'max_retries' must be a whole number"):
        check_hook_params({"max_retries": 10**9}, owner="t")


@pytest.mark.parametrize("value", ["99999999999999", "1e300"])
def test_a_huge_retry_after_is_clamped_to_a_day(value: str) -> None:
    assert parse_retry_after(value) == MAX_RETRY_AFTER == 86400


# ------------------------------------------------------------------------------------------------ host


@pytest.mark.parametrize(
    "host",
    [
        "https://us-1.api.gong.io/v2/users",
        "us-1.api.gong.io/v2/users/",
        "https://us-1.api.gong.io/v2/calls/extensive",
    ],
)
def test_a_host_naming_an_endpoint_is_refused(make_conn: Callable[..., str], host: str) -> None:
    conn_id = make_conn(host)

    with pytest.raises(GongConfigError, match="names an endpoint") as caught:
        _ = GongHook(conn_id).settings

    assert "https://us-1.api.gong.io" in str(caught.value)


def test_a_base_url_with_a_proxy_prefix_is_kept(make_conn: Callable[..., str]) -> None:
    conn_id = make_conn("https://proxy.example.com/gong/v2")

    assert GongHook(conn_id).settings.base_url == "https://proxy.example.com/gong"


def test_connection_json_from_the_environment_round_trips(make_conn: Callable[..., str]) -> None:
    """The checks accept every well-formed credential: a real-looking key pair resolves."""
    conn_id = make_conn("https://us-1.api.gong.io", login="AB12CD34", password="eyJhbGciOi.J9-_x")

    settings = GongHook(conn_id).settings

    expected = base64.b64encode(b"AB12CD34:eyJhbGciOi.J9-_x").decode()
    assert settings.authorization == f"Basic {expected}"
    assert json.dumps(repr(settings)).count("eyJ") == 0
