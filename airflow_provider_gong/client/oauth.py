"""OAuth apps: access tokens refreshed before they expire, single-use refresh tokens rotated safely.

Gong's refresh tokens are single-use: each refresh returns a new one and kills the old, so two processes
refreshing at once, or a rotated token that is not saved, lock the app out until a person authorises it
again. :class:`OAuthTokens` hands out the current access token and refreshes it under a lock of its
:class:`TokenStore`, which keeps the rotated tokens where every process reads them next:

- :class:`RedisTokenStore` (the connection extra ``shared_state_url``): a lock in Redis, so one refresh per
  expiry however many processes need a token, and the tokens stored there encrypted with Airflow's Fernet
  key;
- :class:`VariableTokenStore` (no shared state): a lock within the process, the tokens saved to an Airflow
  Variable. Two processes (two tasks, or a task and its trigger) can then still race: that needs
  ``shared_state_url``.

The token call is never retried once it may have reached Gong: a retry could send a refresh token Gong
already rotated. :func:`exchange_authorization_code` trades the code of an app's authorisation for its
first tokens (``python -m airflow_provider_gong.client.oauth``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import json
import logging
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeGuard
from urllib.parse import urlsplit

import requests
import urllib3

from airflow_provider_gong.client.deadline import deadline
from airflow_provider_gong.client.decode import DEADLINE_SLACK
from airflow_provider_gong.client.environment import trust_store
from airflow_provider_gong.client.settings import (
    DEFAULT_TOKEN_URL,
    USER_AGENT,
    GongSettings,
    OAuthApp,
    check_token_url,
    normalize_base_url,
)
from airflow_provider_gong.exceptions import GongAuthError, GongConfigError, GongConnectionError, redact

__all__ = [
    "REAUTHORISE",
    "OAuthTokens",
    "RedisTokenStore",
    "Token",
    "TokenStore",
    "VariableTokenStore",
    "exchange_authorization_code",
    "fernet_from_key",
]

_log = logging.getLogger("airflow_provider_gong.client.oauth")

#: What to do when Gong refuses the refresh token: only a person can authorise the app again.
REAUTHORISE = (
    "A technical administrator of the Gong company must authorise the app again (its authorize URL), then "
    "seed the connection's refresh_token with the new one, e.g. with "
    "'python -m airflow_provider_gong.client.oauth exchange'"
)

#: Refresh this long before the access token expires, at most (a tenth of its lifetime when shorter).
REFRESH_MARGIN = 300.0

#: How long one process may hold the refresh lock beyond the token call's own bound.
LOCK_SLACK = 15.0


@dataclasses.dataclass(frozen=True)
class Token:
    """
    An access token and the refresh token that replaces it.

    :param access_token: The Bearer token (masked in logs).
    :param refresh_token: The refresh token to use next (single-use; masked).
    :param expires_at: When the access token expires (seconds since the epoch); ``0`` when unknown.
    :param lifetime: Its lifetime from ``expires_in`` (``0`` when unknown).
    :param base_url: The tenant's base URL from ``api_base_url_for_customer`` (``None`` when not said).
    :param key: The :attr:`OAuthApp.key` of the authorisation it belongs to.
    """

    access_token: str
    refresh_token: str
    expires_at: float = 0.0
    lifetime: float = 0.0
    base_url: str | None = None
    key: str = ""

    def fresh(self, now: float) -> bool:
        """Whether the access token can still be used (not within the refresh margin of its expiry)."""
        if not self.expires_at:
            return True
        margin = min(REFRESH_MARGIN, self.lifetime / 10) if self.lifetime else REFRESH_MARGIN
        return now < self.expires_at - margin

    def to_json(self) -> str:
        """The token as JSON (what a store keeps, encrypted or in a Variable)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Token:
        """
        Rebuild a token from :meth:`to_json`.

        :raises ValueError: when the text is not such a token.
        """
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        fields = {field.name for field in dataclasses.fields(cls)}
        token = cls(**{name: value[name] for name in fields if name in value})
        if not isinstance(token.access_token, str) or not isinstance(token.refresh_token, str):
            raise ValueError("no access_token or refresh_token")
        return token

    def __repr__(self) -> str:
        return f"Token(expires_at={self.expires_at!r}, base_url={self.base_url!r}, key={self.key!r})"


