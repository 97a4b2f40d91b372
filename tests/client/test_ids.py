"""Gong user id validation and the forms an operator accepts for a list of ids."""

from __future__ import annotations

import numbers
from typing import Any

import pytest

from airflow_provider_gong.client.ids import (
    MAX_ID_DIGITS,
    parse_user_ids,
    validate_user_id,
    validate_user_ids,
)

# ---------------------------------------------------------------------------------------- validate_user_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123", "123"),
        (123, "123"),
        ("  123\t", "123"),
        ("0", "0"),
        (0, "0"),
        ("007", "007"),
        ("1" * 20, "1" * 20),
        (10**20 - 1, "9" * 20),
    ],
)
def test_validate_user_id_accepts(value: str | int, expected: str) -> None:
    assert validate_user_id(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("abc", "1-20 digits only"),
        ("-5", "1-20 digits only"),
        (-5, "1-20 digits only"),
        ("1.5", "1-20 digits only"),
        ("1 2", "1-20 digits only"),
        ("1" * 21, "it has 21 digits, more than Gong's 20"),
        (10**20, "it has 21 digits"),
        (1.5, "got float"),
        (True, "got bool"),
        (False, "got bool"),
        (None, "got NoneType"),
        ([1], "got list"),
        ({"id": 1}, "got dict"),
        (b"123", "got bytes"),
    ],
    ids=repr,
)
def test_validate_user_id_refuses(value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match="Invalid Gong user id") as info:
        validate_user_id(value)

    assert repr(value) in str(info.value)
    assert reason in str(info.value)


def test_max_digits_is_gongs() -> None:
    assert MAX_ID_DIGITS == 20


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ValueError, match=r"\.\.\.") as info:
        validate_user_id("x" * 500)

    assert len(str(info.value)) < 200


# ---------------------------------------------------------------------------------------- validate_user_ids


def test_validate_user_ids_keeps_first_occurrences_in_order() -> None:
    assert validate_user_ids(["3", 1, " 3 ", 2, "1", 3]) == ["3", "1", "2"]


def test_validate_user_ids_takes_any_iterable() -> None:
    assert validate_user_ids(str(n) for n in (5, 6)) == ["5", "6"]
    assert validate_user_ids(("7",)) == ["7"]
    assert validate_user_ids([]) == []


def test_validate_user_ids_names_every_bad_id_with_its_position() -> None:
    with pytest.raises(ValueError, match="2 invalid Gong user id") as info:
        validate_user_ids(["1", "x", "2", None])

    message = str(info.value)
    assert "[1] Invalid Gong user id 'x'" in message
    assert "[3] Invalid Gong user id None" in message


def test_validate_user_ids_shows_ten_problems_at_most() -> None:
    with pytest.raises(ValueError, match=r"12 invalid Gong user id\(s\)") as info:
        validate_user_ids([f"bad{n}" for n in range(12)])

    assert "(and 2 more)" in str(info.value)
    assert "bad9" in str(info.value)
    assert "bad10" not in str(info.value)


@pytest.mark.parametrize(("value", "kind"), [("1,2", "str"), (b"1", "bytes"), ({"1": 1}, "dict"), (5, "int")])
def test_validate_user_ids_wants_a_collection(value: Any, kind: str) -> None:
    with pytest.raises(ValueError, match=f"expected a list of ids, got {kind}"):
        validate_user_ids(value)


# ---------------------------------------------------------------------------------------- parse_user_ids


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("123", ["123"]),
        (" 123 ", ["123"]),
        (123, ["123"]),
        (["1", 2, " 3 "], ["1", "2", "3"]),
        (("1", "2"), ["1", "2"]),
        ([], []),
        ("1,2,3", ["1", "2", "3"]),
        ("1 2 3", ["1", "2", "3"]),
        ("1, 2,3  4", ["1", "2", "3", "4"]),
        ("1\n2\t3,", ["1", "2", "3"]),
        ('["1", 2]', ["1", "2"]),
        ('  [ "1" ]  ', ["1"]),
        ("[]", []),
        ("['1', '2']", ["1", "2"]),
        ("(1, 2)", ["1", "2"]),
        ("[1, 2,]", ["1", "2"]),
        ("3,1,3,2,1", ["3", "1", "2"]),
        (["3", 3, "1"], ["3", "1"]),
        ('["9", "8", 9]', ["9", "8"]),
    ],
    ids=repr,
)
def test_parse_user_ids(value: Any, expected: list[str] | None) -> None:
    assert parse_user_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([[1, 2]], "[0] Invalid Gong user id [1, 2]: expected a string or integer of 1-20 digits, got list"),
        ([1, None], "[1] Invalid Gong user id None"),
        ("[1, [2]]", "[1] Invalid Gong user id [2]"),
        ({"ids": [1]}, "got dict"),
        ("{{ oops }}", "unrendered Jinja template"),
        ("{% if x %}1{% endif %}", "unrendered Jinja template"),
        ("[1, 2", "it looks like a list but does not parse as JSON"),
        ("[1, 2]x", "does not parse"),
        ("(1)", "expected a list, got int"),
        ("[__import__('os')]", "does not parse"),
        ('{"ids": [1]}', "Invalid Gong user id"),
        ("", "the string is empty (use None for all users)"),
        ("   ", "the string is empty"),
        ("1,abc", "[1] Invalid Gong user id 'abc'"),
        ("1" * 21, "21 digits"),
        (True, "got bool"),
        (1.5, "got float"),
        ({1, 2}, "got set"),
        (b"123", "got bytes"),
    ],
    ids=repr,
)
def test_parse_user_ids_refuses(value: Any, words: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_user_ids(value)

    assert words in str(info.value)


def test_parse_user_ids_names_the_garbage_template_output() -> None:
    with pytest.raises(ValueError) as info:
        parse_user_ids("{{ oops }}")

    message = str(info.value)
    assert "'{{ oops }}'" in message
    assert "unrendered Jinja template" in message
    assert "templated field" in message


def test_non_ascii_digits_are_not_counted_as_too_many_digits() -> None:
    with pytest.raises(ValueError, match="Gong user ids are 1-20 digits only"):
        validate_user_id("\uff11\uff12\uff13")  # full-width digits


# ---------------------------------------------------------------------------------------- integral ids


class _Integral:
    """An integer type that is not ``int`` (like ``numpy.int64``): registered as ``numbers.Integral``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"_Integral({self.value})"


numbers.Integral.register(_Integral)


def test_any_integral_id_is_accepted_like_an_int() -> None:
    assert validate_user_id(_Integral(123)) == "123"
    assert parse_user_ids(_Integral(42)) == ["42"]
    assert parse_user_ids([_Integral(7), "8", 7]) == ["7", "8"]


def test_an_integral_id_is_still_checked() -> None:
    with pytest.raises(ValueError, match="1-20 digits only"):
        validate_user_id(_Integral(-5))
    with pytest.raises(ValueError, match="it has 21 digits"):
        validate_user_id(_Integral(10**20))


def test_numpy_integers_from_pandas_are_accepted() -> None:
    import numpy  # a dev dependency: this test must run, never skip

    assert parse_user_ids([numpy.int64(11), numpy.uint64(12)]) == ["11", "12"]
    assert parse_user_ids(numpy.int32(13)) == ["13"]
    with pytest.raises(ValueError, match=r"got bool_?$"):  # numpy 2 names it bool, numpy 1 bool_
        validate_user_id(numpy.bool_(True))
