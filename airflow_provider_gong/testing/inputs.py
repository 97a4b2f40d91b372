"""A routed request and the checks of Gong's inputs, for any resource: ids, query flags, JSON filters.

Each check raises :class:`~airflow_provider_gong.testing.envelope.BadRequestError` with the message the
client gets in Gong's 400 envelope.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from airflow_provider_gong.testing.envelope import BadRequestError
from airflow_provider_gong.testing.users import parse_gong_time

if TYPE_CHECKING:
    from airflow_provider_gong.testing.config import EmulatorConfig
    from airflow_provider_gong.testing.state import EmulatorState

__all__ = [
    "Request",
    "body_cursor",
    "bool_field",
    "filter_object",
    "gong_id",
    "id_field",
    "id_list",
    "time_field",
]

_ID_RE = re.compile(r"[0-9]{1,20}")
_BOOL_TEXT = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclasses.dataclass(frozen=True)
class Request:
    """One Gong call, authenticated and routed, as a resource's handler sees it.

    :param state: The emulator's shared state (settings, data).
    :param method: HTTP method.
    :param path: Request path.
    :param params: Path parameters of the route, e.g. ``{"id": "987"}`` for ``/v2/users/{id}``.
    :param query: Raw query string.
    :param body: Raw request body.
    :param request_id: The ``requestId`` of the answer.
    """

    state: EmulatorState
    method: str
    path: str
    params: Mapping[str, str]
    query: bytes
    body: bytes
    request_id: str

    @property
    def config(self) -> EmulatorConfig:
        """The live settings."""
        return self.state.config

    def query_value(self, name: str) -> str | None:
        """The last value of query parameter ``name`` (``""`` if given blank, ``None`` if absent)."""
        values = parse_qs(self.query.decode("latin-1"), keep_blank_values=True).get(name)
        return values[-1] if values else None

    def query_bool(self, name: str, default: bool = False) -> bool:
        """Query parameter ``name`` as a boolean (``true``/``false``, ``1``/``0``, ``yes``/``no``)."""
        text = self.query_value(name)
        if text is None:
            return default
        text = text.strip().lower()
        if text not in _BOOL_TEXT:
            raise BadRequestError(f"Invalid {name} value {text!r}: expected true or false")
        return _BOOL_TEXT[text]

    def query_time(self, name: str, *, required: bool = False) -> float | None:
        """Query parameter ``name`` as an ISO-8601 date-time with a UTC offset, in UTC epoch seconds.

        :param name: The parameter, e.g. ``"fromDateTime"``.
        :param required: Whether it must be given (absent or blank: 400 naming it); else ``None`` then.
        """
        text = self.query_value(name)
        if not text:
            if required:
                raise BadRequestError(f"Missing required query parameter {name}")
            return None
        return _instant(text, name)

    def query_cursor(self) -> str | None:
        """The ``cursor`` query parameter (``None`` when absent or blank)."""
        return self.query_value("cursor") or None

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object."""
        try:
            payload = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequestError("Malformed request body: not valid JSON") from None
        if not isinstance(payload, dict):
            raise BadRequestError("Malformed request body: expected a JSON object")
        return payload


def body_cursor(payload: Mapping[str, Any]) -> str | None:
    """The top-level ``cursor`` of a POST body (``None`` when absent or empty).

    :param payload: The JSON body.
    """
    cursor = payload.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise BadRequestError("cursor must be a string")
    return cursor or None


def filter_object(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The required ``filter`` object of a POST body.

    :param payload: The JSON body.
    """
    if "filter" not in payload or payload["filter"] is None:
        raise BadRequestError("Malformed request body: 'filter' is required")
    filters = payload["filter"]
    if not isinstance(filters, dict):
        raise BadRequestError("filter must be a JSON object")
    return filters


def gong_id(value: str, what: str) -> str:
    """Check a Gong id from the path (a number of up to 20 digits).

    :param value: The id as sent.
    :param what: What it names, for the message (``"user id"``).
    """
    if not _ID_RE.fullmatch(value):
        raise BadRequestError(f"Invalid {what} {value!r}: expected a number of up to 20 digits")
    return value


def id_field(filters: Mapping[str, Any], name: str, what: str) -> str | None:
    """A filter's single id, e.g. ``filter.workspaceId`` (``None`` when absent, null or empty).

    :param filters: The ``filter`` object.
    :param name: The field, e.g. ``"workspaceId"``.
    :param what: What the id names, for the message (``"workspace id"``).
    """
    value = filters.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise BadRequestError(f"Invalid {what} {value!r} in filter.{name}: expected a digit string")
    return value


def id_list(filters: Mapping[str, Any], name: str, what: str, limit: int) -> list[str] | None:
    """A filter's list of ids, e.g. ``filter.userIds`` (``None`` when absent or empty).

    :param filters: The ``filter`` object.
    :param name: The field, e.g. ``"userIds"``.
    :param what: What each id names, for the messages (``"user id"``).
    :param limit: Most ids accepted.
    """
    ids = filters.get(name)
    if ids is None:
        return None
    if not isinstance(ids, list):
        raise BadRequestError(f"filter.{name} must be a list of {what} strings")
    if len(ids) > limit:
        raise BadRequestError(f"filter.{name} holds {len(ids)} ids; at most {limit} are allowed")
    for value in ids:
        if not isinstance(value, str) or not _ID_RE.fullmatch(value):
            raise BadRequestError(f"Invalid {what} {value!r} in filter.{name}: expected digit strings")
    return ids or None


def bool_field(filters: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """A filter's boolean field, e.g. ``filter.includeAvatars`` (``default`` when absent or null).

    :param filters: The ``filter`` object.
    :param name: The field.
    :param default: Its value when absent.
    """
    value = filters.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequestError(f"filter.{name} must be true or false")
    return value


def time_field(filters: Mapping[str, Any], name: str) -> float | None:
    """A filter's ISO-8601 date-time with a UTC offset, as UTC epoch seconds (``None`` when absent).

    :param filters: The ``filter`` object.
    :param name: The field, e.g. ``"createdFromDateTime"``.
    """
    value = filters.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequestError(f"filter.{name} must be an ISO-8601 string")
    return _instant(value, f"filter.{name}")


def _instant(text: str, label: str) -> float:
    """Parse a date-time input named ``label`` in the messages (``"filter.fromDateTime"``)."""
    try:
        return parse_gong_time(text)
    except ValueError:
        raise BadRequestError(
            f"Invalid {label} {text!r}: expected ISO-8601 with a UTC offset, e.g. 2018-02-18T08:00:00Z"
        ) from None
