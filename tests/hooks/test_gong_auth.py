"""GongHook credentials: Basic or Bearer reach the server, one kind only, every derived secret masked."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import redact
from gong_hook_helpers import BASIC, seen, user_ok
from pytest_httpserver import HTTPServer

import airflow_provider_gong
from airflow_provider_gong.exceptions import GongConfigError
from airflow_provider_gong.hooks import gong as gong_module
from airflow_provider_gong.hooks.gong import GongHook

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


# ---------------------------------------------------------------------------------------- masking


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
