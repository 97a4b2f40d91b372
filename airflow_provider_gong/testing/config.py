"""The emulator's knobs: one mutable dataclass, changeable at runtime (in-process or over HTTP)."""

from __future__ import annotations

import dataclasses
import math
import time
import types
import typing
import zoneinfo
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_gong.testing.faults import validate_retry_after, validate_scripted_answer
from airflow_provider_gong.testing.users import DEFAULT_AVATAR_SHARE, parse_gong_time

__all__ = [
    "BRIEFS_READ_SCOPE",
    "CALLS_READ_BASIC_SCOPE",
    "CALLS_READ_EXTENSIVE_SCOPE",
    "CALLS_READ_MEDIA_URL_SCOPE",
    "CALLS_READ_TRANSCRIPT_SCOPE",
    "CALL_OUTCOMES_READ_SCOPE",
    "CALL_USER_ACCESS_READ_SCOPE",
    "COACHING_READ_SCOPE",
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SCOPES",
    "DEFAULT_SECRET",
    "DEFAULT_TOKEN",
    "LIBRARY_READ_SCOPE",
    "LOGS_READ_SCOPE",
    "SCORECARDS_READ_SCOPE",
    "STATS_INTERACTION_SCOPE",
    "STATS_SCORECARDS_SCOPE",
    "STATS_USER_ACTIONS_DETAILED_SCOPE",
    "STATS_USER_ACTIONS_SCOPE",
    "TOKEN_PATH",
    "TRACKERS_READ_SCOPE",
    "USERS_READ_SCOPE",
    "WORKSPACES_READ_SCOPE",
    "ConfigError",
    "EmulatorConfig",
]

DEFAULT_ACCESS_KEY = "emulator-access-key"
DEFAULT_SECRET = "emulator-access-key-secret"  # noqa: S105 - a well-known test credential
DEFAULT_TOKEN = "emulator-oauth-token"  # noqa: S105 - a well-known test credential
DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"  # noqa: S105 - a well-known test credential
#: Path of the OAuth token endpoint (Gong: ``https://app.gong.io/oauth2/generate-customer-token``), served on
#: the emulator's own port.
TOKEN_PATH = "/oauth2/generate-customer-token"  # noqa: S105 - a path, not a credential
USERS_READ_SCOPE = "api:users:read"
CALLS_READ_BASIC_SCOPE = "api:calls:read:basic"
CALLS_READ_EXTENSIVE_SCOPE = "api:calls:read:extensive"
CALLS_READ_TRANSCRIPT_SCOPE = "api:calls:read:transcript"
CALLS_READ_MEDIA_URL_SCOPE = "api:calls:read:media-url"
STATS_INTERACTION_SCOPE = "api:stats:interaction"
STATS_SCORECARDS_SCOPE = "api:stats:scorecards"
STATS_USER_ACTIONS_SCOPE = "api:stats:user-actions"
STATS_USER_ACTIONS_DETAILED_SCOPE = "api:stats:user-actions:detailed"
WORKSPACES_READ_SCOPE = "api:workspaces:read"
TRACKERS_READ_SCOPE = "api:settings:trackers:read"
SCORECARDS_READ_SCOPE = "api:settings:scorecards:read"
BRIEFS_READ_SCOPE = "api:ai-briefer:read"
CALL_OUTCOMES_READ_SCOPE = "api:call-outcomes:read"
LIBRARY_READ_SCOPE = "api:library:read"
LOGS_READ_SCOPE = "api:logs:read"
COACHING_READ_SCOPE = "api:coaching:read"
CALL_USER_ACCESS_READ_SCOPE = "api:call-user-access:read"
FLOWS_READ_SCOPE = "api:flows:read"
TASKS_READ_SCOPE = "api:tasks:read"
CRM_INTEGRATIONS_READ_SCOPE = "api:crm:integrations:read"
CRM_SCHEMA_SCOPE = "api:crm:schema"
CRM_GET_OBJECTS_SCOPE = "api:crm:get-objects"
CRM_UPLOAD_SCOPE = "api:crm:upload"
DATA_PRIVACY_READ_SCOPE = "api:data-privacy:read"
#: Scopes granted by default: every scope an emulated route needs.
DEFAULT_SCOPES = (
    USERS_READ_SCOPE,
    CALLS_READ_BASIC_SCOPE,
    CALLS_READ_EXTENSIVE_SCOPE,
    CALLS_READ_TRANSCRIPT_SCOPE,
    CALLS_READ_MEDIA_URL_SCOPE,
    STATS_INTERACTION_SCOPE,
    STATS_SCORECARDS_SCOPE,
    STATS_USER_ACTIONS_SCOPE,
    STATS_USER_ACTIONS_DETAILED_SCOPE,
    WORKSPACES_READ_SCOPE,
    TRACKERS_READ_SCOPE,
    SCORECARDS_READ_SCOPE,
    BRIEFS_READ_SCOPE,
    CALL_OUTCOMES_READ_SCOPE,
    LIBRARY_READ_SCOPE,
    LOGS_READ_SCOPE,
    COACHING_READ_SCOPE,
    CALL_USER_ACCESS_READ_SCOPE,
    FLOWS_READ_SCOPE,
    TASKS_READ_SCOPE,
    CRM_INTEGRATIONS_READ_SCOPE,
    CRM_SCHEMA_SCOPE,
    CRM_GET_OBJECTS_SCOPE,
    CRM_UPLOAD_SCOPE,
    DATA_PRIVACY_READ_SCOPE,
)

