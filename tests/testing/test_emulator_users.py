"""The synthetic users: deterministic, complete, realistic in their nulls and lists, cheap at 100k."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from airflow_provider_gong.testing import UserDirectory, generate_users
from airflow_provider_gong.testing.users import (
    EXAMPLE_USER_IDS,
    HISTORY_NAMES,
    format_gong_time,
    parse_gong_time,
)

USER_FIELDS = {
    "id",
    "emailAddress",
    "created",
    "active",
    "emailAliases",
    "trustedEmailAddress",
    "firstName",
    "lastName",
    "title",
    "phoneNumber",
    "extension",
    "personalMeetingUrls",
    "settings",
    "managerId",
    "meetingConsentPageUrl",
    "spokenLanguages",
    "conferencingProviders",
}
SETTINGS_FIELDS = {
    "webConferencesRecorded",
    "preventWebConferenceRecording",
    "telephonyCallsImported",
    "emailsImported",
    "preventEmailImport",
    "nonRecordedMeetingsImported",
    "gongConnectEnabled",
}
BCP47 = re.compile(r"[a-z]{2}-[A-Z]{2}")


def test_same_seed_same_users_other_seed_other_users() -> None:
    assert generate_users(50, seed=7) == generate_users(50, seed=7)
    assert generate_users(50, seed=7) != generate_users(50, seed=8)


def test_every_field_of_the_user_object() -> None:
    users = generate_users(500, seed=1)
    ids = {user["id"] for user in users}
    assert len(ids) == 500
    for user in users:
        assert set(user) == USER_FIELDS
        # Generated ids have Gong's usual 15-19 digits; the README's example ids come first (any length).
        assert user["id"] in EXAMPLE_USER_IDS or re.fullmatch(r"[1-9][0-9]{14,18}", user["id"])
        assert "@" in user["emailAddress"]
        assert datetime.fromisoformat(user["created"]).tzinfo is not None
        assert isinstance(user["active"], bool)
        assert all(isinstance(alias, str) for alias in user["emailAliases"])
        assert set(user["settings"]) == SETTINGS_FIELDS
        assert all(isinstance(value, bool) for value in user["settings"].values())
        assert user["managerId"] is None or (user["managerId"] in ids and user["managerId"] != user["id"])
        languages = user["spokenLanguages"]
        if languages:
            assert sum(language["primary"] for language in languages) == 1
            assert all(BCP47.fullmatch(language["language"]) for language in languages)
        providers = user["conferencingProviders"]
        assert all(set(provider) == {"provider", "isDefault"} for provider in providers)
        assert all(isinstance(provider["provider"], str) for provider in providers)
        assert [provider["isDefault"] for provider in providers].count(True) == (1 if providers else 0)
        assert all(url.startswith("https://") for url in user["personalMeetingUrls"])


def test_realistic_nulls_and_empty_lists() -> None:
    users = generate_users(1000, seed=2)

    def share(predicate: Callable[[dict[str, Any]], bool]) -> float:
        return sum(1 for user in users if predicate(user)) / len(users)

    assert 0.7 < share(lambda u: u["active"]) < 1
    assert 0.5 < share(lambda u: u["emailAliases"] == []) < 1
    assert 0.5 < share(lambda u: u["trustedEmailAddress"] is None) < 1
    assert 0.05 < share(lambda u: u["title"] is None) < 0.5
    assert 0.4 < share(lambda u: u["phoneNumber"] is None) < 1
    assert 0.8 < share(lambda u: u["extension"] is None) < 1
    assert 0.6 < share(lambda u: u["meetingConsentPageUrl"] is None) < 1
    assert 0.05 < share(lambda u: u["managerId"] is None) < 0.5
    assert 0.05 < share(lambda u: u["spokenLanguages"] == []) < 0.5
    assert 0 < share(lambda u: len(u["spokenLanguages"]) > 1) < 0.7
    assert any(not u["firstName"].isascii() or not u["lastName"].isascii() for u in users)


def test_order_is_creation_time_spread_over_years() -> None:
    users = generate_users(300, seed=3)
    created = [parse_gong_time(user["created"]) for user in users]
    assert created == sorted(created)
    assert len(set(created)) == len(created)
    years = {datetime.fromisoformat(user["created"]).year for user in users}
    assert len(years) >= 8


def test_avatars_are_a_few_and_can_be_left_out() -> None:
    directory = UserDirectory(250, seed=0)
    assert 1 <= len(directory.avatar_ids) <= 12
    without = generate_users(250, seed=0, include_avatars=False)
    assert len(without) == 250 - len(directory.avatar_ids)
    assert not {user["id"] for user in without} & directory.avatar_ids


def test_settings_history_is_deterministic_and_ends_with_current_values() -> None:
    directory = UserDirectory(40, seed=4)
    for index in range(40):
        history = directory.settings_history(index)
        assert history == directory.settings_history(index)
        assert history
        times = [parse_gong_time(entry["time"]) for entry in history]
        assert times == sorted(times)
        current = directory.user(index)["settings"]
        last: dict[str, bool] = {}
        for entry in history:
            assert set(entry) == {"setting", "value", "time"}
            last[entry["setting"]] = entry["value"]
        # The history names a setting as Gong's spec does (``callsImported``), the user's settings otherwise.
        names = {HISTORY_NAMES.get(name, name): name for name in current}
        assert set(last) <= set(names)
        assert all(current[names[name]] == value for name, value in last.items())


def test_hundred_thousand_users_are_cheap() -> None:
    started = time.perf_counter()
    directory = UserDirectory(100_000, seed=5)
    page = [directory.user_json(index) for index in directory.select(include_avatars=False)[50_000:50_100]]
    elapsed = time.perf_counter() - started
    assert len(page) == 100
    assert elapsed < 5, elapsed
    assert len(set(directory.ids)) == 100_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-02-18T02:30:00-07:00", 1518946200.0),
        ("2018-02-18T09:30:00Z", 1518946200.0),
        ("2018-02-18T09:30:00.5+00:00", 1518946200.5),
        ("2018-02-18T11:30:00+0200", 1518946200.0),
    ],
)
def test_parse_gong_time(text: str, expected: float) -> None:
    assert parse_gong_time(text) == expected


@pytest.mark.parametrize(
    "text", ["2018-02-18", "2018-02-18T02:30:00", "yesterday", "2018-13-01T00:00:00Z", ""]
)
def test_parse_gong_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r".*"):
        parse_gong_time(text)


def test_format_gong_time_round_trips() -> None:
    for moment in (1_420_070_400, 1_500_000_000, 1_735_689_599):
        assert parse_gong_time(format_gong_time(moment)) == moment
