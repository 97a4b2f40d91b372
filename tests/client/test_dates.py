"""Gong's company dates: from dates or from windows of instants, in the company's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from airflow_provider_gong.client.dates import check_timezone, company_dates, gong_date, gong_dates


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


NOW = _utc(2026, 12, 2, 12, 0)


@pytest.mark.parametrize(
    ("start", "end", "zone", "expected"),
    [
        # a UTC day is one date in UTC, two in New York (19:00 the evening before to 19:00)
        (_utc(2026, 11, 20), _utc(2026, 11, 21), "UTC", ("2026-11-20", "2026-11-21")),
        (_utc(2026, 11, 20), _utc(2026, 11, 21), "America/New_York", ("2026-11-19", "2026-11-21")),
        # the company's own midnights give exactly its dates
        (_utc(2026, 11, 20, 5), _utc(2026, 11, 22, 5), "America/New_York", ("2026-11-20", "2026-11-22")),
        (
            _utc(2026, 11, 19, 18, 30),
            _utc(2026, 11, 20, 18, 30),
            "Asia/Kolkata",
            ("2026-11-20", "2026-11-21"),
        ),
        # across the DST change in New York (Nov 1 2026): its midnights are 04:00 then 05:00 UTC
        (_utc(2026, 10, 31, 4), _utc(2026, 11, 2, 5), "America/New_York", ("2026-10-31", "2026-11-02")),
        # naive = UTC, and ISO text
        (datetime(2026, 11, 20), "2026-11-21T00:00:00Z", "UTC", ("2026-11-20", "2026-11-21")),
        # never past today in the company's zone
        (_utc(2026, 12, 1), _utc(2026, 12, 3), "UTC", ("2026-12-01", "2026-12-02")),
    ],
)
def test_a_window_becomes_the_company_dates_that_cover_it(
    start: datetime | str, end: datetime | str, zone: str, expected: tuple[str, str]
) -> None:
    first, last = company_dates(start, end, zone, now=NOW)
    assert (first.isoformat(), last.isoformat()) == expected
    assert gong_dates(start, end, zone, now=NOW) == expected


def test_a_window_of_today_only_has_nothing_final() -> None:
    with pytest.raises(ValueError, match=r"starts on 2026-12-02 in UTC.*must end by today \(2026-12-02"):
        company_dates(NOW - timedelta(hours=1), NOW, "UTC", now=NOW)


def test_dates_are_taken_as_they_are() -> None:
    assert gong_dates(date(2026, 11, 1), "2026-12-02", "Asia/Tokyo", now=NOW) == ("2026-11-01", "2026-12-02")
    with pytest.raises(ValueError, match=r"to_date 2026-12-03 is after today \(2026-12-02 in UTC\)"):
        gong_dates("2026-12-01", "2026-12-03", now=NOW)
    with pytest.raises(ValueError, match=r"to_date 2026-12-03 is after today \(2026-12-02 in Asia/Tokyo\)"):
        gong_dates("2026-12-01", "2026-12-03", "Asia/Tokyo", now=NOW)  # 21:00 on Dec 2 there
    with pytest.raises(ValueError, match="must be before"):
        gong_dates("2026-11-02", "2026-11-02", now=NOW)


@pytest.mark.parametrize("value", ["2026-13-01", "2026-1-1", "20261101", "", None, 20261101])
def test_a_gong_date_is_yyyy_mm_dd(value: object) -> None:
    with pytest.raises(ValueError, match=r"from_date must be a date in the form YYYY-MM-DD"):
        gong_date(value, "from_date")  # type: ignore[arg-type]


def test_a_datetime_is_no_gong_date() -> None:
    with pytest.raises(ValueError, match=r"takes a date .* got the datetime"):
        gong_date(datetime(2026, 11, 1), "fromDate")


@pytest.mark.parametrize("name", ["Mars/Base", "", None, "utc+3", 5])
def test_time_zones_are_iana_names(name: object) -> None:
    with pytest.raises(ValueError, match="company_timezone"):
        check_timezone(name)
    assert check_timezone("Europe/Paris").key == "Europe/Paris"