class TokenStore(Protocol):
    """Where an authorisation's rotated tokens are kept, and the lock its refreshes take."""

    #: Where the tokens are, for messages (never a password).
    where: str

    def load(self) -> Token | None:
        """The stored token, or ``None`` when none is stored for this authorisation."""
        ...

    def save(self, token: Token) -> None:
        """Store ``token`` (the rotated refresh token must survive)."""
        ...

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        """Hold the refresh lock: one refresh at a time wherever this store is shared."""
        ...


_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(key: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(key, threading.Lock())


class VariableTokenStore:
    """
    Tokens in an Airflow Variable (``gong_oauth_token__<conn_id>``), read and written through the Task SDK.

    Airflow encrypts Variables with its Fernet key when one is configured, and hides a Variable whose name
    says ``token`` in its UI. The lock holds within this process only.

    :param conn_id: The connection id, which names the Variable.
    :param key: The authorisation's :attr:`OAuthApp.key`: a Variable left by another seed is ignored.
    :param variable: Airflow's ``Variable`` class (its ``get`` and ``set``).
    """

    def __init__(self, conn_id: str, key: str, variable: Any) -> None:
        self.name = f"gong_oauth_token__{conn_id}"
        self.where = f"the Airflow Variable {self.name!r}"
        self._key = key
        self._variable = variable

    def load(self) -> Token | None:
        try:
            if _airflow2(self._variable):
                text = self._variable.get(self.name, default_var=None)
            else:
                text = self._variable.get(self.name, default=None)
        except Exception as err:
            _log.debug("could not read %s: %s", self.where, type(err).__name__)
            return None
        if not text:
            return None
        try:
            token = Token.from_json(text)
        except (ValueError, TypeError):
            _log.warning("%s does not hold a Gong token; ignoring it", self.where)
            return None
        return token if token.key == self._key else None

    def save(self, token: Token) -> None:
        self._variable.set(
            self.name, token.to_json(), description="Gong OAuth tokens (airflow-provider-gong)"
        )

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        return _process_lock(f"variable:{self.name}")


def _airflow2(variable: Any) -> bool:
    """Whether ``variable`` is Airflow 2's ``Variable`` (its ``get`` takes ``default_var``)."""
    return str(variable.__module__).startswith("airflow.models")


#: Compare-and-delete: releases the lock only if this process still holds it.
_UNLOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisTokenStore:
    """
    Tokens in Redis, encrypted with Airflow's Fernet key; the refresh lock in Redis too.

    Keys: ``gong:oauth:<key>:token`` (the token, kept until replaced) and ``gong:oauth:<key>:lock`` (held
    for at most ``lock_seconds``, so a process that dies mid-refresh frees it).

    :param url: The Redis URL (``shared_state_url``).
    :param location: The same without password, for messages.
    :param key: The authorisation's :attr:`OAuthApp.key`.
    :param fernet: What encrypts the token (:func:`fernet_from_key`).
    :param lock_seconds: The longest a refresh may hold the lock.
    """

    def __init__(self, url: str, location: str, key: str, fernet: Any, lock_seconds: float) -> None:
        from airflow_provider_gong.client.shared import redis_modules  # noqa: PLC0415 - optional extra

        redis = redis_modules()[0]  # the shared state's modules, or its error naming the extra
        self._redis = redis
        self._client = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        self.where = f"Redis at {location}"
        self._token_key = f"gong:oauth:{key}:token"
        self._lock_key = f"gong:oauth:{key}:lock"
        self._fernet = fernet
        self._lock_ms = int(lock_seconds * 1000)

    def _unavailable(self, err: Exception, doing: str) -> GongConnectionError:
        return GongConnectionError(
            f"could not {doing} the Gong OAuth tokens in {self.where} ({type(err).__name__}); the refresh "
            "token is single-use, so no process refreshes it without the shared lock"
        )

    def load(self) -> Token | None:
        try:
            raw = self._client.get(self._token_key)
        except self._redis.RedisError as err:
            raise self._unavailable(err, "read") from None
        if raw is None:
            return None
        try:
            return Token.from_json(self._fernet.decrypt(raw))
        except Exception:
            raise GongConfigError(
                f"the Gong OAuth tokens in {self.where} cannot be decrypted with this Airflow's "
                "[core] fernet_key: every worker, triggerer and API server must share the same key"
            ) from None

    def save(self, token: Token) -> None:
        value = self._fernet.encrypt(token.to_json().encode())
        try:
            self._client.set(self._token_key, value)
        except self._redis.RedisError as err:
            raise self._unavailable(err, "save") from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        mine = uuid.uuid4().hex
        give_up = time.monotonic() + self._lock_ms / 1000 + 5
        try:
            while not self._client.set(self._lock_key, mine, nx=True, px=self._lock_ms):
                if time.monotonic() > give_up:
                    raise GongConnectionError(
                        f"another process held the Gong OAuth refresh lock in {self.where} for longer than "
                        f"{self._lock_ms / 1000:g} s"
                    )
                time.sleep(0.02 + random.random() * 0.03)
        except self._redis.RedisError as err:
            raise self._unavailable(err, "lock") from None
        try:
            yield
        finally:
            with contextlib.suppress(self._redis.RedisError):
                self._client.eval(_UNLOCK_SCRIPT, 1, self._lock_key, mine)


def fernet_from_key(key: str | None) -> Any:
    """
    What encrypts tokens in Redis: a ``MultiFernet`` of Airflow's ``[core] fernet_key`` (comma-separated).

    :param key: The configured key(s).
    :raises GongConfigError: when no real key is configured (Airflow would store in clear) or it is invalid.
    """
    from cryptography.fernet import Fernet, MultiFernet  # noqa: PLC0415 - Airflow installs it

    # Airflow's default before a config file is written is the unrendered template "{FERNET_KEY}".
    keys = [
        part.strip() for part in (key or "").split(",") if part.strip() and part.strip() != "{FERNET_KEY}"
    ]
    if not keys:
        raise GongConfigError(
            "the Gong OAuth app keeps its rotated refresh token in shared_state_url's Redis encrypted with "
            "Airflow's Fernet key, but [core] fernet_key is not set (Airflow would store it in clear): set "
            "AIRFLOW__CORE__FERNET_KEY, the same on every Airflow process"
        )
    try:
        return MultiFernet([Fernet(part.encode()) for part in keys])
    except (ValueError, TypeError):
        raise GongConfigError(
            "Airflow's [core] fernet_key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
        ) from None


class _HideTokenQuery(logging.Filter):
    """
    Cuts the query string of a token call out of urllib3's DEBUG line of each request.

    Gong takes the token call's parameters in the query string, refresh token and code included; Airflow's
    task logs mask them (every token is masked before it is sent), but a DEBUG log of urllib3 outside them
    would not.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_is_token_query(arg) for arg in record.args):
            record.args = tuple(
                arg.split("?", 1)[0] + "?***" if _is_token_query(arg) else arg for arg in record.args
            )
        return True


def _is_token_query(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and "?" in value and "grant_type=" in value


_URLLIB3_LOG = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(existing, _HideTokenQuery) for existing in _URLLIB3_LOG.filters):
    _URLLIB3_LOG.addFilter(_HideTokenQuery())


class _InvalidGrant(Exception):
    """Gong refused the refresh token (used already, or revoked)."""


def _request_tokens(
    token_url: str,
    client_id: str,
    client_secret: str,
    params: Mapping[str, str],
    timeout: float,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """
    One call of the token endpoint; the decoded answer, or a typed error. Never retried once sent.

    :raises _InvalidGrant: for Gong's ``invalid_grant``.
    :raises GongAuthError: for any other refusal or an answer that is not Gong's.
    :raises GongConnectionError: when the call failed; ``retryable`` only when it cannot have reached Gong.
    """
    path = urlsplit(token_url).path or "/"
    http = session or requests.Session()
    store = trust_store()
    try:
        with deadline(timeout + DEADLINE_SLACK) as attempt:
            try:
                response = http.post(
                    token_url,
                    params=dict(params),
                    auth=(client_id, client_secret),
                    headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                    timeout=timeout,
                    allow_redirects=False,
                    verify=store if store is not None else True,
                )
                content = response.content
            except requests.RequestException as err:
                unsent = _not_sent(err)
                what = "could not reach" if unsent else "lost the answer of"
                raise GongConnectionError(
                    f"Gong's OAuth token endpoint POST {path}: {what} it ({type(err).__name__})"
                    + (
                        ""
                        if unsent
                        else "; not retried, as Gong may have rotated the single-use refresh token already"
                    ),
                    retryable=unsent,
                ) from None
            if attempt.expired:
                raise GongConnectionError(
                    f"Gong's OAuth token endpoint POST {path} did not answer within {timeout:g} s; not "
                    "retried, as Gong may have rotated the single-use refresh token already",
                    retryable=False,
                )
    finally:
        if session is None:
            http.close()
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    error = body.get("error")
    if response.status_code == 200 and not error:
        return body
    # A hostile or broken server may echo what it was sent: nothing sent goes into an error's text.
    sent = (client_secret, *(value for name, value in params.items() if name in ("refresh_token", "code")))
    description = body.get("error_description")
    if error == "invalid_grant":
        raise _InvalidGrant(redact(str(description or "invalid_grant")[:200], sent))
    detail = redact(" ".join(str(part)[:200] for part in (error, description) if isinstance(part, str)), sent)
    if 300 <= response.status_code < 400:
        hint = "The token URL redirects, and credentials never follow a redirect: set token_url to its target"
    elif error == "invalid_client" or response.status_code == 401:
        hint = "Check the connection's client_id and client_secret (the OAuth app's, in Gong's app settings)"
    elif response.status_code >= 500 or response.status_code == 200:
        hint = (
            "Not retried: Gong may have rotated the single-use refresh token already. The next attempt "
            f"tries again; if it gets invalid_grant: {REAUTHORISE}"
        )
    else:
        hint = REAUTHORISE
    raise GongAuthError(
        response.status_code,
        "POST",
        path,
        detail=detail or f"an answer that is not Gong's token answer ({len(content)} bytes)",
        hint=hint,
    )


def _not_sent(error: requests.RequestException) -> bool:
    """Whether the request cannot have reached the server (no connection was made)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError):
        reason = error.args[0] if error.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def _token_from_answer(answer: Mapping[str, Any], previous: str, key: str, now: float) -> Token:
    """The token of a 200 answer; an access token missing is an empty, expired one (the refresh is kept)."""
    access = answer.get("access_token")
    refresh = answer.get("refresh_token")
    if not isinstance(access, str) or not access:
        return Token(
            "", refresh if isinstance(refresh, str) and refresh else previous, expires_at=1.0, key=key
        )
    expires_in = answer.get("expires_in")
    lifetime = float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 0.0
    base = answer.get("api_base_url_for_customer")
    return Token(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous,
        expires_at=now + lifetime if lifetime else 0.0,
        lifetime=lifetime,
        base_url=base if isinstance(base, str) and base.strip() else None,
        key=key,
    )