_SHARE_FIELDS = (
    "avatar_share",
    "late_share",
    "fail_5xx",
    "fail_429",
    "fail_429_retry_after_share",
    "drop",
    "slow",
    "truncate",
    "bad_shape",
    "hang",
)


class ConfigError(ValueError):
    """An invalid emulator setting."""


@dataclasses.dataclass
class EmulatorConfig:
    """Settings of a Gong emulator. Every field may be changed while the emulator runs.

    Data:

    :param users: Number of users of the emulated company, avatars included. Whatever the seed, the first
        two are the README's example users ``234599484848423`` and ``987`` (active, never avatars).
    :param seed: Seed of the user data and (unless ``fault_seed`` is set) of the fault draws.
    :param avatar_share: Share of users that are avatars (hidden from list endpoints unless
        ``includeAvatars`` is true).
    :param page_size: Records per page of the list endpoints (Gong: 100).
    :param max_user_ids: Most ``filter.userIds`` accepted by ``POST /v2/users/extensive`` (more -> 400).
    :param cursor_ttl: Seconds a paging cursor stays valid (``None``: forever). A cursor at least that old
        answers 400 ``{"requestId": ..., "errors": ["cursor has expired"]}`` on every list endpoint, as
        Gong does for an old cursor; ``0`` expires every cursor at once.

    Calls (see :class:`~airflow_provider_gong.testing.calls.CallCatalog`):

    :param calls: Number of calls of the company. They are hosted by its non-avatar users (a company
        without such users has no calls).
    :param calls_from: Earliest call start, ISO-8601 with ``Z`` or a UTC offset (inclusive).
    :param calls_to: Latest call start, ISO-8601 with ``Z`` or a UTC offset (exclusive; after
        ``calls_from``). Starts are spread unevenly over the days in between: busy and quiet weekdays,
        quieter weekends.
    :param clock: The emulator's "now", ISO-8601 with ``Z`` or a UTC offset (``None``: the real time). A
        call is served only once it is visible at this clock, its transcript and detailed content only
        once processed (late processing, below).
    :param processing_delay: Seconds after its end (start + duration) within which a normal call is
        listed and its transcript and detailed content are complete.
    :param late_share: Share of calls that are late: some are listed late, others are listed in time but
        their transcript, their detailed content or both complete late.
    :param late_delay: Seconds after its end within which a late call is listed and complete (at least
        ``processing_delay``; Gong: days).
    :param company_timezone: The company's time zone in Gong (IANA name, e.g. ``"America/Los_Angeles"``):
        the stats endpoints take and give dates of its days (``fromDate``, ``toDate`` exclusive, not later
        than its today).
    :param max_call_ids: Most ``filter.callIds`` / ``filter.primaryUserIds`` accepted by the calls' POST
        endpoints (more -> 400).

    Auth:

    :param access_key: Access key accepted in ``Authorization: Basic``.
    :param secret: Access key secret accepted in ``Authorization: Basic``.
    :param token: OAuth token accepted in ``Authorization: Bearer`` (``None``: bearer auth refused).
    :param scopes: Scopes granted to valid credentials (Basic or Bearer). Each route needs its own (see
        ``airflow_provider_gong.testing.routes.TABLE``; the users endpoints need ``api:users:read``, the
        calls endpoints ``api:calls:read:basic``, ``...:extensive`` (plus ``...:media-url`` to ask for
        media URLs) or ``...:transcript``); a call whose route needs a scope not granted gets 403.
        Default: :data:`DEFAULT_SCOPES`, all of them.

    OAuth app (the token endpoint :data:`TOKEN_PATH`, see :mod:`~airflow_provider_gong.testing.oauth`):

    :param oauth_client_id: Client id accepted in the token endpoint's ``Authorization: Basic`` (no ``:``).
    :param oauth_client_secret: Client secret accepted there.
    :param access_token_lifetime: Seconds an issued access token stays valid (``> 0``; ``expires_in`` says
        its ceiling, at least 1). Issued access tokens are accepted in ``Authorization: Bearer`` besides
        ``token``.
    :param oauth_base_url: What the token answers say in ``api_base_url_for_customer`` (``None``: the
        emulator's own base URL as the client reached it, e.g. ``http://127.0.0.1:PORT``).
    :param token_delay: Seconds the token endpoint waits before it answers, after it has rotated the
        tokens (widens the window of concurrent refreshes).
    :param token_drop_after_rotation: The next N successful token requests rotate the tokens and then answer
        503 instead of them, as if the answer was lost (counts down; cleared by a reset).

    Rate limits (one company):

    :param rate_per_second: Calls allowed in any sliding 1-second window (``None``: unlimited).
    :param rate_per_day: Calls allowed per "day" window (``None``: unlimited).
    :param day_seconds: Length of the "day" window in seconds (windows start when the emulator starts or
        is reset).

    Faults (shares are probabilities 0..1, drawn from a seeded RNG; Gong endpoints only):

    :param fail_5xx: Share of calls answered 500 (Gong JSON), 502 (HTML proxy page) or 503 (JSON or text).
    :param fail_429: Share of calls answered 429 (not counted against the rate limits).
    :param fail_429_retry_after_share: Share of injected 429s that carry ``Retry-After``.
    :param fault_retry_after: ``Retry-After`` sent with injected 429s: a literal header value (``"2"``,
        ``"-1"``, ``"86400"``, ``"soon"``, an HTTP-date...) or ``"http-date+N"`` for an HTTP-date N seconds
        ahead; ``None`` sends ``"1"``.
    :param drop: Share of calls whose TCP connection is closed without any response byte.
    :param latency: Seconds added before every answer.
    :param latency_jitter: Up to this many extra seconds (uniform) added to ``latency``.
    :param slow: Share of calls delayed by ``slow_seconds`` more.
    :param slow_seconds: Extra delay of slow calls.
    :param truncate: Share of calls whose (real) answer body is cut in the middle.
    :param bad_shape: Share of calls answered ``200 {"unexpected": true}``.
    :param hang: Share of calls never answered (until the emulator stops; then the connection is dropped).
    :param fail_next: Scripted answers for the next calls, consumed first-in first-out, before any random
        fault. Each is a dict: ``{"status": 429, "retry_after": "2"}``, ``{"status": 500}``,
        ``{"status": 200, "body": {...}}`` (optional ``"body"`` JSON value or text, ``"content_type"``,
        ``"headers"``, ``"delay"``), or ``{"fault": "drop" | "hang" | "truncate" | "bad_shape" | "5xx" |
        "429" | "slow" | "pass"}`` (``"pass"`` answers normally).
    :param fault_seed: Seed of the fault RNG (``None``: ``seed``). The RNG is re-seeded on reset.
    """

    users: int = 250
    seed: int = 0
    avatar_share: float = DEFAULT_AVATAR_SHARE
    page_size: int = 100
    max_user_ids: int = 1000
    cursor_ttl: float | None = None

    calls: int = 300
    calls_from: str = "2026-11-01T00:00:00Z"
    calls_to: str = "2026-12-01T00:00:00Z"
    clock: str | None = None
    processing_delay: float = 3600.0
    late_share: float = 0.15
    late_delay: float = 259_200.0
    max_call_ids: int = 1000
    company_timezone: str = "UTC"

    access_key: str = DEFAULT_ACCESS_KEY
    secret: str = DEFAULT_SECRET
    token: str | None = DEFAULT_TOKEN
    scopes: list[str] = dataclasses.field(default_factory=lambda: list(DEFAULT_SCOPES))

    oauth_client_id: str = DEFAULT_CLIENT_ID
    oauth_client_secret: str = DEFAULT_CLIENT_SECRET
    access_token_lifetime: float = 86_400.0
    oauth_base_url: str | None = None
    token_delay: float = 0.0
    token_drop_after_rotation: int = 0

    rate_per_second: int | None = 3
    rate_per_day: int | None = 10_000
    day_seconds: float = 86_400.0

    fail_5xx: float = 0.0
    fail_429: float = 0.0
    fail_429_retry_after_share: float = 0.5
    fault_retry_after: str | None = None
    drop: float = 0.0
    latency: float = 0.0
    latency_jitter: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 5.0
    truncate: float = 0.0
    bad_shape: float = 0.0
    hang: float = 0.0
    fail_next: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    fault_seed: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raise :class:`ConfigError` on the first bad one."""
        for name, expected in _field_types().items():
            _check_type(name, getattr(self, name), expected)
        for name in _SHARE_FIELDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be within 0..1, got {value!r}")
        for name in ("users", "calls", "page_size", "max_user_ids", "max_call_ids"):
            minimum = 0 if name in ("users", "calls") else 1
            if getattr(self, name) < minimum:
                raise ConfigError(f"{name} must be >= {minimum}")
        for name in ("rate_per_second", "rate_per_day"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"{name} must be >= 0 or None")
        for name in (
            "day_seconds",
            "latency",
            "latency_jitter",
            "slow_seconds",
            "processing_delay",
            "late_delay",
            "token_delay",
        ):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number >= 0")
        if self.cursor_ttl is not None and (not math.isfinite(self.cursor_ttl) or self.cursor_ttl < 0):
            raise ConfigError("cursor_ttl must be a finite number >= 0 or None")
        if self.day_seconds <= 0:
            raise ConfigError("day_seconds must be > 0")
        self._validate_oauth()
        if self.late_delay < self.processing_delay:
            raise ConfigError("late_delay must be >= processing_delay")
        calls_from, calls_to = self.calls_window()
        if calls_from >= calls_to:
            raise ConfigError("calls_from must be before calls_to")
        if self.clock is not None:
            _instant(self.clock, "clock")
        try:
            zoneinfo.ZoneInfo(self.company_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"company_timezone must be an IANA time zone name, got {self.company_timezone!r}"
            ) from None
        if self.fault_retry_after is not None:
            try:
                validate_retry_after(self.fault_retry_after)
            except ValueError as exc:
                raise ConfigError(f"fault_retry_after: {exc}") from None
        for position, answer in enumerate(self.fail_next):
            try:
                validate_scripted_answer(answer)
            except ValueError as exc:
                raise ConfigError(f"fail_next[{position}]: {exc}") from None

    def _validate_oauth(self) -> None:
        if not self.oauth_client_id or ":" in self.oauth_client_id:
            raise ConfigError("oauth_client_id must be a non-empty string without ':'")
        if not self.oauth_client_secret:
            raise ConfigError("oauth_client_secret must be a non-empty string")
        if not math.isfinite(self.access_token_lifetime) or self.access_token_lifetime <= 0:
            raise ConfigError("access_token_lifetime must be a finite number > 0")
        if self.token_drop_after_rotation < 0:
            raise ConfigError("token_drop_after_rotation must be >= 0")
        base = self.oauth_base_url
        if base is not None and (urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc):
            raise ConfigError(f"oauth_base_url must be an http:// or https:// URL or None, got {base!r}")

    def calls_window(self) -> tuple[float, float]:
        """Return ``(calls_from, calls_to)`` in UTC epoch seconds."""
        return _instant(self.calls_from, "calls_from"), _instant(self.calls_to, "calls_to")

    def now(self) -> float:
        """Return the emulator's "now" in UTC epoch seconds: ``clock`` if set, else the real time."""
        return time.time() if self.clock is None else _instant(self.clock, "clock")

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict (a deep copy)."""
        return dataclasses.asdict(self)

    def copy(self) -> EmulatorConfig:
        """Return an independent copy."""
        return EmulatorConfig(**self.to_dict())

    def updated(self, changes: Mapping[str, Any]) -> EmulatorConfig:
        """Return a validated copy with ``changes`` applied; the receiver is left untouched.

        :param changes: Field names and new values; unknown names raise :class:`ConfigError`.
        """
        unknown = sorted(set(changes) - set(_field_types()))
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        merged = self.to_dict()
        merged.update(changes)
        try:
            return EmulatorConfig(**merged)
        except TypeError as exc:  # pragma: no cover - guarded by the unknown-name check
            raise ConfigError(str(exc)) from None


def _instant(text: str, name: str) -> float:
    """Parse the date-time setting ``name``."""
    try:
        return parse_gong_time(text)
    except ValueError:
        raise ConfigError(
            f"{name} must be an ISO-8601 date-time with Z or a UTC offset, got {text!r}"
        ) from None


_TYPES_CACHE: dict[str, Any] = {}


def _field_types() -> dict[str, Any]:
    if not _TYPES_CACHE:
        hints = typing.get_type_hints(EmulatorConfig)
        _TYPES_CACHE.update({field.name: hints[field.name] for field in dataclasses.fields(EmulatorConfig)})
    return _TYPES_CACHE


def _check_type(name: str, value: Any, expected: Any) -> None:
    if not _matches(value, expected):
        raise ConfigError(f"{name} has the wrong type: {value!r} (expected {_describe(expected)})")


def _matches(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is str:
        return isinstance(value, str)
    if origin is list:
        (item_type,) = typing.get_args(expected)
        return isinstance(value, list) and all(_matches(item, item_type) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(key, str) for key in value)
    return True  # pragma: no cover - every field type is handled above


def _describe(expected: Any) -> str:
    return str(expected).replace("typing.", "")
