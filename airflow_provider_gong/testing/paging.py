"""Opaque paging cursors bound to the request that produced them.

A cursor is the URL-safe base64 of ``"<offset>:<issued>:<digest>"``, where ``issued`` is when the cursor
was made (milliseconds of the monotonic clock) and the digest covers the offset, the issue time and a
fingerprint of every other input (endpoint, filter, ``includeAvatars``, data set, page size). Passing a
cursor with other inputs, or a forged or garbled one, is a 400 like Gong's; so is a cursor older than the
emulator's ``cursor_ttl`` (Gong's ``"cursor has expired"``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time

__all__ = ["MSG_CURSOR_EXPIRED", "CursorError", "CursorExpiredError", "decode_cursor", "encode_cursor"]

#: Gong's error message for a cursor that is too old.
MSG_CURSOR_EXPIRED = "cursor has expired"


class CursorError(ValueError):
    """A cursor that is garbage or belongs to another query."""


class CursorExpiredError(CursorError):
    """A genuine cursor of this query, issued longer ago than the emulator's ``cursor_ttl``."""


def _now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def _digest(offset: int, issued_ms: int, fingerprint: str) -> str:
    return hashlib.sha256(f"gong-emulator|{fingerprint}|{offset}|{issued_ms}".encode()).hexdigest()[:20]


def encode_cursor(offset: int, fingerprint: str) -> str:
    """Make the cursor of the page starting at ``offset``, stamped with the current time.

    :param offset: Position of the first record of the next page.
    :param fingerprint: Canonical text of every other input of the query.
    """
    issued_ms = _now_ms()
    raw = f"{offset}:{issued_ms}:{_digest(offset, issued_ms, fingerprint)}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, fingerprint: str, total: int, *, ttl: float | None = None) -> int:
    """Check a cursor against the query (and its age against ``ttl``) and return its offset.

    :param cursor: The cursor the client sent.
    :param fingerprint: Canonical text of every other input of the query.
    :param total: Number of records the query matches; the offset must fall inside.
    :param ttl: Seconds a cursor stays valid; one at least that old is expired (``None``: never).
    :raises CursorExpiredError: If the cursor is ours for this query but too old.
    :raises CursorError: If the cursor is not one of ours for this query.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        offset_text, issued_text, digest = raw.split(":", 2)
        offset = int(offset_text)
        issued_ms = int(issued_text)
    except (ValueError, UnicodeError, binascii.Error):
        raise CursorError("Invalid cursor") from None
    if digest != _digest(offset, issued_ms, fingerprint):
        raise CursorError("Invalid cursor: it does not belong to this request")
    if ttl is not None and _now_ms() - issued_ms >= ttl * 1000:
        raise CursorExpiredError(MSG_CURSOR_EXPIRED)
    if not 0 < offset < total:
        raise CursorError("Invalid cursor: out of range")
    return offset
