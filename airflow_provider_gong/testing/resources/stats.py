"""Gong's stats endpoints: ``listInteractionStats``, ``listAnsweredScorecards``,
``listMultipleUsersDayByDayActivity``, ``listMultipleUsersAggregateActivity`` and
``listMultipleUsersAggregateByPeriod``.

Everything is derived from the calls of the emulator's
:class:`~airflow_provider_gong.testing.calls.CallCatalog` as seen at its clock, so the answers agree with the
calls endpoints and with each other: a call not yet visible has no activity and no scorecard. Each call
brings a deterministic set of :class:`Event` s (drawn from its id): its host hosted it and its internal
participants attended it when it started; once it is listed its host and the host's manager listen to it,
ask for and give feedback, share it, comment on it (the call's public comments) and fill scorecards, hours
to days later. Answered scorecards arrive late too: a manual review some days after the call is listed, an
automatic one within hours.

Dates (``fromDate``, ``toDate``, ``callFromDate``...) are ``YYYY-MM-DD`` days of the company's time zone
(``EmulatorConfig.company_timezone``): ``toDate`` is exclusive and may not be later than today there. The
lists are paged like Gong's (``records`` and a cursor); a date range without activity is an empty page
(interaction stats and answered scorecards: Gong's 404 "No stats found for the specified period" and
"Answered scorecards not found", as the spec documents), while a ``userIds`` filter that names no known
user is Gong's users 404.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import CallCatalog, ContentSelector
from airflow_provider_gong.testing.envelope import BadRequestError, dumps, not_found
from airflow_provider_gong.testing.inputs import Request, body_cursor, filter_object, id_list, time_field
from airflow_provider_gong.testing.paging import CursorError, decode_cursor, encode_cursor
from airflow_provider_gong.testing.resources.settings import SCORECARDS, Scorecard
from airflow_provider_gong.testing.resources.users import MSG_NO_USERS
from airflow_provider_gong.testing.users import UserDirectory, format_gong_time

__all__ = [
    "ACTIVITY_KINDS",
    "AGGREGATION_PERIODS",
    "MSG_NO_ANSWERED_SCORECARDS",
    "MSG_NO_STATS",
    "MSG_TO_DATE_IN_FUTURE",
    "REVIEW_METHODS",
    "Event",
    "call_events",
    "company_zone",
    "event_lookback",
    "events_in",
    "list_answered_scorecards",
    "list_interaction_stats",
    "list_multiple_users_aggregate_activity",
    "list_multiple_users_aggregate_by_period",
    "list_multiple_users_day_by_day_activity",
]

MSG_TO_DATE_IN_FUTURE = "toDate cannot be later than the current date"
#: Gong's 404s for a range with nothing in it (the spec's 404 descriptions of these two operations; the
#: activity operations answer an empty page instead).
MSG_NO_STATS = "No stats found for the specified period"
MSG_NO_ANSWERED_SCORECARDS = "Answered scorecards not found"
#: The activities of a user, as the spec's ``DailyActivityWithDates`` / ``AggregateActivity`` name them.
ACTIVITY_KINDS = (
    "callsAsHost",
    "callsGaveFeedback",
    "callsRequestedFeedback",
    "callsReceivedFeedback",
    "ownCallsListenedTo",
    "othersCallsListenedTo",
    "callsSharedInternally",
    "callsSharedExternally",
    "callsAttended",
    "callsCommentsGiven",
    "callsCommentsReceived",
    "callsMarkedAsFeedbackGiven",
    "callsMarkedAsFeedbackReceived",
    "callsScorecardsFilled",
    "callsScorecardsReceived",
)
#: ``aggregationPeriod`` values (weeks start on Monday).
AGGREGATION_PERIODS = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
#: ``filter.reviewMethod`` values of ``listAnsweredScorecards`` (default ``MANUAL``).
REVIEW_METHODS = ("AUTOMATIC", "MANUAL", "BOTH")
#: The interaction stats of ``listInteractionStats``, as the spec lists them.
INTERACTION_STATS = (
    "Longest Monologue",
    "Longest Customer Story",
    "Interactivity",
    "Patience",
    "Question Rate",
)

_HOUR = 3600
_DAY = 86_400
#: Events of a call happen at most this long after it is listed.
_EVENT_HORIZON = 12 * _DAY
_LONGEST_CALL = 7200
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The first day of an open ``callFromDate`` / ``reviewFromDate`` range (before any call).
_OPEN_FIRST = dt.date(1970, 1, 2)
_PARTIES_AND_COMMENTS = ContentSelector(parties=True, collaboration=frozenset({"publicComments"}))
_INTERACTION = ContentSelector(interaction=frozenset({"personInteractionStats", "questions"}))
_VISIBILITY = ("PUBLIC", "PUBLIC", "PUBLIC", "MANAGERS", "MANAGERS_AND_REVIEWEE", "PRIVATE", "OPT_IN_USERS")
_ADVICE = (
    "Ask about the budget earlier.",
    "Great rapport; confirm the decision process next time.",
    "Let the customer talk more in the first ten minutes.",
    "Summarize the next steps before the call ends.",
)


@dataclasses.dataclass(frozen=True)
class Event:
    """One activity of one user on one call.

    :param kind: One of :data:`ACTIVITY_KINDS`.
    :param user: Position of the user in the directory.
    :param call: Position of the call in the catalog.
    :param at: When it happened, UTC epoch seconds.
    """

    kind: str
    user: int
    call: int
    at: int


# -- the company's days --------------------------------------------------------------------------------------


def company_zone(request: Request) -> ZoneInfo:
    """The company's time zone (``EmulatorConfig.company_timezone``).

    :param request: The request.
    """
    return ZoneInfo(request.config.company_timezone)


def _day_start(day: dt.date, zone: ZoneInfo) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=zone).timestamp())


def _zoned(epoch: float, zone: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(epoch, zone).isoformat()


def _date_field(filters: Mapping[str, Any], name: str, *, required: bool) -> dt.date | None:
    value = filters.get(name)
    if value is None or value == "":
        if required:
            raise BadRequestError(f"Malformed request body: 'filter.{name}' is required")
        return None
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise BadRequestError(f"Invalid filter.{name} {value!r}: expected a date YYYY-MM-DD")


@dataclasses.dataclass(frozen=True)
class _Days:
    """A range of the company's days, ``[first, stop)``, and its instants."""

    first: dt.date
    stop: dt.date
    zone: ZoneInfo

    @property
    def start(self) -> int:
        return _day_start(self.first, self.zone)

    @property
    def end(self) -> int:
        return _day_start(self.stop, self.zone)

    def canonical(self) -> list[str]:
        return [self.first.isoformat(), self.stop.isoformat()]

    def day_of(self, epoch: int) -> dt.date:
        return dt.datetime.fromtimestamp(epoch, self.zone).date()


