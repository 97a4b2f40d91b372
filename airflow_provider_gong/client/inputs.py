"""The inputs of Gong's operations: declared once per endpoint, checked and placed before any request.

Each :class:`Param` is one of Gong's parameters (a path or query parameter, or a top-level key of a JSON
body, or a key inside a body's ``filter``) with the kind of value it takes. Callers pass keyword inputs
named in snake_case (``workspace_id`` for ``workspaceId`` or ``workspace-id``, ``from_`` for ``from``,
``filter`` and ``content_selector`` for a body's keys); :func:`prepare` checks every one (required,
kind, enum values), names the input that is wrong, and places each where Gong reads it.
"""

from __future__ import annotations

import difflib
import keyword
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from airflow_provider_gong.client.dates import gong_date, iso_datetime
from airflow_provider_gong.client.ids import split_list, validate_id

__all__ = ["MAX_BODY_IDS", "Kind", "Param", "Prepared", "prepare", "snake_case"]

#: The most ids one call of Gong takes in a list (ids beyond are refused, never silently dropped).
MAX_BODY_IDS = 100

Kind = Literal[
    "id",  # a Gong id: 1-20 digits
    "ids",  # a list of Gong ids
    "text",  # a non-empty string
    "texts",  # a list of non-empty strings
    "email",  # an email address
    "date",  # a date, YYYY-MM-DD (in the company's time zone)
    "datetime",  # an ISO-8601 date-time (naive = UTC)
    "bool",
    "int",  # an integer id Gong types as int64
    "choice",  # one of ``choices``
    "choices",  # a list of ``choices``
    "filter",  # an object of ``fields``
    "object",  # an object passed as is (e.g. ``contentSelector``)
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(wire: str) -> str:
    """
    The keyword name of Gong's parameter ``wire``: ``workspaceId`` and ``workspace-id`` become
    ``workspace_id``, ``from`` (a Python keyword) becomes ``from_``.

    :param wire: Gong's name.
    """
    name = _CAMEL.sub(r"_\1", wire).replace("-", "_").lower()
    return name + "_" if keyword.iskeyword(name) else name


@dataclass(frozen=True)
class Param:
    """
    One input of an operation.

    :param wire: Gong's name of it (``"fromDateTime"``, ``"workspace-id"``, ``"filter"``).
    :param where: ``"path"``, ``"query"``, ``"body"`` (a top-level key of the JSON body), ``"field"`` (a key
        inside a ``filter`` object), or ``"array"`` (the JSON body is this list).
    :param kind: What it takes (see :data:`Kind`).
    :param required: Whether Gong requires it.
    :param choices: The values an enum takes.
    :param fields: The keys of a ``filter`` object.
    :param max_items: The most items a list takes (``None``: no bound).
    """

    wire: str
    where: Literal["path", "query", "body", "field", "array"]
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    fields: tuple[Param, ...] = ()
    max_items: int | None = None

    #: The keyword name (``snake_case(wire)``).
    name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", snake_case(self.wire))

    @property
    def noun(self) -> str:
        """What an id of this input names, for messages: ``workspaceId`` names a workspace."""
        words = self.name.removesuffix("_ids").removesuffix("_id").replace("_", " ").strip()
        return "record" if words in ("", "id") else words

    def check(self, value: Any, label: str) -> Any:
        """
        The value as Gong takes it (ids and dates as text, date-times as ISO-8601), or ``ValueError``.

        :param value: What the caller gave.
        :param label: How to name the input in the error (``"listLogs: log_type"``).
        """
        kind = self.kind
        if kind == "id":
            return _wrap(label, lambda: validate_id(value, self.noun))
        if kind == "int":
            return int(_wrap(label, lambda: validate_id(value, self.noun)))
        if kind in ("ids", "texts", "choices"):
            items = _as_list(value, label)
            if self.max_items is not None and len(items) > self.max_items:
                raise ValueError(
                    f"{label} holds {len(items)} items; Gong takes at most {self.max_items} in one call"
                )
            single = {"ids": "id", "texts": "text", "choices": "choice"}[kind]
            item = Param(self.wire, self.where, single, choices=self.choices)  # type: ignore[arg-type]
            return [item.check(one, f"{label}[{index}]") for index, one in enumerate(items)]
        if kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{label} must be a non-empty string, got {_show(value)}")
            return value.strip()
        if kind == "email":
            if not isinstance(value, str) or not _EMAIL.match(value.strip()):
                raise ValueError(f"{label} must be an email address, got {_show(value)}")
            return value.strip()
        if kind == "date":
            return _wrap(label, lambda: gong_date(value, self.wire))
        if kind == "datetime":
            if isinstance(value, date) and not isinstance(value, datetime):
                raise ValueError(f"{label} takes a date-time (ISO-8601), got the date {value.isoformat()}")
            return _wrap(label, lambda: iso_datetime(value, self.wire))
        if kind == "bool":
            return _bool(value, label)
        if kind == "choice":
            return _choice(value, self.choices, label)
        if kind == "filter":
            if not isinstance(value, Mapping):
                raise ValueError(
                    f"{label} must be a dict of {[f.wire for f in self.fields]}, got {_show(value)}"
                )
            return _check_object(value, self.fields, label)
        if not isinstance(value, Mapping):
            raise ValueError(f"{label} must be a dict (Gong's JSON object), got {_show(value)}")
        return dict(value)


@dataclass(frozen=True)
class Prepared:
    """
    One request's parts, checked: what goes in the path, the query and the body.

    :param path_params: Values of the path's parameters.
    :param params: Query parameters.
    :param body: The JSON body (an object, a list, or ``None``).
    """

    path_params: dict[str, str]
    params: dict[str, Any]
    body: Any


def prepare(
    operation_id: str,
    params: Sequence[Param],
    inputs: Mapping[str, Any],
    *,
    optional: Iterable[str] = (),
) -> Prepared:
    """
    Check keyword ``inputs`` against an operation's ``params`` and place each where Gong reads it.

    Nothing is sent: every problem is a ``ValueError`` naming the operation and the input, with the names
    it takes (and the closest one to a misspelt name).

    :param operation_id: The operation, for the errors.
    :param params: Its declared inputs.
    :param inputs: The caller's keyword inputs; ``None`` values count as not given.
    :param optional: Gong names (top level or inside ``filter``) not required this time (e.g. the window
        an operator fills in later).
    :raises ValueError: naming the input that is missing, unknown or malformed.
    """
    by_name = {param.name: param for param in params}
    for wire_name in (param.wire for param in params):
        by_name.setdefault(wire_name, by_name[snake_case(wire_name)])  # Gong's own name works too
    skip = set(optional)
    given: dict[str, Any] = {}
    for name, value in inputs.items():
        if name == "cursor":
            raise ValueError(
                f"{operation_id}: cursor is not an input: the provider follows Gong's pages itself"
            )
        param = by_name.get(name)
        if param is None:
            raise ValueError(_unknown(operation_id, name, [p.name for p in params]))
        if param.name in given:
            raise ValueError(f"{operation_id}: {param.name} is given twice (as {name!r} and by another name)")
        if value is not None:
            given[param.name] = value
    path_params: dict[str, str] = {}
    query: dict[str, Any] = {}
    body: Any = None
    for param in params:
        label = f"{operation_id}: {param.name}"
        if param.name not in given:
            if param.kind == "filter" and param.required:
                # A filter Gong requires is sent even when empty; its own required keys are named.
                body = _put(body, param.wire, _check_object({}, param.fields, label, skip))
            elif param.required and param.wire not in skip:
                raise ValueError(f"{label} is required ({_describe(param)})")
            continue
        if param.kind == "filter":
            if not isinstance(given[param.name], Mapping):
                raise ValueError(
                    f"{label} must be a dict ({_describe(param)}), got {_show(given[param.name])}"
                )
            value = _check_object(given[param.name], param.fields, label, skip)
        else:
            value = param.check(given[param.name], label)
        if param.where == "path":
            path_params[param.wire] = value
        elif param.where == "query":
            query[param.wire] = _query_value(value)
        elif param.where == "array":
            body = value
        else:
            body = _put(body, param.wire, value)
    return Prepared(path_params, query, body)


def _put(body: Any, key: str, value: Any) -> dict[str, Any]:
    merged = dict(body) if isinstance(body, dict) else {}
    merged[key] = value
    return merged


def _check_object(
    value: Mapping[str, Any], fields: Sequence[Param], label: str, skip: Iterable[str] = ()
) -> dict[str, Any]:
    known = {param.wire: param for param in fields}
    for param in fields:
        known.setdefault(param.name, param)
    skipped = set(skip)
    out: dict[str, Any] = {}
    for key, item in value.items():
        found = known.get(key) if isinstance(key, str) else None
        if found is None:
            raise ValueError(_unknown(label, key, [p.wire for p in fields], what="key"))
        param = found
        if item is not None:
            out[param.wire] = param.check(item, f"{label}[{param.wire!r}]")
    for param in fields:
        if param.required and param.wire not in out and param.wire not in skipped:
            raise ValueError(f"{label}[{param.wire!r}] is required ({_describe(param)})")
    return out


def _describe(param: Param) -> str:
    if param.kind == "filter":
        required = [f.wire for f in param.fields if f.required]
        keys = ", ".join(f.wire for f in param.fields)
        return f"a dict with the keys {keys}" + (f"; {', '.join(required)} required" if required else "")
    return {
        "id": "a Gong id of 1-20 digits",
        "ids": "a list of Gong ids",
        "text": "a string",
        "texts": "a list of strings",
        "email": "an email address",
        "date": "a date, YYYY-MM-DD",
        "datetime": "an ISO-8601 date-time or a datetime",
        "bool": "True or False",
        "int": "an integer id",
        "choice": f"one of {list(param.choices)}",
        "choices": f"a list of {list(param.choices)}",
        "object": "a dict",
    }[param.kind]


def _unknown(owner: str, name: object, names: list[str], what: str = "input") -> str:
    close = difflib.get_close_matches(str(name), names, n=1) if isinstance(name, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{owner}: unknown {what} {name!r}{hint}; it takes {sorted(names) or 'none'}"


def _as_list(value: Any, label: str) -> list[Any]:
    if isinstance(value, str):
        return list(_wrap(label, lambda: split_list(value, label)))  # "1, 2" or a JSON list (templates)
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"{label} must be a list, got {_show(value)}")
    return list(value)


def _bool(value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{label} must be True or False, got {_show(value)}")


def _choice(value: Any, choices: tuple[str, ...], label: str) -> str:
    if isinstance(value, str) and value in choices:
        return value
    if isinstance(value, str):
        folded = {choice.lower(): choice for choice in choices}
        if value.strip().lower() in folded:
            return folded[value.strip().lower()]
    raise ValueError(f"{label} must be one of {list(choices)}, got {_show(value)}")


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(value)
    return value


def _wrap(label: str, check: Any) -> Any:
    try:
        return check()
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