class OAuthTokens:
    """
    The current access token of one OAuth app, refreshed before it expires and once after a 401.

    Thread-safe; one per client. Every token it obtains is passed to ``mask`` before it is used.

    :param app: The app (from the connection).
    :param store: Where the rotated tokens are kept (:class:`RedisTokenStore`, :class:`VariableTokenStore`).
    :param conn_id: The connection id, for messages.
    :param timeout: The token call's bound, in seconds.
    :param mask: Called with every token obtained (``mask_secret``).
    :param clock: Seconds since the epoch.
    :param log: Where refreshes are logged (never a token).
    :param refresh_allowed: ``False`` (the Test button without shared state): a token is only read, never
        refreshed; a refresh needed raises :class:`GongConfigError` saying so, before any token call.
    """

    def __init__(
        self,
        app: OAuthApp,
        store: TokenStore,
        *,
        conn_id: str,
        timeout: float,
        mask: Callable[[str], None] = lambda value: None,
        clock: Callable[[], float] = time.time,
        log: Any = None,
        refresh_allowed: bool = True,
    ) -> None:
        self.app = app
        self.store = store
        self.conn_id = conn_id
        self.timeout = timeout
        self.refresh_allowed = refresh_allowed
        self._mask = mask
        self._clock = clock
        self._log = log if log is not None else _log
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._host: str | None = None  # the configured base URL, once known (:meth:`base_url`)
        self._warned = False
        #: The rotated refresh token the store could not save (the live one; the store's is spent).
        self._unsaved: str | None = None
        #: Calls this object made to the token endpoint (each one spends a refresh token).
        self.refreshes = 0

    def _seed(self) -> Token:
        """What the connection itself holds: its access token (expiry unknown) and the seed refresh token."""
        return Token(self.app.access_token, self.app.refresh_token, key=self.app.key)

    def _known(self) -> Token | None:
        token = self._token
        if token is None:
            token = self.store.load()
            if token is not None:
                self._use(token)
        return token

    def _masked(self, *values: str) -> None:
        for value in values:
            if value:
                self._mask(value)

    def _use(self, token: Token) -> Token:
        self._masked(token.access_token, token.refresh_token)
        self._token = token
        return token

    def current(self) -> Token:
        """
        A token to send now: the one in use, the stored one, or a refreshed one when those expired.

        :raises GongAuthError: when Gong refuses the refresh token (``invalid_grant``), or a refresh is
            needed but not allowed here.
        """
        with self._lock:
            token = self._known()
            now = self._clock()
            if token is not None and token.fresh(now):
                return token
            if token is None and self.app.access_token:
                return self._use(self._seed())
            return self._refresh(stale=token.access_token if token is not None else None)

    def after_401(self, refused: str) -> Token:
        """
        A token after Gong refused ``refused`` with a 401: one another process stored since, or a new one.

        :param refused: The access token Gong refused.
        """
        with self._lock:
            return self._refresh(stale=refused)

    def _refresh(self, stale: str | None) -> Token:
        if not self.refresh_allowed:
            what = "was refused" if stale else "is expired or missing"
            raise GongConfigError(
                f"Gong connection '{self.conn_id}': the OAuth access token {what}, and refreshing it here "
                "would spend the single-use refresh token where the rotated one is not kept for the other "
                "processes; nothing was refreshed. Set shared_state_url (the rotated token is then kept in "
                "Redis), or run a task, which refreshes and saves it"
            )
        mine = self._token
        if (
            mine is not None
            and mine.access_token
            and mine.access_token != stale
            and mine.fresh(self._clock())
        ):
            return mine  # another thread of this client refreshed meanwhile
        with self.store.lock():
            stored = self.store.load()
            now = self._clock()
            if stored is not None and stored.access_token != stale and stored.fresh(now):
                return self._use(stored)  # another process refreshed meanwhile
            if self._unsaved is not None:
                refresh_token = self._unsaved  # the store missed this process's rotation: it is the live one
            elif stored is not None:
                refresh_token = stored.refresh_token
            else:
                refresh_token = self.app.refresh_token
            try:
                token = self._call(refresh_token)
            except _InvalidGrant as refused:
                again = self.store.load()
                if again is None or again.refresh_token == refresh_token:
                    raise self._invalid_grant(str(refused)) from None
                # Another process rotated it without this one seeing the lock: use what it stored.
                if again.access_token != stale and again.fresh(self._clock()):
                    return self._use(again)
                try:
                    token = self._call(again.refresh_token)
                except _InvalidGrant as refused_again:
                    raise self._invalid_grant(str(refused_again)) from None
            self._save(token)
            return self._use(token)

    def _call(self, refresh_token: str) -> Token:
        self.refreshes += 1
        started = self._clock()
        answer = _request_tokens(
            self.app.token_url,
            self.app.client_id,
            self.app.client_secret,
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            self.timeout,
        )
        token = _token_from_answer(answer, refresh_token, self.app.key, started)
        self._masked(token.refresh_token)
        if not token.access_token:
            self._save(token)  # the refresh token rotated all the same: keep the new one
            raise GongAuthError(
                200,
                "POST",
                urlsplit(self.app.token_url).path,
                detail="Gong's token answer has no access_token",
            )
        self._masked(token.access_token)
        self._warn_of_host(token)
        self._log.info(
            "Refreshed the Gong OAuth access token of connection '%s' (valid %s); rotated refresh token "
            "kept in %s",
            self.conn_id,
            f"{token.lifetime:g} s" if token.lifetime else "for an unknown time",
            self.store.where,
        )
        return token

    def _warn_of_host(self, token: Token) -> None:
        """Once: the configured host is not the one Gong's token answer names (the configured one is used)."""
        if self._host is None or not token.base_url or self._warned:
            return
        try:
            told = normalize_base_url(token.base_url, conn_id=self.conn_id)
        except GongConfigError:
            told = token.base_url
        if told != self._host:
            self._warned = True
            self._log.warning(
                "Gong connection '%s' names the host %s, but Gong's token answer names the company's API at "
                "%s; using the configured host (clear it to use Gong's)",
                self.conn_id,
                self._host,
                told,
            )

    def _save(self, token: Token) -> None:
        try:
            self.store.save(token)
            self._unsaved = None
        except Exception as err:
            self._unsaved = token.refresh_token
            # The rotated refresh token lives in this process only now: say so loudly, keep working.
            self._log.error(
                "Could not save the rotated Gong OAuth refresh token of connection '%s' to %s (%s): this "
                "process goes on, but a later run will get invalid_grant unless the token is saved; set "
                "shared_state_url so every process shares it",
                self.conn_id,
                self.store.where,
                type(err).__name__,
            )

    def _invalid_grant(self, description: str) -> GongAuthError:
        return GongAuthError(
            400,
            "POST",
            urlsplit(self.app.token_url).path,
            errors=["invalid_grant"],
            detail=None,
            hint=(
                f"Gong refused the refresh token of connection '{self.conn_id}' ({description[:200]}): it "
                f"was used already or revoked. {REAUTHORISE}"
            ),
        )

    def base_url(self, settings: GongSettings) -> GongSettings:
        """
        ``settings`` for the tenant's base URL: the configured host wins; else the token's
        ``api_base_url_for_customer`` (a refresh first when no token says it).

        :param settings: The connection's settings.
        :raises GongConfigError: when the token's base URL is not https (loopback http excepted).
        """
        with self._lock:
            token = self._known()
            if not self.app.host_configured and (token is None or not token.base_url):
                if not self.refresh_allowed:
                    raise GongConfigError(
                        f"Gong connection '{self.conn_id}' names no host, and only Gong's token answer names "
                        "the company's API base URL; refreshing here would spend the single-use refresh "
                        "token where the rotated one is not kept for the other processes, so nothing was "
                        "refreshed. Set the host (e.g. https://us-12345.api.gong.io) or shared_state_url"
                    )
                token = self._refresh(stale=None)  # only a token answer names the company's API
        if self.app.host_configured:
            self._host = settings.base_url
            if token is not None:
                self._warn_of_host(token)
            return settings
        told = token.base_url if token is not None else None
        if not told:
            return settings
        return settings.with_base_url(normalize_base_url(told, conn_id=self.conn_id))


