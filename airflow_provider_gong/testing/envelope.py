"""Gong's JSON envelopes, for any resource: request ids, errors, single records and cursor-paged lists.

Every Gong answer carries a ``requestId``; errors are ``{"requestId": ..., "errors": [...]}``; a list is
``{"requestId", "records": {"totalRecords", "currentPageSize", "currentPageNumber", "cursor"?},
<key>: [...]}`` and an empty result is a 404 with a resource-specific message, not an empty 200.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.paging import CursorError, decode_cursor, encode_cursor

__all__ = [
    "MSG_LIMIT",
    "MSG_UNEXPECTED",
    "BadRequestError",
    "dumps",
    "gong_error",
    "new_request_id",
    "not_found",
    "paged_answer",
    "record_answer",
]

MSG_LIMIT = "API request limit exceeded"
MSG_UNEXPECTED = "Failed to complete the operation due to an unexpected error"

_REQUEST_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_request_id_rng = random.Random(os.urandom(16))

_T = TypeVar("_T")


class BadRequestError(Exception):
    """A malformed request: the route answers Gong's 400 with ``message``.

    :param message: The error message sent to the client.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_request_id() -> str:
    """Return a fresh, random-looking request id like Gong's (19 lower-case letters and digits)."""
    return "".join(_request_id_rng.choices(_REQUEST_ID_ALPHABET, k=19))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as Gong sends it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def gong_error(status: int, *messages: str, request_id: str | None = None) -> Answer:
    """Build Gong's error answer ``{"requestId": ..., "errors": [...]}``.

    :param status: HTTP status.
    :param messages: The error messages.
    :param request_id: The request id (default: a fresh one).
    """
    return Answer(status, dumps({"requestId": request_id or new_request_id(), "errors": list(messages)}))


def not_found(message: str, request_id: str) -> Answer:
    """Gong's "nothing found" 404, e.g. ``"User not found"`` or ``"No users found corresponding to..."``.

    :param message: The resource's message.
    :param request_id: The request id.
    """
    return gong_error(404, message, request_id=request_id)


def record_answer(request_id: str, key: str, value_json: bytes) -> Answer:
    """A 200 ``{"requestId": ..., key: value}`` from the already-encoded JSON of the value.

    :param request_id: The request id.
    :param key: The record's key, e.g. ``"user"``.
    :param value_json: The value as compact JSON bytes.
    """
    return Answer(200, b'{"requestId":"%s","%s":%s}' % (request_id.encode(), key.encode(), value_json))


def paged_answer(
    selection: Sequence[_T],
    render: Callable[[_T], bytes],
    *,
    key: str,
    cursor: str | None,
    fingerprint: str,
    page_size: int,
    cursor_ttl: float | None,
    empty_message: str,
    request_id: str,
) -> Answer:
    """One page of a cursor-paged list, or the 404 when nothing matches.

    :param selection: Every matching item, in the list's order.
    :param render: Turns one item into its compact JSON bytes.
    :param key: The list's key, e.g. ``"users"``.
    :param cursor: The cursor the client sent (``None``: first page).
    :param fingerprint: Canonical text of every other input of the query, the data set included; a cursor
        only works with the same fingerprint.
    :param page_size: Items per page.
    :param cursor_ttl: Seconds a cursor stays valid (``None``: forever).
    :param empty_message: The 404 message when ``selection`` is empty.
    :param request_id: The request id.
    :raises BadRequestError: For a cursor that is garbage, another query's or expired.
    """
    total = len(selection)
    if total == 0:
        return not_found(empty_message, request_id)
    fingerprint = f"{fingerprint}|{page_size}"
    offset = 0
    if cursor is not None:
        try:
            offset = decode_cursor(cursor, fingerprint, total, ttl=cursor_ttl)
        except CursorError as exc:
            raise BadRequestError(str(exc)) from None
    page = selection[offset : offset + page_size]
    records: dict[str, Any] = {
        "totalRecords": total,
        "currentPageSize": len(page),
        "currentPageNumber": offset // page_size,
    }
    if offset + len(page) < total:
        records["cursor"] = encode_cursor(offset + len(page), fingerprint)
    items = b",".join([render(item) for item in page])
    return Answer(
        200,
        b'{"requestId":"%s","records":%s,"%s":[%s]}'
        % (request_id.encode(), dumps(records), key.encode(), items),
    )
