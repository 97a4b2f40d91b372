"""Gong's stats endpoints over real HTTP: date filters, agreement between the activity views, user filters,
paging, answered scorecards and what the clock lets one see.

Checked against Gong's spec (``/work/shared/gong-openapi.json``): ``fromDate`` / ``toDate`` are required
``YYYY-MM-DD`` days of the company's time zone, ``toDate`` exclusive and "should not exceed the current day";
aggregate-by-period counts an activity once per day ("listening to the same call twice on the same day
counts as a single activity"), weeks start on Monday; ``callFromDate`` & co. are optional, a missing bound
open ("if not specified, it starts with the earliest recorded call"), ``reviewMethod`` defaults to
``MANUAL``. Error bodies and the users 404 follow ``/work/shared/gong-api.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from airflow_provider_gong.testing import GongEmulator

#: Every call of the default span (November 2026) is listed, processed and has had its activity by then.
SETTLED = "2026-12-20T00:00:00Z"
DAY_BY_DAY = "/v2/stats/activity/day-by-day"
AGGREGATE = "/v2/stats/activity/aggregate"
BY_PERIOD = "/v2/stats/activity/aggregate-by-period"
INTERACTION = "/v2/stats/interaction"
SCORECARDS = "/v2/stats/activity/scorecards"
#: The endpoints whose filter is ``MultipleUsersWithDates`` (``fromDate`` & ``toDate`` required), with the
#: key of their records and the extra top-level inputs they need.
DATED: dict[str, tuple[str, dict[str, Any]]] = {
    DAY_BY_DAY: ("usersDetailedActivities", {}),
    AGGREGATE: ("usersAggregateActivityStats", {}),
    BY_PERIOD: ("usersAggregateActivity", {"aggregationPeriod": "WEEK"}),
    INTERACTION: ("peopleInteractionStats", {}),
}
NOVEMBER = {"fromDate": "2026-11-01", "toDate": "2026-12-01"}
NO_USERS = ["No users found corresponding to the provided filters"]


def post(gong: Any, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = gong.post(path, json=body)
    assert response.status_code == status, (path, body, response.text)
    answer: dict[str, Any] = response.json()
    return answer


def error(gong: Any, path: str, body: dict[str, Any], status: int = 400) -> list[str]:
    """The ``errors`` of Gong's error body ``{"requestId", "errors": [...]}``."""
    answer = post(gong, path, body, status)
    assert set(answer) == {"requestId", "errors"}, answer
    assert isinstance(answer["requestId"], str) and answer["requestId"]
    assert answer["errors"] and all(isinstance(text, str) for text in answer["errors"])
    errors: list[str] = answer["errors"]
    return errors


