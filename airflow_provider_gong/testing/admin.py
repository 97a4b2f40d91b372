"""The ``/_emulator/`` control endpoints: health, stats, reset, settings, the served users and the calls'
ground truth.

They need no credentials and are never subject to faults, rate limits or the stats.

OAuth (what a person gets after authorising the app, and the clock of the access tokens):
``POST /_emulator/oauth/refresh-token`` mints a refresh token, ``{"refresh_token": "emu-rt-..."}``;
``POST /_emulator/oauth/authorization-code`` with ``{"redirect_uri": "..."}`` (or ``?redirect_uri=``) mints
a code, ``{"code": "emu-code-...", "redirect_uri": "..."}``; ``POST /_emulator/oauth/expire-access-tokens``
makes every access token issued so far expire now, ``{"ok": true}``.

``GET /_emulator/calls`` lists every call of the catalog, visible yet or not, with when it becomes visible
and complete: ``{"calls": [{"id", "started", "workspaceId", "primaryUserId", "visibleAt", "transcriptAt",
"contentAt"}], "workspaceIds": [...], "clock": "<the emulator's now>"}`` (times ISO-8601 with the
company's offset), so a test can compute what a correct load holds at any clock.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any
from urllib.parse import parse_qs

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import WORKSPACE_IDS
from airflow_provider_gong.testing.config import ConfigError, EmulatorConfig
from airflow_provider_gong.testing.envelope import BadRequestError, dumps
from airflow_provider_gong.testing.state import EmulatorState
from airflow_provider_gong.testing.users import format_gong_time

__all__ = ["PREFIX", "admin_answer"]

#: Path prefix of the control endpoints.
PREFIX = "/_emulator"

_KNOWN = (
    "health",
    "stats",
    "reset",
    "config",
    "users",
    "calls",
    "refresh-token",
    "authorization-code",
    "expire-access-tokens",
)


def admin_answer(state: EmulatorState, method: str, path: str, query: bytes, body: bytes) -> Answer:
    """Answer one control call.

    :param state: The emulator's shared state.
    :param method: HTTP method.
    :param path: Request path (starts with :data:`PREFIX`).
    :param query: Raw query string.
    :param body: Raw request body.
    """
    try:
        if path == "/_emulator/health" and method == "GET":
            return Answer(200, b'{"ok":true}')
        if path == "/_emulator/stats" and method == "GET":
            return Answer(200, dumps(state.stats()))
        if path == "/_emulator/reset" and method == "POST":
            options = _json_object(body) if body.strip() else {}
            params = parse_qs(query.decode("latin-1"))
            restore = options.get("config") is True or params.get("config", [""])[-1].lower() == "true"
            if restore:
                state.config = state.initial_config.copy()
            state.reset()
            return Answer(200, dumps({"ok": True, "config": state.config.to_dict()}))
        if path == "/_emulator/config" and method == "GET":
            return Answer(200, dumps(state.config.to_dict()))
        if path == "/_emulator/config" and method == "PATCH":
            changes = _json_object(body)
            _apply_config(state, state.config.updated(changes))
            return Answer(200, dumps(state.config.to_dict()))
        if path == "/_emulator/users" and method == "GET":
            return _users(state, query)
        if path == "/_emulator/calls" and method == "GET":
            return _calls(state)
        if path == "/_emulator/oauth/refresh-token" and method == "POST":
            return Answer(200, dumps({"refresh_token": state.oauth.issue_refresh_token()}))
        if path == "/_emulator/oauth/authorization-code" and method == "POST":
            return _authorization_code(state, query, body)
        if path == "/_emulator/oauth/expire-access-tokens" and method == "POST":
            state.oauth.expire_access_tokens()
            return Answer(200, b'{"ok":true}')
    except (ConfigError, BadRequestError) as exc:
        return Answer(400, dumps({"errors": [str(exc)]}))
    if path.rsplit("/", 1)[-1] in _KNOWN:
        return Answer(405, dumps({"errors": [f"Method {method} not allowed on {path}"]}))
    return Answer(404, dumps({"errors": [f"No such control endpoint: {path}"]}))


def _authorization_code(state: EmulatorState, query: bytes, body: bytes) -> Answer:
    options = _json_object(body) if body.strip() else {}
    from_query = parse_qs(query.decode("latin-1")).get("redirect_uri", [""])[-1]
    redirect_uri = options.get("redirect_uri", from_query)
    if not isinstance(redirect_uri, str) or not redirect_uri:
        raise BadRequestError("redirect_uri (a non-empty string) is required")
    code = state.oauth.issue_authorization_code(redirect_uri)
    return Answer(200, dumps({"code": code, "redirect_uri": redirect_uri}))


def _users(state: EmulatorState, query: bytes) -> Answer:
    params = parse_qs(query.decode("latin-1"))
    include = params.get("includeAvatars", ["true"])[-1].lower() != "false"
    directory = state.directory
    users = b",".join([directory.user_json(index) for index in directory.select(include_avatars=include)])
    avatars = dumps(sorted(directory.avatar_ids, key=lambda user_id: directory.index_of(user_id) or 0))
    return Answer(200, b'{"users":[%s],"avatarIds":%s}' % (users, avatars))


def _calls(state: EmulatorState) -> Answer:
    catalog = state.calls
    clock = format_gong_time(math.floor(state.config.now()))
    calls = b",".join([dumps(catalog.truth(index)) for index in range(len(catalog))])
    return Answer(
        200,
        b'{"calls":[%s],"workspaceIds":%s,"clock":%s}' % (calls, dumps(list(WORKSPACE_IDS)), dumps(clock)),
    )


def _apply_config(state: EmulatorState, updated: EmulatorConfig) -> None:
    """Copy validated settings into the live config object (keeps references held by tests valid)."""
    live = state.config
    for field in dataclasses.fields(live):
        setattr(live, field.name, getattr(updated, field.name))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadRequestError("body must be a JSON object")
    return value