def _days(
    request: Request, filters: Mapping[str, Any], low: str, high: str, *, required: bool
) -> _Days | None:
    """The range of ``filter[low]`` (inclusive) to ``filter[high]`` (exclusive), checked as Gong does."""
    first = _date_field(filters, low, required=required)
    stop = _date_field(filters, high, required=required)
    if first is None and stop is None:
        return None
    zone = company_zone(request)
    today = dt.datetime.fromtimestamp(request.config.now(), zone).date()
    if stop is not None and stop > today:
        message = (
            MSG_TO_DATE_IN_FUTURE if high == "toDate" else f"{high} cannot be later than the current date"
        )
        raise BadRequestError(message)
    # Gong's spec: a missing bound is open ("if not specified, it starts with the earliest recorded call" /
    # "it ends with the latest recorded call"); only the activity ranges require both.
    if first is None:
        first = _OPEN_FIRST
    if stop is None:
        stop = today + dt.timedelta(days=1)
    if first >= stop:
        raise BadRequestError(f"filter.{low} must be before filter.{high}")
    return _Days(first, stop, zone)


# -- activity ------------------------------------------------------------------------------------------------


def event_lookback(request: Request) -> int:
    """How long before an instant a call may have started and still bring an event at that instant.

    :param request: The request (its late-processing settings).
    """
    return int(request.config.late_delay) + _EVENT_HORIZON + _LONGEST_CALL


def _host(catalog: CallCatalog, directory: UserDirectory, index: int) -> int:
    host = directory.index_of(catalog.primary_user_id(index))
    assert host is not None
    return host


def _manager(directory: UserDirectory, user: int) -> int | None:
    manager_id = directory.user(user)["managerId"]
    return None if manager_id is None else directory.index_of(manager_id)


