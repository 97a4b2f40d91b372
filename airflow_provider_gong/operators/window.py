"""The window an incremental load reads: the run's data interval, widened by a lookback to whole UTC days.

A DAG run's data interval is the window, unless ``from_datetime`` / ``to_datetime`` override it. Airflow 3
schedules ``"@daily"`` (and a ``timedelta``) with trigger timetables whose data interval is zero-length;
the window is then the one schedule period ending at the run's logical date, the same on every Airflow
version and whatever order runs happen in. A run with no data interval (asset-triggered, or manual without
a logical date) needs both bounds given. The lookback re-reads the days before the window, because Gong
finishes processing calls (their transcripts and detailed content too) after they started.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from airflow_provider_gong.client.dates import iso_datetime
from airflow_provider_gong.version_compat import schedule_fields

if TYPE_CHECKING:
    from airflow_provider_gong.version_compat import Context

__all__ = [
    "DEFAULT_LOOKBACK",
    "LoadWindow",
    "check_lookback",
    "check_moment",
    "previous_fire",
    "resolve_window",
    "schedule_period",
]

#: How far before the window a load re-reads by default: Gong completes late calls within days.
DEFAULT_LOOKBACK = timedelta(days=7)
_DAY = timedelta(days=1)
_ASSET_RUNS = ("asset_triggered", "dataset_triggered")


@dataclass(frozen=True)
class LoadWindow:
    """
    What one run loads.

    :param start: The window's start (UTC, inclusive).
    :param end: The window's end (UTC, exclusive).
    :param lookback: How far before ``start`` the load re-reads.
    :param source: Where the window came from, for the log.
    """

    start: datetime
    end: datetime
    lookback: timedelta
    source: str

    @property
    def first_day(self) -> date:
        """The first UTC day the load rewrites (the lookback included)."""
        return (self.start - self.lookback).astimezone(UTC).date()

    @property
    def last_day(self) -> date:
        """The last UTC day the load rewrites (the one ``end`` falls in, unless it is midnight)."""
        end = self.end.astimezone(UTC)
        last = end.date()
        return last - _DAY if end.timetz() == time(0, tzinfo=UTC) else last

    @property
    def days(self) -> list[date]:
        """Every UTC day the load rewrites, in order."""
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=offset) for offset in range(count)]

    @property
    def read_from(self) -> datetime:
        """The start of the first day: what Gong is asked from."""
        return datetime.combine(self.first_day, time(0), tzinfo=UTC)

    @property
    def read_to(self) -> datetime:
        """The end of the last day (exclusive): what Gong is asked until."""
        return datetime.combine(self.last_day + _DAY, time(0), tzinfo=UTC)

    def describe(self) -> str:
        """The window in one line, for the log."""
        return (
            f"window {self.start.isoformat()} .. {self.end.isoformat()} ({self.source}), lookback "
            f"{_show_delta(self.lookback)}: rewriting the {len(self.days)} UTC day(s) "
            f"{self.first_day.isoformat()} .. {self.last_day.isoformat()}"
        )

    def to_json(self) -> dict[str, str]:
        """The window as JSON-ready text (for the summary in XCom)."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "read_from": self.read_from.isoformat(),
            "read_to": self.read_to.isoformat(),
        }


def check_lookback(value: object, task_id: str) -> timedelta:
    """
    Return the lookback, or raise ``ValueError`` naming the task.

    :param value: A ``timedelta`` of zero or more.
    :param task_id: For the message.
    """
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ValueError(
            f"{task_id}: lookback must be a timedelta of zero or more (e.g. timedelta(days=7)), got {value!r}"
        )
    return value


def resolve_window(
    context: Context, from_value: object, to_value: object, lookback: timedelta, task_id: str
) -> LoadWindow:
    """
    The window of this run: given bounds first, else the data interval, else the schedule period.

    :param context: The task context.
    :param from_value: The rendered ``from_datetime`` (``None`` or ``""``: from the run).
    :param to_value: The rendered ``to_datetime``.
    :param lookback: The checked lookback.
    :param task_id: For the messages.
    :raises ValueError: naming the problem: a malformed bound, an empty or inverted window, or a run that
        has no window of its own and no bounds given.
    """
    given = {
        name: check_moment(value, name, task_id)
        for name, value in (("from_datetime", from_value), ("to_datetime", to_value))
        if value is not None and value != ""
    }
    start, end = given.get("from_datetime"), given.get("to_datetime")
    source = "from_datetime/to_datetime"
    if start is None or end is None:
        run_start, run_end, source = _run_window(context, task_id)
        source = source if not given else f"{next(iter(given))} and {source}"
        start = run_start if start is None else start
        end = run_end if end is None else end
    if start >= end:
        what = "empty" if start == end else "inverted"
        raise ValueError(
            f"{task_id}: the window {start.isoformat()} .. {end.isoformat()} ({source}) is {what}: the end "
            "is exclusive and must come after the start; nothing would be fetched"
        )
    return LoadWindow(start, end, lookback, source)


