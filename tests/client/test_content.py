"""The content selector of detailed calls: leaf names checked against Gong's spec, Gong's shape built."""

from __future__ import annotations

from typing import Any

import pytest
from gong_spec import SPEC

from airflow_provider_gong.client.content import EXPOSED_FIELDS, content_selector, requests_media

SCHEMAS = SPEC["components"]["schemas"]


def _leaves(schema_name: str) -> dict[str, tuple[str, ...]]:
    """Every boolean leaf of ``ExposedFields`` in the spec, by section (``""``: top level)."""
    found: dict[str, list[str]] = {"": []}
    for name, prop in SCHEMAS[schema_name]["properties"].items():
        ref = prop.get("$ref")
        if ref:
            section = SCHEMAS[ref.rsplit("/", 1)[-1]]
            found[name] = [
                leaf for leaf, value in section["properties"].items() if value.get("type") == "boolean"
            ]
        elif prop.get("type") == "boolean":
            found[""].append(name)
    return {section: tuple(leaves) for section, leaves in found.items()}


def test_the_leaves_are_gongs_and_unique() -> None:
    assert dict(EXPOSED_FIELDS) == _leaves("ExposedFields")
    every = [leaf for leaves in EXPOSED_FIELDS.values() for leaf in leaves]
    assert len(every) == len(set(every)), "a leaf name must say its section on its own"


def test_leaves_become_gongs_nested_selector() -> None:
    selector = content_selector(
        ["parties", "topics", "brief", "personInteractionStats", "publicComments", "media"]
    )
    assert selector == {
        "exposedFields": {
            "parties": True,
            "content": {"topics": True, "brief": True},
            "interaction": {"personInteractionStats": True},
            "collaboration": {"publicComments": True},
            "media": True,
        }
    }
    assert requests_media(selector)
    assert not requests_media(content_selector(["topics"]))


def test_every_leaf_is_accepted() -> None:
    every = [leaf for leaves in EXPOSED_FIELDS.values() for leaf in leaves]
    selector = content_selector(every)
    assert selector is not None
    exposed = selector["exposedFields"]
    assert sum(len(value) if isinstance(value, dict) else 1 for value in exposed.values()) == len(every)


@pytest.mark.parametrize(
    "given",
    [
        "topics, trackers",
        "topics trackers",
        '["topics", "trackers"]',
        ("content.topics", "trackers", "topics"),
    ],
)
def test_strings_dotted_names_and_repeats(given: Any) -> None:
    assert content_selector(given) == {"exposedFields": {"content": {"topics": True, "trackers": True}}}


def test_context_and_timing() -> None:
    assert content_selector(None, context="Basic") == {"context": "Basic"}
    assert content_selector(["parties"], context="extended", context_timing=["now", "TimeOfCall"]) == {
        "context": "Extended",
        "contextTiming": ["Now", "TimeOfCall"],
        "exposedFields": {"parties": True},
    }
    assert content_selector(None) is None
    assert content_selector([]) is None


def test_a_raw_selector_passes_unchanged() -> None:
    raw = {"exposedFields": {"content": {"futureField": True}}, "context": "Extended"}
    assert content_selector(raw) == raw


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        (["topic"], {}, r"'topic' is not among Gong's exposedFields \(did you mean topics\?\)"),
        (["interaction.topics"], {}, "'interaction.topics' is not among"),
        ([1], {}, "1 is not among"),
        (b"topics", {}, "content must be a list"),
        (None, {"context": "full"}, "context must be one of"),
        (None, {"context": "basic", "context_timing": ["now"]}, "needs context='extended'"),
        (None, {"context": "extended", "context_timing": ["later"]}, "context_timing must hold"),
        ({"context": "Basic"}, {"context": "basic"}, "raw contentSelector"),
    ],
)
def test_bad_content_names_the_problem(content: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        content_selector(content, **kwargs)
