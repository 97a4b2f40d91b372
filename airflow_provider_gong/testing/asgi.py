"""ASGI plumbing shared by every route: the answer type, reading a body, sending, waiting, lifespan.

The emulator is a plain ASGI callable rather than a framework app: per-request overhead stays tiny (it is
used for benchmarks) and faults need control below the framework level (a dropped connection must send no
byte at all, a truncated body must keep a valid ``Content-Length``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = [
    "JSON_CONTENT_TYPE",
    "MAX_BODY",
    "Answer",
    "ClientGoneError",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "drain",
    "lifespan",
    "read_body",
    "send_answer",
    "wait_disconnect",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: ``Content-Type`` of every JSON answer.
JSON_CONTENT_TYPE = b"application/json; charset=utf-8"
#: Largest request body accepted (bigger: 413).
MAX_BODY = 1024 * 1024


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
    content_type: bytes = JSON_CONTENT_TYPE
    headers: list[tuple[bytes, bytes]] = dataclasses.field(default_factory=list)


class ClientGoneError(Exception):
    """The client disconnected before its request body was read."""


async def read_body(receive: Receive) -> bytes | None:
    """Read the whole request body; ``None`` if it exceeds :data:`MAX_BODY`.

    :raises ClientGoneError: If the client went away first.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if size > MAX_BODY:
        return None
    return b"".join(chunks)


async def wait_disconnect(receive: Receive) -> None:
    """Return once the client has gone away."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def drain(receive: Receive) -> None:
    """After aborting the transport, wait until the server notices, so it sends nothing itself."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(wait_disconnect(receive), timeout=2.0)


async def send_answer(send: Send, answer: Answer) -> None:
    """Send ``answer`` with its ``Content-Type`` and ``Content-Length``."""
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(answer.body)).encode()),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})


async def lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge the ASGI lifespan protocol (nothing to set up or tear down)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
