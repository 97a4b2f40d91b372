"""Gong's OAuth token endpoint in the emulator, over real HTTP: single-use refresh tokens, code exchange,
client auth, expiring access tokens, the tenant's base URL, the race and lost-answer knobs, the counters and
the control endpoints.

Gong's documented behaviour (gong-api.md, "OAuth apps"): ``POST /oauth2/generate-customer-token`` with
``Basic base64(client_id:client_secret)`` and the grant as query parameters; the answer names
``access_token``, ``refresh_token``, ``expires_in``, ``scope`` and ``api_base_url_for_customer``; each
refresh returns a new refresh token and kills the old one (a second use answers ``invalid_grant``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import ConfigError, GongEmulator
from airflow_provider_gong.testing.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TOKEN_PATH

CLIENT = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
TOKEN_KEYS = {
    "access_token",
    "refresh_token",
    "expires_in",
    "scope",
    "token_type",
    "api_base_url_for_customer",
}


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


def token_call(
    http: requests.Session,
    gong: GongEmulator,
    params: dict[str, str] | None = None,
    *,
    auth: Any = CLIENT,
    data: dict[str, str] | None = None,
    method: str = "POST",
) -> requests.Response:
    return http.request(method, gong.url + TOKEN_PATH, params=params, data=data, auth=auth, timeout=30)


def refresh(http: requests.Session, gong: GongEmulator, refresh_token: str) -> requests.Response:
    return token_call(http, gong, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def oauth_error(response: requests.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error
    description: str = body["error_description"]
    assert description
    return description


def users_with(http: requests.Session, gong: GongEmulator, access_token: str) -> requests.Response:
    return http.get(f"{gong.url}/v2/users", headers={"Authorization": f"Bearer {access_token}"}, timeout=30)


def oauth_stats(gong: GongEmulator) -> dict[str, int]:
    return {key: value for key, value in gong.stats().items() if key.startswith("oauth_")}  # type: ignore[misc]


def test_refresh_rotates_and_the_old_refresh_token_is_single_use(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    first = gong_emulator.issue_refresh_token()
    assert first.startswith("emu-rt-")
    response = refresh(http, gong_emulator, first)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert set(tokens) == TOKEN_KEYS
    assert tokens["access_token"].startswith("emu-at-")
    assert tokens["refresh_token"].startswith("emu-rt-")
    assert tokens["refresh_token"] != first
    assert tokens["expires_in"] == 86400
    assert tokens["token_type"] == "bearer"
    assert tokens["scope"] == " ".join(gong_emulator.config.scopes)

    description = oauth_error(refresh(http, gong_emulator, first), 400, "invalid_grant")
    assert "already used" in description

    second = refresh(http, gong_emulator, tokens["refresh_token"])
    assert second.status_code == 200, second.text
    # The access token of the first refresh stays valid until its own expiry.
    assert users_with(http, gong_emulator, tokens["access_token"]).status_code == 200
    assert users_with(http, gong_emulator, second.json()["access_token"]).status_code == 200

    unknown = oauth_error(refresh(http, gong_emulator, "emu-rt-never-issued"), 400, "invalid_grant")
    assert "unknown" in unknown
    assert oauth_stats(gong_emulator) == {
        "oauth_token_requests": 4,
        "oauth_refreshes": 2,
        "oauth_code_exchanges": 0,
        "oauth_invalid_grants": 2,
        "oauth_rejected_bearer": 0,
    }
    # The token endpoint is no Gong API call: only the two users calls count there.
    assert gong_emulator.stats()["gong_calls"] == 2


def test_authorization_code_is_exchanged_once_for_its_redirect_uri(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    redirect = "https://airflow.example.com/oauth/callback"
    code = gong_emulator.issue_authorization_code(redirect)
    assert code.startswith("emu-code-")
    grant = {"grant_type": "authorization_code", "code": code}
    wrong = oauth_error(
        token_call(http, gong_emulator, {**grant, "redirect_uri": "https://elsewhere.example.com/cb"}),
        400,
        "invalid_grant",
    )
    assert "redirect_uri" in wrong
    response = token_call(http, gong_emulator, {**grant, "redirect_uri": redirect})
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert set(tokens) == TOKEN_KEYS
    assert users_with(http, gong_emulator, tokens["access_token"]).status_code == 200
    assert refresh(http, gong_emulator, tokens["refresh_token"]).status_code == 200
    again = oauth_error(
        token_call(http, gong_emulator, {**grant, "redirect_uri": redirect}), 400, "invalid_grant"
    )
    assert "already used" in again
    stats = oauth_stats(gong_emulator)
    assert (stats["oauth_code_exchanges"], stats["oauth_refreshes"], stats["oauth_invalid_grants"]) == (
        1,
        1,
        2,
    )


def test_bad_client_credentials_are_invalid_client(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    token = gong_emulator.issue_refresh_token()
    params = {"grant_type": "refresh_token", "refresh_token": token}
    oauth_error(token_call(http, gong_emulator, params, auth=None), 401, "invalid_client")
    oauth_error(
        token_call(http, gong_emulator, params, auth=(DEFAULT_CLIENT_ID, "wrong")), 401, "invalid_client"
    )
    bearer = http.post(
        gong_emulator.url + TOKEN_PATH, params=params, headers={"Authorization": "Bearer x"}, timeout=30
    )
    oauth_error(bearer, 401, "invalid_client")
    # A refused client did not spend the refresh token.
    assert refresh(http, gong_emulator, token).status_code == 200
    gong_emulator.configure(oauth_client_id="other-id", oauth_client_secret="other-secret")
    token = gong_emulator.issue_refresh_token()
    oauth_error(token_call(http, gong_emulator, {**params, "refresh_token": token}), 401, "invalid_client")
    response = token_call(
        http, gong_emulator, {**params, "refresh_token": token}, auth=("other-id", "other-secret")
    )
    assert response.status_code == 200, response.text


def test_malformed_requests(http: requests.Session, gong_emulator: GongEmulator) -> None:
    assert "grant_type" in oauth_error(token_call(http, gong_emulator, {}), 400, "invalid_request")
    missing = oauth_error(
        token_call(http, gong_emulator, {"grant_type": "refresh_token"}), 400, "invalid_request"
    )
    assert "refresh_token" in missing
    code_only = {"grant_type": "authorization_code", "code": "emu-code-x"}
    assert "redirect_uri" in oauth_error(token_call(http, gong_emulator, code_only), 400, "invalid_request")
    oauth_error(token_call(http, gong_emulator, {"grant_type": "password"}), 400, "unsupported_grant_type")
    for method in ("GET", "PUT"):
        response = token_call(http, gong_emulator, {"grant_type": "refresh_token"}, method=method)
        oauth_error(response, 405, "invalid_request")
        assert response.headers["allow"] == "POST"
    assert oauth_stats(gong_emulator)["oauth_token_requests"] == 6
    assert oauth_stats(gong_emulator)["oauth_invalid_grants"] == 0


def test_form_body_parameters_are_accepted(http: requests.Session, gong_emulator: GongEmulator) -> None:
    token = gong_emulator.issue_refresh_token()
    response = token_call(http, gong_emulator, data={"grant_type": "refresh_token", "refresh_token": token})
    assert response.status_code == 200, response.text
    # The body was really read: the same token is now spent.
    again = token_call(http, gong_emulator, data={"grant_type": "refresh_token", "refresh_token": token})
    assert "already used" in oauth_error(again, 400, "invalid_grant")
    # A JSON body is not a form: its parameters do not count.
    as_json = http.post(
        gong_emulator.url + TOKEN_PATH,
        json={"grant_type": "refresh_token", "refresh_token": response.json()["refresh_token"]},
        auth=CLIENT,
        timeout=30,
    )
    oauth_error(as_json, 400, "invalid_request")


def test_access_tokens_expire_and_refused_bearers_are_counted(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    gong_emulator.configure(access_token_lifetime=2.0)
    issued = time.monotonic()
    response = refresh(http, gong_emulator, gong_emulator.issue_refresh_token())
    assert response.json()["expires_in"] == 2
    access_token = response.json()["access_token"]
    assert users_with(http, gong_emulator, access_token).status_code == 200
    time.sleep(max(0.0, issued + 2.3 - time.monotonic()))
    expired = users_with(http, gong_emulator, access_token)
    assert expired.status_code == 401
    assert expired.json()["errors"] == ["Invalid or expired access token"]
    assert users_with(http, gong_emulator, "emu-at-never-issued").status_code == 401
    assert gong_emulator.stats()["oauth_rejected_bearer"] == 2
    # The static token of config.token still works, and Basic is not counted as a bearer refusal.
    assert users_with(http, gong_emulator, gong_emulator.config.token or "").status_code == 200
    assert http.get(f"{gong_emulator.url}/v2/users", headers=gong_emulator.auth_headers()).status_code == 200
    assert gong_emulator.stats()["oauth_rejected_bearer"] == 2


def test_fractional_lifetime_rounds_expires_in_up(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    gong_emulator.configure(access_token_lifetime=2.5)
    assert refresh(http, gong_emulator, gong_emulator.issue_refresh_token()).json()["expires_in"] == 3
    gong_emulator.configure(access_token_lifetime=0.2)
    assert refresh(http, gong_emulator, gong_emulator.issue_refresh_token()).json()["expires_in"] == 1


def test_expire_access_tokens_in_process_and_over_http(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    tokens = [refresh(http, gong_emulator, gong_emulator.issue_refresh_token()).json() for _ in range(2)]
    assert all(users_with(http, gong_emulator, t["access_token"]).status_code == 200 for t in tokens)
    gong_emulator.expire_access_tokens()
    assert [users_with(http, gong_emulator, t["access_token"]).status_code for t in tokens] == [401, 401]
    fresh = refresh(http, gong_emulator, tokens[0]["refresh_token"]).json()["access_token"]
    assert users_with(http, gong_emulator, fresh).status_code == 200
    response = http.post(f"{gong_emulator.url}/_emulator/oauth/expire-access-tokens", timeout=30)
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert users_with(http, gong_emulator, fresh).status_code == 401
    assert gong_emulator.stats()["oauth_rejected_bearer"] == 3


def test_static_token_disabled_still_accepts_issued_tokens(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    gong_emulator.configure(token=None)
    access_token = refresh(http, gong_emulator, gong_emulator.issue_refresh_token()).json()["access_token"]
    assert users_with(http, gong_emulator, access_token).status_code == 200
    assert users_with(http, gong_emulator, "emulator-oauth-token").status_code == 401


def test_api_base_url_for_customer_default_and_configured(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    tokens = refresh(http, gong_emulator, gong_emulator.issue_refresh_token()).json()
    assert tokens["api_base_url_for_customer"] == gong_emulator.url
    gong_emulator.configure(oauth_base_url="https://us-49467.api.gong.io")
    tokens = refresh(http, gong_emulator, tokens["refresh_token"]).json()
    assert tokens["api_base_url_for_customer"] == "https://us-49467.api.gong.io"


def test_token_delay_waits_after_the_rotation(http: requests.Session, gong_emulator: GongEmulator) -> None:
    """Two refreshes with the same token at once: the first rotates and waits, the second is refused."""
    gong_emulator.configure(token_delay=1.5)
    token = gong_emulator.issue_refresh_token()
    first: list[requests.Response] = []

    def first_refresh() -> None:
        with requests.Session() as session:
            session.trust_env = False
            first.append(refresh(session, gong_emulator, token))

    thread = threading.Thread(target=first_refresh)
    started = time.monotonic()
    thread.start()
    deadline = time.monotonic() + 20
    while gong_emulator.stats()["oauth_refreshes"] == 0:  # the first one has rotated (and now waits)
        assert time.monotonic() < deadline, "the first refresh never reached the emulator"
        time.sleep(0.01)
    gong_emulator.configure(token_delay=0.0)
    second = refresh(http, gong_emulator, token)
    assert "already used" in oauth_error(second, 400, "invalid_grant")
    thread.join(30)
    assert len(first) == 1 and first[0].status_code == 200, first
    assert time.monotonic() - started >= 1.5  # lower bound only: the wait really happened
    assert oauth_stats(gong_emulator)["oauth_refreshes"] == 1


def test_token_drop_after_rotation_answers_503_and_the_token_is_spent(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    gong_emulator.configure(token_drop_after_rotation=1)
    token = gong_emulator.issue_refresh_token()
    lost = refresh(http, gong_emulator, token)
    assert lost.status_code == 503
    assert "access_token" not in lost.text
    assert gong_emulator.config.token_drop_after_rotation == 0
    # The rotation happened: retrying with the same token is invalid_grant.
    assert "already used" in oauth_error(refresh(http, gong_emulator, token), 400, "invalid_grant")
    assert refresh(http, gong_emulator, gong_emulator.issue_refresh_token()).status_code == 200
    stats = oauth_stats(gong_emulator)
    assert (stats["oauth_token_requests"], stats["oauth_refreshes"], stats["oauth_invalid_grants"]) == (
        3,
        2,
        1,
    )


def test_not_rate_limited_and_not_subject_to_api_faults(
    http: requests.Session, gong_emulator: GongEmulator
) -> None:
    gong_emulator.configure(rate_per_second=1)
    gong_emulator.fail_next({"status": 500})
    token = gong_emulator.issue_refresh_token()
    for _ in range(4):
        response = refresh(http, gong_emulator, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    stats = gong_emulator.stats()
    assert (stats["gong_calls"], stats["fail_next_pending"], stats["rate_limited"]["total"]) == (0, 1, 0)


def test_reset_forgets_tokens_and_counters(http: requests.Session, gong_emulator: GongEmulator) -> None:
    tokens = refresh(http, gong_emulator, gong_emulator.issue_refresh_token()).json()
    code = gong_emulator.issue_authorization_code("https://x.example.com/cb")
    gong_emulator.configure(token_drop_after_rotation=2)
    gong_emulator.reset()
    assert set(oauth_stats(gong_emulator).values()) == {0}
    assert gong_emulator.config.token_drop_after_rotation == 0
    assert users_with(http, gong_emulator, tokens["access_token"]).status_code == 401
    assert "unknown" in oauth_error(
        refresh(http, gong_emulator, tokens["refresh_token"]), 400, "invalid_grant"
    )
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://x.example.com/cb"}
    oauth_error(token_call(http, gong_emulator, exchange), 400, "invalid_grant")
    http.post(f"{gong_emulator.url}/_emulator/reset", timeout=30)
    assert set(oauth_stats(gong_emulator).values()) == {0}


def test_admin_routes_issue_tokens_and_codes(http: requests.Session, gong_emulator: GongEmulator) -> None:
    base = f"{gong_emulator.url}/_emulator/oauth"
    response = http.post(f"{base}/refresh-token", timeout=30)
    assert response.status_code == 200
    token = response.json()["refresh_token"]
    assert token.startswith("emu-rt-")
    assert refresh(http, gong_emulator, token).status_code == 200

    redirect = "http://127.0.0.1:9/cb"
    by_body = http.post(f"{base}/authorization-code", json={"redirect_uri": redirect}, timeout=30).json()
    by_query = http.post(f"{base}/authorization-code", params={"redirect_uri": redirect}, timeout=30).json()
    for answer in (by_body, by_query):
        assert answer["redirect_uri"] == redirect
        exchange = {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": redirect}
        assert token_call(http, gong_emulator, exchange).status_code == 200
    missing = http.post(f"{base}/authorization-code", timeout=30)
    assert missing.status_code == 400
    assert "redirect_uri" in missing.json()["errors"][0]
    assert http.get(f"{base}/refresh-token", timeout=30).status_code == 405
    assert http.get(f"{base}/expire-access-tokens", timeout=30).status_code == 405
    assert http.post(f"{base}/nothing", timeout=30).status_code == 404
    stats = http.get(f"{gong_emulator.url}/_emulator/stats", timeout=30).json()
    assert (stats["oauth_refreshes"], stats["oauth_code_exchanges"]) == (1, 2)


def test_config_route_changes_the_oauth_settings(http: requests.Session, gong_emulator: GongEmulator) -> None:
    url = f"{gong_emulator.url}/_emulator/config"
    patched = http.patch(url, json={"access_token_lifetime": 2.5, "token_drop_after_rotation": 1}, timeout=30)
    assert patched.status_code == 200
    assert (patched.json()["access_token_lifetime"], gong_emulator.config.token_drop_after_rotation) == (
        2.5,
        1,
    )
    bad = http.patch(url, json={"access_token_lifetime": 0}, timeout=30)
    assert bad.status_code == 400
    assert "access_token_lifetime" in bad.json()["errors"][0]
    assert gong_emulator.config.access_token_lifetime == 2.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"access_token_lifetime": 0}, "access_token_lifetime"),
        ({"access_token_lifetime": -1.0}, "access_token_lifetime"),
        ({"access_token_lifetime": float("inf")}, "access_token_lifetime"),
        ({"access_token_lifetime": "60"}, "access_token_lifetime"),
        ({"token_delay": -0.1}, "token_delay"),
        ({"token_delay": float("nan")}, "token_delay"),
        ({"token_drop_after_rotation": -1}, "token_drop_after_rotation"),
        ({"token_drop_after_rotation": 1.5}, "token_drop_after_rotation"),
        ({"oauth_client_id": ""}, "oauth_client_id"),
        ({"oauth_client_id": "a:b"}, "oauth_client_id"),
        ({"oauth_client_secret": ""}, "oauth_client_secret"),
        ({"oauth_client_secret": None}, "oauth_client_secret"),
        ({"oauth_base_url": "us-49467.api.gong.io"}, "oauth_base_url"),
        ({"oauth_base_url": "ftp://x"}, "oauth_base_url"),
    ],
)
def test_configure_validates_the_oauth_fields(
    gong_emulator: GongEmulator, changes: dict[str, Any], message: str
) -> None:
    before = gong_emulator.config.to_dict()
    with pytest.raises(ConfigError, match=message):
        gong_emulator.configure(**changes)
    assert gong_emulator.config.to_dict() == before


def test_configure_accepts_the_oauth_fields(gong_emulator: GongEmulator) -> None:
    live = gong_emulator.configure(
        access_token_lifetime=3,
        token_delay=0.25,
        token_drop_after_rotation=2,
        oauth_base_url="https://us-1.api.gong.io",
    )
    assert (live.access_token_lifetime, live.token_delay, live.token_drop_after_rotation) == (3, 0.25, 2)
    assert live.oauth_base_url == "https://us-1.api.gong.io"


def test_oauth_connection_dict(http: requests.Session, gong_emulator: GongEmulator) -> None:
    conn = gong_emulator.oauth_connection_dict()
    assert set(conn) == {"conn_type", "extra"}
    extra = conn["extra"]
    assert extra == {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": extra["refresh_token"],
        "token_url": gong_emulator.url + TOKEN_PATH,
    }
    # The refresh token it minted is a live one.
    assert refresh(http, gong_emulator, extra["refresh_token"]).status_code == 200
    given = gong_emulator.oauth_connection_dict(
        "emu-rt-given", access_token="emu-at-given", host=True, extra={"shared_state_url": "redis://x/0"}
    )
    assert given["host"] == gong_emulator.url
    assert "login" not in given and "password" not in given
    assert given["extra"]["refresh_token"] == "emu-rt-given"
    assert given["extra"]["access_token"] == "emu-at-given"
    assert given["extra"]["shared_state_url"] == "redis://x/0"
    assert '"token_url"' in gong_emulator.oauth_connection_json("emu-rt-given")
