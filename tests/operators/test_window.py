"""The window of an incremental load: data interval, the schedule period of a zero-length one, lookback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import airflow_compat
import pytest

from airflow_provider_gong.operators.window import LoadWindow, check_lookback, resolve_window, schedule_period
from airflow_provider_gong.version_compat import schedule_fields

START = datetime(2026, 1, 1, tzinfo=UTC)
WEEK = timedelta(days=7)


def dag_with(schedule: Any) -> Any:
    return airflow_compat.DAG(dag_id="window_test", schedule=schedule, start_date=START, catchup=False)


def context(
    *,
    schedule: Any = None,
    start: datetime | None = None,
    end: datetime | None = None,
    logical: datetime | None = None,
    run_type: str = "scheduled",
) -> dict[str, Any]:
    return {
        "dag": dag_with(schedule),
        "dag_run": SimpleNamespace(run_type=run_type),
        "data_interval_start": start,
        "data_interval_end": end,
        "logical_date": logical,
    }


def test_the_data_interval_is_the_window_and_the_lookback_widens_it_to_whole_days() -> None:
    window = resolve_window(
        context(start=datetime(2026, 11, 30, 6, tzinfo=UTC), end=datetime(2026, 11, 30, 18, tzinfo=UTC)),
        None,
        None,
        timedelta(days=2),
        "t",
    )
    assert (window.start, window.end) == (
        datetime(2026, 11, 30, 6, tzinfo=UTC),
        datetime(2026, 11, 30, 18, tzinfo=UTC),
    )
    assert window.days == [date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)]
    assert window.read_from == datetime(2026, 11, 28, tzinfo=UTC)
    assert window.read_to == datetime(2026, 12, 1, tzinfo=UTC)
    assert "the run's data interval" in window.describe()


def test_a_daily_interval_ending_at_midnight_does_not_touch_the_next_day() -> None:
    window = LoadWindow(
        datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), timedelta(0), "x"
    )
    assert window.days == [date(2026, 11, 30)]


@pytest.mark.parametrize(
    ("schedule", "logical", "expected_start"),
    [
        ("@daily", datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)),
        ("0 6 * * 1-5", datetime(2026, 11, 30, 6, tzinfo=UTC), datetime(2026, 11, 27, 6, tzinfo=UTC)),
        ("@hourly", datetime(2026, 12, 1, 13, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=UTC)),
    ],
)
def test_a_zero_length_interval_takes_the_cron_period_ending_at_the_logical_date(
    schedule: str, logical: datetime, expected_start: datetime
) -> None:
    timetable = airflow_compat.CronTriggerTimetable(schedule, timezone="UTC")
    window = resolve_window(
        context(schedule=timetable, start=logical, end=logical, logical=logical), None, None, WEEK, "t"
    )
    assert (window.start, window.end) == (expected_start, logical)
    assert window.source == "the schedule period before the logical date"


def test_a_cron_period_follows_the_timetables_time_zone() -> None:
    timetable = airflow_compat.CronTriggerTimetable("0 0 * * *", timezone="Europe/Berlin")
    logical = datetime(2026, 12, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    window = resolve_window(
        context(schedule=timetable, start=logical, end=logical, logical=logical), None, None, WEEK, "t"
    )
    assert window.start == datetime(2026, 11, 29, 23, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 30, 23, tzinfo=UTC)


def test_a_zero_length_interval_takes_the_delta_period() -> None:
    timetable = airflow_compat.DeltaTriggerTimetable(timedelta(hours=6))
    logical = datetime(2026, 12, 1, 12, tzinfo=UTC)
    window = resolve_window(
        context(schedule=timetable, start=logical, end=logical, logical=logical), None, None, WEEK, "t"
    )
    assert (window.start, window.end) == (datetime(2026, 12, 1, 6, tzinfo=UTC), logical)


def test_several_crons_take_the_latest_fire_before_the_logical_date() -> None:
    several = getattr(airflow_compat, "MultipleCronTriggerTimetable", None)
    if several is None:
        pytest.skip("Airflow 2.11 has no MultipleCronTriggerTimetable")
    timetable = several("0 1 * * *", "0 13 * * *", timezone="UTC")
    logical = datetime(2026, 12, 1, 13, tzinfo=UTC)
    window = resolve_window(
        context(schedule=timetable, start=logical, end=logical, logical=logical), None, None, WEEK, "t"
    )
    assert window.start == datetime(2026, 12, 1, 1, tzinfo=UTC)


def test_the_period_does_not_depend_on_which_runs_came_before() -> None:
    timetable = airflow_compat.CronTriggerTimetable("@daily", timezone="UTC")
    fields = schedule_fields(dag_with(timetable).timetable)
    days = [datetime(2026, 12, day, tzinfo=UTC) for day in (5, 1, 3)]
    assert [schedule_period(fields, day) for day in days] == [(day - timedelta(days=1), day) for day in days]


@pytest.mark.parametrize(
    ("schedule", "timezone", "logical", "expected"),
    [
        # A manual run at 14:37 of a daily DAG loads yesterday, whole, as Airflow 2's interval timetables do.
        (
            "@daily",
            "UTC",
            datetime(2026, 11, 10, 14, 37, tzinfo=UTC),
            (datetime(2026, 11, 9, tzinfo=UTC), None),
        ),
        (
            "0 0 * * *",
            "America/Los_Angeles",
            datetime(2026, 11, 10, 14, 37, tzinfo=UTC),
            (datetime(2026, 11, 9, 8, tzinfo=UTC), datetime(2026, 11, 10, 8, tzinfo=UTC)),
        ),
    ],
)
def test_an_unaligned_logical_date_takes_the_last_whole_period(
    schedule: str, timezone: str, logical: datetime, expected: tuple[datetime, datetime | None]
) -> None:
    timetable = airflow_compat.CronTriggerTimetable(schedule, timezone=timezone)
    window = resolve_window(
        context(schedule=timetable, start=logical, end=logical, logical=logical),
        None,
        None,
        timedelta(0),
        "t",
    )
    start, end = expected
    assert (window.start, window.end) == (start, end or start + timedelta(days=1))


def test_given_bounds_win_over_the_run() -> None:
    window = resolve_window(
        context(start=START, end=START + timedelta(days=1)),
        "2026-11-01T00:00:00Z",
        datetime(2026, 11, 2),
        timedelta(0),
        "t",
    )
    assert (window.start, window.end) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 2, tzinfo=UTC),
    )
    assert window.source == "from_datetime/to_datetime"


def test_one_given_bound_combines_with_the_run() -> None:
    end = datetime(2026, 12, 1, tzinfo=UTC)
    window = resolve_window(
        context(start=end - timedelta(days=1), end=end), "2026-11-20T00:00:00Z", None, WEEK, "t"
    )
    assert (window.start, window.end) == (datetime(2026, 11, 20, tzinfo=UTC), end)
    assert window.source.startswith("from_datetime and the run's data interval")


@pytest.mark.parametrize(
    ("kwargs", "bounds", "message"),
    [
        ({"run_type": "asset_triggered"}, (None, None), "triggered by an asset event"),
        ({"run_type": "dataset_triggered"}, (None, None), "triggered by an asset event"),
        ({}, (None, None), "neither a data interval nor a logical date"),
        (
            {"start": START, "end": START, "logical": START},
            (None, None),
            "no fixed period to take instead",
        ),
        ({}, ("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z"), "is inverted"),
        ({}, ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00+00:00"), "is empty"),
        ({}, ("yesterday", "2026-11-01T00:00:00Z"), "from_datetime 'yesterday' is not an ISO-8601 date-time"),
        ({}, (20261101, "2026-11-01T00:00:00Z"), "from_datetime must be a datetime or an ISO-8601 string"),
    ],
)
def test_a_run_without_a_window_or_a_bad_window_fails_at_once_naming_why(
    kwargs: dict[str, Any], bounds: tuple[Any, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=r"^load: ") as caught:
        resolve_window(context(**kwargs), bounds[0], bounds[1], WEEK, "load")
    assert message in str(caught.value)


def test_an_asset_triggered_run_with_bounds_given_loads_them() -> None:
    window = resolve_window(
        context(run_type="asset_triggered"), "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", timedelta(0), "t"
    )
    assert window.days == [date(2026, 11, 1)]


@pytest.mark.parametrize("bad", [timedelta(days=-1), 7, "7d", None])
def test_lookback_must_be_a_timedelta_of_zero_or_more(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^t: lookback must be a timedelta"):
        check_lookback(bad, "t")


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", None, 0])
@pytest.mark.parametrize("pendulum_moment", [True, False])
def test_an_aligned_logical_date_ends_the_period_whatever_the_time_types(
    zone: Any, pendulum_moment: bool
) -> None:
    import pendulum

    moment = (
        pendulum.datetime(2026, 11, 10, tz="UTC") if pendulum_moment else datetime(2026, 11, 10, tzinfo=UTC)
    )
    period = schedule_period({"expression": "0 0 * * *", "timezone": zone}, moment)
    assert period == (datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))