def check_moment(value: object, name: str, task_id: str) -> datetime:
    """
    A bound of the window as an aware UTC datetime, or ``ValueError`` naming the task and the argument.

    :param value: A ``datetime`` (naive = UTC) or an ISO-8601 string.
    :param name: The argument (``from_datetime``).
    :param task_id: For the message.
    """
    try:
        if not isinstance(value, (datetime, str)):
            raise ValueError(f"{name} must be a datetime or an ISO-8601 string, got {value!r}")
        return datetime.fromisoformat(iso_datetime(value, name)).astimezone(UTC)
    except ValueError as err:
        raise ValueError(f"{task_id}: {err}") from None


def _run_window(context: Context, task_id: str) -> tuple[datetime, datetime, str]:
    """The run's own window: its data interval, or the schedule period before a zero-length one."""
    dag_run = context.get("dag_run")
    run_type = getattr(dag_run, "run_type", None)
    run_type = str(getattr(run_type, "value", run_type) or "")
    if run_type in _ASSET_RUNS:
        raise ValueError(
            f"{task_id}: this run was triggered by an asset event and has no window of its own: give "
            "from_datetime and to_datetime (e.g. from the triggering event's extra)"
        )
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if isinstance(start, datetime) and isinstance(end, datetime) and start < end:
        return start.astimezone(UTC), end.astimezone(UTC), "the run's data interval"
    logical = context.get("logical_date")
    if not isinstance(logical, datetime):
        raise ValueError(
            f"{task_id}: this run has neither a data interval nor a logical date (a manual run without "
            "one?): give from_datetime and to_datetime, or trigger it with a logical date"
        )
    dag = context.get("dag")
    period = schedule_period(schedule_fields(getattr(dag, "timetable", None)), logical)
    if period is None:
        raise ValueError(
            f"{task_id}: the run's data interval is empty ({logical.isoformat()}) and the DAG's schedule has "
            "no fixed period to take instead: give from_datetime and to_datetime"
        )
    return period[0].astimezone(UTC), period[1].astimezone(UTC), "the schedule period before the logical date"


def schedule_period(fields: Mapping[str, Any], moment: datetime) -> tuple[datetime, datetime] | None:
    """
    The last whole schedule period up to ``moment``: it ends at ``moment`` when the schedule fires then,
    else at the schedule's latest fire before it (a manual run at 14:37 of a daily DAG loads yesterday,
    as Airflow 2's interval timetables do); ``None`` when the schedule has no fixed period.

    :param fields: What :func:`~airflow_provider_gong.version_compat.schedule_fields` read.
    :param moment: An aware time (the run's logical date).
    """
    delta = fields.get("delta")
    if isinstance(delta, (int, float)) and not isinstance(delta, bool):
        delta = timedelta(seconds=delta)
    if isinstance(delta, timedelta):
        return (moment - delta, moment) if delta > timedelta(0) else None
    expressions = fields.get("expressions") or [fields.get("expression")]
    expressions = [each for each in expressions if isinstance(each, str) and each.strip()]
    if not expressions:
        return None
    end = max(_fire_at_or_before(expression, moment, fields.get("timezone")) for expression in expressions)
    start = max(previous_fire(expression, end, fields.get("timezone")) for expression in expressions)
    return start, end


def previous_fire(expression: str, moment: datetime, zone: object = None) -> datetime:
    """
    The latest time strictly before ``moment`` a cron expression fires, in UTC.

    :param expression: A cron expression (presets resolved).
    :param moment: An aware time.
    :param zone: The schedule's time zone (a ``tzinfo``, a zone name or an offset in seconds; UTC).
    """
    from croniter import croniter  # noqa: PLC0415 - Airflow's own cron library, needed here only

    local = _plain(moment).astimezone(_zone(zone))
    fire: datetime = croniter(expression, local).get_prev(datetime)
    return _plain(fire)


def _fire_at_or_before(expression: str, moment: datetime, zone: object) -> datetime:
    from croniter import croniter  # noqa: PLC0415

    local = _plain(moment).astimezone(_zone(zone))
    following: datetime = croniter(expression, local - timedelta(seconds=1)).get_next(datetime)
    if following.timestamp() == local.timestamp():
        return _plain(moment)
    return previous_fire(expression, moment, zone)


def _plain(moment: datetime) -> datetime:
    """The instant as a standard-library UTC datetime (pendulum's, and croniter's ``fold``, set aside)."""
    return datetime.fromtimestamp(moment.timestamp(), UTC)


def _zone(value: object) -> tzinfo:
    if isinstance(value, tzinfo):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timezone(timedelta(seconds=value))
    if isinstance(value, str) and value:
        return UTC if value.upper() == "UTC" else ZoneInfo(value)
    return UTC


def _show_delta(value: timedelta) -> str:
    if value % _DAY == timedelta(0):
        return f"{value // _DAY} day(s)"
    return str(value)
