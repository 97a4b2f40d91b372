"""Where an OAuth app's rotated tokens are kept in Airflow, for the hook and the trigger alike.

With ``shared_state_url`` the tokens are in Redis, encrypted with Airflow's Fernet key
(:class:`~airflow_provider_gong.client.oauth.RedisTokenStore`); without it, in an Airflow Variable through
the Task SDK (:class:`~airflow_provider_gong.client.oauth.VariableTokenStore`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_gong.client.decode import DEADLINE_SLACK
from airflow_provider_gong.client.oauth import LOCK_SLACK, OAuthTokens, TokenStore, fernet_from_key
from airflow_provider_gong.client.settings import GongSettings

__all__ = ["oauth_tokens", "token_store"]


def token_store(settings: GongSettings, conn_id: str) -> TokenStore:
    """
    The store of an OAuth app's tokens: Redis with shared state (a real Fernet key required), else a Variable.

    No request is sent and nothing is read from the store here.

    :param settings: The connection's settings (``auth_mode="oauth"``).
    :param conn_id: The connection id.
    :raises GongConfigError: with shared state but no real ``[core] fernet_key``.
    """
    from airflow_provider_gong.client.oauth import RedisTokenStore, VariableTokenStore  # noqa: PLC0415
    from airflow_provider_gong.version_compat import Variable, conf  # noqa: PLC0415

    app = settings.oauth
    if app is None:
        raise ValueError(f"Gong connection '{conn_id}' is not an OAuth app")
    shared = settings.shared
    if shared is None:
        return VariableTokenStore(conn_id, app.key, Variable)
    fernet = fernet_from_key(conf.get("core", "fernet_key", fallback=""))
    return RedisTokenStore(
        shared.url,
        shared.location,
        app.key,
        fernet,
        lock_seconds=settings.timeout + DEADLINE_SLACK + LOCK_SLACK,
    )


def oauth_tokens(
    settings: GongSettings,
    conn_id: str,
    *,
    mask: Callable[[str], None],
    log: Any = None,
    refresh_allowed: bool = True,
) -> OAuthTokens:
    """
    The token manager of an OAuth app's connection, on its store.

    :param settings: The connection's settings (``auth_mode="oauth"``).
    :param conn_id: The connection id.
    :param mask: Called with every token obtained (``mask_secret``).
    :param log: Where refreshes are logged.
    :param refresh_allowed: ``False`` to read tokens only, never refresh (the Test button without a store
        every process shares).
    """
    app = settings.oauth
    if app is None:
        raise ValueError(f"Gong connection '{conn_id}' is not an OAuth app")
    return OAuthTokens(
        app,
        token_store(settings, conn_id),
        conn_id=conn_id,
        timeout=settings.timeout,
        mask=mask,
        log=log,
        refresh_allowed=refresh_allowed,
    )
