"""The emulator's ASGI application: the Gong routes of :mod:`~airflow_provider_gong.testing.routes` plus
the ``/_emulator/`` control endpoints and the OAuth token endpoint (``config.TOKEN_PATH``, answered by
:mod:`~airflow_provider_gong.testing.oauth` before, and outside of, the steps below).

Every Gong call goes through the same steps, whatever its route: count it and draw its faults; then, unless
a fault answers instead, authenticate (401), route (404/405), check the route's scopes (403), admit it under
the rate limits (429) and call the route's handler (400 for a malformed input, 500 for an emulator bug).
The outcome is counted under the route's label.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Literal

from airflow_provider_gong.testing.admin import PREFIX as ADMIN_PREFIX
from airflow_provider_gong.testing.admin import admin_answer
from airflow_provider_gong.testing.asgi import (
    Answer,
    ClientGoneError,
    Receive,
    Scope,
    Send,
    drain,
    lifespan,
    read_body,
    send_answer,
    wait_disconnect,
)
from airflow_provider_gong.testing.auth import authenticate, check_scopes
from airflow_provider_gong.testing.config import TOKEN_PATH
from airflow_provider_gong.testing.envelope import (
    MSG_LIMIT,
    MSG_UNEXPECTED,
    BadRequestError,
    dumps,
    gong_error,
    new_request_id,
)
from airflow_provider_gong.testing.faults import fault_answer
from airflow_provider_gong.testing.inputs import Request
from airflow_provider_gong.testing.routes import ROUTES, Match, Route, Router, match
from airflow_provider_gong.testing.state import EmulatorState

__all__ = ["ROUTES", "EmulatorApp", "new_request_id"]

_log = logging.getLogger(__name__)


class EmulatorApp:
    """ASGI app of one emulator.

    :param state: The emulator's shared state.
    :param routes: The Gong routes served (default: :data:`~airflow_provider_gong.testing.routes.TABLE`).
    """

    def __init__(self, state: EmulatorState, routes: Sequence[Route] | None = None) -> None:
        self.state = state
        self._match = match if routes is None else Router(routes).match

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (``http`` only; ``lifespan`` is acknowledged)."""
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - the server runs without websockets
            return
        try:
            body = await read_body(receive)
        except ClientGoneError:
            return
        path: str = scope["path"]
        if body is None:
            await send_answer(send, Answer(413, dumps({"errors": ["Request body too large"]})))
            return
        if path.startswith(ADMIN_PREFIX):
            answer = admin_answer(self.state, scope["method"], path, scope.get("query_string", b""), body)
            await send_answer(send, answer)
            return
        if path == TOKEN_PATH:
            await self._token_call(scope, receive, send, body)
            return
        await self._gong_call(scope, receive, send, body)

    async def _token_call(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        """The OAuth token endpoint: no faults, rate limits or Gong stats; ``token_delay`` after rotating."""
        result = self.state.oauth.token_request(
            self.state.config,
            scope["method"],
            scope.get("headers", ()),
            scope.get("query_string", b""),
            body,
            _base_url(scope),
        )
        if result.delay > 0 and await self._pause(result.delay, receive) != "elapsed":
            self._abort(scope)
            await drain(receive)
            return
        await send_answer(send, result.answer)

    async def _gong_call(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        state = self.state
        found = self._match(scope["method"], scope["path"])
        decision = state.begin_call()
        kind = decision.kind

        if kind in ("drop", "hang"):
            state.record(found.label, "dropped" if kind == "drop" else "hung")
            if kind == "hang":
                await self._pause(None, receive)
            elif decision.delay > 0:
                await self._pause(decision.delay, receive)
            self._abort(scope)
            await drain(receive)
            return

        request_id = new_request_id()
        answer = fault_answer(decision, state.config, request_id)
        if answer is None:
            answer = self._answer(found, scope, body, request_id)
            if kind == "truncate":
                answer.body = answer.body[: max(1, len(answer.body) // 2)]
        state.record(found.label, str(answer.status))

        if decision.delay > 0 and await self._pause(decision.delay, receive) != "elapsed":
            self._abort(scope)
            await drain(receive)
            return
        await send_answer(send, answer)

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
        waiters[asyncio.ensure_future(wait_disconnect(receive))] = "gone"
        try:
            done, _ = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        for waiter in done:
            return waiters[waiter]
        return "elapsed"

    def _answer(self, found: Match, scope: Scope, body: bytes, request_id: str) -> Answer:
        """The real answer: auth, routing, scopes, rate limits, then the route's handler."""
        state = self.state
        config = state.config
        method: str = scope["method"]
        path: str = scope["path"]
        denied = authenticate(config, scope.get("headers", ()), request_id, state.oauth)
        if denied is not None:
            return denied
        route = found.route
        if route is None:
            if found.allowed:
                answer = gong_error(405, f"Method {method} not allowed", request_id=request_id)
                answer.headers.append((b"allow", ", ".join(found.allowed).encode()))
                return answer
            return gong_error(404, f"No such endpoint: {path}", request_id=request_id)
        denied = check_scopes(config, route.scopes, request_id)
        if denied is not None:
            return denied
        rate = state.acquire_rate()
        if not rate.allowed:
            answer = gong_error(429, MSG_LIMIT, request_id=request_id)
            answer.headers.append((b"retry-after", str(rate.retry_after).encode()))
            return answer
        request = Request(
            state=state,
            method=method,
            path=path,
            params=found.params,
            query=scope.get("query_string", b""),
            body=body,
            request_id=request_id,
        )
        try:
            return route.handler(request)
        except BadRequestError as exc:
            return gong_error(400, exc.message, request_id=request_id)
        except Exception:  # an emulator bug: answer like Gong would, and say so in the log
            _log.exception("Gong emulator failed on %s %s", method, path)
            return gong_error(500, MSG_UNEXPECTED, request_id=request_id)


def _base_url(scope: Scope) -> str:
    """The emulator's base URL as the client reached it: its ``Host`` header, else the listening socket."""
    scheme = scope.get("scheme", "http")
    for name, value in scope.get("headers", ()):
        if name == b"host" and value:
            return f"{scheme}://{value.decode('latin-1')}"
    server = scope.get("server")
    if not server:  # pragma: no cover - uvicorn always fills in the server
        return f"{scheme}://127.0.0.1"
    host, port = server[0], server[1]
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"