@functools.lru_cache(maxsize=65_536)
def call_events(catalog: CallCatalog, directory: UserDirectory, index: int) -> tuple[Event, ...]:
    """Every activity on the call at ``index`` (deterministic from the call), oldest first.

    :param catalog: The company's calls.
    :param directory: The company's users (the catalog's).
    :param index: Position of the call in the catalog.
    """
    rng = random.Random(f"gong-emulator-activity:{catalog.seed}:{catalog.call_id(index)}")
    started = catalog.started_epoch(index)
    listed = catalog.visible_at(index)
    host = _host(catalog, directory, index)
    manager = _manager(directory, host)
    record = catalog.extensive(index, _PARTIES_AND_COMMENTS, listed)
    events = [Event("callsAsHost", host, index, started)]
    for party in record["parties"]:
        attendee = None if party["userId"] is None else directory.index_of(party["userId"])
        if attendee is not None and attendee != host:
            events.append(Event("callsAttended", attendee, index, started))

    def later(low: float, high: float) -> int:
        return listed + int(rng.uniform(low, high))

    if rng.random() < 0.4:
        events.append(Event("ownCallsListenedTo", host, index, later(600, 3 * _DAY)))
    if manager is not None and rng.random() < 0.35:
        events.append(Event("othersCallsListenedTo", manager, index, later(_HOUR, 6 * _DAY)))
    requested = rng.random() < 0.1
    if requested:
        events.append(Event("callsRequestedFeedback", host, index, later(300, _DAY)))
    if manager is not None and rng.random() < (0.6 if requested else 0.12):
        given = later(_DAY, 8 * _DAY)
        events += [
            Event("callsGaveFeedback", manager, index, given),
            Event("callsReceivedFeedback", host, index, given),
        ]
        if rng.random() < 0.5:
            events += [
                Event("callsMarkedAsFeedbackGiven", manager, index, given),
                Event("callsMarkedAsFeedbackReceived", host, index, given),
            ]
    if rng.random() < 0.08:
        events.append(Event("callsSharedInternally", host, index, later(600, 2 * _DAY)))
    if rng.random() < 0.05:
        events.append(Event("callsSharedExternally", host, index, later(600, 2 * _DAY)))
    for comment in record["collaboration"]["publicComments"]:
        commenter = directory.index_of(comment["commenterUserId"])
        posted = min(int(_epoch(comment["posted"])), listed)
        if commenter is not None and commenter != host:
            events += [
                Event("callsCommentsGiven", commenter, index, posted),
                Event("callsCommentsReceived", host, index, posted),
            ]
    for answered in answered_scorecards(catalog, directory, index):
        if answered.reviewer is not None:
            events.append(Event("callsScorecardsFilled", answered.reviewer, index, answered.review_time))
        events.append(Event("callsScorecardsReceived", host, index, answered.review_time))
    events.sort(key=lambda event: (event.at, ACTIVITY_KINDS.index(event.kind), event.user))
    return tuple(events)


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def events_in(
    request: Request, start: int, end: int, users: Iterable[int] | None, **select: Any
) -> list[Event]:
    """The events in ``[start, end)`` that have happened at the clock, on calls visible then.

    :param request: The request (its state and clock).
    :param start: From this instant, UTC epoch seconds (inclusive).
    :param end: To this instant, UTC epoch seconds (exclusive).
    :param users: Only the events of these users (``None``: anyone's).
    :param select: More filters of the calls, as ``CallCatalog.select`` takes them.
    """
    catalog = request.state.calls
    directory = request.state.directory
    now = request.config.now()
    wanted = None if users is None else set(users)
    found: list[Event] = []
    for index in catalog.select(now, started_from=start - event_lookback(request), started_to=end, **select):
        for event in call_events(catalog, directory, index):
            if start <= event.at < end and event.at <= now and (wanted is None or event.user in wanted):
                found.append(event)
    return found


# -- answered scorecards -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Answered:
    """One answered scorecard of one call."""

    answered_id: int
    scorecard: Scorecard
    call: int
    reviewer: int | None
    editor: int | None
    review_time: int
    visibility: str
    answers: tuple[dict[str, Any], ...]


