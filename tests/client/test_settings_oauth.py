"""An OAuth app's connection resolved by ``settings_from_connection`` (pure: no lookup, no request).

An OAuth app is the extras ``client_id``, ``client_secret`` and ``refresh_token`` (all three), optionally a
current ``access_token`` and a ``token_url`` (Gong's endpoint by default; https, http only to loopback).
Errors name the field and the problem, never a value; ``repr`` never shows a secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_gong.client.oauth import Token
from airflow_provider_gong.client.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    OAuthApp,
    settings_from_connection,
)
from airflow_provider_gong.exceptions import GongConfigError

CONN_ID = "gong_oauth_app"
CLIENT_ID = "client-id-Hq81"
CLIENT_SECRET = "client-secret-Vb27Lp"
REFRESH_TOKEN = "refresh-token-Kd93Wn"
ACCESS_TOKEN = "access-token-Rt55Mz"
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN)

LABELS = {
    "client_id": "OAuth client id (client_id)",
    "client_secret": "OAuth client secret (client_secret)",
    "refresh_token": "OAuth refresh token (refresh_token)",
}


@dataclass
class Conn:
    """The fields of an Airflow connection that settings are read from."""

    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = None
    extra: str | None = None


def app_extras(**changes: Any) -> dict[str, Any]:
    """The extras of a complete OAuth app, with ``changes`` (a ``None`` value removes the field)."""
    extras: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    extras.update(changes)
    return {name: value for name, value in extras.items() if value is not None}


def resolve(extras: dict[str, Any], **fields: Any) -> Any:
    """:func:`settings_from_connection` of a connection with these extras and standard fields."""
    return settings_from_connection(Conn(extra=json.dumps(extras), **fields), CONN_ID)


def refused(extras: dict[str, Any], **fields: Any) -> str:
    """The message of the ``GongConfigError`` these extras give; checks it names the connection only."""
    with pytest.raises(GongConfigError) as info:
        resolve(extras, **fields)
    message = str(info.value)
    assert f"'{CONN_ID}'" in message
    for secret in SECRETS:
        assert secret not in message
    return message


# ------------------------------------------------------------------------------------ a complete app


def test_an_oauth_app_resolves() -> None:
    settings = resolve(app_extras())

    assert settings.auth_mode == "oauth"
    assert settings.authorization == ""  # the token manager gives each attempt its header
    assert settings.base_url == DEFAULT_BASE_URL
    app = settings.oauth
    assert isinstance(app, OAuthApp)
    assert (app.client_id, app.client_secret, app.refresh_token) == (CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)
    assert app.token_url == DEFAULT_TOKEN_URL == "https://app.gong.io/oauth2/generate-customer-token"
    assert app.access_token == ""
    assert app.host_configured is False


def test_an_oauth_app_with_its_access_token_and_host() -> None:
    settings = resolve(app_extras(access_token=f"Bearer {ACCESS_TOKEN}"), host="us-4.api.gong.io")

    assert settings.auth_mode == "oauth"
    assert settings.base_url == "https://us-4.api.gong.io"
    assert settings.oauth.access_token == ACCESS_TOKEN  # the pasted "Bearer " is dropped
    assert settings.oauth.host_configured is True


def test_basic_and_bearer_connections_have_no_app() -> None:
    basic = resolve({}, login="key", password="secret")
    bearer = resolve({"access_token": ACCESS_TOKEN})

    assert (basic.auth_mode, basic.oauth) == ("basic", None)
    assert (bearer.auth_mode, bearer.oauth) == ("bearer", None)


# ------------------------------------------------------------------------------------ fields missing


@pytest.mark.parametrize("missing", sorted(LABELS))
@pytest.mark.parametrize("blank", [None, ""], ids=["absent", "empty"])
def test_each_missing_field_is_named(missing: str, blank: str | None) -> None:
    message = refused(app_extras(**{missing: blank}))

    assert "needs client_id, client_secret and refresh_token" in message
    assert message.endswith(f"missing: {LABELS[missing]}")
    for name, label in LABELS.items():
        if name != missing:
            assert label not in message
    assert CLIENT_ID not in message


def test_two_missing_fields_are_both_named() -> None:
    message = refused({"client_id": CLIENT_ID})

    assert message.endswith(f"missing: {LABELS['client_secret']}, {LABELS['refresh_token']}")


def test_an_access_token_alone_is_no_app_but_a_token_url_alone_is_refused() -> None:
    assert resolve({"access_token": ACCESS_TOKEN, "token_url": ""}).auth_mode == "bearer"

    message = refused({"token_url": "https://app.gong.io/oauth2/generate-customer-token"})

    assert "sets token_url but no OAuth app" in message
    assert "client_id, client_secret and refresh_token" in message


def test_token_url_with_a_bearer_token_but_no_app_is_refused() -> None:
    message = refused({"access_token": ACCESS_TOKEN, "token_url": "https://app.gong.io/x"})

    assert "sets token_url but no OAuth app" in message


# ------------------------------------------------------------------------------------ access key and app


@pytest.mark.parametrize(
    "fields",
    [{"login": "key", "password": "secret-of-the-key"}, {"login": "key"}, {"password": "secret-of-the-key"}],
    ids=["key-and-secret", "key", "secret"],
)
def test_access_key_and_app_are_refused(fields: dict[str, str]) -> None:
    message = refused(app_extras(), **fields)

    assert "both an access key/secret and an OAuth app" in message
    assert "keep exactly one of them" in message
    assert "secret-of-the-key" not in message


# ------------------------------------------------------------------------------------ token_url


@pytest.mark.parametrize(
    ("token_url", "expected"),
    [
        (None, DEFAULT_TOKEN_URL),
        ("", DEFAULT_TOKEN_URL),
        ("   ", DEFAULT_TOKEN_URL),
        ("https://auth.example.com/oauth2/token", "https://auth.example.com/oauth2/token"),
        ("  https://auth.example.com/t  ", "https://auth.example.com/t"),
        (
            "http://127.0.0.1:8080/oauth2/generate-customer-token",
            "http://127.0.0.1:8080/oauth2/generate-customer-token",
        ),
        ("http://localhost:9/t", "http://localhost:9/t"),
        ("http://[::1]:9/t", "http://[::1]:9/t"),
        ("http://127.3.4.5/t", "http://127.3.4.5/t"),
    ],
)
def test_token_url_accepted(token_url: str | None, expected: str) -> None:
    assert resolve(app_extras(token_url=token_url)).oauth.token_url == expected


@pytest.mark.parametrize(
    ("token_url", "words"),
    [
        ("http://app.gong.io/oauth2/generate-customer-token", "refusing to send the OAuth client secret"),
        ("http://10.0.0.7/t", "over plain http to 10.0.0.7"),
        ("http://localhost.evil.example/t", "plain http"),
        ("http://127.0.0.1.nip.io/t", "plain http"),
        ("ftp://app.gong.io/t", "must be a full https:// URL"),
        ("app.gong.io/oauth2/generate-customer-token", "must be a full https:// URL"),
        ("https:app.gong.io/t", "must be a full https:// URL"),
        ("https:///t", "names no server"),
        ("https://app.gong.io:99999/t", "invalid port"),
        ("https://app.gong.io/t#frag", "no credentials, query or fragment"),
    ],
)
def test_token_url_refused(token_url: str, words: str) -> None:
    message = refused(app_extras(token_url=token_url))

    assert "extra 'token_url'" in message
    assert words in message


@pytest.mark.parametrize(
    "token_url",
    [
        f"https://app.gong.io/oauth2/generate-customer-token?client_secret={CLIENT_SECRET}",
        f"https://user:{CLIENT_SECRET}@app.gong.io/oauth2/generate-customer-token",
        f"https://{CLIENT_SECRET}@app.gong.io/oauth2/generate-customer-token",
    ],
    ids=["query", "user-and-password", "user"],
)
def test_token_url_with_a_query_or_credentials_is_refused_without_echoing_them(token_url: str) -> None:
    message = refused(app_extras(token_url=token_url))

    assert "must be a plain URL (no credentials, query or fragment)" in message
    assert CLIENT_SECRET not in message


@pytest.mark.parametrize("value", [443, 1.5, True, ["https://app.gong.io/t"], {"url": "x"}])
def test_token_url_that_is_not_a_string_is_refused(value: Any) -> None:
    message = refused(app_extras(token_url=value))

    assert f"must be a URL, got a JSON {type(value).__name__}" in message


# ------------------------------------------------------------------------------------ pasted values


@pytest.mark.parametrize("name", sorted(LABELS))
@pytest.mark.parametrize(
    ("wrap", "problem"),
    [
        (lambda value: f"{value}\n", "a line break"),
        (lambda value: f"{value[:4]}\r\n{value[4:]}", "a line break"),
        (lambda value: f"{value[:4]}\x01{value[4:]}", "a control character"),
        (lambda value: f"{value}\x7f", "a control character"),
        (lambda value: f"{value}\u200b", "a character HTTP headers cannot carry"),
        (lambda value: f"\u201c{value}\u201d", "a character HTTP headers cannot carry"),
        (lambda value: f" {value}", "spaces before or after it"),
        (lambda value: f"{value}\t", "a control character"),
        (lambda value: f"{value}  ", "spaces before or after it"),
    ],
    ids=[
        "newline",
        "crlf",
        "ctrl-a",
        "del",
        "zero-width",
        "curly-quotes",
        "leading-space",
        "tab",
        "trailing",
    ],
)
def test_control_characters_and_spaces_are_refused_with_the_field_named(
    name: str, wrap: Any, problem: str
) -> None:
    values = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}
    message = refused(app_extras(**{name: wrap(values[name])}))

    assert f"the {LABELS[name]} contains {problem}" in message
    assert values[name] not in message


@pytest.mark.parametrize("token", [f"{ACCESS_TOKEN} extra", f"{ACCESS_TOKEN}\n"], ids=["space", "newline"])
def test_a_broken_access_token_of_an_app_is_refused(token: str) -> None:
    message = refused(app_extras(access_token=token))

    assert "OAuth access token (access_token)" in message


# ------------------------------------------------------------------------------------ older UIs' names


def test_prefixed_names_of_older_uis_work() -> None:
    prefixed = {f"extra__gong__{name}": value for name, value in app_extras().items()}
    prefixed["extra__gong__access_token"] = ACCESS_TOKEN
    prefixed["extra__gong__token_url"] = "http://127.0.0.1:7001/oauth2/generate-customer-token"

    settings = resolve(prefixed)

    assert settings.auth_mode == "oauth"
    app = settings.oauth
    assert (app.client_id, app.client_secret, app.refresh_token) == (CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)
    assert app.access_token == ACCESS_TOKEN
    assert app.token_url == "http://127.0.0.1:7001/oauth2/generate-customer-token"
    assert settings == resolve(
        app_extras(
            access_token=ACCESS_TOKEN, token_url="http://127.0.0.1:7001/oauth2/generate-customer-token"
        )
    )


def test_prefixed_names_are_checked_alike() -> None:
    prefixed = {f"extra__gong__{name}": value for name, value in app_extras(refresh_token=None).items()}

    assert refused(prefixed).endswith(f"missing: {LABELS['refresh_token']}")
    assert "extra 'token_url'" in refused(
        {**prefixed, "refresh_token": REFRESH_TOKEN, "extra__gong__token_url": "http://gong.example/t"}
    )


def test_a_bare_name_wins_over_the_prefixed_one() -> None:
    extras = {**app_extras(), "extra__gong__client_id": "older-client-id"}

    assert resolve(extras).oauth.client_id == CLIENT_ID


# ------------------------------------------------------------------------------------ secrets and repr


def test_secrets_hold_the_client_secret_and_tokens() -> None:
    with_token = resolve(app_extras(access_token=ACCESS_TOKEN))
    without = resolve(app_extras())

    assert {CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN, f"Bearer {ACCESS_TOKEN}"} <= set(with_token.secrets)
    assert {CLIENT_SECRET, REFRESH_TOKEN} <= set(without.secrets)
    assert ACCESS_TOKEN not in without.secrets
    assert "" not in with_token.secrets
    assert CLIENT_ID not in with_token.secrets  # not a secret: it stays readable in messages


def test_secrets_add_the_redis_password_of_shared_state() -> None:
    settings = resolve(app_extras(shared_state_url="redis://:redis-pw-Xy71@127.0.0.1:6390/0"))

    assert {CLIENT_SECRET, REFRESH_TOKEN, "redis-pw-Xy71"} <= set(settings.secrets)


def test_repr_shows_no_secret() -> None:
    settings = resolve(
        app_extras(access_token=ACCESS_TOKEN, shared_state_url="redis://:redis-pw-Xy71@127.0.0.1:6390/0")
    )
    token = Token(ACCESS_TOKEN, REFRESH_TOKEN, expires_at=1.0, lifetime=60.0, key=settings.oauth.key)

    for shown in (repr(settings), repr(settings.oauth), repr(token), str(settings), str(token)):
        for secret in (*SECRETS, "redis-pw-Xy71"):
            assert secret not in shown, shown
    assert CLIENT_ID in repr(settings.oauth)
    assert DEFAULT_TOKEN_URL in repr(settings.oauth)
    assert "oauth" in repr(settings)


# ------------------------------------------------------------------------------------ identity and key


def test_identity_is_stable_across_access_tokens() -> None:
    identities = {
        resolve(app_extras(access_token=token)).identity for token in (None, ACCESS_TOKEN, "another-Fq02")
    }

    assert len(identities) == 1
    (identity,) = identities
    assert identity.startswith("oauth:")
    for secret in (*SECRETS, "another-Fq02"):
        assert secret not in identity


def test_identity_differs_between_apps_and_from_other_auth() -> None:
    one = resolve(app_extras()).identity
    other = resolve(app_extras(client_id="client-id-Other")).identity
    bearer = resolve({"access_token": ACCESS_TOKEN})

    assert one != other
    assert bearer.identity == bearer.authorization == f"Bearer {ACCESS_TOKEN}"


def test_key_differs_for_a_reseeded_refresh_token() -> None:
    first = resolve(app_extras()).oauth.key
    again = resolve(app_extras(access_token=ACCESS_TOKEN, host="us-4.api.gong.io")).oauth.key
    reseeded = resolve(app_extras(refresh_token="refresh-token-New77")).oauth.key
    other_app = resolve(app_extras(client_id="client-id-Other")).oauth.key
    other_secret = resolve(app_extras(client_secret="client-secret-Rotated")).oauth.key

    assert first == again == other_secret  # the seed, not the access token, host or client secret
    assert len({first, reseeded, other_app}) == 3
    for key in (first, reseeded, other_app):
        for secret in (*SECRETS, "refresh-token-New77"):
            assert secret not in key


def test_shared_state_company_of_an_app_is_its_base_url() -> None:
    extras = app_extras(shared_state_url="redis://127.0.0.1:6390/0")

    one = resolve(extras, host="us-4.api.gong.io").shared
    other_token = resolve({**extras, "access_token": ACCESS_TOKEN}, host="us-4.api.gong.io").shared

    assert one is not None and other_token is not None
    assert one.company == other_token.company == "us-4.api.gong.io"
    moved = resolve(extras, host="us-4.api.gong.io").with_base_url("https://eu-9.api.gong.io")
    assert moved.base_url == "https://eu-9.api.gong.io"
    assert moved.shared is not None and moved.shared.company == "eu-9.api.gong.io"
    assert moved.oauth == resolve(extras, host="us-4.api.gong.io").oauth


@pytest.mark.parametrize(
    "token_url",
    [
        "https://app.gong.io/oauth2/generate-\ncustomer-token",
        "https://app.gong.io/oauth2/generate customer-token",
        "https://app.gong\t.io/oauth2/generate-customer-token",
        "https://app.gong.io/oauth2/generate-customer-token\x01",
    ],
    ids=["inner-newline", "inner-space", "tab-in-host", "ctrl-a"],
)
def test_token_url_with_spaces_or_control_characters_is_refused(token_url: str) -> None:
    """As ``shared_state_url`` is: a pasted URL with a line break or a space in it is a paste accident."""
    message = refused(app_extras(token_url=token_url))

    assert "extra 'token_url'" in message
