"""The emulator's ASGI application: Gong's users API plus the ``/_emulator/`` control endpoints.

It is a plain ASGI callable rather than a framework app: per-request overhead stays tiny (the emulator is
used for benchmarks) and faults need control below the framework level (a dropped connection must send no
byte at all, a truncated body must keep a valid ``Content-Length``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import hmac
import json
import logging
import os
import random
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any, Literal
from urllib.parse import parse_qs

from airflow_provider_gong.testing.config import USERS_READ_SCOPE, ConfigError
from airflow_provider_gong.testing.faults import FaultDecision, render_retry_after
from airflow_provider_gong.testing.paging import CursorError, decode_cursor, encode_cursor
from airflow_provider_gong.testing.state import EmulatorState
from airflow_provider_gong.testing.users import parse_gong_time

__all__ = ["ROUTES", "EmulatorApp", "new_request_id"]

_log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Route labels used in the stats.
ROUTE_GET_USER = "GET /v2/users/{id}"
ROUTE_LIST_USERS = "GET /v2/users"
ROUTE_EXTENSIVE = "POST /v2/users/extensive"
ROUTE_SETTINGS_HISTORY = "GET /v2/users/{id}/settings-history"
ROUTE_OTHER = "other"
ROUTES = (ROUTE_GET_USER, ROUTE_LIST_USERS, ROUTE_EXTENSIVE, ROUTE_SETTINGS_HISTORY)

MSG_USER_NOT_FOUND = "User not found"
MSG_NO_USERS = "No users found corresponding to the provided filters"
MSG_LIMIT = "API request limit exceeded"
MSG_UNEXPECTED = "Failed to complete the operation due to an unexpected error"

_JSON = b"application/json; charset=utf-8"
_MAX_BODY = 1024 * 1024
_USER_ID_RE = re.compile(r"[0-9]{1,20}")
_USER_PATH_RE = re.compile(r"/v2/users/([^/]+)")
_HISTORY_PATH_RE = re.compile(r"/v2/users/([^/]+)/settings-history")
_BOOL_TEXT = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

_REQUEST_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_request_id_rng = random.Random(os.urandom(16))

_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def new_request_id() -> str:
    """Return a fresh, random-looking request id like Gong's (19 lower-case letters and digits)."""
    return "".join(_request_id_rng.choices(_REQUEST_ID_ALPHABET, k=19))


@dataclasses.dataclass
class Answer:
    """One HTTP answer, ready to send.

    :param status: HTTP status.
    :param body: Body bytes.
    :param content_type: ``Content-Type`` value.
    :param headers: Extra headers.
    """

    status: int
    body: bytes
    content_type: bytes = _JSON
    headers: list[tuple[bytes, bytes]] = dataclasses.field(default_factory=list)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def gong_error(status: int, *messages: str, request_id: str | None = None) -> Answer:
    """Build Gong's error answer ``{"requestId": ..., "errors": [...]}``.

    :param status: HTTP status.
    :param messages: The error messages.
    :param request_id: The request id (default: a fresh one).
    """
    return Answer(status, _dumps({"requestId": request_id or new_request_id(), "errors": list(messages)}))


class _BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _ClientGone(Exception):
    pass


