"""GongHook bulk fetch (iter_users / get_users) against the Gong emulator."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow_compat import needs_airflow_reading_bad_extras

from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.exceptions import GongNotFoundError, GongServerError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator

LIST = "GET /v2/users"
EXTENSIVE = "POST /v2/users/extensive"


def calls(emulator: GongEmulator, route: str) -> int:
    """How many calls the emulator answered (any status) on one route."""
    return sum(emulator.stats()["by_endpoint"].get(route, {}).values())


@pytest.fixture
def hook(gong_emulator_connection: str, pacers: PacerRegistry) -> Iterator[GongHook]:
    """A hook on the emulator, pacing off (the emulator's limits are off too) and no real sleeps."""
    sleeps: list[float] = []
    hook = GongHook(gong_emulator_connection, calls_per_second=0, sleep=sleeps.append, pacers=pacers)
    yield hook
    hook.close()


def visible_users(emulator: GongEmulator) -> list[dict[str, Any]]:
    return [user for user in emulator.users if user["id"] not in emulator.avatar_ids]


# ----------------------------------------------------------------------------------------- all users


@pytest.mark.gong_emulator(users=250)
def test_all_users_follows_the_cursor_in_gongs_order(hook: GongHook, gong_emulator: GongEmulator) -> None:
    expected = visible_users(gong_emulator)
    users = hook.get_users()
    assert users == expected
    assert calls(gong_emulator, LIST) == math.ceil(len(expected) / 100) == 3
    assert calls(gong_emulator, EXTENSIVE) == 0


@pytest.mark.gong_emulator(users=250)
def test_all_users_with_avatars(hook: GongHook, gong_emulator: GongEmulator) -> None:
    assert gong_emulator.avatar_ids, "the emulator's data set should hold avatars"
    users = hook.get_users(include_avatars=True)
    assert users == gong_emulator.users
    assert {user["id"] for user in users} >= set(gong_emulator.avatar_ids)


@pytest.mark.gong_emulator(users=0)
def test_company_without_users_is_an_empty_list(hook: GongHook, gong_emulator: GongEmulator) -> None:
    assert hook.get_users() == []
    assert gong_emulator.stats()["gong_calls"] == 1


@pytest.mark.gong_emulator(users=250)
def test_iter_users_streams_page_by_page(hook: GongHook, gong_emulator: GongEmulator) -> None:
    users = hook.iter_users()
    first = next(users)
    assert first == visible_users(gong_emulator)[0]
    assert gong_emulator.stats()["gong_calls"] == 1, "the first user must come before the second page"
    rest = list(users)
    assert len(rest) + 1 == len(visible_users(gong_emulator))
    assert gong_emulator.stats()["gong_calls"] == 3


@pytest.mark.gong_emulator(users=250)
def test_unknown_fields_are_kept(hook: GongHook) -> None:
    users = hook.get_users()
    assert all("conferencingProviders" in user for user in users), "undocumented fields must survive"


# ----------------------------------------------------------------------------------------- by id


@pytest.mark.gong_emulator(users=1200)
def test_ids_cost_ceil_n_over_100_calls_and_keep_input_order(
    hook: GongHook, gong_emulator: GongEmulator
) -> None:
    ids = [user["id"] for user in visible_users(gong_emulator)]
    random.Random(7).shuffle(ids)
    chosen = ids[:1050]
    users = hook.get_users(chosen)
    assert [user["id"] for user in users] == chosen
    assert calls(gong_emulator, EXTENSIVE) == math.ceil(1050 / 100) == 11
    assert calls(gong_emulator, LIST) == 0
    by_id = {user["id"]: user for user in gong_emulator.users}
    assert users == [by_id[uid] for uid in chosen]


@pytest.mark.gong_emulator(users=300)
def test_ids_as_ints_with_spaces_and_duplicates_are_fetched_once(
    hook: GongHook, gong_emulator: GongEmulator
) -> None:
    ids = [user["id"] for user in visible_users(gong_emulator)][:150]
    given: list[str | int] = [int(ids[0]), f"  {ids[1]} ", ids[0], *ids[2:], ids[1], ids[5]]
    users = hook.get_users(given)
    assert [user["id"] for user in users] == ids
    assert calls(gong_emulator, EXTENSIVE) == 2  # 150 distinct ids


@pytest.mark.gong_emulator(users=10_000, avatar_share=0.0)
def test_ten_thousand_ids_in_one_hundred_calls(hook: GongHook, gong_emulator: GongEmulator) -> None:
    ids = [user["id"] for user in gong_emulator.users]
    assert len(ids) == 10_000
    users = hook.get_users(reversed(ids))
    assert [user["id"] for user in users] == ids[::-1]
    assert gong_emulator.stats()["gong_calls"] == 100


@pytest.mark.gong_emulator(users=50)
def test_missing_ids_raise_naming_them_after_fetching_the_rest(
    hook: GongHook, gong_emulator: GongEmulator
) -> None:
    known = [user["id"] for user in visible_users(gong_emulator)][:3]
    unknown = [str(90_000_000_000 + n) for n in range(12)]
    yielded: list[dict[str, Any]] = []
    with pytest.raises(GongNotFoundError) as caught:
        for user in hook.iter_users([known[0], *unknown, *known[1:]]):
            yielded.append(user)
    message = str(caught.value)
    assert "12 of 15 requested users not found" in message
    assert all(uid in message for uid in unknown[:10])
    assert unknown[10] not in message, "only the first 10 missing ids are named"
    assert "missing='skip'" in message
    assert caught.value.status_code == 404
    assert caught.value.missing_ids == unknown  # type: ignore[attr-defined]
    assert [user["id"] for user in yielded] == known


@pytest.mark.gong_emulator(users=50)
def test_missing_ids_skipped_with_a_warning(
    hook: GongHook, gong_emulator: GongEmulator, gong_logs: list[dict[str, Any]]
) -> None:
    known = [user["id"] for user in visible_users(gong_emulator)][:3]
    unknown = "99999999999999"
    users = hook.get_users([known[0], unknown, known[1], known[2]], missing="skip")
    assert [user["id"] for user in users] == known
    warnings = [e for e in gong_logs if e["log_level"] == "warning" and unknown in str(e.get("event"))]
    assert len(warnings) == 1, gong_logs


@pytest.mark.gong_emulator(users=50)
def test_no_user_found_404_is_an_empty_page_not_a_failure(
    hook: GongHook, gong_emulator: GongEmulator
) -> None:
    unknown = ["11111111111", "22222222222"]
    assert hook.get_users(unknown, missing="skip") == []
    assert gong_emulator.stats()["by_endpoint"][EXTENSIVE] == {"404": 1}
    with pytest.raises(GongNotFoundError, match="2 of 2 requested users not found"):
        hook.get_users(unknown)


@pytest.mark.parametrize(
    "bad",
    [
        ["123", "abc"],
        ["123", ""],
        ["123", -5],
        ["123", 1.5],
        ["123", True],
        ["123", None],
        ["123", "1" * 21],
        ["123", ["456"]],
        ["123", {"id": "456"}],
    ],
    ids=["letters", "empty", "negative", "float", "bool", "none", "21-digits", "nested", "dict"],
)
def test_a_bad_id_anywhere_sends_nothing(hook: GongHook, gong_emulator: GongEmulator, bad: list[Any]) -> None:
    ids = [str(10_000 + n) for n in range(250)] + bad
    with pytest.raises(ValueError, match=r"\[251\] Invalid Gong user id"):
        hook.get_users(ids)
    assert gong_emulator.stats()["gong_calls"] == 0


def test_a_string_is_not_a_list_of_ids(hook: GongHook, gong_emulator: GongEmulator) -> None:
    with pytest.raises(ValueError, match="expected a list of ids"):
        hook.get_users("12345")  # type: ignore[arg-type]
    assert gong_emulator.stats()["gong_calls"] == 0


def test_bad_missing_option(hook: GongHook) -> None:
    with pytest.raises(ValueError, match="missing must be 'raise' or 'skip'"):
        hook.get_users(["1"], missing="ignore")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------- dates


def created(user: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(user["created"].replace("Z", "+00:00"))


@pytest.mark.gong_emulator(users=300)
def test_created_filter_is_inclusive_from_and_exclusive_to(
    hook: GongHook, gong_emulator: GongEmulator
) -> None:
    users = sorted(visible_users(gong_emulator), key=created)
    start, end = created(users[40]), created(users[160])
    expected = {user["id"] for user in users if start <= created(user) < end}
    got = hook.get_users(created_from=start, created_to=end.isoformat())
    assert {user["id"] for user in got} == expected
    assert users[40]["id"] in expected and users[160]["id"] not in expected
    assert calls(gong_emulator, EXTENSIVE) == math.ceil(len(got) / 100)
    assert calls(gong_emulator, LIST) == 0


@pytest.mark.gong_emulator(users=100)
def test_created_filter_matching_nobody_is_empty(hook: GongHook, gong_emulator: GongEmulator) -> None:
    future = datetime.now(UTC) + timedelta(days=3650)
    assert hook.get_users(created_from=future) == []
    assert gong_emulator.stats()["by_endpoint"][EXTENSIVE] == {"404": 1}


@pytest.mark.gong_emulator(users=100)
def test_naive_datetimes_are_utc_and_z_suffix_accepted(hook: GongHook, gong_emulator: GongEmulator) -> None:
    aware = hook.get_users(created_from=datetime(2020, 1, 1, tzinfo=UTC))
    assert hook.get_users(created_from=datetime(2020, 1, 1)) == aware
    assert hook.get_users(created_from="2020-01-01T00:00:00Z") == aware


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"created_from": "yesterday"}, "created_from 'yesterday' is not an ISO-8601 date-time"),
        ({"created_to": 20240101}, "created_to must be a datetime or an ISO-8601 string"),
        ({"created_from": "2024-02-01", "created_to": "2024-01-01"}, "must be before created_to"),
        ({"include_avatars": "yes"}, "include_avatars must be True or False"),
    ],
)
def test_bad_filters_fail_before_any_request(
    hook: GongHook, gong_emulator: GongEmulator, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        hook.get_users(**kwargs)
    assert gong_emulator.stats()["gong_calls"] == 0


# ----------------------------------------------------------------------------------------- faults


@pytest.mark.gong_emulator(users=450)
def test_a_failure_mid_way_retries_that_page_only(hook: GongHook, gong_emulator: GongEmulator) -> None:
    gong_emulator.fail_next({"fault": "pass"}, {"fault": "pass"}, {"status": 503}, {"fault": "drop"})
    users = hook.get_users()
    expected = visible_users(gong_emulator)
    assert users == expected
    assert len({user["id"] for user in users}) == len(users)
    pages = math.ceil(len(expected) / 100)
    assert gong_emulator.stats()["by_endpoint"][LIST] == {"200": pages, "503": 1, "dropped": 1}


@pytest.mark.gong_emulator(users=450)
def test_a_failure_mid_way_by_id_retries_that_chunk_only(hook: GongHook, gong_emulator: GongEmulator) -> None:
    ids = [user["id"] for user in visible_users(gong_emulator)][:350]
    gong_emulator.fail_next({"fault": "pass"}, {"status": 500}, {"status": 429, "retry_after": "1"})
    users = hook.get_users(ids)
    assert [user["id"] for user in users] == ids
    assert gong_emulator.stats()["by_endpoint"][EXTENSIVE] == {"200": 4, "500": 1, "429": 1}


@pytest.mark.gong_emulator(users=450)
def test_a_page_failing_for_good_stops_without_repeating_earlier_pages(
    gong_emulator_connection: str, gong_emulator: GongEmulator
) -> None:
    hook = GongHook(gong_emulator_connection, calls_per_second=0, max_retries=2, sleep=lambda _: None)
    gong_emulator.fail_next({"fault": "pass"}, {"status": 500}, {"status": 500}, {"status": 500})
    seen: list[str] = []
    with pytest.raises(GongServerError, match="Gong API 500 on GET /v2/users"):
        for user in hook.iter_users():
            seen.append(user["id"])
    assert seen == [user["id"] for user in visible_users(gong_emulator)[:100]]
    assert gong_emulator.stats()["by_endpoint"][LIST] == {"200": 1, "500": 3}


# ----------------------------------------------------------------------------------------- progress


@pytest.mark.gong_emulator(users=450, avatar_share=0.0)
def test_progress_is_logged_once_per_page_with_the_total_time(
    hook: GongHook, gong_emulator: GongEmulator, gong_logs: list[dict[str, Any]]
) -> None:
    ids = [user["id"] for user in gong_emulator.users][:300]
    hook.get_users(ids)
    # Progress lines only: Airflow's own (e.g. Airflow 3.0's "Connection Retrieved") are not ours to test.
    info = [
        str(e["event"])
        for e in gong_logs
        if e["log_level"] == "info" and str(e["event"]).startswith("fetched")
    ]
    assert info[:3] == [
        "fetched 100/300 users (page 1)",
        "fetched 200/300 users (page 2)",
        "fetched 300/300 users (page 3)",
    ]
    assert info[3].startswith("fetched 300 users in ") and info[3].endswith(" s (3 pages)")


@pytest.mark.gong_emulator(users=250, avatar_share=0.0)
def test_progress_of_all_users_uses_gongs_total(
    hook: GongHook, gong_emulator: GongEmulator, gong_logs: list[dict[str, Any]]
) -> None:
    hook.get_users()
    # Progress lines only: Airflow's own (e.g. Airflow 3.0's "Connection Retrieved") are not ours to test.
    info = [
        str(e["event"])
        for e in gong_logs
        if e["log_level"] == "info" and str(e["event"]).startswith("fetched")
    ]
    assert info[:3] == [
        "fetched 100/250 users (page 1)",
        "fetched 200/250 users (page 2)",
        "fetched 250/250 users (page 3)",
    ]


@pytest.mark.gong_emulator(users=100)
def test_missing_ids_explain_the_date_filter_and_avatars(hook: GongHook, gong_emulator: GongEmulator) -> None:
    users = sorted(visible_users(gong_emulator), key=created)
    avatar = sorted(gong_emulator.avatar_ids)[0]
    with pytest.raises(GongNotFoundError) as caught:
        hook.get_users([users[0]["id"], avatar], created_from=created(users[1]))
    message = str(caught.value)
    assert "2 of 2 requested users not found" in message
    assert "created outside created_from/created_to" in message
    assert "include_avatars=True" in message
    assert hook.get_users([avatar], include_avatars=True)[0]["id"] == avatar


@needs_airflow_reading_bad_extras
def test_extras_that_are_not_a_json_object_name_the_connection(
    gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = gong_emulator.connection_dict()
    conn["extra"] = "[1, 2]"
    monkeypatch.setenv("AIRFLOW_CONN_GONG_ODD", json.dumps(conn))
    hook = GongHook("gong_odd")
    ok, message = hook.test_connection()
    assert ok is False
    assert message.startswith("Gong connection 'gong_odd': extra must be a JSON object")
    assert message.endswith("got a JSON list")
    assert gong_emulator.stats()["gong_calls"] == 0
