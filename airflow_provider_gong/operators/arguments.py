"""The checks of a Gong fetch operator's arguments, with one rule for a value however it arrives.

Literal values are checked when the DAG is parsed, templated ones (and XComArgs) once rendered, with the
same functions; a templated or mapped value that arrives as nothing (``None``, ``""``, ``"None"``,
``"null"``) must never silently mean "everything". A mapped task's output path must be its own.
"""

from __future__ import annotations

import numbers
import posixpath
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from airflow_provider_gong.client.dates import date_window
from airflow_provider_gong.client.ids import split_list
from airflow_provider_gong.version_compat import AIRFLOW_VERSION, ObjectStoragePath

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = [
    "check_dates",
    "check_fields",
    "check_mapped_output",
    "check_output_path",
    "describe",
    "index_prefix",
    "is_literal",
    "is_nothing",
    "map_index_of",
    "mapped_operator",
    "mapped_to_nothing",
    "maps_argument",
    "rendered_to_nothing",
    "shared_output",
]

_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")

#: The texts a missing value renders to: ``str(None)``, JSON's ``null`` (``| tojson``), nothing at all.
_NOTHING_TEXTS = {
    "None": "the text of a missing value",
    "null": "JSON's missing value",
    "": "the string is empty",
}


def is_literal(value: object) -> bool:
    """Whether a value is final as given: no template, nothing Airflow resolves at run time (XComArg)."""
    if value is None or isinstance(value, (numbers.Number, dict, datetime, ObjectStoragePath)):
        return True
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    if isinstance(value, (list, tuple)):
        return all(is_literal(item) for item in value)
    return False


def describe(value: object) -> str:
    """How a templated value reads in a message: the template, or which task's XCom it is."""
    upstream = getattr(getattr(value, "operator", None), "task_id", None)
    if isinstance(upstream, str):
        return f"(the XCom of task {upstream!r})"
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def is_nothing(value: object) -> bool:
    """Whether a value arrived as nothing: ``None``, or a text a missing value renders to."""
    return value is None or (isinstance(value, str) and value.strip() in _NOTHING_TEXTS)


def _why_nothing(value: object, noun: str | None) -> str:
    if not isinstance(value, str):
        return "no value"
    why = _NOTHING_TEXTS[value.strip()]
    return f"Invalid Gong {noun} id {value!r}: {why}" if noun and value.strip() else why


def map_index_of(context: Context) -> int:
    """The task instance's map index; ``-1`` when it is not mapped (or the context has no task instance)."""
    map_index = getattr(context.get("ti"), "map_index", None)
    return map_index if isinstance(map_index, int) and not isinstance(map_index, bool) else -1


def index_prefix(map_index: int) -> str:
    """``"map index N: "`` for a mapped task instance, else nothing: how its messages start."""
    return f"map index {map_index}: " if map_index >= 0 else ""


def rendered_to_nothing(
    task_id: str,
    name: str,
    source: str,
    value: object,
    map_index: int = -1,
    noun: str | None = None,
    *,
    empty: tuple[str, str] | None = None,
) -> ValueError:
    """
    The error for a templated argument that rendered to nothing.

    :param task_id: The task.
    :param name: The argument (``user_ids``, ``fields``).
    :param source: How it was given (:func:`describe`).
    :param value: What it rendered to.
    :param map_index: The task instance's map index (``-1``: not mapped).
    :param noun: The record (``"user"``) when ``name`` holds ids of them; ``None`` for ``fields``.
    :param empty: What ``None`` means for ``name`` and what to give instead, when neither ids nor
        ``fields`` (e.g. ``("no inputs", "else give the inputs as a dict")``).
    """
    if empty is not None:
        meaning, instead = empty
    elif noun:
        meaning, instead = f"every {noun}", f"[] fetches no {noun}"
    else:
        meaning, instead = "every key", "or list the keys"
    return ValueError(
        f"{task_id}: {index_prefix(map_index)}{name} {source} rendered to {value!r} "
        f"({_why_nothing(value, noun)}): did an upstream task return nothing? A rendered value must not "
        f"silently mean {meaning}: give {name}=None literally for that; {instead}"
    )


def mapped_to_nothing(task_id: str, map_index: int, name: str, value: object, noun: str) -> ValueError:
    """
    The error for a mapped ids argument whose value for a map index is nothing.

    :param task_id: The task.
    :param map_index: The map index.
    :param name: The argument (``user_ids``).
    :param value: Its value for this map index.
    :param noun: The record its ids are of (``"user"``).
    """
    return ValueError(
        f"{task_id}: map index {map_index}: the mapped {name} {value!r} is no list of ids "
        f"({_why_nothing(value, noun)}): did an upstream task return nothing for this map index? A "
        f"mapped value must not silently mean every {noun}: to fetch every {noun}, use a separate, unmapped "
        f"task with {name}=None; [] fetches no {noun}"
    )