class EmulatorApp:
    """ASGI app of one emulator.

    :param state: The emulator's shared state.
    """

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (``http`` only; ``lifespan`` is acknowledged)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - the server runs without websockets
            return
        try:
            body = await _read_body(receive)
        except _ClientGone:
            return
        path: str = scope["path"]
        if body is None:
            await _send_answer(send, Answer(413, _dumps({"errors": ["Request body too large"]})))
            return
        if path.startswith("/_emulator"):
            answer = self._admin(scope["method"], path, scope.get("query_string", b""), body)
            await _send_answer(send, answer)
            return
        await self._gong_call(scope, receive, send, body)

    # -- Gong calls ----------------------------------------------------------------------------------------

    async def _gong_call(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        state = self.state
        method: str = scope["method"]
        path: str = scope["path"]
        route = _route_label(method, path)
        decision = state.begin_call()
        kind = decision.kind

        if kind in ("drop", "hang"):
            state.record(route, "dropped" if kind == "drop" else "hung")
            if kind == "hang":
                await self._pause(None, receive)
            elif decision.delay > 0:
                await self._pause(decision.delay, receive)
            self._abort(scope)
            await _drain(receive)
            return

        request_id = new_request_id()
        answer = self._fault_answer(decision, request_id)
        if answer is None:
            answer = self._answer(method, path, scope, body, request_id)
            if kind == "truncate":
                answer.body = answer.body[: max(1, len(answer.body) // 2)]
        state.record(route, str(answer.status))

        if decision.delay > 0 and await self._pause(decision.delay, receive) != "elapsed":
            self._abort(scope)
            await _drain(receive)
            return
        await _send_answer(send, answer)

    def _abort(self, scope: Scope) -> None:
        # Unknown when the client already left, or when served by another server than GongEmulator's
        # (then the server answers 500 itself since no response was started).
        self.state.abort_connection(scope.get("client"))

    async def _pause(self, seconds: float | None, receive: Receive) -> Literal["elapsed", "stopping", "gone"]:
        """Wait ``seconds`` (``None``: forever) unless the emulator stops or the client goes away."""
        stopping = self.state.stopping
        waiters: dict[asyncio.Future[Any], Literal["stopping", "gone"]] = {}
        if stopping is not None:
            waiters[asyncio.ensure_future(stopping.wait())] = "stopping"
        waiters[asyncio.ensure_future(_wait_disconnect(receive))] = "gone"
        try:
            done, _ = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        for waiter in done:
            return waiters[waiter]
        return "elapsed"

    def _fault_answer(self, decision: FaultDecision, request_id: str) -> Answer | None:
        scripted = decision.scripted
        status = decision.scripted_status
        if scripted is not None and status is not None:
            return _scripted_answer(scripted, status, request_id)
        kind = decision.kind
        if kind == "fail_5xx":
            draw = decision.sub_draw
            if draw < 0.5:
                return gong_error(500, MSG_UNEXPECTED, request_id=request_id)
            if draw < 0.75:
                return Answer(502, _HTML_502, b"text/html")
            if draw < 0.875:
                return gong_error(503, "Service temporarily unavailable", request_id=request_id)
            return Answer(503, b"Service Unavailable", b"text/plain; charset=utf-8")
        if kind == "fail_429":
            answer = gong_error(429, MSG_LIMIT, request_id=request_id)
            config = self.state.config
            value: str | int | None = None
            if scripted is not None and "retry_after" in scripted:
                value = scripted["retry_after"]  # explicit, None meaning "no header"
            elif scripted is not None or decision.sub_draw < config.fail_429_retry_after_share:
                value = config.fault_retry_after if config.fault_retry_after is not None else "1"
            if value is not None:
                answer.headers.append((b"retry-after", render_retry_after(value).encode("latin-1")))
            return answer
        if kind == "bad_shape":
            return Answer(200, b'{"unexpected":true}')
        return None

    def _answer(self, method: str, path: str, scope: Scope, body: bytes, request_id: str) -> Answer:
        """The real answer: auth, routing, rate limits, then the endpoint."""
        state = self.state
        denied = self._check_auth(scope.get("headers", ()), request_id)
        if denied is not None:
            return denied
        handler, allowed = _match(method, path)
        if handler is None:
            if allowed:
                answer = gong_error(405, f"Method {method} not allowed", request_id=request_id)
                answer.headers.append((b"allow", ", ".join(allowed).encode()))
                return answer
            return gong_error(404, f"No such endpoint: {path}", request_id=request_id)
        rate = state.acquire_rate()
        if not rate.allowed:
            answer = gong_error(429, MSG_LIMIT, request_id=request_id)
            answer.headers.append((b"retry-after", str(rate.retry_after).encode()))
            return answer
        try:
            return handler(self, path, scope.get("query_string", b""), body, request_id)
        except _BadRequest as exc:
            return gong_error(400, exc.message, request_id=request_id)
        except Exception:  # an emulator bug: answer like Gong would, and say so in the log
            _log.exception("Gong emulator failed on %s %s", method, path)
            return gong_error(500, MSG_UNEXPECTED, request_id=request_id)

    def _check_auth(self, headers: Sequence[tuple[bytes, bytes]], request_id: str) -> Answer | None:
        config = self.state.config
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
            if token is None or not hmac.compare_digest(credentials.encode(), token.encode()):
                return gong_error(401, "Invalid or expired access token", request_id=request_id)
        else:
            return gong_error(401, "Unsupported authorization scheme", request_id=request_id)
        if USERS_READ_SCOPE not in config.scopes:
            return gong_error(
                403,
                f"Access denied: the credentials lack the scope '{USERS_READ_SCOPE}'",
                request_id=request_id,
            )
        return None

    # -- endpoints -----------------------------------------------------------------------------------------

    def _get_user(self, path: str, query: bytes, body: bytes, request_id: str) -> Answer:
        index = self._user_index(path[len("/v2/users/") :])
        if index is None:
            return gong_error(404, MSG_USER_NOT_FOUND, request_id=request_id)
        user = self.state.directory.user_json(index)
        return Answer(200, b'{"requestId":"' + request_id.encode() + b'","user":' + user + b"}")

    def _settings_history(self, path: str, query: bytes, body: bytes, request_id: str) -> Answer:
        index = self._user_index(path[len("/v2/users/") : -len("/settings-history")])
        if index is None:
            return gong_error(404, MSG_USER_NOT_FOUND, request_id=request_id)
        history = self.state.directory.settings_history(index)
        return Answer(200, _dumps({"requestId": request_id, "userSettingsHistory": history}))

    def _user_index(self, user_id: str) -> int | None:
        if not _USER_ID_RE.fullmatch(user_id):
            raise _BadRequest(f"Invalid user id {user_id!r}: expected a number of up to 20 digits")
        return self.state.directory.index_of(user_id)

    def _list_users(self, path: str, query: bytes, body: bytes, request_id: str) -> Answer:
        params = parse_qs(query.decode("latin-1"), keep_blank_values=True)
        include_avatars = False
        if params.get("includeAvatars"):
            text = params["includeAvatars"][-1].strip().lower()
            if text not in _BOOL_TEXT:
                raise _BadRequest(f"Invalid includeAvatars value {text!r}: expected true or false")
            include_avatars = _BOOL_TEXT[text]
        cursor = params.get("cursor", [""])[-1] or None
        directory = self.state.directory
        selection = directory.select(include_avatars=include_avatars)
        fingerprint = json.dumps(["list", include_avatars])
        return self._page(selection, cursor, fingerprint, request_id)

    def _extensive(self, path: str, query: bytes, body: bytes, request_id: str) -> Answer:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise _BadRequest("Malformed request body: not valid JSON") from None
        if not isinstance(payload, dict):
            raise _BadRequest("Malformed request body: expected a JSON object")
        cursor = payload.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise _BadRequest("cursor must be a string")
        if "filter" not in payload or payload["filter"] is None:
            raise _BadRequest("Malformed request body: 'filter' is required")
        filters = payload["filter"]
        if not isinstance(filters, dict):
            raise _BadRequest("filter must be a JSON object")

        user_ids = filters.get("userIds")
        if user_ids is not None:
            if not isinstance(user_ids, list):
                raise _BadRequest("filter.userIds must be a list of user id strings")
            limit = self.state.config.max_user_ids
            if len(user_ids) > limit:
                raise _BadRequest(f"filter.userIds holds {len(user_ids)} ids; at most {limit} are allowed")
            for user_id in user_ids:
                if not isinstance(user_id, str) or not _USER_ID_RE.fullmatch(user_id):
                    raise _BadRequest(
                        f"Invalid user id {user_id!r} in filter.userIds: expected digit strings"
                    )
            if not user_ids:
                user_ids = None
        created_from = _parse_time_field(filters, "createdFromDateTime")
        created_to = _parse_time_field(filters, "createdToDateTime")
        include_avatars = filters.get("includeAvatars")
        if include_avatars is None:
            include_avatars = False
        elif not isinstance(include_avatars, bool):
            raise _BadRequest("filter.includeAvatars must be true or false")

        directory = self.state.directory
        indices = None
        if user_ids is not None:
            indices = [index for index in map(directory.index_of, user_ids) if index is not None]
        selection = directory.select(
            include_avatars=include_avatars, created_from=created_from, created_to=created_to, indices=indices
        )
        fingerprint = json.dumps(
            [
                "extensive",
                None if user_ids is None else sorted(set(user_ids)),
                created_from,
                created_to,
                include_avatars,
            ]
        )
        return self._page(selection, cursor or None, fingerprint, request_id)

    def _page(
        self, selection: Sequence[int], cursor: str | None, fingerprint: str, request_id: str
    ) -> Answer:
        state = self.state
        directory = state.directory
        page_size = state.config.page_size
        total = len(selection)
        if total == 0:
            return gong_error(404, MSG_NO_USERS, request_id=request_id)
        fingerprint = f"{fingerprint}|{directory.key}|{page_size}"
        offset = 0
        if cursor is not None:
            try:
                offset = decode_cursor(cursor, fingerprint, total, ttl=state.config.cursor_ttl)
            except CursorError as exc:
                raise _BadRequest(str(exc)) from None
        page = selection[offset : offset + page_size]
        records: dict[str, Any] = {
            "totalRecords": total,
            "currentPageSize": len(page),
            "currentPageNumber": offset // page_size,
        }
        if offset + len(page) < total:
            records["cursor"] = encode_cursor(offset + len(page), fingerprint)
        users = b",".join([directory.user_json(index) for index in page])
        return Answer(
            200,
            b'{"requestId":"%s","records":%s,"users":[%s]}' % (request_id.encode(), _dumps(records), users),
        )

    # -- control endpoints ---------------------------------------------------------------------------------

    def _admin(self, method: str, path: str, query: bytes, body: bytes) -> Answer:
        state = self.state
        try:
            if path == "/_emulator/health" and method == "GET":
                return Answer(200, b'{"ok":true}')
            if path == "/_emulator/stats" and method == "GET":
                return Answer(200, _dumps(state.stats()))
            if path == "/_emulator/reset" and method == "POST":
                options = _json_object(body) if body.strip() else {}
                params = parse_qs(query.decode("latin-1"))
                restore = options.get("config") is True or params.get("config", [""])[-1].lower() == "true"
                if restore:
                    state.config = state.initial_config.copy()
                state.reset()
                return Answer(200, _dumps({"ok": True, "config": state.config.to_dict()}))
            if path == "/_emulator/config" and method == "GET":
                return Answer(200, _dumps(state.config.to_dict()))
            if path == "/_emulator/config" and method == "PATCH":
                changes = _json_object(body)
                updated = state.config.updated(changes)
                _apply_config(state, updated)
                return Answer(200, _dumps(state.config.to_dict()))
            if path == "/_emulator/users" and method == "GET":
                params = parse_qs(query.decode("latin-1"))
                include = params.get("includeAvatars", ["true"])[-1].lower() != "false"
                directory = state.directory
                users = b",".join(
                    [directory.user_json(index) for index in directory.select(include_avatars=include)]
                )
                avatars = _dumps(
                    sorted(directory.avatar_ids, key=lambda user_id: directory.index_of(user_id) or 0)
                )
                return Answer(200, b'{"users":[%s],"avatarIds":%s}' % (users, avatars))
        except (ConfigError, _BadRequest) as exc:
            return Answer(400, _dumps({"errors": [str(exc)]}))
        known = ("health", "stats", "reset", "config", "users")
        if path.rsplit("/", 1)[-1] in known:
            return Answer(405, _dumps({"errors": [f"Method {method} not allowed on {path}"]}))
        return Answer(404, _dumps({"errors": [f"No such control endpoint: {path}"]}))


def _apply_config(state: EmulatorState, updated: Any) -> None:
    """Copy validated settings into the live config object (keeps references held by tests valid)."""
    live = state.config
    for field in dataclasses.fields(live):
        setattr(live, field.name, getattr(updated, field.name))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _BadRequest("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise _BadRequest("body must be a JSON object")
    return value


def _parse_time_field(filters: Mapping[str, Any], name: str) -> float | None:
    value = filters.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadRequest(f"filter.{name} must be an ISO-8601 string")
    try:
        return parse_gong_time(value)
    except ValueError:
        raise _BadRequest(
            f"Invalid filter.{name} {value!r}: expected ISO-8601 with a UTC offset, e.g. 2018-02-18T08:00:00Z"
        ) from None


_Handler = Callable[[EmulatorApp, str, bytes, bytes, str], Answer]


def _match(method: str, path: str) -> tuple[_Handler | None, tuple[str, ...]]:
    """Find the endpoint for ``method path``; when only the method is wrong, return the allowed ones."""
    allowed: tuple[str, ...] = ()
    if path == "/v2/users":
        allowed = ("GET",)
        handler: _Handler = EmulatorApp._list_users
    elif path == "/v2/users/extensive":
        allowed = ("POST",)
        handler = EmulatorApp._extensive
    elif _HISTORY_PATH_RE.fullmatch(path):
        allowed = ("GET",)
        handler = EmulatorApp._settings_history
    elif _USER_PATH_RE.fullmatch(path):
        allowed = ("GET",)
        handler = EmulatorApp._get_user
    else:
        return None, ()
    return (handler, allowed) if method in allowed else (None, allowed)


def _route_label(method: str, path: str) -> str:
    if path == "/v2/users":
        return ROUTE_LIST_USERS if method == "GET" else ROUTE_OTHER
    if path == "/v2/users/extensive":
        return ROUTE_EXTENSIVE if method == "POST" else ROUTE_OTHER
    if method == "GET" and _HISTORY_PATH_RE.fullmatch(path):
        return ROUTE_SETTINGS_HISTORY
    if method == "GET" and _USER_PATH_RE.fullmatch(path):
        return ROUTE_GET_USER
    return ROUTE_OTHER


def _scripted_answer(scripted: Mapping[str, Any], status: int, request_id: str) -> Answer:
    if "body" in scripted:
        raw = scripted["body"]
        body = raw.encode() if isinstance(raw, str) else _dumps(raw)
        default_type = b"text/plain; charset=utf-8" if isinstance(raw, str) else _JSON
        answer = Answer(status, body, default_type)
    elif status >= 400:
        message = {429: MSG_LIMIT, 404: MSG_USER_NOT_FOUND}.get(status, MSG_UNEXPECTED)
        if status in (401, 403):
            message = "Access denied"
        elif 400 <= status < 500 and status not in (404, 429):
            message = "Malformed request"
        answer = gong_error(status, message, request_id=request_id)
    else:
        answer = Answer(status, _dumps({"requestId": request_id}))
    if scripted.get("content_type"):
        answer.content_type = str(scripted["content_type"]).encode("latin-1")
    if scripted.get("retry_after") is not None:
        answer.headers.append((b"retry-after", render_retry_after(scripted["retry_after"]).encode("latin-1")))
    for name, value in (scripted.get("headers") or {}).items():
        answer.headers.append((str(name).lower().encode("latin-1"), str(value).encode("latin-1")))
    return answer


async def _read_body(receive: Receive) -> bytes | None:
    """Read the whole request body; ``None`` if it exceeds the size limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= _MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if size > _MAX_BODY:
        return None
    return b"".join(chunks)


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _drain(receive: Receive) -> None:
    """After aborting the transport, wait until the server notices, so it sends nothing itself."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_wait_disconnect(receive), timeout=2.0)


async def _send_answer(send: Send, answer: Answer) -> None:
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(answer.body)).encode()),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
