"""What ``POST /v2/calls/extensive`` returns besides a call's metadata: Gong's ``contentSelector``.

Callers name the leaves of Gong's ``exposedFields`` (``"parties"``, ``"topics"``, ``"brief"``,
``"personInteractionStats"``, ``"publicComments"``, ``"media"``, ...); the names are unique across its
sections, so ``"topics"`` alone says ``exposedFields.content.topics``. :func:`content_selector` builds
the nested object Gong expects, checked before any request.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from airflow_provider_gong.client.ids import split_list

__all__ = [
    "CONTEXTS",
    "CONTEXT_TIMINGS",
    "EXPOSED_FIELDS",
    "MEDIA_NOTE",
    "content_selector",
    "requests_media",
]

#: Every leaf of Gong's ``exposedFields``, by section (``""``: at the top of ``exposedFields``), as
#: Gong's spec declares them (``ExposedFields``, ``CallContent``, ``CallInteraction``, ``CallCollaboration``).
EXPOSED_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "": ("parties", "media"),
        "content": (
            "structure",
            "topics",
            "trackers",
            "trackerOccurrences",
            "pointsOfInterest",
            "brief",
            "outline",
            "highlights",
            "callOutcome",
            "keyPoints",
        ),
        "interaction": ("speakers", "video", "personInteractionStats", "questions"),
        "collaboration": ("publicComments",),
    }
)

#: The section of each leaf.
_SECTION_OF: Mapping[str, str] = MappingProxyType(
    {leaf: section for section, leaves in EXPOSED_FIELDS.items() for leaf in leaves}
)

#: Gong's ``contentSelector.context`` values, by the lower-case name callers may use.
CONTEXTS: Mapping[str, str] = MappingProxyType({"none": "None", "basic": "Basic", "extended": "Extended"})
#: Gong's ``contentSelector.contextTiming`` values (only with ``context="extended"``).
CONTEXT_TIMINGS: Mapping[str, str] = MappingProxyType({"now": "Now", "timeofcall": "TimeOfCall"})

#: What choosing ``media`` implies, said where it is chosen.
MEDIA_NOTE = (
    "media asks Gong for download URLs of each call's audio and video: an OAuth app needs the scope "
    "api:calls:read:media-url besides api:calls:read:extensive, and the URLs expire 8 hours after Gong "
    "hands them out, so download them within that time or do not keep them"
)


def content_selector(
    content: Iterable[str] | Mapping[str, Any] | str | None,
    *,
    context: str | None = None,
    context_timing: Iterable[str] | str | None = None,
) -> dict[str, Any] | None:
    """
    The ``contentSelector`` of ``POST /v2/calls/extensive`` for ``content`` (``None``: metadata only).

    :param content: Leaf names of Gong's ``exposedFields`` (see :data:`EXPOSED_FIELDS`), as an iterable or
        a comma- or space-separated string or JSON list; ``"content.topics"`` is accepted for ``"topics"``.
        A mapping is Gong's raw ``contentSelector`` and is sent unchanged.
    :param context: ``"basic"`` adds the links to external systems (CRM objects) of each call,
        ``"extended"`` their fields too (Gong's ``context``, any case); ``None`` leaves it to Gong (none).
    :param context_timing: With ``context="extended"``: ``"now"`` and/or ``"timeOfCall"``.
    :raises ValueError: naming an unknown leaf (with the closest names), context or timing.
    """
    if isinstance(content, Mapping):
        if context is not None or context_timing is not None:
            raise ValueError(
                "content is a raw contentSelector (a mapping): put context and contextTiming in it "
                "instead of passing context or context_timing"
            )
        return dict(content)
    selector: dict[str, Any] = {}
    if context is not None:
        selector["context"] = _context(context)
    if context_timing is not None:
        timings = _timings(context_timing)
        if selector.get("context") != "Extended":
            raise ValueError(
                f"context_timing {timings} needs context='extended' (Gong accepts contextTiming only with "
                "the extended context)"
            )
        selector["contextTiming"] = timings
    leaves = _leaves(content)
    if leaves:
        exposed: dict[str, Any] = {}
        for leaf in leaves:
            section = _SECTION_OF[leaf]
            if section:
                exposed.setdefault(section, {})[leaf] = True
            else:
                exposed[leaf] = True
        selector["exposedFields"] = exposed
    return selector or None


def requests_media(selector: Mapping[str, Any] | None) -> bool:
    """
    Whether a ``contentSelector`` asks for media URLs (``exposedFields.media``).

    :param selector: What :func:`content_selector` returned.
    """
    exposed = selector.get("exposedFields") if selector else None
    return isinstance(exposed, Mapping) and exposed.get("media") is True


def _leaves(content: Iterable[str] | str | None) -> list[str]:
    if content is None:
        return []
    if isinstance(content, (bytes, Mapping)) or not isinstance(content, Iterable):
        raise ValueError(f"content must be a list of Gong's exposedFields names, got {content!r}")
    items: Iterable[object] = split_list(content, "content") if isinstance(content, str) else content
    leaves: dict[str, None] = {}
    unknown: list[str] = []
    for item in items:
        name = item.strip() if isinstance(item, str) else item
        if isinstance(name, str) and "." in name:
            section, _, leaf = name.rpartition(".")
            name = leaf if _SECTION_OF.get(leaf) == section else name
        if isinstance(name, str) and name in _SECTION_OF:
            leaves.setdefault(name, None)
        else:
            unknown.append(repr(item))
    if unknown:
        known = sorted(_SECTION_OF)
        close = sorted({hit for bad in unknown for hit in difflib.get_close_matches(bad.strip("'\""), known)})
        advice = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(
            f"content: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not among Gong's "
            f"exposedFields{advice}; choose from {known}"
        )
    return list(leaves)


def _context(value: object) -> str:
    if not isinstance(value, str) or value.strip().lower() not in CONTEXTS:
        raise ValueError(
            f"context must be one of {sorted(CONTEXTS)} (Gong's None, Basic, Extended), got {value!r}"
        )
    return CONTEXTS[value.strip().lower()]


def _timings(value: Iterable[str] | str) -> list[str]:
    items: Iterable[object] = split_list(value, "context_timing") if isinstance(value, str) else value
    timings: dict[str, None] = {}
    for item in items:
        key = item.strip().lower() if isinstance(item, str) else ""
        if key not in CONTEXT_TIMINGS:
            raise ValueError(
                f"context_timing must hold 'now' and/or 'timeOfCall' (Gong's Now, TimeOfCall), got {item!r}"
            )
        timings.setdefault(CONTEXT_TIMINGS[key], None)
    if not timings:
        raise ValueError("context_timing must hold 'now' and/or 'timeOfCall', got nothing")
    return list(timings)
