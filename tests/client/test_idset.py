"""IdSet: exact membership of Gong ids, whatever their form, across table growth."""

from __future__ import annotations

import random

import pytest

from airflow_provider_gong.client.idset import IdSet


def test_new_ids_are_added_once_and_found() -> None:
    ids = IdSet()
    assert ids.add("234599484848423") is True
    assert ids.add("234599484848423") is False
    assert "234599484848423" in ids
    assert "234599484848424" not in ids
    assert len(ids) == 1


@pytest.mark.parametrize(
    "odd",
    [
        "",
        "0",
        "007",
        "18446744073709551615",
        "99999999999999999999",
        "123456789012345678901",
        "abc",
        "١٢٣",
        "None",
    ],
)
def test_ids_outside_the_compact_table_are_exact_too(odd: str) -> None:
    ids = IdSet()
    assert ids.add(odd) is True
    assert ids.add(odd) is False
    assert odd in ids
    # a leading zero is another id than the number without it
    if odd == "007":
        assert "7" not in ids
        assert ids.add("7") is True


def test_a_hundred_thousand_ids_survive_every_growth_with_no_false_positive() -> None:
    rng = random.Random(7)
    kept = {str(rng.randrange(1, 10**19)) for _ in range(100_000)}
    ids = IdSet()
    for uid in kept:
        assert ids.add(uid) is True
    assert len(ids) == len(kept)
    for uid in kept:
        assert uid in ids
        assert ids.add(uid) is False
    others = {str(rng.randrange(1, 10**19)) for _ in range(20_000)} - kept
    assert not any(uid in ids for uid in others)


def test_non_strings_are_never_members() -> None:
    ids = IdSet()
    ids.add("1")
    assert 1 not in ids
    assert None not in ids
