"""Who may call: Basic (access key + secret) or Bearer (the static OAuth token or an access token issued
by the token endpoint, see :mod:`~airflow_provider_gong.testing.oauth`), then the route's scopes.

The scopes in ``EmulatorConfig.scopes`` are granted to any valid credentials (Basic or Bearer); each
route of the table declares the scopes it needs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable, Sequence

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.config import EmulatorConfig
from airflow_provider_gong.testing.envelope import gong_error
from airflow_provider_gong.testing.oauth import OAuthState

__all__ = ["authenticate", "check_scopes"]


def authenticate(
    config: EmulatorConfig,
    headers: Sequence[tuple[bytes, bytes]],
    request_id: str,
    oauth: OAuthState | None = None,
) -> Answer | None:
    """Check the ``Authorization`` header; return the 401 to send, or ``None`` when it is good.

    :param config: The live settings (credentials).
    :param headers: The request's raw headers (lower-case names).
    :param request_id: The request id of a refusal.
    :param oauth: The issued OAuth tokens: a bearer token among them that has not expired is good too, and a
        refused bearer token is counted there (``oauth_rejected_bearer``).
    """
    authorization = None
    for name, value in headers:
        if name == b"authorization":
            authorization = value.decode("latin-1").strip()
            break
    if not authorization:
        return gong_error(401, "Missing Authorization header", request_id=request_id)
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return gong_error(401, "Malformed Basic credentials", request_id=request_id)
        key, sep, secret = decoded.partition(":")
        good = (
            sep == ":"
            and hmac.compare_digest(key.encode(), config.access_key.encode())
            and hmac.compare_digest(secret.encode(), config.secret.encode())
        )
        if not good:
            return gong_error(401, "Invalid access key or access key secret", request_id=request_id)
    elif scheme == "bearer":
        token = config.token
        static = token is not None and hmac.compare_digest(credentials.encode(), token.encode())
        if not static and not (oauth is not None and oauth.access_token_valid(credentials)):
            if oauth is not None:
                oauth.count_rejected_bearer()
            return gong_error(401, "Invalid or expired access token", request_id=request_id)
    else:
        return gong_error(401, "Unsupported authorization scheme", request_id=request_id)
    return None


def check_scopes(config: EmulatorConfig, required: Iterable[str], request_id: str) -> Answer | None:
    """Return the 403 to send when the credentials lack one of ``required``, else ``None``.

    :param config: The live settings (granted scopes).
    :param required: The route's scopes.
    :param request_id: The request id of a refusal.
    """
    granted = config.scopes
    missing = [scope for scope in required if scope not in granted]
    if not missing:
        return None
    if len(missing) == 1:
        detail = f"the scope '{missing[0]}'"
    else:
        detail = "the scopes " + ", ".join(f"'{scope}'" for scope in missing)
    return gong_error(403, f"Access denied: the credentials lack {detail}", request_id=request_id)
