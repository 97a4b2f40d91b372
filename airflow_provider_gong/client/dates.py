"""Date-times as Gong reads them, and the moments a wait starts and ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["date_window", "iso_datetime", "moment_in", "now_utc", "parse_moment"]


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