def exchange_authorization_code(
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    token_url: str = DEFAULT_TOKEN_URL,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """
    Trade the code of an app's authorisation for its first tokens (``grant_type=authorization_code``).

    :param client_id: The OAuth app's client id.
    :param client_secret: Its client secret.
    :param code: The ``code`` Gong sent to the redirect URI after a technical administrator approved.
    :param redirect_uri: The redirect URI the authorisation used (exactly).
    :param token_url: Gong's token endpoint (https; http only to loopback).
    :param timeout: Seconds to wait.
    :return: Gong's answer: ``access_token``, ``refresh_token``, ``expires_in``, ``scope``,
        ``api_base_url_for_customer``.
    :raises GongAuthError: when Gong refuses the code (``invalid_grant``: used, expired or another
        redirect URI) or the client.
    """
    url = check_token_url(token_url, "exchange_authorization_code")
    try:
        answer = _request_tokens(
            url,
            client_id,
            client_secret,
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            timeout,
        )
    except _InvalidGrant as refused:
        raise GongAuthError(
            400,
            "POST",
            urlsplit(url).path,
            errors=["invalid_grant"],
            hint=f"Gong refused the authorization code ({str(refused)[:200]}): codes are single-use and "
            "short-lived, and the redirect_uri must be the authorisation's. Authorise again for a new code",
        ) from None
    if not isinstance(answer.get("refresh_token"), str):
        raise GongAuthError(200, "POST", urlsplit(url).path, detail="Gong's answer carries no refresh_token")
    return answer


def _main(argv: list[str] | None = None) -> int:
    """``python -m airflow_provider_gong.client.oauth exchange``: print a connection's OAuth extras."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_gong.client.oauth",
        description="Trade a Gong OAuth authorization code for the extras of an Airflow connection.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    exchange = commands.add_parser("exchange", help="exchange an authorization code for the first tokens")
    exchange.add_argument("--client-id", required=True)
    exchange.add_argument("--code", required=True)
    exchange.add_argument("--redirect-uri", required=True)
    exchange.add_argument("--token-url", default=DEFAULT_TOKEN_URL)
    args = parser.parse_args(argv)
    secret = os.environ.get("GONG_CLIENT_SECRET") or getpass.getpass("Client secret: ")
    try:
        answer = exchange_authorization_code(
            args.client_id, secret, args.code, args.redirect_uri, token_url=args.token_url
        )
    except (GongAuthError, GongConfigError, GongConnectionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    extras: dict[str, Any] = {
        "client_id": args.client_id,
        "client_secret": secret,
        "refresh_token": answer["refresh_token"],
    }
    if args.token_url != DEFAULT_TOKEN_URL:
        extras["token_url"] = args.token_url
    print(json.dumps(extras, indent=2))
    base = answer.get("api_base_url_for_customer")
    if isinstance(base, str):
        print(f"# the company's API: {base} (leave the connection's host empty to use it)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