@functools.lru_cache(maxsize=65_536)
def answered_scorecards(catalog: CallCatalog, directory: UserDirectory, index: int) -> tuple[_Answered, ...]:
    """The scorecards answered on the call at ``index``, whenever they are (deterministic from the call).

    About a third of the calls get a manual review, days after they are listed, by the host's manager (or a
    colleague); a quarter get an automatic one within hours. Only enabled scorecards of the call's workspace
    are answered.

    :param catalog: The company's calls.
    :param directory: The company's users (the catalog's).
    :param index: Position of the call in the catalog.
    """
    call_id = catalog.call_id(index)
    rng = random.Random(f"gong-emulator-scorecards:{catalog.seed}:{call_id}")
    workspace = catalog.workspace_id(index)
    listed = catalog.visible_at(index)
    host = _host(catalog, directory, index)
    manager = _manager(directory, host)
    hosts = directory.select(include_avatars=False)
    answered: list[_Answered] = []
    for method, share, low, high in (
        ("MANUAL", 0.35, 2 * _HOUR, 9 * _DAY),
        ("AUTOMATIC", 0.25, 600, 6 * _HOUR),
    ):
        cards = [
            card
            for card in SCORECARDS
            if card.enabled and card.method == method and card.workspace_id == workspace
        ]
        if not cards or rng.random() >= share:
            continue
        card = rng.choice(cards)
        reviewer: int | None = None
        editor: int | None = None
        if method == "MANUAL":
            reviewer = (
                manager if manager is not None and rng.random() < 0.8 else hosts[rng.randrange(len(hosts))]
            )
            if reviewer == host:
                reviewer = manager
            if manager is not None and manager != reviewer and rng.random() < 0.15:
                editor = manager
        answered.append(
            _Answered(
                answered_id=int(call_id) % 10**15 * 10 + len(answered) + 1,
                scorecard=card,
                call=index,
                reviewer=reviewer,
                editor=editor,
                review_time=listed + int(rng.uniform(low, high)),
                visibility=rng.choice(_VISIBILITY),
                answers=tuple(_answer(rng, question) for question in card.questions),
            )
        )
    return tuple(answered)


def _answer(rng: random.Random, question: Any) -> dict[str, Any]:
    skipped = not question.overall and rng.random() < 0.06
    answer: dict[str, Any] = {
        "questionId": question.question_id,
        "questionRevisionId": question.revision_id,
        "isOverall": question.overall,
        "score": None,
        "answerText": None,
        "notApplicable": skipped,
        "selectedOptions": None,
    }
    if skipped:
        return answer
    if question.kind == "SCALE":
        answer["score"] = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 5, 7, 4))[0]
    elif question.kind == "YES_NO":
        answer["answerText"] = "Yes" if rng.random() < 0.7 else "No"
    elif question.kind == "TEXT":
        answer["answerText"] = rng.choice(_ADVICE)
    else:
        options = question.option_ids()
        count = 1 if question.kind == "SINGLE_SELECT" else rng.randint(1, len(options))
        answer["selectedOptions"] = [str(option) for option in sorted(rng.sample(options, count))]
    return answer


def _answered_json(catalog: CallCatalog, directory: UserDirectory, answered: _Answered) -> dict[str, Any]:
    def user_number(user: int | None) -> int | None:
        return None if user is None else int(directory.ids[user])

    return {
        "answeredScorecardId": answered.answered_id,
        "scorecardId": answered.scorecard.scorecard_id,
        "scorecardName": answered.scorecard.name,
        "callId": int(catalog.call_id(answered.call)),
        "callStartTime": format_gong_time(catalog.started_epoch(answered.call)),
        "reviewedUserId": int(catalog.primary_user_id(answered.call)),
        "reviewerUserId": user_number(answered.reviewer),
        "reviewMethod": answered.scorecard.method,
        "editorUserId": user_number(answered.editor),
        "reviewTime": format_gong_time(answered.review_time),
        "visibilityType": answered.visibility,
        "answers": list(answered.answers),
    }


# -- inputs and paging ---------------------------------------------------------------------------------------


