"""Date-times as Gong reads them, and the moments a wait starts and ends."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "check_timezone",
    "company_dates",
    "date_window",
    "gong_date",
    "gong_dates",
    "iso_datetime",
    "moment_in",
    "now_utc",
    "parse_moment",
]

_GONG_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_window(
    created_from: datetime | str | None,
    created_to: datetime | str | None,
    *,
    names: tuple[str, str] = ("created_from", "created_to"),
    required: bool = False,
) -> tuple[str | None, str | None]:
    """
    A date-time window as Gong's ISO-8601 bounds (``None``: no bound); the start must come first.

    :param created_from: The inclusive start (a ``datetime`` or an ISO-8601 string), or ``None``.
    :param created_to: The exclusive end, or ``None``.
    :param names: The two arguments' names, for the errors.
    :param required: Whether both bounds must be given.
    :raises ValueError: naming the bound that is missing or not a date-time, or when the window is empty
        or inverted.
    """
    first, last = names
    if required:
        for name, value in ((first, created_from), (last, created_to)):
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValueError(f"{name} is required (an ISO-8601 date-time or a datetime), got {value!r}")
    start = None if created_from is None else iso_datetime(created_from, first)
    end = None if created_to is None else iso_datetime(created_to, last)
    gap = (
        None if start is None or end is None else datetime.fromisoformat(end) - datetime.fromisoformat(start)
    )
    if gap is not None and gap <= timedelta(0):
        empty = "an empty window" if not gap else "inverted"
        raise ValueError(f"{first} ({start}) must be before {last} ({end}), which is exclusive ({empty})")
    return start, end


def iso_datetime(value: datetime | str, name: str) -> str:
    """
    A date-time as Gong's ISO-8601 (a naive value is taken as UTC; a trailing ``Z`` is accepted).

    :param value: A ``datetime`` or an ISO-8601 string.
    :param name: The argument's name, for the error.
    :raises ValueError: naming the argument and the value when it is not a date-time.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ValueError(
                f"{name} {value!r} is not an ISO-8601 date-time (e.g. 2024-01-31T00:00:00Z)"
            ) from None
    else:
        raise ValueError(f"{name} must be a datetime or an ISO-8601 string, got {type(value).__name__}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def now_utc() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def parse_moment(value: str | None, name: str) -> datetime | None:
    """
    Read an ISO-8601 moment (UTC when naive), as ``resume_at`` / ``give_up_at`` carry it.

    :param value: The text, or ``None``.
    :param name: What it is, for the error.
    :raises ValueError: naming ``name`` when the text is no date-time.
    """
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an ISO-8601 date-time, got {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def moment_in(seconds: float, *, now: datetime | None = None) -> str:
    """
    Return the ISO-8601 UTC time ``seconds`` from now (for ``resume_at`` / ``give_up_at``).

    :param seconds: Seconds from now.
    :param now: The current time (default: :func:`now_utc`).
    """
    return ((now or now_utc()) + timedelta(seconds=seconds)).isoformat()


def check_timezone(name: object, what: str = "company_timezone") -> ZoneInfo:
    """
    The IANA time zone ``name`` (e.g. ``"America/New_York"``), the zone Gong's company dates are in.

    :param name: The zone's IANA name; ``"UTC"`` for UTC.
    :param what: The argument's name, for the error.
    :raises ValueError: naming the argument when the zone is unknown or not a name.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"{what} must be an IANA time zone name such as 'UTC' or 'Europe/Paris', got {name!r}"
        )
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{what} {name!r} is not a known IANA time zone (e.g. 'UTC', 'America/New_York', 'Asia/Kolkata')"
        ) from None


def gong_date(value: date | str, name: str) -> str:
    """
    A date as Gong's ``YYYY-MM-DD`` (a ``date``, or text in that form; a ``datetime`` is refused, since
    which day it falls on depends on the company's time zone: see :func:`company_dates`).

    :param value: The date.
    :param name: The input's name, for the error.
    :raises ValueError: naming the input when the value is not a date.
    """
    if isinstance(value, datetime):
        raise ValueError(
            f"{name} takes a date (YYYY-MM-DD, in the company's time zone), got the datetime "
            f"{value.isoformat()}; pass a date, or a window with company_timezone"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _GONG_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date in the form YYYY-MM-DD (e.g. 2024-01-31), got {value!r}")


def company_dates(
    start: datetime | str,
    end: datetime | str,
    timezone: str = "UTC",
    *,
    now: datetime | None = None,
    names: tuple[str, str] = ("from_datetime", "to_datetime"),
) -> tuple[date, date]:
    """
    A window of instants ``[start, end)`` as Gong's company dates ``[from_date, to_date)``.

    The first date is the day ``start`` falls on in the company's zone; the last is the day ``end`` falls
    on, or the next one when ``end`` is not midnight there (so every instant of the window is covered),
    but never past today in that zone: Gong refuses a ``toDate`` after the current day, and today's
    figures are not final anyway (a later run with a lookback rewrites them).

    :param start: The inclusive start (naive = UTC).
    :param end: The exclusive end (naive = UTC).
    :param timezone: The company's IANA time zone (Gong's company settings), default UTC.
    :param now: The current time (default: :func:`now_utc`).
    :param names: The two bounds' names, for the errors.
    :raises ValueError: naming what is wrong: a bad zone, a bound that is no date-time, an empty window,
        or a window that starts today or later in the company's zone (nothing final to fetch).
    """
    zone = check_timezone(timezone)
    first, last = date_window(start, end, names=names, required=True)
    assert first is not None and last is not None
    begin = datetime.fromisoformat(first).astimezone(zone)
    finish = datetime.fromisoformat(last).astimezone(zone)
    from_date = begin.date()
    to_date = finish.date() if finish.time() == datetime.min.time() else finish.date() + timedelta(days=1)
    today = (now or now_utc()).astimezone(zone).date()
    to_date = min(to_date, today)
    if to_date <= from_date:
        raise ValueError(
            f"the window {first} to {last} starts on {from_date.isoformat()} in {zone.key}, and Gong's dates "
            f"must end by today ({today.isoformat()}, exclusive): nothing complete to fetch yet"
        )
    return from_date, to_date


def gong_dates(
    start: date | datetime | str,
    end: date | datetime | str,
    timezone: str = "UTC",
    *,
    names: tuple[str, str] = ("from_date", "to_date"),
    now: datetime | None = None,
) -> tuple[str, str]:
    """
    Gong's company dates ``[from, to)`` as ``YYYY-MM-DD``, from dates or from a window of instants.

    Dates (``date`` or ``YYYY-MM-DD`` text) are Gong's own, taken as they are; ``datetime`` bounds (or
    ISO-8601 date-time text) are a window of instants, turned into the company's dates by
    :func:`company_dates` in ``timezone``. Either way the end is exclusive and not after today in the
    company's zone, as Gong requires.

    :param start: The first date, or the window's start.
    :param end: The date after the last, or the window's end.
    :param timezone: The company's IANA time zone (Gong's company settings), default UTC.
    :param names: The two inputs' names, for the errors.
    :param now: The current time (default: :func:`now_utc`).
    :raises ValueError: naming the input that is wrong, or when the dates are empty, inverted or past today.
    """
    first, last = names
    zone = check_timezone(timezone)
    kinds = {_is_instant(start), _is_instant(end)}
    if kinds == {True}:
        from_date, to_date = company_dates(start, end, timezone, now=now, names=names)  # type: ignore[arg-type]
        return from_date.isoformat(), to_date.isoformat()
    if kinds != {False}:
        raise ValueError(
            f"{first} and {last} must both be dates (YYYY-MM-DD) or both date-times, not one of each"
        )
    begin, finish = gong_date(start, first), gong_date(end, last)
    if finish <= begin:
        raise ValueError(f"{first} ({begin}) must be before {last} ({finish}), which is exclusive")
    today = (now or now_utc()).astimezone(zone).date().isoformat()
    if finish > today:
        raise ValueError(
            f"{last} {finish} is after today ({today} in {zone.key}): Gong takes dates up to today, exclusive"
        )
    return begin, finish


def _is_instant(value: object) -> bool:
    if isinstance(value, datetime):
        return True
    if isinstance(value, date):
        return False
    return isinstance(value, str) and not _GONG_DATE.match(value.strip())