def pages(gong: Any, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of a stats list, following ``records.cursor`` with the other inputs unchanged."""
    answer = post(gong, path, body)
    yield answer
    while "cursor" in answer["records"]:
        answer = post(gong, path, {**body, "cursor": answer["records"]["cursor"]})
        yield answer


def every(gong: Any, path: str, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [record for page in pages(gong, path, body) for record in page[key]]


def dated(path: str, filters: dict[str, Any]) -> dict[str, Any]:
    return {"filter": filters, **DATED[path][1]}


def local_day(text: str, zone: str) -> dt.date:
    return dt.datetime.fromisoformat(text).astimezone(ZoneInfo(zone)).date()


# -- dates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(DATED))
@pytest.mark.parametrize("missing", ["fromDate", "toDate"])
def test_from_and_to_date_are_required_and_named(
    gong: Any, gong_emulator: GongEmulator, path: str, missing: str
) -> None:
    gong_emulator.configure(clock=SETTLED)
    filters = {name: value for name, value in NOVEMBER.items() if name != missing}

    (message,) = error(gong, path, dated(path, filters))

    assert missing in message
    # No filter at all is malformed too (the spec requires ``filter``).
    assert error(gong, path, DATED[path][1])


@pytest.mark.parametrize("path", list(DATED))
@pytest.mark.parametrize(
    "value", ["2026/11/01", "2026-11-31", "2026-11-01T00:00:00Z", "01-11-2026", 20261101]
)
def test_malformed_dates_are_400(gong: Any, gong_emulator: GongEmulator, path: str, value: Any) -> None:
    gong_emulator.configure(clock=SETTLED)

    (message,) = error(gong, path, dated(path, {**NOVEMBER, "fromDate": value}))

    assert "fromDate" in message


@pytest.mark.parametrize("path", [*DATED, SCORECARDS])
def test_to_date_may_be_today_in_the_company_time_zone_but_not_later(
    gong: Any, gong_emulator: GongEmulator, path: str
) -> None:
    # 03:00 UTC on 12-10 is still 12-09 in Los Angeles.
    gong_emulator.configure(clock="2026-12-10T03:00:00Z", company_timezone="America/Los_Angeles")
    low, high = ("callFromDate", "callToDate") if path == SCORECARDS else ("fromDate", "toDate")
    extra = {} if path == SCORECARDS else DATED[path][1]

    def body(stop: str) -> dict[str, Any]:
        return {"filter": {low: "2026-11-20", high: stop}, **extra}

    assert error(gong, path, body("2026-12-10")) == [f"{high} cannot be later than the current date"]
    post(gong, path, body("2026-12-09"))
    # In UTC the same instant is already 12-10: that day is today there.
    gong_emulator.configure(company_timezone="UTC")
    post(gong, path, body("2026-12-10"))
    assert error(gong, path, body("2026-12-11")) == [f"{high} cannot be later than the current date"]


def test_to_date_is_exclusive_and_days_are_the_company_s(gong: Any, gong_emulator: GongEmulator) -> None:
    zone = "Europe/Paris"
    gong_emulator.configure(clock=SETTLED, company_timezone=zone)
    short = every(
        gong, DAY_BY_DAY, {"filter": {"fromDate": "2026-11-16", "toDate": "2026-11-18"}}, DATED[DAY_BY_DAY][0]
    )
    longer = every(
        gong, DAY_BY_DAY, {"filter": {"fromDate": "2026-11-16", "toDate": "2026-11-19"}}, DATED[DAY_BY_DAY][0]
    )

    paris = ZoneInfo(zone)
    for record in short:
        days = record["userDailyActivityStats"]
        assert [(day["fromDate"], day["toDate"]) for day in days] == [
            (
                dt.datetime(2026, 11, 16, tzinfo=paris).isoformat(),
                dt.datetime(2026, 11, 17, tzinfo=paris).isoformat(),
            ),
            (
                dt.datetime(2026, 11, 17, tzinfo=paris).isoformat(),
                dt.datetime(2026, 11, 18, tzinfo=paris).isoformat(),
            ),
        ]
    # The two-day answer is the three-day one without its last day (and without users active only then).
    by_user = {record["userId"]: record["userDailyActivityStats"] for record in longer}
    assert len(longer) >= len(short) > 0
    for record in short:
        assert record["userDailyActivityStats"] == by_user[record["userId"]][:2]
    only_last = set(by_user) - {record["userId"] for record in short}
    for user in only_last:
        first_two = by_user[user][:2]
        assert not any(day[kind] for day in first_two for kind in day if isinstance(day[kind], list))


# -- the activity views agree --------------------------------------------------------------------------------


def _daily_calls(records: list[dict[str, Any]]) -> dict[str, list[dict[str, list[str]]]]:
    return {
        record["userId"]: [
            {kind: value for kind, value in day.items() if isinstance(value, list)}
            for day in record["userDailyActivityStats"]
        ]
        for record in records
    }


def test_day_by_day_agrees_with_aggregate(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(clock=SETTLED, company_timezone="America/New_York")
    window = {"filter": {"fromDate": "2026-11-09", "toDate": "2026-11-23"}}
    daily = _daily_calls(every(gong, DAY_BY_DAY, window, DATED[DAY_BY_DAY][0]))
    aggregate = every(gong, AGGREGATE, window, DATED[AGGREGATE][0])

    assert [record["userId"] for record in aggregate] == list(daily)
    assert len(daily) > 10
    for record in aggregate:
        days = daily[record["userId"]]
        # Aggregate counts the distinct calls of each activity over the whole range.
        expected = {kind: len({call for day in days for call in day[kind]}) for kind in days[0]}
        assert record["userAggregateActivityStats"] == expected
        assert any(record["userAggregateActivityStats"].values())
    assert post(gong, AGGREGATE, window)["timeZone"] == "America/New_York"


@pytest.mark.parametrize("period", ["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"])
def test_aggregate_by_period_agrees_with_day_by_day(
    gong: Any, gong_emulator: GongEmulator, period: str
) -> None:
    zone = "America/Los_Angeles"
    gong_emulator.configure(clock=SETTLED, company_timezone=zone)
    window = {"fromDate": "2026-09-30", "toDate": "2026-12-03"}  # a Wednesday to a Thursday, 2 quarters
    daily = _daily_calls(every(gong, DAY_BY_DAY, {"filter": window}, DATED[DAY_BY_DAY][0]))
    body = {"filter": window, "aggregationPeriod": period}
    by_period = every(gong, BY_PERIOD, body, DATED[BY_PERIOD][0])

    assert [record["userId"] for record in by_period] == list(daily)
    first = dt.date(2026, 9, 30)
    for record in by_period:
        periods = record["userAggregateActivity"]
        starts = [local_day(item["fromDate"], zone) for item in periods]
        stops = [local_day(item["toDate"], zone) for item in periods]
        # The periods tile the range; all but the first start on a calendar boundary (weeks on Monday).
        assert starts[0] == first and stops[-1] == dt.date(2026, 12, 3) and starts[1:] == stops[:-1]
        for start in starts[1:]:
            boundary = {
                "DAY": True,
                "WEEK": start.weekday() == 0,
                "MONTH": start.day == 1,
                "QUARTER": start.day == 1 and start.month in (1, 4, 7, 10),
                "YEAR": start.day == 1 and start.month == 1,
            }[period]
            assert boundary, (period, start)
        days = daily[record["userId"]]
        for item, start, stop in zip(periods, starts, stops, strict=True):
            inside = days[(start - first).days : (stop - first).days]
            # "If the same activity occurs in different periods [days], it's counted separately."
            expected = {kind: sum(len(day[kind]) for day in inside) for kind in days[0]}
            assert {kind: item[kind] for kind in expected} == expected
    expected_periods = {"DAY": 64, "WEEK": 10, "MONTH": 4, "QUARTER": 2, "YEAR": 1}[period]
    assert {len(record["userAggregateActivity"]) for record in by_period} == {expected_periods}


def test_aggregate_by_period_needs_a_known_aggregation_period(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(clock=SETTLED)

    assert "aggregationPeriod" in error(gong, BY_PERIOD, {"filter": NOVEMBER})[0]
    assert (
        "aggregationPeriod"
        in error(gong, BY_PERIOD, {"filter": NOVEMBER, "aggregationPeriod": "FORTNIGHT"})[0]
    )


# -- users ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(DATED))
def test_user_ids_restrict_the_answer_to_those_users(
    gong: Any, gong_emulator: GongEmulator, path: str
) -> None:
    gong_emulator.configure(clock=SETTLED)
    key = DATED[path][0]
    everyone = {record["userId"]: record for record in every(gong, path, dated(path, NOVEMBER), key)}
    chosen = sorted(everyone)[:3]

    some = every(gong, path, dated(path, {**NOVEMBER, "userIds": chosen}), key)

    assert sorted(record["userId"] for record in some) == chosen
    for record in some:
        assert record == everyone[record["userId"]]


@pytest.mark.parametrize("path", list(DATED))
def test_only_unknown_user_ids_is_gong_s_users_404(gong: Any, gong_emulator: GongEmulator, path: str) -> None:
    gong_emulator.configure(clock=SETTLED)
    known = {user["id"] for user in gong.get("/v2/users", params={"includeAvatars": "true"}).json()["users"]}
    unknown = next(candidate for candidate in ("9" * 19, "8" * 19, "7" * 19) if candidate not in known)
    key = DATED[path][0]

    assert error(gong, path, dated(path, {**NOVEMBER, "userIds": [unknown]}), 404) == NO_USERS
    # One known user among unknown ones answers for that user.
    active = every(gong, path, dated(path, NOVEMBER), key)[0]["userId"]
    mixed = every(gong, path, dated(path, {**NOVEMBER, "userIds": [unknown, active]}), key)
    assert [record["userId"] for record in mixed] == [active]


# -- paging --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (AGGREGATE, {"filter": NOVEMBER}),
        (DAY_BY_DAY, {"filter": {"fromDate": "2026-11-16", "toDate": "2026-11-19"}}),
        (BY_PERIOD, {"filter": NOVEMBER, "aggregationPeriod": "WEEK"}),
        (SCORECARDS, {"filter": {"reviewMethod": "BOTH"}}),
    ],
)
def test_small_pages_hold_the_same_records_as_one_page(
    gong: Any, gong_emulator: GongEmulator, path: str, body: dict[str, Any]
) -> None:
    key = "answeredScorecards" if path == SCORECARDS else DATED[path][0]
    gong_emulator.configure(clock=SETTLED, page_size=1000)
    single = post(gong, path, body)
    assert "cursor" not in single["records"]
    total = single["records"]["totalRecords"]
    assert total == len(single[key]) > 20

    gong_emulator.configure(page_size=7)
    paged = list(pages(gong, path, body))

    assert [record for page in paged for record in page[key]] == single[key]
    assert len(paged) == -(-total // 7)
    for page in paged:
        assert page["records"]["totalRecords"] == total
        assert page["records"]["currentPageSize"] == len(page[key])
    assert all(len(page[key]) == 7 for page in paged[:-1]) and "cursor" not in paged[-1]["records"]


@pytest.mark.parametrize("path", [*DATED, SCORECARDS])
def test_a_cursor_is_bound_to_its_filter(gong: Any, gong_emulator: GongEmulator, path: str) -> None:
    gong_emulator.configure(clock=SETTLED, page_size=5)
    if path == SCORECARDS:
        first, other = {"filter": {"reviewMethod": "BOTH"}}, {"filter": {"reviewMethod": "MANUAL"}}
    else:
        first = dated(path, NOVEMBER)
        other = dated(path, {**NOVEMBER, "fromDate": "2026-11-02"})
    cursor = post(gong, path, first)["records"]["cursor"]

    assert error(gong, path, {**other, "cursor": cursor})
    # The same cursor with its own filter still brings the next page.
    assert post(gong, path, {**first, "cursor": cursor})["records"]["currentPageNumber"] == 1


# -- answered scorecards -------------------------------------------------------------------------------------


def test_answered_scorecards_by_call_day_and_by_review_day(gong: Any, gong_emulator: GongEmulator) -> None:
    zone = "Asia/Tokyo"
    gong_emulator.configure(clock=SETTLED, company_timezone=zone)
    everything = every(gong, SCORECARDS, {"filter": {"reviewMethod": "BOTH"}}, "answeredScorecards")
    low, high = dt.date(2026, 11, 10), dt.date(2026, 11, 17)

    def answered(**filters: str) -> list[dict[str, Any]]:
        return every(gong, SCORECARDS, {"filter": {"reviewMethod": "BOTH", **filters}}, "answeredScorecards")

    by_call = answered(callFromDate=low.isoformat(), callToDate=high.isoformat())
    by_review = answered(reviewFromDate=low.isoformat(), reviewToDate=high.isoformat())

    assert by_call == [item for item in everything if low <= local_day(item["callStartTime"], zone) < high]
    assert by_review == [item for item in everything if low <= local_day(item["reviewTime"], zone) < high]
    # Reviews come after the calls, some days later: the two filters pick different scorecards.
    assert by_call and by_review and by_call != by_review
    assert all(item["reviewTime"] >= item["callStartTime"] for item in everything)
    both = answered(
        callFromDate=low.isoformat(),
        callToDate=high.isoformat(),
        reviewFromDate=low.isoformat(),
        reviewToDate=high.isoformat(),
    )
    assert both == [item for item in by_call if item in by_review]
    # One bound alone is open on the other side ("if not specified, it ends with the latest recorded call").
    assert answered(callFromDate=low.isoformat()) == [
        item for item in everything if low <= local_day(item["callStartTime"], zone)
    ]
    assert answered(reviewToDate=high.isoformat()) == [
        item for item in everything if local_day(item["reviewTime"], zone) < high
    ]


def test_answered_scorecards_review_method_defaults_to_manual(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(clock=SETTLED)

    def answered(filters: dict[str, Any]) -> list[dict[str, Any]]:
        return every(gong, SCORECARDS, {"filter": filters}, "answeredScorecards")

    default = answered({})
    manual = answered({"reviewMethod": "MANUAL"})
    automatic = answered({"reviewMethod": "AUTOMATIC"})
    both = answered({"reviewMethod": "BOTH"})

    assert default == manual and manual and automatic
    assert {item["reviewMethod"] for item in manual} == {"MANUAL"}
    assert {item["reviewMethod"] for item in automatic} == {"AUTOMATIC"}
    ids = sorted(item["answeredScorecardId"] for item in both)
    assert ids == sorted(item["answeredScorecardId"] for item in manual + automatic)
    assert "reviewMethod" in error(gong, SCORECARDS, {"filter": {"reviewMethod": "PEER"}})[0]


# -- determinism and the clock -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*DATED, SCORECARDS])
def test_the_same_request_gets_the_same_answer(gong: Any, gong_emulator: GongEmulator, path: str) -> None:
    gong_emulator.configure(clock=SETTLED)
    body = {"filter": {}} if path == SCORECARDS else dated(path, NOVEMBER)

    first, second = post(gong, path, body), post(gong, path, body)

    assert first.pop("requestId") != second.pop("requestId")
    # Cursors carry their issue time (they expire): both still lead to the same next pages.
    assert ("cursor" in first["records"]) == ("cursor" in second["records"])
    for answer in (first, second):
        answer["records"].pop("cursor", None)
    assert first == second
    key = "answeredScorecards" if path == SCORECARDS else DATED[path][0]
    assert every(gong, path, body, key) == every(gong, path, body, key)


def test_nothing_for_what_the_clock_has_not_seen_yet(gong: Any, gong_emulator: GongEmulator) -> None:
    window = {"filter": {"fromDate": "2026-11-01", "toDate": "2026-11-20"}}
    gong_emulator.configure(clock=SETTLED)
    later = _daily_calls(every(gong, DAY_BY_DAY, window, DATED[DAY_BY_DAY][0]))
    later_cards = every(gong, SCORECARDS, {"filter": {"reviewMethod": "BOTH"}}, "answeredScorecards")

    clock = "2026-11-20T00:00:00Z"
    gong_emulator.configure(clock=clock)
    earlier = _daily_calls(every(gong, DAY_BY_DAY, window, DATED[DAY_BY_DAY][0]))
    earlier_cards = every(gong, SCORECARDS, {"filter": {"reviewMethod": "BOTH"}}, "answeredScorecards")
    listed = {
        call["id"]
        for page in _call_pages(gong, {"fromDateTime": "2026-11-01T00:00:00Z", "toDateTime": clock})
        for call in page["calls"]
    }

    # Every activity seen at the early clock is one of the calls listed then, and is seen later too.
    seen = {call for days in earlier.values() for day in days for calls in day.values() for call in calls}
    assert seen and seen <= listed
    for user, days in earlier.items():
        for day, later_day in zip(days, later[user], strict=True):
            for kind, calls in day.items():
                assert set(calls) <= set(later_day[kind])
    assert _activity_count(earlier) < _activity_count(later)
    # Scorecards answered after the clock are not there yet; those answered before are.
    assert earlier_cards == [item for item in later_cards if _before(item, clock)]
    assert len(earlier_cards) < len(later_cards)


def _activity_count(views: dict[str, list[dict[str, list[str]]]]) -> int:
    return sum(len(calls) for days in views.values() for day in days for calls in day.values())


def _before(item: dict[str, Any], clock: str) -> bool:
    return dt.datetime.fromisoformat(item["reviewTime"]) <= dt.datetime.fromisoformat(clock)


def _call_pages(gong: Any, params: dict[str, str]) -> Iterator[dict[str, Any]]:
    response = gong.get("/v2/calls", params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    yield page
    while "cursor" in page["records"]:
        response = gong.get("/v2/calls", params={**params, "cursor": page["records"]["cursor"]})
        assert response.status_code == 200, response.text
        page = response.json()
        yield page