def _users(
    request: Request, filters: Mapping[str, Any], name: str = "userIds"
) -> tuple[list[int] | None, list[Any]]:
    """The users a stats filter is about (``None``: anyone) and its canonical form.

    :raises BadRequestError: For malformed ids or dates.
    :raises LookupError: When the filter names users but matches none (Gong's users 404).
    """
    directory = request.state.directory
    user_ids = id_list(filters, name, "user id", request.config.max_user_ids)
    created_from = time_field(filters, "createdFromDateTime")
    created_to = time_field(filters, "createdToDateTime")
    canonical = [None if user_ids is None else sorted(set(user_ids)), created_from, created_to]
    if user_ids is None and created_from is None and created_to is None:
        return None, canonical
    indices = None
    if user_ids is not None:
        indices = [index for index in map(directory.index_of, user_ids) if index is not None]
    selected = list(
        directory.select(
            include_avatars=False, created_from=created_from, created_to=created_to, indices=indices
        )
    )
    if not selected:
        raise LookupError(name)
    return selected, canonical


def _stats_page(
    request: Request,
    items: Sequence[dict[str, Any]],
    *,
    key: str,
    cursor: str | None,
    fingerprint: list[Any],
    extra: Mapping[str, Any] | None = None,
    empty_message: str | None = None,
) -> Answer:
    """One page of a stats list, with the cursor of the next; when nothing matched, an empty list, or
    Gong's 404 ``empty_message`` where Gong answers one.
    """
    if not items and empty_message is not None:
        return not_found(empty_message, request.request_id)
    config = request.config
    page_size = config.page_size
    canonical = json.dumps([*fingerprint, config.company_timezone, repr(request.state.calls.key), page_size])
    offset = 0
    if cursor is not None and items:
        try:
            offset = decode_cursor(cursor, canonical, len(items), ttl=config.cursor_ttl)
        except CursorError as exc:
            raise BadRequestError(str(exc)) from None
    page = items[offset : offset + page_size]
    records: dict[str, Any] = {
        "totalRecords": len(items),
        "currentPageSize": len(page),
        "currentPageNumber": offset // page_size,
    }
    if offset + len(page) < len(items):
        records["cursor"] = encode_cursor(offset + len(page), canonical)
    body: dict[str, Any] = {"requestId": request.request_id, "records": records, key: list(page)}
    body.update(extra or {})
    return Answer(200, dumps(body))


def _activity_request(request: Request) -> tuple[dict[str, Any], _Days, list[int] | None, list[Any]]:
    payload = request.json_body()
    filters = filter_object(payload)
    days = _days(request, filters, "fromDate", "toDate", required=True)
    assert days is not None
    users, canonical = _users(request, filters)
    return payload, days, users, canonical


def _by_user(events: Iterable[Event]) -> dict[int, list[Event]]:
    grouped: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.user].append(event)
    return dict(sorted(grouped.items()))


def _counts(events: Iterable[Event]) -> dict[str, int]:
    calls: dict[str, set[int]] = {kind: set() for kind in ACTIVITY_KINDS}
    for event in events:
        calls[event.kind].add(event.call)
    return {kind: len(found) for kind, found in calls.items()}


def _user_head(directory: UserDirectory, user: int) -> dict[str, Any]:
    return {"userId": directory.ids[user], "userEmailAddress": directory.user(user)["emailAddress"]}


def _handled(handler: Callable[[Request], Answer]) -> Callable[[Request], Answer]:
    """Answer Gong's users 404 when a stats filter names no known user."""

    @functools.wraps(handler)
    def guarded(request: Request) -> Answer:
        try:
            return handler(request)
        except LookupError:
            return not_found(MSG_NO_USERS, request.request_id)

    return guarded


# -- handlers ------------------------------------------------------------------------------------------------


@_handled
def list_multiple_users_day_by_day_activity(request: Request) -> Answer:
    """``POST /v2/stats/activity/day-by-day``: per active user, one record per day of the range."""
    payload, days, users, canonical = _activity_request(request)
    directory = request.state.directory
    catalog = request.state.calls
    dates = [days.first + dt.timedelta(days=offset) for offset in range((days.stop - days.first).days)]
    starts = [_day_start(day, days.zone) for day in dates]
    starts.append(days.end)
    records = []
    for user, events in _by_user(events_in(request, days.start, days.end, users)).items():
        daily: list[dict[str, set[str]]] = [{kind: set() for kind in ACTIVITY_KINDS} for _ in dates]
        for event in events:
            daily[bisect.bisect_right(starts, event.at) - 1][event.kind].add(catalog.call_id(event.call))
        stats = []
        for position, found in enumerate(daily):
            day: dict[str, Any] = {kind: sorted(found[kind]) for kind in ACTIVITY_KINDS}
            day["fromDate"] = _zoned(starts[position], days.zone)
            day["toDate"] = _zoned(starts[position + 1], days.zone)
            stats.append(day)
        records.append({**_user_head(directory, user), "userDailyActivityStats": stats})
    return _stats_page(
        request,
        records,
        key="usersDetailedActivities",
        cursor=body_cursor(payload),
        fingerprint=["day-by-day", days.canonical(), canonical],
    )


