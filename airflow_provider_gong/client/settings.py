"""A Gong connection resolved and checked: base URL, credentials and the numeric settings.

Pure (no lookup, no request, no logging, no masking), so the sync hook and the async trigger resolve a
connection by the same rules and a bad connection gives the same :class:`GongConfigError` through both.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlsplit

from airflow_provider_gong import __version__
from airflow_provider_gong.exceptions import GongConfigError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONN_ID",
    "HOOK_PARAMS",
    "SETTING_RANGES",
    "USER_AGENT",
    "ConnectionFields",
    "GongSettings",
    "OAuthApp",
    "SharedStateSettings",
    "check_hook_params",
    "checked_setting",
    "normalize_base_url",
    "settings_from_connection",
]


#: The connection id hooks, operators, sensors and triggers use when given none.
DEFAULT_CONN_ID = "gong_default"
#: What every request of the provider says it is.
USER_AGENT = f"airflow-provider-gong/{__version__}"


class ConnectionFields(Protocol):
    """What settings are read from: an Airflow ``Connection`` (or anything with the same fields)."""

    host: str | None
    port: int | None
    login: str | None
    password: str | None
    extra: str | None


#: Used when the connection has no host; works for many US tenants only.
DEFAULT_BASE_URL = "https://api.gong.io"


DEFAULT_TIMEOUT = 30.0


DEFAULT_MAX_RETRIES = 5


DEFAULT_CALLS_PER_SECOND = 3.0


DEFAULT_MAX_RETRY_WAIT = 60.0


#: Gong's default daily quota per company, the budget shared state keeps (``calls_per_day``).
DEFAULT_CALLS_PER_DAY = 10_000

#: Gong's token endpoint of OAuth apps (the extra ``token_url`` overrides it).
DEFAULT_TOKEN_URL = "https://app.gong.io/oauth2/generate-customer-token"  # noqa: S105 - a URL, not a secret

#: Redis's default port, when ``shared_state_url`` names none.
DEFAULT_REDIS_PORT = 6379


@dataclass(frozen=True)
class _Range:
    """The values a numeric setting accepts: ``low`` (excluded when ``open_low``) to ``high``."""

    low: float
    high: float
    open_low: bool = False
    integer: bool = False

    def describe(self) -> str:
        low = f"greater than {self.low:g}" if self.open_low else f"at least {self.low:g}"
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} {low} and at most {self.high:g}"

    def admits(self, value: float) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        return above and value <= self.high and (not self.integer or value.is_integer())


#: What each numeric hook setting accepts, as a connection extra or as a hook argument.
SETTING_RANGES: Mapping[str, _Range] = {
    "timeout": _Range(0, 3600, open_low=True),
    "max_retries": _Range(0, 50, integer=True),
    "calls_per_second": _Range(0, 1000),
    "max_retry_wait": _Range(0, 86400),
}


#: The keyword arguments of :class:`GongHook` an operator's ``hook_params`` may hold: the numeric settings.
HOOK_PARAMS = tuple(SETTING_RANGES)

#: Numeric settings only a connection extra sets: they are the company's, not one hook's.
EXTRA_RANGES: Mapping[str, _Range] = {
    "calls_per_day": _Range(1, 1_000_000_000, integer=True),
}


@dataclass(frozen=True)
class SharedStateSettings:
    """
    Where the company's limits are shared between processes (the ``shared_state_url`` extra), and which.

    :param url: The Redis URL as given, password included: only for the Redis client (masked in logs).
    :param location: The same without password or query, for messages: ``redis://host:6379/0``.
    :param company: The company's key in Redis: the tenant's base URL without scheme, plus the access-key
        id on the shared ``api.gong.io`` host (never a secret or a token, so it stays the same across
        credentials and token refreshes of one tenant).
    :param calls_per_second: The company's pace: the connection's ``calls_per_second``, not a hook's
        override (a hook that asked less also keeps its own pace within its process).
    :param calls_per_day: The company's daily budget, per UTC day.
    """

    url: str
    location: str
    company: str
    calls_per_second: float
    calls_per_day: int

    def __repr__(self) -> str:
        return (
            f"SharedStateSettings(location={self.location!r}, company={self.company!r}, "
            f"calls_per_second={self.calls_per_second!r}, calls_per_day={self.calls_per_day!r})"
        )


@dataclass(frozen=True)
class OAuthApp:
    """
    An OAuth app: the extras ``client_id``, ``client_secret``, ``refresh_token`` and ``token_url``.

    :param client_id: The app's client id (not a secret).
    :param client_secret: The app's client secret (masked in logs).
    :param refresh_token: The refresh token the connection was seeded with (masked). Gong's refresh tokens
        are single-use: the rotated ones live in the token store, never in the connection.
    :param token_url: Gong's token endpoint (https; http only to loopback).
    :param access_token: The connection's current access token, ``""`` when it has none (masked).
    :param host_configured: Whether the connection names the API host; when it does not, the tenant's base
        URL comes from the token answer's ``api_base_url_for_customer``.
    :param key: Who this authorisation is, for the token store: a digest of the client id and the seed
        refresh token, so re-seeding the connection starts afresh (never a secret).
    """

    client_id: str
    client_secret: str
    refresh_token: str
    token_url: str
    access_token: str
    host_configured: bool
    key: str

    def __repr__(self) -> str:
        return (
            f"OAuthApp(client_id={self.client_id!r}, token_url={self.token_url!r}, "
            f"host_configured={self.host_configured!r}, key={self.key!r})"
        )


@dataclass(frozen=True)
class GongSettings:
    """
    What the hook resolved from its connection and arguments, once per hook.

    :param base_url: Gong API base URL, without a trailing ``/`` or ``/v2``.
    :param authorization: The ``Authorization`` header value (masked in logs); ``""`` for an OAuth app,
        whose header the client asks its token manager for at every attempt.
    :param auth_mode: ``"basic"``, ``"bearer"`` (a fixed access token) or ``"oauth"`` (an OAuth app that
        refreshes its tokens).
    :param timeout: Seconds to wait for Gong to connect and for each read.
    :param max_retries: Retries after the first attempt.
    :param calls_per_second: Client-side pace (0 = off).
    :param secrets: Every credential value, and what is derived from it, that logs must mask.
    :param shared: Where the company's limits are shared with other processes (``None``: this process
        alone paces its calls).
    :param oauth: The OAuth app, for ``auth_mode="oauth"``.
    """

    base_url: str
    authorization: str
    auth_mode: Literal["basic", "bearer", "oauth"]
    timeout: float
    max_retries: int
    calls_per_second: float
    secrets: tuple[str, ...] = field(default=(), compare=False)
    shared: SharedStateSettings | None = None
    oauth: OAuthApp | None = None

    @property
    def identity(self) -> str:
        """Who calls, for the process's pace: the Authorization value, or the OAuth app's stable key."""
        return f"oauth:{self.oauth.key}" if self.oauth is not None else self.authorization

    def with_base_url(self, base_url: str) -> GongSettings:
        """
        These settings for another base URL (the tenant's, from an OAuth token answer).

        :param base_url: The normalised base URL.
        """
        shared = self.shared
        if shared is not None:
            shared = replace(shared, company=company_key(base_url))
        return replace(self, base_url=base_url, shared=shared)

    def __repr__(self) -> str:
        # Never show the Authorization value, even in a debugger or a traceback.
        return (
            f"GongSettings(base_url={self.base_url!r}, auth_mode={self.auth_mode!r}, "
            f"timeout={self.timeout!r}, max_retries={self.max_retries!r}, "
            f"calls_per_second={self.calls_per_second!r}, shared={self.shared!r})"
        )


#: The arguments :func:`settings_from_connection` accepts as overrides of the connection's extras.
SETTINGS_OVERRIDES = ("timeout", "max_retries", "calls_per_second")


def settings_from_connection(
    conn: ConnectionFields,
    conn_id: str,
    overrides: Mapping[str, Any] | None = None,
) -> GongSettings:
    """
    Resolve and check a Gong connection: base URL (https only; http to loopback), auth, numbers.

    Pure: no lookup, no request, no logging and no masking, so the sync hook and the async trigger share
    the same rules. The caller masks ``settings.secrets`` (``mask_secret``, or ``amask_secret`` in an
    event loop).

    :param conn: The Airflow connection (already fetched): its host, port, login, password and extra
        (a JSON object, parsed here: the hook and the trigger read extras the same way).
    :param conn_id: Its id, for error messages.
    :param overrides: Values that win over the extras: ``timeout``, ``max_retries``, ``calls_per_second``
        (``None`` values are ignored).
    :raises GongConfigError: when the connection is unusable.
    """
    given = dict(overrides or {})
    unknown = sorted(set(given) - set(SETTINGS_OVERRIDES))
    if unknown:
        raise GongConfigError(
            f"unknown Gong setting(s) {unknown}; expected some of {list(SETTINGS_OVERRIDES)}"
        )
    extras = _parse_extra(conn.extra, conn_id)
    cid = conn_id
    base_url = normalize_base_url(conn.host, conn.port, conn_id=cid)
    token = _bearer_token(_credential(_extra(extras, "access_token"), TOKEN_FIELD, cid), cid)
    login = _credential(conn.login, "Access key (login)", cid)
    password = _credential(conn.password, "Access key secret (password)", cid)
    if ":" in login:
        raise GongConfigError(
            f"Gong connection '{cid}': the Access key (login) contains ':', which Basic auth cannot carry; "
            "check what was pasted there"
        )
    has_basic = bool(login or password)
    app = _oauth_app(extras, cid, token, host_configured=bool((conn.host or "").strip()))
    if (token or app is not None) and has_basic:
        what = "an OAuth app (client_id, client_secret, refresh_token)" if app else "an OAuth access_token"
        raise GongConfigError(
            f"Gong connection '{cid}' has both an access key/secret and {what}; keep exactly one of them"
        )
    mode: Literal["basic", "bearer", "oauth"]
    if app is not None:
        authorization, mode = "", "oauth"
        secrets: tuple[str, ...] = (app.client_secret, app.refresh_token)
        if token:
            secrets += (token, f"Bearer {token}")
    elif token:
        authorization, mode = f"Bearer {token}", "bearer"
        secrets = (token, authorization)
    elif login and password:
        encoded = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
        authorization, mode = f"Basic {encoded}", "basic"
        secrets = (password, encoded, authorization)
    elif has_basic:
        missing = "Access key secret (password)" if login else "Access key (login)"
        raise GongConfigError(f"Gong connection '{cid}' has no {missing}; set both or use access_token")
    else:
        raise GongConfigError(
            f"Gong connection '{cid}' has no credentials: set the Access key (login) and Access key "
            "secret (password), or an OAuth access_token in the extras"
        )
    shared = _shared_state(extras, cid, base_url, login if mode == "basic" else "")
    if shared is not None:
        secrets += _shared_state_secrets(shared.url)
    return GongSettings(
        base_url=base_url,
        authorization=authorization,
        auth_mode=mode,
        timeout=_number(given.get("timeout"), extras, "timeout", DEFAULT_TIMEOUT, cid),
        max_retries=int(_number(given.get("max_retries"), extras, "max_retries", DEFAULT_MAX_RETRIES, cid)),
        calls_per_second=_number(
            given.get("calls_per_second"), extras, "calls_per_second", DEFAULT_CALLS_PER_SECOND, cid
        ),
        secrets=secrets,
        shared=shared,
        oauth=app,
    )


#: The extras of an OAuth app, by their labels in the connection form.
OAUTH_FIELDS = {
    "client_id": "OAuth client id (client_id)",
    "client_secret": "OAuth client secret (client_secret)",
    "refresh_token": "OAuth refresh token (refresh_token)",
}


def _oauth_app(
    extras: dict[str, Any], conn_id: str, access_token: str, *, host_configured: bool
) -> OAuthApp | None:
    """The OAuth app of the extras (``None`` when none of its fields is set), all three fields checked."""
    values = {name: _credential(_extra(extras, name), label, conn_id) for name, label in OAUTH_FIELDS.items()}
    token_url = _extra(extras, "token_url")
    if not any(values.values()):
        if token_url not in (None, ""):
            raise GongConfigError(
                f"Gong connection '{conn_id}' sets token_url but no OAuth app: set client_id, client_secret "
                "and refresh_token too"
            )
        return None
    missing = [OAUTH_FIELDS[name] for name, value in values.items() if not value]
    if missing:
        raise GongConfigError(
            f"Gong connection '{conn_id}': an OAuth app needs client_id, client_secret and refresh_token; "
            f"missing: {', '.join(missing)}"
        )
    digest = hashlib.sha256(f"{values['client_id']}\0{values['refresh_token']}".encode()).hexdigest()
    return OAuthApp(
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        refresh_token=values["refresh_token"],
        token_url=check_token_url(token_url, conn_id),
        access_token=access_token,
        host_configured=host_configured,
        key=digest[:32],
    )


def check_token_url(value: Any, conn_id: str) -> str:
    """
    The token endpoint of an OAuth app: the extra ``token_url``, else Gong's; https (http only to loopback).

    :param value: The extra as given (``None`` or ``""``: Gong's endpoint).
    :param conn_id: The connection id, for messages.
    :raises GongConfigError: naming the problem (never a query string, which could hold a secret).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_TOKEN_URL
    where = f"Gong connection '{conn_id}': extra 'token_url'"
    if not isinstance(value, str):
        raise GongConfigError(f"{where} must be a URL, got a JSON {type(value).__name__}")
    text = value.strip()
    if any(char.isspace() or ord(char) < 32 or 127 <= ord(char) < 160 for char in text):
        # urlsplit drops tabs and line breaks: the URL checked would not be the one sent.
        raise GongConfigError(f"{where} contains spaces or control characters; paste the URL alone")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or "://" not in text:
        raise GongConfigError(f"{where} must be a full https:// URL such as {DEFAULT_TOKEN_URL}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise GongConfigError(f"{where} must be a plain URL (no credentials, query or fragment)")
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise GongConfigError(f"{where} has an invalid port") from None
    if not hostname:
        raise GongConfigError(f"{where} names no server")
    if scheme == "http" and not _is_loopback(hostname):
        raise GongConfigError(
            f"{where}: refusing to send the OAuth client secret and refresh token over plain http to "
            f"{hostname}; use https:// (http is only allowed to localhost, e.g. the Gong emulator)"
        )
    return text


def _shared_state(
    extras: dict[str, Any], conn_id: str, base_url: str, access_key: str
) -> SharedStateSettings | None:
    """The ``shared_state_url`` extra checked (``None`` when unset), with the company's key and limits."""
    raw = _extra(extras, "shared_state_url")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    where = f"Gong connection '{conn_id}': extra 'shared_state_url'"
    if not isinstance(raw, str):
        raise GongConfigError(f"{where} must be a redis:// or rediss:// URL, got a JSON {type(raw).__name__}")
    text = raw.strip()
    if any(char.isspace() or ord(char) < 32 for char in text):
        raise GongConfigError(f"{where} contains spaces or control characters; paste the URL alone")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss") or not text.lower().startswith(f"{scheme}://"):
        # Never echo the value: it may hold the Redis password.
        shown = f"{scheme}://" if scheme else "no scheme"
        raise GongConfigError(
            f"{where} must be a redis:// or rediss:// URL such as redis://localhost:6379/0, got {shown}"
        )
    try:
        hostname, port = parts.hostname, parts.port
    except ValueError:
        raise GongConfigError(f"{where} has an invalid port; e.g. redis://localhost:6379/0") from None
    if not hostname:
        raise GongConfigError(f"{where} names no Redis host; e.g. redis://localhost:6379/0")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise GongConfigError(
            f"{where}: the Redis database must be a number (redis://host:6379/0), got {database!r}"
        )
    if parts.fragment:
        raise GongConfigError(f"{where} must not have a #fragment")
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    location = f"{scheme}://{netloc}:{port or DEFAULT_REDIS_PORT}/{database or 0}"
    if parts.password and scheme == "redis" and not _is_loopback(hostname):
        raise GongConfigError(
            f"{where}: refusing to send the Redis password in clear to {location}; use rediss:// (TLS), "
            "as for Gong itself (plain redis:// with a password is only allowed to localhost)"
        )
    per_day = _extra(extras, "calls_per_day")
    calls_per_day = DEFAULT_CALLS_PER_DAY
    if per_day is not None and not (isinstance(per_day, str) and not per_day.strip()):
        calls_per_day = int(
            checked_setting("calls_per_day", per_day, f"extra 'calls_per_day' of Gong connection '{conn_id}'")
        )
    company_rate = _number(None, extras, "calls_per_second", DEFAULT_CALLS_PER_SECOND, conn_id)
    return SharedStateSettings(
        url=text,
        location=location,
        company=company_key(base_url, access_key),
        calls_per_second=company_rate,
        calls_per_day=calls_per_day,
    )


def _shared_state_secrets(url: str) -> tuple[str, ...]:
    """What logs must mask of a Redis URL: the URL itself and its password (as written and decoded)."""
    password = urlsplit(url).password
    if not password:
        return ()
    return tuple(dict.fromkeys((url, password, unquote(password))))


#: The Gong host many tenants share: a company there is told apart by its access key.
SHARED_API_HOST = "api.gong.io"


def company_key(base_url: str, access_key: str = "") -> str:
    """
    The key of one Gong company in the shared state: its base URL without the scheme.

    On the shared ``api.gong.io`` host the access-key id is added (it names the company there, and is not
    a secret); an OAuth token never is, so the key does not change when a token is refreshed.

    :param base_url: The normalised base URL (:func:`normalize_base_url`).
    :param access_key: The access-key id of Basic auth (``""`` for OAuth).
    """
    company = base_url.split("://", 1)[-1]
    if urlsplit(base_url).hostname == SHARED_API_HOST and access_key:
        company += f"/{access_key}"
    return company


def _credential(value: Any, field_name: str, conn_id: str) -> str:
    """
    A credential as given, or a ``GongConfigError`` naming the field and the problem (never the value).

    Refused: line breaks and other control characters, characters outside Latin-1 (a zero-width space,
    curly quotes: HTTP headers cannot carry them, and they are paste accidents), and spaces around the
    value. Sending such a value would fail inside the HTTP library with the whole header in the message.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    problem = None
    if any(char in "\r\n" for char in text):
        problem = "a line break"
    elif any(ord(char) < 32 or 127 <= ord(char) < 160 for char in text):
        problem = "a control character"
    elif any(ord(char) > 255 for char in text):
        problem = "a character HTTP headers cannot carry (e.g. a zero-width space or a curly quote)"
    elif text != text.strip():
        problem = "spaces before or after it"
    if problem is not None:
        raise GongConfigError(
            f"Gong connection '{conn_id}': the {field_name} contains {problem}; paste it again exactly "
            "as Gong shows it"
        )
    return text


TOKEN_FIELD = "OAuth access token (access_token)"  # noqa: S105 - a field label, not a secret


def _bearer_token(token: str, conn_id: str) -> str:
    """An OAuth token, without a ``Bearer`` prefix pasted with it (sent as ``Bearer <token>`` once)."""
    scheme, _, rest = token.partition(" ")
    if scheme.lower() == "bearer" and rest:
        token = rest.strip()
    if any(char.isspace() for char in token):
        raise GongConfigError(
            f"Gong connection '{conn_id}': the {TOKEN_FIELD} contains spaces; paste the token alone, "
            "without 'Bearer' or anything else around it"
        )
    return token


def _parse_extra(extra: str | Mapping[str, Any] | None, conn_id: str) -> dict[str, Any]:
    """The connection's extra as a dict, or a clear error when it is not a JSON object."""
    if not extra:
        return {}
    value: Any
    if isinstance(extra, Mapping):
        value = dict(extra)
    else:
        try:
            value = json.loads(extra)
        except ValueError:
            raise GongConfigError(f"Gong connection '{conn_id}': extra is not valid JSON") from None
    if not isinstance(value, dict):
        raise GongConfigError(
            f"Gong connection '{conn_id}': extra must be a JSON object such as "
            f'{{"timeout": 30}}, got a JSON {type(value).__name__}'
        )
    return value


def normalize_base_url(host: str | None, port: int | None = None, *, conn_id: str = "gong_default") -> str:
    """
    Turn a connection host into Gong's API base URL, refusing anything credentials must not go to.

    Accepts ``us-12345.api.gong.io``, ``https://us-12345.api.gong.io/``, ``.../v2``; an empty host means
    ``https://api.gong.io``. ``http://`` is allowed only to loopback (127.0.0.0/8, ::1, localhost).

    :param host: The connection's host field.
    :param port: The connection's port field, used when the host names none.
    :param conn_id: The connection id, for error messages.
    """
    text = (host or "").strip()
    if not text:
        return DEFAULT_BASE_URL
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if "@" in parts.netloc or parts.query or parts.fragment:
        # Never echo credentials, or a query that may hold a token, written into the host field.
        userinfo = "***@" if "@" in parts.netloc else ""
        host = f"{parts.scheme}://{userinfo}{parts.netloc.rpartition('@')[2]}{parts.path}"
        host += "?***" if parts.query or parts.fragment else ""
    if scheme not in ("http", "https"):
        raise GongConfigError(
            f"Gong connection '{conn_id}': host {host!r} uses {scheme}://; Gong's API is https:// "
            "(e.g. https://us-12345.api.gong.io)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise GongConfigError(
            f"Gong connection '{conn_id}': host {host!r} must be a plain base URL such as "
            "https://us-12345.api.gong.io (no credentials, query or fragment)"
        )
    try:
        hostname = parts.hostname
        url_port = parts.port
    except ValueError as err:
        raise GongConfigError(
            f"Gong connection '{conn_id}': host {host!r} is not a valid URL ({err})"
        ) from None
    if not hostname:
        raise GongConfigError(f"Gong connection '{conn_id}': host {host!r} names no server")
    if scheme == "http" and not _is_loopback(hostname):
        raise GongConfigError(
            f"Gong connection '{conn_id}': refusing to send credentials over plain http to {hostname}; "
            "use https:// (http is only allowed to localhost/127.0.0.1/::1, e.g. the Gong emulator)"
        )
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    if url_port is not None:
        netloc += f":{url_port}"
    elif port:
        netloc += f":{int(port)}"
    path = parts.path.rstrip("/")
    if path.lower().endswith("/v2"):
        path = path[:-3].rstrip("/")
    if "/v2/" in f"{path.lower()}/":
        raise GongConfigError(
            f"Gong connection '{conn_id}': host {host!r} names an endpoint ({parts.path}); give the base "
            f"URL alone, e.g. {scheme}://{netloc} (the hook adds /v2/... to every call)"
        )
    return f"{scheme}://{netloc}{path}"


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _number(argument: float | None, extras: dict[str, Any], name: str, default: float, conn_id: str) -> float:
    """The argument if given, else the extra (a number, or a numeric string from a URI), else default."""
    source = "argument" if argument is not None else "extra"
    raw: Any = argument if argument is not None else _extra(extras, name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    return checked_setting(name, raw, f"{source} '{name}' of Gong connection '{conn_id}'")


def checked_setting(name: str, raw: Any, where: str) -> float:
    """
    Check one numeric setting against :data:`SETTING_RANGES`; return it as a float.

    :param name: The setting, e.g. ``"timeout"``.
    :param raw: The value given (a number, or a numeric string from a connection URI).
    :param where: Whose setting it is, for the message, e.g. ``"extra 'timeout' of Gong connection 'x'"``.
    :raises GongConfigError: naming the setting, the value and the allowed range.
    """
    allowed = SETTING_RANGES[name] if name in SETTING_RANGES else EXTRA_RANGES[name]
    problem = f"{where} must be {allowed.describe()}, got {raw!r}"
    if isinstance(raw, bool):
        raise GongConfigError(problem)
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        raise GongConfigError(problem) from None
    if not math.isfinite(value) or not allowed.admits(value):
        raise GongConfigError(problem)
    return value


def check_hook_params(params: Mapping[str, Any] | None, *, owner: str) -> dict[str, Any]:
    """
    Check an operator's or sensor's ``hook_params`` before any run: known keys, values in range.

    ``None`` values are kept (they mean "the connection's extra, else the default").

    :param params: The keyword arguments meant for :class:`GongHook`.
    :param owner: Who passed them, for the message (e.g. the task id).
    :raises GongConfigError: naming an unknown key (with the known ones) or a value out of range.
    """
    given = dict(params or {})
    unknown = sorted(str(key) for key in given if key not in HOOK_PARAMS)
    if unknown:
        raise GongConfigError(
            f"{owner}: unknown hook_params key(s) {unknown}; GongHook accepts {list(HOOK_PARAMS)}"
        )
    for key, value in given.items():
        if value is not None:
            checked_setting(key, value, f"{owner}: hook_params '{key}'")
    return given


def _extra(extras: dict[str, Any], name: str) -> Any:
    """An extra by its bare name, or by the ``extra__gong__`` prefixed name older UIs stored."""
    value = extras.get(name)
    return extras.get(f"extra__gong__{name}") if value is None else value