def _expand_value(mapped: object) -> object:
    """What ``expand()`` (a dict of mapped names) or ``expand_kwargs()`` (a list of dicts, an XComArg) got."""
    return getattr(getattr(mapped, "expand_input", None), "value", None)


def maps_argument(mapped: object | None, map_index: int, name: str) -> bool:
    """
    Whether a mapped task's argument ``name`` comes from its expand input for this map index.

    ``.expand(name=...)`` maps it; ``.expand_kwargs([...])`` does for a map index whose dict names it.
    With ``.expand_kwargs(xcom_arg)`` the dicts are unknown until run time: the argument is taken as mapped
    unless ``partial()`` gave it.

    :param mapped: The mapped operator (``None``: the task is not one).
    :param map_index: The task instance's map index.
    :param name: The argument.
    """
    if mapped is None or name in getattr(mapped, "partial_kwargs", {}):
        return False
    value = _expand_value(mapped)
    if isinstance(value, Mapping):
        return name in value
    if isinstance(value, (list, tuple)):
        entry = value[map_index] if map_index < len(value) else None
        return name in entry if isinstance(entry, Mapping) else True
    return True


def _path_key(value: object) -> str | None:
    """The file a literal output path names (a template, or anything else: ``None``), to compare paths."""
    if isinstance(value, ObjectStoragePath):
        return value.path if value.protocol in ("", "file") else str(value)
    if not isinstance(value, str) or not is_literal(value):
        return None
    text = value.strip()
    scheme = _SCHEME_RE.match(text)
    if scheme and scheme.group(1).lower() == "file":
        return text[scheme.end() :]
    return text


def shared_output(mapped: object | None, map_index: int, own: object) -> str | None:
    """
    Why this map index's output path is another map index's too (``{shown}`` stands for the path), or
    ``None`` when it is its own, or when that cannot be told before run time (mapped from an XComArg).

    :param mapped: The mapped operator (``None``: not found, so the path is taken as shared).
    :param map_index: The task instance's map index.
    :param own: This map index's output path before rendering.
    """
    same_for_all = "every other map index: output_path {shown} is the same for all of them"
    twice = "another map index: output_path {shown} is given to more than one map index"
    if mapped is None:
        return same_for_all
    value = _expand_value(mapped)
    key = _path_key(own)
    if isinstance(value, Mapping):
        if "output_path" not in value:
            return same_for_all
        paths = value["output_path"]
        if not isinstance(paths, (list, tuple)):
            return None  # mapped from an XComArg
        crossed = sorted(
            name
            for name, values in value.items()
            if name != "output_path" and isinstance(values, (list, tuple, dict)) and len(values) > 1
        )
        if crossed:
            return (
                "another map index: output_path {shown} is crossed with the other mapped argument(s) "
                f"{crossed}, so each path is used by several map indexes"
            )
        if key is not None and [_path_key(path) for path in paths].count(key) > 1:
            return twice
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(entry, Mapping) for entry in value):
        return None  # expand_kwargs() from an XComArg
    named = [_path_key(entry["output_path"]) for entry in value if "output_path" in entry]
    if map_index < len(value) and "output_path" not in value[map_index]:
        if len(value) - len(named) > 1:
            return same_for_all
        return twice if key is not None and key in named else None
    return twice if key is not None and named.count(key) > 1 else None


def mapped_operator(task: Any) -> object | None:
    """The mapped operator a task was unmapped from (``None`` when it is not one, or has no DAG)."""
    if not task.has_dag():
        return None
    mapped: object = task.dag.task_dict.get(task.task_id)
    if isinstance(getattr(mapped, "partial_kwargs", None), dict) and hasattr(mapped, "expand_input"):
        return mapped
    return None


