"""Gong's OAuth token endpoint (``POST /oauth2/generate-customer-token``) and the tokens it issued.

As documented for Gong's OAuth apps: the client authenticates with ``Authorization: Basic
base64(client_id:client_secret)`` and sends ``grant_type=authorization_code`` (``code``, ``redirect_uri``) or
``grant_type=refresh_token`` (``refresh_token``) as query parameters (an ``application/x-www-form-urlencoded``
body is accepted too). A good grant answers ``{"access_token", "refresh_token", "expires_in", "scope",
"token_type", "api_base_url_for_customer"}``.

Refresh tokens and authorization codes are single-use: a grant kills the token or code it used, and a second
use answers 400 ``invalid_grant``. Access tokens expire ``EmulatorConfig.access_token_lifetime`` seconds
after they were issued (real time, not the emulator's ``clock``); earlier ones stay valid until then.

The endpoint is no Gong API route: it is not rate limited, not counted in ``gong_calls`` and not subject to
``fail_next`` or the random faults. Its own knobs are ``token_delay`` (wait before answering, after the
rotation) and ``token_drop_after_rotation`` (rotate, then answer 503 as if the answer was lost).

:class:`OAuthState` is touched from the event loop and from test threads; every section runs under its lock.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import math
import secrets
import threading
import time
from collections.abc import Sequence
from urllib.parse import parse_qs

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.config import TOKEN_PATH, EmulatorConfig
from airflow_provider_gong.testing.envelope import dumps

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "CODE_PREFIX",
    "REFRESH_TOKEN_PREFIX",
    "TOKEN_PATH",
    "OAuthState",
    "TokenResult",
]

#: Prefix of every issued access token.
ACCESS_TOKEN_PREFIX = "emu-at-"  # noqa: S105 - a prefix, not a credential
#: Prefix of every issued refresh token.
REFRESH_TOKEN_PREFIX = "emu-rt-"  # noqa: S105 - a prefix, not a credential
#: Prefix of every issued authorization code.
CODE_PREFIX = "emu-code-"

_FORM = b"application/x-www-form-urlencoded"


@dataclasses.dataclass
class TokenResult:
    """What the token endpoint answers, and how long it waits first.

    :param answer: The HTTP answer.
    :param delay: Seconds to wait before sending it (``token_delay``; the state is already updated).
    """

    answer: Answer
    delay: float = 0.0


class OAuthState:
    """The tokens and codes issued by one emulator, and the token endpoint's counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every token and code and clear the counters."""
        with self._lock:
            #: access token -> ``time.monotonic()`` at which it expires
            self._access: dict[str, float] = {}
            #: refresh tokens that may be used (once)
            self._refresh: set[str] = set()
            self._used_refresh: set[str] = set()
            #: code -> the redirect URI it was issued for
            self._codes: dict[str, str] = {}
            self._used_codes: set[str] = set()
            self._requests = 0
            self._refreshes = 0
            self._code_exchanges = 0
            self._invalid_grants = 0
            self._rejected_bearer = 0

    # -- issuing (what a person gets after authorising the app) --------------------------------------------

    def issue_refresh_token(self) -> str:
        """Mint a valid refresh token."""
        token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(24)
        with self._lock:
            self._refresh.add(token)
        return token

    def issue_authorization_code(self, redirect_uri: str) -> str:
        """Mint an authorization code for ``redirect_uri`` (exchangeable once, with that same URI).

        :param redirect_uri: The redirect URI the code is bound to.
        """
        if not isinstance(redirect_uri, str) or not redirect_uri:
            raise ValueError("redirect_uri must be a non-empty string")
        code = CODE_PREFIX + secrets.token_urlsafe(18)
        with self._lock:
            self._codes[code] = redirect_uri
        return code

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expire now."""
        with self._lock:
            self._access = dict.fromkeys(self._access, -math.inf)

    # -- bearer auth of the API routes ---------------------------------------------------------------------

    def access_token_valid(self, token: str) -> bool:
        """Tell whether ``token`` is an issued access token that has not expired yet.

        :param token: The bearer credentials of a call.
        """
        with self._lock:
            expiry = self._access.get(token)
        return expiry is not None and time.monotonic() < expiry

    def count_rejected_bearer(self) -> None:
        """Count one API call refused for an expired or unknown bearer token."""
        with self._lock:
            self._rejected_bearer += 1

    def stats(self) -> dict[str, int]:
        """Return the counters (the ``oauth_*`` keys of ``EmulatorStats``)."""
        with self._lock:
            return {
                "oauth_token_requests": self._requests,
                "oauth_refreshes": self._refreshes,
                "oauth_code_exchanges": self._code_exchanges,
                "oauth_invalid_grants": self._invalid_grants,
                "oauth_rejected_bearer": self._rejected_bearer,
            }

    # -- the token endpoint --------------------------------------------------------------------------------

    def token_request(
        self,
        config: EmulatorConfig,
        method: str,
        headers: Sequence[tuple[bytes, bytes]],
        query: bytes,
        body: bytes,
        base_url: str,
    ) -> TokenResult:
        """Answer one call of the token endpoint, updating the tokens first.

        :param config: The live settings (client credentials, lifetime, scopes, the token knobs).
        :param method: HTTP method.
        :param headers: The request's raw headers (lower-case names).
        :param query: Raw query string.
        :param body: Raw request body.
        :param base_url: The emulator's base URL as the client reached it (the default
            ``api_base_url_for_customer``).
        """
        with self._lock:
            self._requests += 1
        delay = config.token_delay
        if method != "POST":
            answer = _error(405, "invalid_request", f"Method {method} not allowed; use POST")
            answer.headers.append((b"allow", b"POST"))
            return TokenResult(answer)
        refused = _client_auth(config, headers)
        if refused is not None:
            return TokenResult(_error(401, "invalid_client", refused, authenticate=True), delay)
        params = _params(headers, query, body)
        grant_type = params.get("grant_type")
        if not grant_type:
            return TokenResult(_error(400, "invalid_request", "Missing parameter: grant_type"), delay)
        needed: tuple[str, ...]
        if grant_type == "refresh_token":
            needed = ("refresh_token",)
        elif grant_type == "authorization_code":
            needed = ("code", "redirect_uri")
        else:
            return TokenResult(
                _error(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}"), delay
            )
        missing = [name for name in needed if not params.get(name)]
        if missing:
            return TokenResult(_error(400, "invalid_request", f"Missing parameter: {missing[0]}"), delay)
        with self._lock:
            if grant_type == "refresh_token":
                problem = self._use_refresh_token(params["refresh_token"])
            else:
                problem = self._use_code(params["code"], params["redirect_uri"])
            if problem is not None:
                self._invalid_grants += 1
                return TokenResult(_error(400, "invalid_grant", problem), delay)
            if grant_type == "refresh_token":
                self._refreshes += 1
            else:
                self._code_exchanges += 1
            access_token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(24)
            refresh_token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(24)
            self._access[access_token] = time.monotonic() + config.access_token_lifetime
            self._refresh.add(refresh_token)
            if config.token_drop_after_rotation > 0:
                config.token_drop_after_rotation -= 1
                lost = _error(503, "temporarily_unavailable", "Service unavailable (the answer was lost)")
                return TokenResult(lost, delay)
        answer = Answer(
            200,
            dumps(
                {
                    "access_token": access_token,
                    "refresh_token": refresh_token,
                    "expires_in": max(1, math.ceil(config.access_token_lifetime)),
                    "scope": " ".join(config.scopes),
                    "token_type": "bearer",
                    "api_base_url_for_customer": config.oauth_base_url or base_url,
                }
            ),
            headers=[(b"cache-control", b"no-store"), (b"pragma", b"no-cache")],
        )
        return TokenResult(answer, delay)

    def _use_refresh_token(self, token: str) -> str | None:
        """Kill ``token``; return why it cannot be used, or ``None`` (call under the lock)."""
        if token in self._refresh:
            self._refresh.discard(token)
            self._used_refresh.add(token)
            return None
        if token in self._used_refresh:
            return "The refresh token was already used (refresh tokens are single-use)"
        return "The refresh token is unknown or revoked"

    def _use_code(self, code: str, redirect_uri: str) -> str | None:
        """Kill ``code``; return why it cannot be used, or ``None`` (call under the lock)."""
        expected = self._codes.get(code)
        if expected is None:
            if code in self._used_codes:
                return "The authorization code was already used"
            return "The authorization code is unknown"
        if expected != redirect_uri:
            return "The redirect_uri does not match the one the authorization code was issued for"
        del self._codes[code]
        self._used_codes.add(code)
        return None


def _client_auth(config: EmulatorConfig, headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """Check the client's Basic credentials; return why they are refused, or ``None``."""
    authorization = ""
    for name, value in headers:
        if name == b"authorization":
            authorization = value.decode("latin-1").strip()
            break
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return "Client authentication required: Basic base64(client_id:client_secret)"
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "Malformed Basic client credentials"
    client_id, sep, client_secret = decoded.partition(":")
    good = (
        sep == ":"
        and hmac.compare_digest(client_id.encode(), config.oauth_client_id.encode())
        and hmac.compare_digest(client_secret.encode(), config.oauth_client_secret.encode())
    )
    return None if good else "Invalid client_id or client_secret"


def _params(headers: Sequence[tuple[bytes, bytes]], query: bytes, body: bytes) -> dict[str, str]:
    """The request's parameters: a form body's, overridden by the query string's (Gong's documented way)."""
    params: dict[str, str] = {}
    content_type = b""
    for name, value in headers:
        if name == b"content-type":
            content_type = value.split(b";", 1)[0].strip().lower()
            break
    sources = [query]
    if content_type == _FORM and body:
        sources.insert(0, body)
    for source in sources:
        try:
            parsed = parse_qs(source.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            continue
        params.update({name: values[-1] for name, values in parsed.items()})
    return params


def _error(status: int, error: str, description: str, *, authenticate: bool = False) -> Answer:
    """An OAuth error answer ``{"error", "error_description"}``."""
    answer = Answer(status, dumps({"error": error, "error_description": description}))
    answer.headers.append((b"cache-control", b"no-store"))
    if authenticate:
        answer.headers.append((b"www-authenticate", b'Basic realm="gong-oauth"'))
    return answer
