"""Opaque paging cursors bound to the request that produced them.

A cursor is the URL-safe base64 of ``"<offset>:<digest>"``, where the digest covers the offset and a
fingerprint of every other input (endpoint, filter, ``includeAvatars``, data set, page size). Passing a
cursor with other inputs, or a forged or garbled one, is a 400 like Gong's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

__all__ = ["CursorError", "decode_cursor", "encode_cursor"]


class CursorError(ValueError):
    """A cursor that is garbage or belongs to another query."""


def _digest(offset: int, fingerprint: str) -> str:
    return hashlib.sha256(f"gong-emulator|{fingerprint}|{offset}".encode()).hexdigest()[:20]


def encode_cursor(offset: int, fingerprint: str) -> str:
    """Make the cursor of the page starting at ``offset``.

    :param offset: Position of the first record of the next page.
    :param fingerprint: Canonical text of every other input of the query.
    """
    raw = f"{offset}:{_digest(offset, fingerprint)}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, fingerprint: str, total: int) -> int:
    """Check a cursor against the query and return its offset.

    :param cursor: The cursor the client sent.
    :param fingerprint: Canonical text of every other input of the query.
    :param total: Number of records the query matches; the offset must fall inside.
    :raises CursorError: If the cursor is not one of ours for this query.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        offset_text, digest = raw.split(":", 1)
        offset = int(offset_text)
    except (ValueError, UnicodeError, binascii.Error):
        raise CursorError("Invalid cursor") from None
    if digest != _digest(offset, fingerprint):
        raise CursorError("Invalid cursor: it does not belong to this request")
    if not 0 < offset < total:
        raise CursorError("Invalid cursor: out of range")
    return offset