def check_mapped_output(
    task: Any, map_index: int, given: object, output: ObjectStoragePath | None, noun: str
) -> None:
    """
    Refuse an output path a mapped task's map index shares with another: it would overwrite its file.

    :param task: The (unmapped) task.
    :param map_index: Its map index.
    :param given: Its ``output_path`` before rendering.
    :param output: Its checked, rendered ``output_path``.
    :param noun: What the file holds, for the example path (``"users"``).
    """
    if output is None or map_index < 0 or not isinstance(given, (str, ObjectStoragePath)):
        return  # an XComArg or a mapped task group's argument is resolved for each map index on its own
    template = given if isinstance(given, str) else None
    if template is not None and "map_index" in template:
        return
    shared = shared_output(mapped_operator(task), map_index, template if template is not None else output)
    if shared is None:
        return
    shown = template if template is not None else str(output)
    raise ValueError(
        f"{task.task_id}: map index {map_index} would overwrite the file of "
        f"{shared.format(shown=repr(shown))}. Put the map index in the path, e.g. "
        f"output_path='s3://bucket/gong/{{{{ ds }}}}/{noun}-{{{{ ti.map_index }}}}.jsonl', "
        "or map over output_path too, with a path of its own for every map index"
    )


def check_fields(
    fields: object, task_id: str, noun: str = "user", examples: Sequence[str] = ()
) -> list[str] | None:
    """
    Return the top-level keys to keep (``None``: all), from a list or any string form an ids argument takes.

    :param fields: The argument.
    :param task_id: For the message.
    :param noun: The record whose keys they are (``"user"``).
    :param examples: A few of its keys, for the message.
    """
    if fields is None:
        return None
    problem = ""
    items: object = fields
    if isinstance(fields, str):
        try:
            items = split_list(fields, "fields")
        except ValueError as err:
            problem = f" ({err})"
    if not problem and isinstance(items, (list, tuple)) and items:
        names = [item.strip() if isinstance(item, str) else item for item in items]
        if all(isinstance(name, str) and _FIELD_RE.fullmatch(name) for name in names):
            return list(dict.fromkeys(names))
    such_as = f" such as {list(examples)}" if examples else ""
    raise ValueError(
        f"{task_id}: fields must be a non-empty list of {noun} keys{such_as} "
        f"(None keeps every key), got {fields!r}{problem}"
    )


def check_dates(created_from: object, created_to: object, task_id: str) -> tuple[str | None, str | None]:
    """Return both bounds as ISO-8601 (``None``/``""``: no bound), parsed as the hook parses them."""
    try:
        return date_window(
            None if created_from == "" else created_from,  # type: ignore[arg-type]
            None if created_to == "" else created_to,  # type: ignore[arg-type]
        )
    except ValueError as err:
        raise ValueError(f"{task_id}: {err}") from None


def check_output_path(value: object, task_id: str, noun: str = "users") -> ObjectStoragePath | None:
    """
    Return the target (``None``/``""``: XCom); refuse anything that is not absolute or a URI.

    :param value: The argument.
    :param task_id: For the message.
    :param noun: What the file holds, for the example paths (``"users"``).
    """
    if value is None or value == "":
        return None
    absolute = (
        "a relative path would land in the worker's current directory; give a URI such as "
        f"'s3://bucket/gong/{noun}.jsonl' or 'file:///data/gong/{noun}.jsonl', or an absolute path"
    )
    if isinstance(value, ObjectStoragePath):
        if value.protocol in ("", "file") and not posixpath.isabs(value.path):
            raise ValueError(f"{task_id}: output_path {str(value)!r} is relative: {absolute}")
        return value
    if not isinstance(value, str):
        raise ValueError(
            f"{task_id}: output_path must be a URI, an absolute path or an ObjectStoragePath, got "
            f"{value!r} ({type(value).__name__}): {absolute}"
        )
    text = value.strip()
    scheme = _SCHEME_RE.match(text)
    local = text[scheme.end() :] if scheme and scheme.group(1).lower() == "file" else None if scheme else text
    if local is not None and not posixpath.isabs(local):
        raise ValueError(f"{task_id}: output_path {value!r} is relative: {absolute}")
    try:
        return ObjectStoragePath(text)
    except TypeError as err:
        raise ValueError(f"{task_id}: output_path {value!r}: {err}{_object_storage_advice()}") from err


def _object_storage_advice() -> str:
    """What fixes Airflow 3.0's ``ObjectStoragePath`` when it refuses every path, or ``""`` elsewhere."""
    if AIRFLOW_VERSION[:2] != (3, 0):
        return ""
    try:
        installed = metadata.version("universal-pathlib")
    except metadata.PackageNotFoundError:
        return ""
    if not (0, 3) <= Version(installed).release[:2] < (1, 0):
        return ""
    return (
        f" (Airflow 3.0's ObjectStoragePath does not work with universal-pathlib {installed}: "
        "pip install 'universal-pathlib<0.3', as Apache's constraints for Airflow 3.0 pin it)"
    )