@_handled
def list_multiple_users_aggregate_activity(request: Request) -> Answer:
    """``POST /v2/stats/activity/aggregate``: per active user, the counts of the whole range."""
    payload, days, users, canonical = _activity_request(request)
    directory = request.state.directory
    records = [
        {**_user_head(directory, user), "userAggregateActivityStats": _counts(events)}
        for user, events in _by_user(events_in(request, days.start, days.end, users)).items()
    ]
    return _stats_page(
        request,
        records,
        key="usersAggregateActivityStats",
        cursor=body_cursor(payload),
        fingerprint=["aggregate", days.canonical(), canonical],
        extra=_range_keys(request, days),
    )


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "WEEK":
        return day - dt.timedelta(days=day.weekday())
    if period == "MONTH":
        return day.replace(day=1)
    if period == "QUARTER":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if period == "YEAR":
        return day.replace(month=1, day=1)
    return day


def _next_period(start: dt.date, period: str) -> dt.date:
    if period == "DAY":
        return start + dt.timedelta(days=1)
    if period == "WEEK":
        return start + dt.timedelta(days=7)
    months = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[period]
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


@_handled
def list_multiple_users_aggregate_by_period(request: Request) -> Answer:
    """``POST /v2/stats/activity/aggregate-by-period``: per user, the counts of each calendar period.

    An activity on one call counts once per day: two days in one period count two.
    """
    payload, days, users, canonical = _activity_request(request)
    period = payload.get("aggregationPeriod")
    if period is None:
        raise BadRequestError("Malformed request body: 'aggregationPeriod' is required")
    if period not in AGGREGATION_PERIODS:
        raise BadRequestError(
            f"Invalid aggregationPeriod {period!r}: expected one of {', '.join(AGGREGATION_PERIODS)}"
        )
    bounds = [days.first]
    while bounds[-1] < days.stop:
        bounds.append(min(days.stop, _next_period(_period_start(bounds[-1], period), period)))
    starts = [_day_start(day, days.zone) for day in bounds]
    directory = request.state.directory
    grouped = _by_user(events_in(request, days.start, days.end, users))
    chosen = grouped.keys() if users is None else sorted(users)
    records = []
    for user in chosen:
        periods: list[set[tuple[str, int, dt.date]]] = [set() for _ in bounds[:-1]]
        for event in grouped.get(user, ()):
            periods[bisect.bisect_right(starts, event.at) - 1].add(
                (event.kind, event.call, days.day_of(event.at))
            )
        activity = []
        for position, found in enumerate(periods):
            counts = {kind: 0 for kind in ACTIVITY_KINDS}
            for kind, _, _ in found:
                counts[kind] += 1
            activity.append(
                {
                    **counts,
                    "fromDate": _zoned(starts[position], days.zone),
                    "toDate": _zoned(starts[position + 1], days.zone),
                }
            )
        records.append({**_user_head(directory, user), "userAggregateActivity": activity})
    return _stats_page(
        request,
        records,
        key="usersAggregateActivity",
        cursor=body_cursor(payload),
        fingerprint=["by-period", period, days.canonical(), canonical],
    )


def _range_keys(request: Request, days: _Days) -> dict[str, str]:
    return {
        "fromDateTime": _zoned(days.start, days.zone),
        "toDateTime": _zoned(days.end, days.zone),
        "timeZone": request.config.company_timezone,
    }


