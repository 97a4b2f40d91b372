"""Validation and parsing of Gong user ids.

Gong identifies a user by a numeric id of up to 20 digits, sent as a string. Every id is checked here
before any request is sent, so a typo fails the task at once instead of costing calls.
"""

from __future__ import annotations

import ast
import json
import numbers
import operator
import re
from collections.abc import Iterable

__all__ = [
    "MAX_ID_DIGITS",
    "parse_user_ids",
    "split_list",
    "validate_id",
    "validate_ids",
    "validate_user_id",
    "validate_user_ids",
]

#: Gong's documented maximum length of an id (users, calls, ...).
MAX_ID_DIGITS = 20

_ID_RE = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}")
_SEPARATORS_RE = re.compile(r"[,\s]+")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_id(user_id: object, what: str = "user") -> str:
    """
    Return a Gong user id as the string Gong expects, or raise ``ValueError`` naming the bad value.

    Accepted: a ``str`` or an integer of 1 to 20 digits; spaces around a string are dropped. Any
    :class:`numbers.Integral` counts as an integer (``numpy.int64`` from a pandas column, too), ``bool``
    does not.

    :param user_id: The id to check.
    :param what: What the id names, for the message (``"user"``, ``"call"``).
    """
    if isinstance(user_id, bool) or not isinstance(user_id, (str, numbers.Integral)):
        raise ValueError(
            f"Invalid Gong {what} id {_show(user_id)}: expected a string or integer of 1-{MAX_ID_DIGITS} "
            f"digits, got {type(user_id).__name__}"
        )
    text = user_id.strip() if isinstance(user_id, str) else str(operator.index(user_id))
    if not _ID_RE.fullmatch(text):
        if not text:
            reason = "it is empty"
        elif text.isascii() and text.isdigit():
            reason = f"it has {len(text)} digits, more than Gong's {MAX_ID_DIGITS}"
        else:
            reason = f"Gong {what} ids are 1-{MAX_ID_DIGITS} digits only"
        raise ValueError(f"Invalid Gong {what} id {_show(user_id)}: {reason}")
    return text


def validate_ids(user_ids: Iterable[object], what: str = "user") -> list[str]:
    """
    Validate every id of a collection; return them as strings, first occurrences only, in input order.

    All ids are checked before the function returns, and the error names each bad one (up to 10),
    with its position, so nothing is sent when any id is wrong.

    :param user_ids: A list, tuple or other iterable of ids (not a string or a mapping).
    :param what: What the ids name, for the message (``"user"``, ``"call"``).
    """
    if isinstance(user_ids, (str, bytes, dict)) or not isinstance(user_ids, Iterable):
        raise ValueError(
            f"Invalid Gong {what} ids {_show(user_ids)}: expected a list of ids, "
            f"got {type(user_ids).__name__}"
        )
    seen: dict[str, None] = {}
    problems: list[str] = []
    for position, raw in enumerate(user_ids):
        try:
            seen.setdefault(validate_id(raw, what), None)
        except ValueError as err:
            problems.append(f"[{position}] {err}")
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise ValueError(f"{len(problems)} invalid Gong {what} id(s): {shown}{more}")
    return list(seen)


def validate_user_id(user_id: object) -> str:
    """
    :func:`validate_id` for a user id.

    :param user_id: The id to check.
    """
    return validate_id(user_id)


def validate_user_ids(user_ids: Iterable[object]) -> list[str]:
    """
    :func:`validate_ids` for user ids.

    :param user_ids: The ids to check.
    """
    return validate_ids(user_ids)


def _decode_list(value: str, text: str, what: str) -> list[object]:
    """Decode a rendered list: JSON, or the Python repr a template gives for a list (``['1', '2']``)."""
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as err:
        try:
            decoded = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(
                f"Invalid {what} {_show(value)}: it looks like a list but does not parse as JSON "
                f"({err.msg} at position {err.pos})"
            ) from None
    if not isinstance(decoded, (list, tuple)):
        raise ValueError(f"Invalid {what} {_show(value)}: expected a list, got {type(decoded).__name__}")
    return list(decoded)


def split_list(value: str, what: str) -> list[object]:
    """
    Decode a string that stands for a list, as an operator's templated field renders it.

    A string starting with ``[`` or ``(`` is a JSON list or the Python repr of a list or tuple (what
    ``"{{ params.x | tojson }}"`` and ``"{{ params.x }}"`` render to); anything else is split on commas
    and whitespace. The items are returned unchecked; an empty or blank string gives ``[]``.

    :param value: The string.
    :param what: What the list holds, for messages (e.g. ``"Gong user ids"``).
    :raises ValueError: for an unrendered template, or a list that does not parse.
    """
    text = value.strip()
    if "{{" in text or "{%" in text:
        raise ValueError(
            f"Invalid {what} {_show(value)}: this is an unrendered Jinja template; pass it to a templated "
            "field (e.g. GongUserOperator.user_ids) so Airflow renders it first"
        )
    if text.startswith(("[", "(")):
        return _decode_list(value, text, what)
    return [part for part in _SEPARATORS_RE.split(text) if part]


def parse_user_ids(value: object) -> list[str] | None:
    """
    Turn any form an operator accepts into a validated list of ids, or ``None`` for "all users".

    Accepted forms: ``None``; one id (``str`` or integer); a list or tuple of ids; a string of ids
    separated by commas and/or spaces; a string that holds a JSON list, or the Python repr of a list
    (what a Jinja template such as ``"{{ params.user_ids }}"`` renders to). See :func:`split_list`.

    :param value: What the user (or the rendered template) gave.
    """
    if value is None:
        return None
    if isinstance(value, str):
        parts = split_list(value, "Gong user ids")
        text = value.strip()
        if not text:
            raise ValueError(
                f"Invalid Gong user ids {_show(value)}: the string is empty (use None for all users)"
            )
        if not parts and not text.startswith(("[", "(")):
            raise ValueError(
                f"Invalid Gong user ids {_show(value)}: no id in the string (use None for all users)"
            )
        return validate_user_ids(parts)
    if isinstance(value, (list, tuple)):
        return validate_user_ids(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return [validate_user_id(value)]
    raise ValueError(
        f"Invalid Gong user ids {_show(value)}: expected an id, a list of ids, a comma- or space-separated "
        f"string or a JSON list, got {type(value).__name__}"
    )