@_handled
def list_interaction_stats(request: Request) -> Answer:
    """``POST /v2/stats/interaction``: per host, the interaction stats of their processed calls in the
    range.
    """
    payload, days, users, canonical = _activity_request(request)
    catalog = request.state.calls
    directory = request.state.directory
    now = request.config.now()
    wanted = None if users is None else set(users)
    per_host: dict[int, list[tuple[dict[str, float], int, int]]] = defaultdict(list)
    for index in catalog.select(now, started_from=days.start, started_to=days.end):
        host = _host(catalog, directory, index)
        if catalog.content_at(index) > now or (wanted is not None and host not in wanted):
            continue
        interaction = catalog.extensive(index, _INTERACTION, now)["interaction"]
        values = {stat["name"]: stat["value"] for stat in interaction["interactionStats"]}
        duration = int(catalog.basic(index)["duration"])
        per_host[host].append((values, interaction["questions"]["companyCount"], duration))
    records = []
    for host, calls in sorted(per_host.items()):
        stats = []
        for name in INTERACTION_STATS:
            if name == "Question Rate":
                minutes = sum(duration for _, _, duration in calls) / 60
                value = sum(questions for _, questions, _ in calls) / max(minutes, 1.0)
            else:
                value = sum(values[name] for values, _, _ in calls) / len(calls)
            stats.append({"name": name, "value": round(value, 2)})
        records.append({**_user_head(directory, host), "personInteractionStats": stats})
    return _stats_page(
        request,
        records,
        key="peopleInteractionStats",
        cursor=body_cursor(payload),
        fingerprint=["interaction", days.canonical(), canonical],
        extra=_range_keys(request, days),
        empty_message=MSG_NO_STATS,
    )


@_handled
def list_answered_scorecards(request: Request) -> Answer:
    """``POST /v2/stats/activity/scorecards``: the scorecards answered by the clock, oldest review first.

    Filters (all optional, combined): the call's day (``callFromDate``/``callToDate``), the review's day
    (``reviewFromDate``/``reviewToDate``), ``reviewMethod`` (default ``MANUAL``), ``reviewedUserIds`` and
    ``scorecardIds``. A date range may name one bound only: the other is open, as Gong's spec says.
    """
    payload = request.json_body()
    filters = filter_object(payload)
    call_days = _days(request, filters, "callFromDate", "callToDate", required=False)
    review_days = _days(request, filters, "reviewFromDate", "reviewToDate", required=False)
    method = filters.get("reviewMethod")
    if method is None:
        method = "MANUAL"
    if method not in REVIEW_METHODS:
        raise BadRequestError(
            f"Invalid filter.reviewMethod {method!r}: expected one of {', '.join(REVIEW_METHODS)}"
        )
    reviewed, canonical_users = _users(
        request, {"userIds": filters.get("reviewedUserIds")}, "reviewedUserIds"
    )
    scorecard_ids = id_list(filters, "scorecardIds", "scorecard id", request.config.max_user_ids)
    wanted_cards = None if scorecard_ids is None else {int(value) for value in scorecard_ids}

    catalog = request.state.calls
    directory = request.state.directory
    now = request.config.now()
    low, high = float("-inf"), float("inf")
    if call_days is not None:
        low, high = call_days.start, call_days.end
    if review_days is not None:
        low = max(low, review_days.start - event_lookback(request))
        high = min(high, review_days.end)
    select: dict[str, Any] = {}
    if reviewed is not None:
        select["primary_user_ids"] = [directory.ids[user] for user in reviewed]
    found: list[_Answered] = []
    for index in catalog.select(
        now,
        started_from=None if low == float("-inf") else low,
        started_to=None if high == float("inf") else high,
        **select,
    ):
        for answered in answered_scorecards(catalog, directory, index):
            if answered.review_time > now or method not in ("BOTH", answered.scorecard.method):
                continue
            if wanted_cards is not None and answered.scorecard.scorecard_id not in wanted_cards:
                continue
            if review_days is not None and not review_days.start <= answered.review_time < review_days.end:
                continue
            found.append(answered)
    found.sort(key=lambda answered: (answered.review_time, answered.answered_id))
    fingerprint = [
        "scorecards",
        None if call_days is None else call_days.canonical(),
        None if review_days is None else review_days.canonical(),
        method,
        canonical_users,
        None if wanted_cards is None else sorted(wanted_cards),
    ]
    return _stats_page(
        request,
        [_answered_json(catalog, directory, answered) for answered in found],
        key="answeredScorecards",
        cursor=body_cursor(payload),
        fingerprint=fingerprint,
        empty_message=MSG_NO_ANSWERED_SCORECARDS,
    )
