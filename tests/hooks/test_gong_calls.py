"""GongHook's calls API (get_call, iter_calls, iter_calls_extensive, iter_transcripts) on the emulator.

The expected records come from the emulator's ground truth: ``GET /_emulator/calls`` (ids, starts,
workspaces, hosts and when each call is listed and complete) and its catalog's renderings of a call for a
given ``contentSelector``. A few tests use pytest-httpserver instead, to see exactly what the hook sent.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pendulum
import pytest
import requests
from gong_hook_helpers import gong_json, seen
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from airflow_provider_gong.client.content import EXPOSED_FIELDS
from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.client.paging import Resume
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongAuthError,
    GongBadRequestError,
    GongNotFoundError,
    GongRateLimitError,
)
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.calls import WORKSPACE_IDS, CallCatalog, ContentSelector
from airflow_provider_gong.testing.config import CALLS_READ_MEDIA_URL_SCOPE, DEFAULT_SCOPES

LIST = "GET /v2/calls"
ONE = "GET /v2/calls/{id}"
EXTENSIVE = "POST /v2/calls/extensive"
TRANSCRIPT = "POST /v2/calls/transcript"

#: The emulator's clock for every test unless it says otherwise: after every call of the default span
#: (November 2026) is listed, transcribed and analysed, late ones included.
SETTLED = "2027-01-01T00:00:00Z"
pytestmark = pytest.mark.gong_emulator(clock=SETTLED)

#: The default span of the emulator's calls.
SPAN = ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
#: A window with no call.
EMPTY = ("2025-01-01T00:00:00Z", "2025-01-08T00:00:00Z")
NO_MEDIA_SCOPES = [scope for scope in DEFAULT_SCOPES if scope != CALLS_READ_MEDIA_URL_SCOPE]

#: Gong's key in the answer of a leaf, where it differs: ``personInteractionStats`` comes back as
#: ``interactionStats``; ``trackerOccurrences`` has none (it adds ``occurrences`` inside each tracker).
_ANSWER_KEY: dict[str, str | None] = {
    "personInteractionStats": "interactionStats",
    "trackerOccurrences": None,
}


# ----------------------------------------------------------------------------------------- helpers


def calls(emulator: GongEmulator, route: str) -> int:
    """How many calls the emulator answered (any status) on one route."""
    return sum(emulator.stats()["by_endpoint"].get(route, {}).values())


def at(text: str) -> datetime:
    """An ISO-8601 time of the emulator (``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def truth(emulator: GongEmulator) -> list[dict[str, Any]]:
    """Every call of the emulator (visible or not), from its control endpoint, with ``start`` parsed."""
    answer = requests.get(f"{emulator.url}/_emulator/calls", timeout=10)
    answer.raise_for_status()
    rows: list[dict[str, Any]] = answer.json()["calls"]
    for row in rows:
        row["start"] = at(row["started"])
        for key in ("visibleAt", "transcriptAt", "contentAt"):
            row[key[:-2]] = at(row[key])
    return rows


def catalog(emulator: GongEmulator) -> CallCatalog:
    return emulator.state.calls


def position(emulator: GongEmulator, call_id: str) -> int:
    index = catalog(emulator).index_of(call_id)
    assert index is not None, call_id
    return index


def extensive_truth(
    emulator: GongEmulator, ids: list[str], selector: ContentSelector
) -> list[dict[str, Any]]:
    """What ``POST /v2/calls/extensive`` sends for these calls and selector, at the emulator's clock."""
    now = emulator.config.now()
    return [catalog(emulator).extensive(position(emulator, uid), selector, now) for uid in ids]


def transcript_truth(emulator: GongEmulator, ids: list[str]) -> list[dict[str, Any]]:
    return [catalog(emulator).transcript(position(emulator, uid)) for uid in ids]


def in_window(rows: list[dict[str, Any]], start: datetime, end: datetime) -> list[str]:
    """Ids of the calls started in ``[start, end)``, in the emulator's order (start, then id)."""
    return [row["id"] for row in rows if start <= row["start"] < end]


def distinct_starts(rows: list[dict[str, Any]]) -> list[int]:
    """Positions whose start differs from both neighbours' (a window bound there is unambiguous)."""
    return [
        i for i in range(1, len(rows) - 1) if rows[i - 1]["start"] < rows[i]["start"] < rows[i + 1]["start"]
    ]


def warning_texts(logs: list[dict[str, Any]]) -> list[str]:
    """The WARNING lines logged, rendered (structlog keeps ``%`` arguments apart until it renders)."""
    texts = []
    for entry in logs:
        if entry.get("log_level") != "warning":
            continue
        text = str(entry.get("event"))
        args = entry.get("positional_args")
        if args:
            text = text % tuple(args)
        texts.append(text)
    return texts


def info_texts(logs: list[dict[str, Any]]) -> list[str]:
    texts = []
    for entry in logs:
        if entry.get("log_level") != "info":
            continue
        text = str(entry.get("event"))
        args = entry.get("positional_args")
        if args:
            text = text % tuple(args)
        texts.append(text)
    return texts


def ids_of(records: list[dict[str, Any]]) -> list[str]:
    return [record["metaData"]["id"] for record in records]


def nothing_sent(hook: GongHook, emulator: GongEmulator) -> None:
    assert emulator.stats()["gong_calls"] == 0
    assert hook.calls_sent == 0


@pytest.fixture
def hook(gong_emulator_connection: str, pacers: PacerRegistry) -> Iterator[GongHook]:
    """A hook on the emulator, pacing off (the emulator's limits are off too) and no real sleeps."""
    sleeps: list[float] = []
    hook = GongHook(gong_emulator_connection, calls_per_second=0, sleep=sleeps.append, pacers=pacers)
    yield hook
    hook.close()


@pytest.fixture
def rows(gong_emulator: GongEmulator) -> list[dict[str, Any]]:
    return truth(gong_emulator)


# ----------------------------------------------------------------------------------------- get_call


def test_get_call_is_the_call_object_as_gong_sent_it(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    chosen = [rows[0]["id"], rows[len(rows) // 2]["id"], rows[-1]["id"]]
    for count, uid in enumerate(chosen, start=1):
        call = hook.get_call(uid)
        assert call == catalog(gong_emulator).basic(position(gong_emulator, uid))
        assert call["id"] == uid
        assert calls(gong_emulator, ONE) == count
    assert hook.get_call(int(chosen[0]))["id"] == chosen[0], "an int id is accepted"
    assert hook.get_call(f"  {chosen[1]} ")["id"] == chosen[1], "spaces around an id are dropped"


def test_get_call_keeps_keys_gong_adds_later(hook: GongHook, gong_emulator: GongEmulator) -> None:
    call = {"id": "7782342274025937895", "started": "2026-11-03T10:00:00-08:00", "futureField": {"a": [1]}}
    gong_emulator.fail_next(
        {"status": 200, "body": {"requestId": "r-1", "call": call, "somethingElse": True}}
    )
    assert hook.get_call("7782342274025937895") == call


def test_get_call_answer_without_a_call_object_is_an_api_error(
    hook: GongHook, gong_emulator: GongEmulator
) -> None:
    gong_emulator.fail_next({"status": 200, "body": {"requestId": "r-1", "call": None}})
    with pytest.raises(GongApiError, match="unexpected answer shape"):
        hook.get_call("123")


@pytest.mark.parametrize(
    "bad",
    [
        "12a",
        "1" * 21,
        "",
        "   ",
        True,
        False,
        None,
        1.5,
        -5,
        "-5",
        "1 2",
        "\uff11\uff12\uff13",
        b"123",
        10**20,
        ["1"],
    ],
    ids=[
        "letters",
        "21-digits",
        "empty",
        "blank",
        "true",
        "false",
        "none",
        "float",
        "negative-int",
        "negative-str",
        "inner-space",
        "fullwidth",
        "bytes",
        "21-digit-int",
        "list",
    ],
)
def test_get_call_bad_id_raises_before_any_request(
    hook: GongHook, gong_emulator: GongEmulator, bad: Any
) -> None:
    with pytest.raises(ValueError, match="Invalid Gong call id"):
        hook.get_call(bad)
    nothing_sent(hook, gong_emulator)


def test_get_call_unknown_id_is_not_found(hook: GongHook, gong_emulator: GongEmulator) -> None:
    with pytest.raises(GongNotFoundError) as caught:
        hook.get_call("12345678901234567890")
    assert caught.value.status_code == 404
    assert gong_emulator.stats()["by_endpoint"][ONE] == {"404": 1}, "a 404 is not retried"


def test_get_call_not_visible_yet_is_not_found_then_found(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    row = rows[len(rows) // 3]
    gong_emulator.configure(clock=zulu(row["visible"] - timedelta(seconds=1)))
    with pytest.raises(GongNotFoundError):
        hook.get_call(row["id"])
    gong_emulator.configure(clock=zulu(row["visible"]))
    assert hook.get_call(row["id"])["id"] == row["id"]
    assert gong_emulator.stats()["by_endpoint"][ONE] == {"404": 1, "200": 1}


# ----------------------------------------------------------------------------------------- iter_calls


def test_window_includes_from_and_excludes_to(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    usable = distinct_starts(rows)
    first, last = usable[10], usable[40]
    start, end = rows[first]["start"], rows[last]["start"]
    expected = in_window(rows, start, end)
    assert expected[0] == rows[first]["id"] and rows[last - 1]["id"] in expected
    got = [call["id"] for call in hook.iter_calls(rows[first]["started"], rows[last]["started"])]
    assert got == expected, "in Gong's order, from inclusive, to exclusive"
    assert rows[last]["id"] not in got
    # One second later on both ends: the first call leaves, the one at `to` comes in.
    shifted = [
        call["id"] for call in hook.iter_calls(start + timedelta(seconds=1), end + timedelta(seconds=1))
    ]
    assert rows[first]["id"] not in shifted and rows[last]["id"] in shifted
    assert shifted == in_window(rows, start + timedelta(seconds=1), end + timedelta(seconds=1))


def test_calls_are_gongs_basic_objects(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    got = list(hook.iter_calls(*SPAN))
    assert got == [catalog(gong_emulator).basic(index) for index in range(len(rows))]
    assert calls(gong_emulator, LIST) == math.ceil(len(rows) / 100) == 3
    assert hook.calls_sent == 3


def _window_forms(start: datetime) -> dict[str, Any]:
    utc = start.astimezone(UTC)
    return {
        "aware-utc": utc,
        "aware-other-zone": utc.astimezone(timezone(timedelta(hours=5, minutes=30))),
        "naive-utc": utc.replace(tzinfo=None),
        "pendulum": pendulum.instance(utc).in_timezone("Europe/Paris"),
        "z": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lower-z": utc.strftime("%Y-%m-%dT%H:%M:%Sz"),
        "offset-minus-8": utc.astimezone(timezone(timedelta(hours=-8))).isoformat(),
        "offset-plus-530": utc.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
        "offset-no-colon": utc.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "millis": utc.strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
        "space-separator": utc.strftime("%Y-%m-%d %H:%M:%SZ"),
        "basic-format": utc.strftime("%Y%m%dT%H%M%SZ"),
        "naive-string": utc.strftime("%Y-%m-%dT%H:%M:%S"),
    }


FORMS = list(_window_forms(datetime(2026, 1, 1, tzinfo=UTC)))


@pytest.mark.parametrize("form", FORMS)
def test_every_datetime_form_means_the_same_instant(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], form: str
) -> None:
    usable = distinct_starts(rows)
    start, end = rows[usable[20]]["start"], rows[usable[45]]["start"]
    got = [call["id"] for call in hook.iter_calls(_window_forms(start)[form], _window_forms(end)[form])]
    assert got == in_window(rows, start, end)
    assert got[0] == rows[usable[20]]["id"] and rows[usable[45]]["id"] not in got


def test_naive_datetimes_are_utc_not_local_time(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    # Far from UTC locally, so reading a naive datetime as local time would move the window.
    zone = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kathmandu"
    time.tzset()
    try:
        usable = distinct_starts(rows)
        start, end = rows[usable[5]]["start"], rows[usable[30]]["start"]
        naive = [
            call["id"]
            for call in hook.iter_calls(
                start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None)
            )
        ]
        assert naive == in_window(rows, start, end)
        assert naive[0] == rows[usable[5]]["id"]
    finally:
        if zone is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = zone
        time.tzset()


def test_date_only_string_is_midnight_utc(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    got = [call["id"] for call in hook.iter_calls("2026-11-10", "2026-11-12")]
    expected = in_window(rows, datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 12, tzinfo=UTC))
    assert got == expected and expected


@pytest.mark.gong_emulator(page_size=7)
def test_small_pages_follow_the_cursor_once_each(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    usable = distinct_starts(rows)
    start, end = rows[usable[3]]["start"], rows[usable[60]]["start"]
    expected = in_window(rows, start, end)
    got = [call["id"] for call in hook.iter_calls(start, end)]
    assert got == expected
    assert len(set(got)) == len(got)
    assert calls(gong_emulator, LIST) == math.ceil(len(expected) / 7)


@pytest.mark.gong_emulator(page_size=7)
def test_a_window_of_whole_pages_costs_no_extra_call(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    usable = set(distinct_starts(rows))
    first = next(i for i in sorted(usable) if i + 21 in usable)
    start, end = rows[first]["start"], rows[first + 21]["start"]
    assert len(in_window(rows, start, end)) == 21
    assert len(list(hook.iter_calls(start, end))) == 21
    assert calls(gong_emulator, LIST) == 3


def test_iter_calls_streams_page_by_page(hook: GongHook, gong_emulator: GongEmulator) -> None:
    listing = hook.iter_calls(*SPAN)
    next(listing)
    assert gong_emulator.stats()["gong_calls"] == 1, "the first call must come before the second page"
    assert len(list(listing)) == len(catalog(gong_emulator)) - 1
    assert calls(gong_emulator, LIST) == 3


def test_empty_window_is_an_empty_list_after_one_404(hook: GongHook, gong_emulator: GongEmulator) -> None:
    assert list(hook.iter_calls(*EMPTY)) == []
    assert gong_emulator.stats()["by_endpoint"] == {LIST: {"404": 1}}


def test_another_404_is_a_failure(hook: GongHook, gong_emulator: GongEmulator) -> None:
    gong_emulator.fail_next({"status": 404, "body": {"requestId": "r-1", "errors": ["Workspace not found"]}})
    with pytest.raises(GongNotFoundError, match="Workspace not found"):
        list(hook.iter_calls(*SPAN))


@pytest.mark.parametrize(
    ("window", "kwargs", "message"),
    [
        ((None, SPAN[1]), {}, "from_datetime is required"),
        ((SPAN[0], None), {}, "to_datetime is required"),
        (("", SPAN[1]), {}, "from_datetime is required"),
        ((SPAN[0], "   "), {}, "to_datetime is required"),
        ((SPAN[0], SPAN[0]), {}, "an empty window"),
        (("2026-11-05T00:00:00Z", "2026-11-04T16:00:00-08:00"), {}, "an empty window"),
        ((datetime(2026, 11, 5), datetime(2026, 11, 5, tzinfo=UTC)), {}, "an empty window"),
        ((SPAN[1], SPAN[0]), {}, "inverted"),
        (("yesterday", SPAN[1]), {}, "from_datetime 'yesterday' is not an ISO-8601 date-time"),
        ((SPAN[0], "2026-13-01T00:00:00Z"), {}, "to_datetime '2026-13-01T00:00:00Z' is not an ISO-8601"),
        ((SPAN[0], 20261201), {}, "to_datetime must be a datetime or an ISO-8601 string, got int"),
        (
            (date(2026, 11, 1), SPAN[1]),
            {},
            "from_datetime must be a datetime or an ISO-8601 string, got date",
        ),
        ((SPAN[0], "{{ data_interval_end }}"), {}, "to_datetime"),
        (SPAN, {"workspace_id": "ws-1"}, "Invalid Gong workspace id"),
        (SPAN, {"workspace_id": ""}, "Invalid Gong workspace id"),
        (SPAN, {"workspace_id": True}, "Invalid Gong workspace id"),
        (SPAN, {"workspace_id": "1" * 21}, "Invalid Gong workspace id"),
    ],
    ids=[
        "from-none",
        "to-none",
        "from-empty",
        "to-blank",
        "same",
        "same-instant-other-offsets",
        "naive-equals-aware",
        "inverted",
        "from-words",
        "to-month-13",
        "to-int",
        "from-date",
        "to-template",
        "workspace-letters",
        "workspace-empty",
        "workspace-bool",
        "workspace-21-digits",
    ],
)
def test_bad_window_or_workspace_fails_before_any_request(
    hook: GongHook, gong_emulator: GongEmulator, window: tuple[Any, Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        list(hook.iter_calls(*window, **kwargs))
    nothing_sent(hook, gong_emulator)


def test_inverted_window_names_both_bounds(hook: GongHook, gong_emulator: GongEmulator) -> None:
    with pytest.raises(ValueError) as caught:
        list(hook.iter_calls(SPAN[1], SPAN[0]))
    assert "from_datetime (2026-12-01T00:00:00+00:00)" in str(caught.value)
    assert "to_datetime (2026-11-01T00:00:00+00:00)" in str(caught.value)
    nothing_sent(hook, gong_emulator)


def test_workspace_filter(hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]) -> None:
    seen_ids: list[str] = []
    for workspace in WORKSPACE_IDS:
        expected = [row["id"] for row in rows if row["workspaceId"] == workspace]
        assert expected, workspace
        got = list(hook.iter_calls(*SPAN, workspace_id=workspace))
        assert [call["id"] for call in got] == expected
        assert {call["workspaceId"] for call in got} == {workspace}
        seen_ids += expected
    assert sorted(seen_ids) == sorted(row["id"] for row in rows)
    as_int = list(hook.iter_calls(*SPAN, workspace_id=int(WORKSPACE_IDS[1])))
    assert {call["workspaceId"] for call in as_int} == {WORKSPACE_IDS[1]}


def test_unknown_workspace_is_empty(hook: GongHook, gong_emulator: GongEmulator) -> None:
    assert list(hook.iter_calls(*SPAN, workspace_id="1234567890")) == []
    assert gong_emulator.stats()["by_endpoint"] == {LIST: {"404": 1}}


def test_listing_sends_gongs_query(httpserver: HTTPServer, server_conn: Any, pacers: PacerRegistry) -> None:
    httpserver.expect_request("/v2/calls").respond_with_json(
        {"requestId": "r", "records": {"totalRecords": 1, "currentPageSize": 1}, "calls": [{"id": "1"}]}
    )
    hook = GongHook(server_conn(), calls_per_second=0, pacers=pacers)
    assert list(hook.iter_calls(datetime(2026, 11, 5), "2026-11-06T01:00:00+01:00", workspace_id=42)) == [
        {"id": "1"}
    ]
    [request] = seen(httpserver)
    assert request.method == "GET"
    assert parse_qs(urlsplit(request.url).query) == {
        "fromDateTime": ["2026-11-05T00:00:00+00:00"],
        "toDateTime": ["2026-11-06T01:00:00+01:00"],
        "workspaceId": ["42"],
    }


# ----------------------------------------------------------------------------------------- extensive: content


def _leaf_selector(leaves: list[str]) -> ContentSelector:
    sections: dict[str, set[str]] = {"content": set(), "interaction": set(), "collaboration": set()}
    for leaf in leaves:
        for section, names in EXPOSED_FIELDS.items():
            if leaf in names and section:
                sections[section].add(leaf)
    return ContentSelector(
        parties="parties" in leaves,
        media="media" in leaves,
        content=frozenset(sections["content"]),
        interaction=frozenset(sections["interaction"]),
        collaboration=frozenset(sections["collaboration"]),
    )


ALL_LEAVES = [leaf for leaves in EXPOSED_FIELDS.values() for leaf in leaves]


@pytest.mark.parametrize(
    ("content", "leaves"),
    [
        (None, []),
        ([], []),
        (["parties"], ["parties"]),
        (["topics", "brief", "content.keyPoints"], ["topics", "brief", "keyPoints"]),
        ("speakers, personInteractionStats questions", ["speakers", "personInteractionStats", "questions"]),
        ('["publicComments", "video"]', ["publicComments", "video"]),
        (("trackers", "trackerOccurrences", "trackers"), ["trackers", "trackerOccurrences"]),
        (["media"], ["media"]),
        (ALL_LEAVES, ALL_LEAVES),
    ],
    ids=["none", "empty", "parties", "content", "string", "json-string", "tuple-repeats", "media", "all"],
)
def test_content_leaves_produce_exactly_those_sections(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], content: Any, leaves: list[str]
) -> None:
    usable = distinct_starts(rows)
    start, end = rows[usable[50]]["start"], rows[usable[58]]["start"]
    ids = in_window(rows, start, end)
    got = list(hook.iter_calls_extensive(from_datetime=start, to_datetime=end, content=content))
    assert got == extensive_truth(gong_emulator, ids, _leaf_selector(leaves))
    for record in got:
        sections: dict[str, set[str]] = {}
        for leaf in leaves:
            section = next(name for name, names in EXPOSED_FIELDS.items() if leaf in names)
            key = _ANSWER_KEY.get(leaf, leaf)
            names = sections.setdefault(section or leaf, set())
            if key is not None:
                names.add(key)
        assert set(record) == {"metaData", *sections}, "no section beyond the chosen leaves"
        for section, names in sections.items():
            if section not in EXPOSED_FIELDS[""]:
                assert set(record[section]) == names, section
    assert calls(gong_emulator, EXTENSIVE) == 1


@pytest.mark.parametrize(
    ("kwargs", "selector"),
    [
        ({"context": "basic"}, ContentSelector(context="Basic")),
        ({"context": "EXTENDED"}, ContentSelector(context="Extended")),
        (
            {"context": "extended", "context_timing": ["timeOfCall", "now"], "content": ["parties"]},
            ContentSelector(context="Extended", context_timing=("Now", "TimeOfCall"), parties=True),
        ),
        (
            {"context": "Extended", "context_timing": "timeofcall"},
            ContentSelector(context="Extended", context_timing=("TimeOfCall",)),
        ),
    ],
    ids=["basic", "extended-upper", "extended-both-timings", "extended-time-of-call"],
)
def test_context_and_timing(
    hook: GongHook,
    gong_emulator: GongEmulator,
    rows: list[dict[str, Any]],
    kwargs: dict[str, Any],
    selector: ContentSelector,
) -> None:
    ids = [row["id"] for row in rows[100:130]]
    got = list(hook.iter_calls_extensive(call_ids=ids, **kwargs))
    assert got == extensive_truth(gong_emulator, ids, selector)
    assert all("context" in record for record in got)


def test_a_raw_content_selector_passes_unchanged_to_gong(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    raw = {
        "context": "Extended",
        "contextTiming": ["TimeOfCall"],
        "exposedFields": {"parties": True, "content": {"trackers": True, "trackerOccurrences": True}},
    }
    kept = copy.deepcopy(raw)
    ids = [row["id"] for row in rows[10:40]]
    got = list(hook.iter_calls_extensive(call_ids=ids, content=raw))
    expected = ContentSelector(
        context="Extended",
        context_timing=("TimeOfCall",),
        parties=True,
        content=frozenset({"trackers", "trackerOccurrences"}),
    )
    assert got == extensive_truth(gong_emulator, ids, expected)
    assert raw == kept, "the caller's selector is not changed"


def test_a_raw_selector_is_not_checked_by_the_hook(hook: GongHook, gong_emulator: GongEmulator) -> None:
    # A flag Gong may add later: the hook sends it; here the emulator (which does not know it) refuses it.
    raw = {"exposedFields": {"content": {"futureFlag": True}}}
    with pytest.raises(GongBadRequestError, match="futureFlag"):
        list(hook.iter_calls_extensive(from_datetime=SPAN[0], content=raw))
    assert gong_emulator.stats()["by_endpoint"] == {EXTENSIVE: {"400": 1}}


def _extensive_answer(request: Request) -> Response:
    """Gong's answer for the body's callIds, in reverse order (Gong does not keep the ids' order)."""
    ids = request.get_json()["filter"].get("callIds") or ["1"]
    return gong_json(
        {
            "requestId": "r",
            "records": {"totalRecords": len(ids), "currentPageSize": len(ids), "currentPageNumber": 0},
            "calls": [{"metaData": {"id": uid}} for uid in reversed(ids)],
        }
    )


def test_extensive_sends_gongs_body(httpserver: HTTPServer, server_conn: Any, pacers: PacerRegistry) -> None:
    httpserver.expect_request("/v2/calls/extensive", method="POST").respond_with_handler(_extensive_answer)
    hook = GongHook(server_conn(), calls_per_second=0, pacers=pacers)
    raw = {"exposedFields": {"content": {"futureFlag": True}, "media": True}, "somethingNew": [1]}
    list(hook.iter_calls_extensive(from_datetime="2026-11-01T00:00:00-08:00", workspace_id="7", content=raw))
    list(
        hook.iter_calls_extensive(
            to_datetime=datetime(2026, 12, 1),
            primary_user_ids=[5, "6"],
            content=["topics", "parties", "media", "publicComments", "speakers", "content.brief"],
            context="extended",
            context_timing="now,timeOfCall",
        )
    )
    first, second = (request.get_json() for request in seen(httpserver))
    assert first == {
        "filter": {"fromDateTime": "2026-11-01T00:00:00-08:00", "workspaceId": "7"},
        "contentSelector": raw,
    }
    assert second == {
        "filter": {"toDateTime": "2026-12-01T00:00:00+00:00", "primaryUserIds": ["5", "6"]},
        "contentSelector": {
            "context": "Extended",
            "contextTiming": ["Now", "TimeOfCall"],
            "exposedFields": {
                "content": {"topics": True, "brief": True},
                "parties": True,
                "media": True,
                "collaboration": {"publicComments": True},
                "interaction": {"speakers": True},
            },
        },
    }


def test_ids_go_100_per_call_in_the_given_order(
    httpserver: HTTPServer, server_conn: Any, pacers: PacerRegistry
) -> None:
    httpserver.expect_request("/v2/calls/extensive", method="POST").respond_with_handler(_extensive_answer)
    hook = GongHook(server_conn(), calls_per_second=0, pacers=pacers)
    ids = [str(10**15 + n) for n in range(250)]
    random.Random(3).shuffle(ids)
    got = list(hook.iter_calls_extensive(call_ids=ids, from_datetime=SPAN[0]))
    assert ids_of(got) == ids
    bodies = [request.get_json() for request in seen(httpserver)]
    assert [body["filter"]["callIds"] for body in bodies] == [ids[:100], ids[100:200], ids[200:]]
    assert all(body["filter"]["fromDateTime"] == "2026-11-01T00:00:00+00:00" for body in bodies)
    assert all("contentSelector" not in body for body in bodies)


def test_primary_users_go_100_per_listing_in_the_given_order(
    httpserver: HTTPServer, server_conn: Any, pacers: PacerRegistry
) -> None:
    httpserver.expect_request("/v2/calls/extensive", method="POST").respond_with_handler(_extensive_answer)
    hook = GongHook(server_conn(), calls_per_second=0, pacers=pacers)
    users = [str(10**12 + n) for n in range(150)]
    random.Random(8).shuffle(users)
    list(hook.iter_calls_extensive(primary_user_ids=[*users, users[0]], content=["parties"]))
    bodies = [request.get_json() for request in seen(httpserver)]
    assert [body["filter"]["primaryUserIds"] for body in bodies] == [users[:100], users[100:]]
    assert all(body["contentSelector"] == {"exposedFields": {"parties": True}} for body in bodies)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"content": "topic"}, "did you mean topics"),
        ({"content": ["parties", "Media"]}, "'Media' is not among Gong's exposedFields"),
        ({"content": "interaction.topics"}, "'interaction.topics' is not among"),
        ({"content": ["parties", None]}, "None is not among"),
        ({"content": b"parties"}, "content must be a list"),
        ({"content": 5}, "content must be a list"),
        ({"content": "{{ params.content }}"}, "unrendered Jinja template"),
        ({"context": "full"}, "context must be one of"),
        ({"context_timing": "now"}, "needs context='extended'"),
        ({"context": "basic", "context_timing": "now"}, "needs context='extended'"),
        ({"context": "extended", "context_timing": ["later"]}, "context_timing must hold"),
        ({"context": "extended", "context_timing": []}, "got nothing"),
        ({"content": {"exposedFields": {}}, "context": "basic"}, "raw contentSelector"),
        ({"call_ids": "123"}, "expected a list of ids"),
        ({"call_ids": ["1", "x"]}, "[1] Invalid Gong call id"),
        ({"call_ids": ["1", 2.0]}, "[1] Invalid Gong call id"),
        ({"primary_user_ids": [True]}, "[0] Invalid Gong user id"),
        ({"primary_user_ids": 987}, "expected a list of ids"),
        ({"from_datetime": "2026-11-05", "to_datetime": "2026-11-05T00:00:00Z"}, "an empty window"),
        ({"from_datetime": "2026-11-06", "to_datetime": "2026-11-05"}, "inverted"),
        ({"to_datetime": "soon"}, "to_datetime 'soon'"),
        ({"workspace_id": "abc"}, "Invalid Gong workspace id"),
        (
            {"call_ids": ["1"], "primary_user_ids": [str(n) for n in range(101)]},
            "give call_ids or primary_user_ids, or at most 100 primary_user_ids with call_ids (got 101)",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_bad_extensive_inputs_fail_before_any_request(
    hook: GongHook, gong_emulator: GongEmulator, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        list(hook.iter_calls_extensive(**kwargs))
    nothing_sent(hook, gong_emulator)


# ----------------------------------------------------------------------------------------- extensive: ids


def test_250_call_ids_cost_3_calls_in_the_ids_order_each_once(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows][:250]
    random.Random(11).shuffle(ids)
    given: list[str | int] = [*ids[:120], ids[3], int(ids[7]), f" {ids[0]} ", *ids[120:], ids[-1]]
    got = list(hook.iter_calls_extensive(call_ids=given, content=["brief"]))
    assert ids_of(got) == ids
    assert got == extensive_truth(gong_emulator, ids, ContentSelector(content=frozenset({"brief"})))
    assert gong_emulator.stats()["by_endpoint"] == {EXTENSIVE: {"200": 3}}
    assert hook.calls_sent == 3


def test_unknown_call_ids_are_named_in_a_warning_and_skipped(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], gong_logs: list[dict[str, Any]]
) -> None:
    known = [row["id"] for row in rows[:5]]
    unknown = ["11111111111111111", "22222222222222222"]
    given = [known[0], unknown[0], *known[1:3], unknown[1], *known[3:]]
    got = list(hook.iter_calls_extensive(call_ids=given))
    assert ids_of(got) == known
    warnings = [text for text in warning_texts(gong_logs) if unknown[0] in text]
    assert len(warnings) == 1, warning_texts(gong_logs)
    assert unknown[1] in warnings[0] and "2 id(s)" in warnings[0]
    assert not any(uid in warnings[0] for uid in known)


def test_ids_outside_the_window_or_workspace_are_named_and_skipped(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], gong_logs: list[dict[str, Any]]
) -> None:
    usable = distinct_starts(rows)
    start, end = rows[usable[30]]["start"], rows[usable[60]]["start"]
    inside = in_window(rows, start, end)
    before, after = rows[usable[30] - 1]["id"], rows[usable[60]]["id"]
    workspace = rows[usable[40]]["workspaceId"]
    others = [row["id"] for row in rows if row["id"] in inside and row["workspaceId"] != workspace]
    got = list(
        hook.iter_calls_extensive(
            call_ids=[after, before, *reversed(inside)],
            from_datetime=start,
            to_datetime=end,
            workspace_id=workspace,
        )
    )
    assert others, "the window holds calls of both workspaces"
    assert ids_of(got) == [uid for uid in reversed(inside) if uid not in others]
    [warning] = [text for text in warning_texts(gong_logs) if "skipped" in text]
    assert f"{len(others) + 2} id(s)" in warning
    assert warning.index(after) < warning.index(before), "named in the ids' order"


def test_only_unknown_ids_is_empty_after_one_404(
    hook: GongHook, gong_emulator: GongEmulator, gong_logs: list[dict[str, Any]]
) -> None:
    assert list(hook.iter_calls_extensive(call_ids=["1", "2"])) == []
    assert gong_emulator.stats()["by_endpoint"] == {EXTENSIVE: {"404": 1}}
    assert any("1, 2" in text for text in warning_texts(gong_logs))


def test_no_ids_cost_no_call(hook: GongHook, gong_emulator: GongEmulator) -> None:
    assert list(hook.iter_calls_extensive(call_ids=[])) == []
    assert list(hook.iter_transcripts(call_ids=())) == []
    nothing_sent(hook, gong_emulator)


def test_a_chunk_comes_whole_before_the_next_is_asked(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows[:250]]
    records = hook.iter_calls_extensive(call_ids=ids)
    assert next(records)["metaData"]["id"] == ids[0]
    assert calls(gong_emulator, EXTENSIVE) == 1
    assert len(list(records)) == 249
    assert calls(gong_emulator, EXTENSIVE) == 3


@pytest.mark.gong_emulator(page_size=9)
def test_a_window_of_detailed_calls_follows_the_cursor(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    usable = distinct_starts(rows)
    start, end = rows[usable[7]]["start"], rows[usable[77]]["start"]
    ids = in_window(rows, start, end)
    got = list(hook.iter_calls_extensive(from_datetime=start, to_datetime=end, content=["topics"]))
    assert got == extensive_truth(gong_emulator, ids, ContentSelector(content=frozenset({"topics"})))
    assert calls(gong_emulator, EXTENSIVE) == math.ceil(len(ids) / 9)


@pytest.mark.gong_emulator(page_size=30)
def test_call_ids_paged_within_a_chunk_keep_the_ids_order(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows[:250]]
    random.Random(5).shuffle(ids)
    got = list(hook.iter_calls_extensive(call_ids=ids))
    assert ids_of(got) == ids
    assert calls(gong_emulator, EXTENSIVE) == 4 + 4 + 2  # 100 ids: 4 pages of 30; 50 ids: 2


# ----------------------------------------------------------------------------------------- extensive: hosts


def _hosts_by_calls(rows: list[dict[str, Any]], emulator: GongEmulator) -> dict[str, int]:
    counts = {user["id"]: 0 for user in emulator.users if user["id"] not in emulator.avatar_ids}
    for row in rows:
        counts[row["primaryUserId"]] += 1
    return counts


def _light_hosts(rows: list[dict[str, Any]], emulator: GongEmulator) -> list[str]:
    """150 hosts, some with calls, most without, so that no chunk of 100 pages (and none is empty)."""
    counts = _hosts_by_calls(rows, emulator)
    hosting = sorted((uid for uid in counts if counts[uid]), key=lambda uid: (counts[uid], uid))[:66]
    idle = sorted(uid for uid in counts if not counts[uid])[:84]
    users = hosting + idle
    assert len(users) == 150
    random.Random(2).shuffle(users)
    return users


def _expected_by_hosts(rows: list[dict[str, Any]], users: list[str], page: int) -> tuple[list[str], int]:
    """The calls of these hosts, chunk of 100 hosts by chunk, in Gong's order, and the calls it costs."""
    ids: list[str] = []
    cost = 0
    for start in range(0, len(users), 100):
        chunk = set(users[start : start + 100])
        found = [row["id"] for row in rows if row["primaryUserId"] in chunk]
        ids += found
        cost += max(1, math.ceil(len(found) / page))
    return ids, cost


def test_150_primary_users_cost_2_calls(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    users = _light_hosts(rows, gong_emulator)
    expected, cost = _expected_by_hosts(rows, users, 100)
    assert cost == 2 and expected
    got = list(hook.iter_calls_extensive(primary_user_ids=users))
    assert ids_of(got) == expected
    assert {record["metaData"]["primaryUserId"] for record in got} <= set(users)
    assert calls(gong_emulator, EXTENSIVE) == 2


@pytest.mark.gong_emulator(page_size=10)
def test_primary_users_whose_calls_page_cost_one_call_per_page(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    counts = _hosts_by_calls(rows, gong_emulator)
    users = sorted(counts, key=lambda uid: (-counts[uid], uid))[:150]
    expected, cost = _expected_by_hosts(rows, users, 10)
    assert cost > 2
    got = list(hook.iter_calls_extensive(primary_user_ids=users))
    assert ids_of(got) == expected
    assert len(set(expected)) == len(expected)
    assert calls(gong_emulator, EXTENSIVE) == cost


def test_primary_users_with_a_window(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    counts = _hosts_by_calls(rows, gong_emulator)
    users = sorted(counts, key=lambda uid: (-counts[uid], uid))[:3]
    start, end = datetime(2026, 11, 8, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC)
    expected = [row["id"] for row in rows if row["primaryUserId"] in users and start <= row["start"] < end]
    got = list(hook.iter_calls_extensive(primary_user_ids=users, from_datetime=start, to_datetime=end))
    assert ids_of(got) == expected and expected


def test_call_ids_with_a_few_primary_users_combine(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], gong_logs: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows[:60]]
    host = rows[0]["primaryUserId"]
    got = list(hook.iter_calls_extensive(call_ids=ids, primary_user_ids=[host]))
    expected = [row["id"] for row in rows[:60] if row["primaryUserId"] == host]
    assert ids_of(got) == expected
    assert calls(gong_emulator, EXTENSIVE) == 1
    others = [uid for uid in ids if uid not in expected]
    if others:
        assert any(others[0] in text for text in warning_texts(gong_logs))


# ----------------------------------------------------------------------------------------- extensive: media


def test_media_urls_and_their_note(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], gong_logs: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows[:5]]
    got = list(hook.iter_calls_extensive(call_ids=ids, content="media"))
    assert [set(record) for record in got] == [{"metaData", "media"}] * 5
    expires = int(at(SETTLED).timestamp()) + 8 * 3600
    for record in got:
        query = parse_qs(urlsplit(record["media"]["audioUrl"]).query)
        assert query["expires"] == [str(expires)], "URLs expire 8 hours after Gong hands them out"
    notes = [text for text in info_texts(gong_logs) if "api:calls:read:media-url" in text]
    assert notes and "8 hours" in notes[0]


@pytest.mark.gong_emulator(scopes=NO_MEDIA_SCOPES)
@pytest.mark.parametrize(
    "content",
    [["media", "parties"], {"exposedFields": {"media": True}}],
    ids=["leaf", "raw"],
)
def test_media_without_its_scope_is_an_auth_error_naming_it(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], content: Any
) -> None:
    with pytest.raises(GongAuthError) as caught:
        list(hook.iter_calls_extensive(call_ids=[rows[0]["id"]], content=content))
    assert caught.value.status_code == 403
    assert "api:calls:read:media-url" in str(caught.value)
    assert "api:calls:read:media-url" in (caught.value.hint or "")
    assert gong_emulator.stats()["by_endpoint"] == {EXTENSIVE: {"403": 1}}, "a 403 is not retried"
    # The same fetch without media works with these scopes.
    assert len(list(hook.iter_calls_extensive(call_ids=[rows[0]["id"]], content=["parties"]))) == 1


# ----------------------------------------------------------------------------------------- transcripts


def test_transcripts_of_a_window(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    usable = distinct_starts(rows)
    start, end = rows[usable[0]]["start"], rows[usable[150]]["start"]
    ids = in_window(rows, start, end)
    got = list(hook.iter_transcripts(from_datetime=start, to_datetime=end))
    assert got == transcript_truth(gong_emulator, ids)
    assert [record["callId"] for record in got] == ids
    assert calls(gong_emulator, TRANSCRIPT) == math.ceil(len(ids) / 100)


def test_transcripts_by_250_ids_cost_3_calls_in_the_ids_order(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows[25:275]]
    random.Random(9).shuffle(ids)
    got = list(hook.iter_transcripts(call_ids=[*ids, *ids[:40]]))
    assert [record["callId"] for record in got] == ids
    assert got == transcript_truth(gong_emulator, ids)
    assert gong_emulator.stats()["by_endpoint"] == {TRANSCRIPT: {"200": 3}}


@pytest.mark.gong_emulator(page_size=30)
def test_transcripts_by_ids_paged_within_a_chunk(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows[:250]]
    random.Random(4).shuffle(ids)
    got = list(hook.iter_transcripts(call_ids=ids))
    assert [record["callId"] for record in got] == ids
    assert calls(gong_emulator, TRANSCRIPT) == 4 + 4 + 2


def test_transcripts_window_and_ids_combine(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], gong_logs: list[dict[str, Any]]
) -> None:
    usable = distinct_starts(rows)
    start, end = rows[usable[10]]["start"], rows[usable[20]]["start"]
    inside = in_window(rows, start, end)
    outside = rows[usable[20]]["id"]
    got = list(hook.iter_transcripts(call_ids=[outside, *inside], from_datetime=start, to_datetime=end))
    assert [record["callId"] for record in got] == inside
    assert any(outside in text for text in warning_texts(gong_logs))


def test_transcripts_of_an_empty_window_are_empty(hook: GongHook, gong_emulator: GongEmulator) -> None:
    assert list(hook.iter_transcripts(from_datetime=EMPTY[0], to_datetime=EMPTY[1])) == []
    assert list(hook.iter_transcripts(call_ids=["42"])) == []
    assert gong_emulator.stats()["by_endpoint"] == {TRANSCRIPT: {"404": 2}}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"call_ids": ["1", "1a"]}, "[1] Invalid Gong call id"),
        ({"from_datetime": SPAN[1], "to_datetime": SPAN[0]}, "inverted"),
        ({"from_datetime": 1.5}, "from_datetime must be a datetime"),
        ({"workspace_id": -1}, "Invalid Gong workspace id"),
    ],
)
def test_bad_transcript_inputs_fail_before_any_request(
    hook: GongHook, gong_emulator: GongEmulator, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        list(hook.iter_transcripts(**kwargs))
    nothing_sent(hook, gong_emulator)


# ----------------------------------------------------------------------------------------- late processing


def test_a_transcript_comes_only_once_gong_transcribed_the_call(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], gong_logs: list[dict[str, Any]]
) -> None:
    row = max(rows, key=lambda row: row["transcript"] - row["visible"])
    assert row["transcript"] - row["visible"] > timedelta(hours=2), "the data set has a late transcript"
    day = row["start"].astimezone(UTC).replace(hour=0, minute=0, second=0)
    window = {"from_datetime": day, "to_datetime": day + timedelta(days=1)}

    gong_emulator.configure(clock=zulu(row["transcript"] - timedelta(seconds=1)))
    assert hook.get_call(row["id"])["id"] == row["id"], "the call itself is listed already"
    assert list(hook.iter_transcripts(call_ids=[row["id"]])) == []
    assert any(row["id"] in text for text in warning_texts(gong_logs))
    assert row["id"] not in [record["callId"] for record in hook.iter_transcripts(**window)]

    gong_emulator.configure(clock=zulu(row["transcript"]))
    assert [record["callId"] for record in hook.iter_transcripts(call_ids=[row["id"]])] == [row["id"]]
    assert row["id"] in [record["callId"] for record in hook.iter_transcripts(**window)]


def test_a_call_listed_late_is_absent_until_gong_lists_it(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    row = max(rows, key=lambda row: row["visible"] - row["start"])
    start, end = row["start"] - timedelta(hours=1), row["start"] + timedelta(hours=1)
    gong_emulator.configure(clock=zulu(row["visible"] - timedelta(seconds=1)))
    assert row["id"] not in [call["id"] for call in hook.iter_calls(start, end)]
    assert list(hook.iter_calls_extensive(call_ids=[row["id"]])) == []
    gong_emulator.configure(clock=zulu(row["visible"]))
    assert row["id"] in [call["id"] for call in hook.iter_calls(start, end)]
    assert ids_of(list(hook.iter_calls_extensive(call_ids=[row["id"]]))) == [row["id"]]


def test_detailed_content_is_empty_until_gong_analysed_the_call(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    row = max(rows, key=lambda row: row["content"] - row["visible"])
    gong_emulator.configure(clock=zulu(row["content"] - timedelta(seconds=1)))
    [early] = hook.iter_calls_extensive(call_ids=[row["id"]], content=["brief", "keyPoints"])
    assert early["content"] == {"brief": None, "keyPoints": []}
    gong_emulator.configure(clock=zulu(row["content"]))
    [late] = hook.iter_calls_extensive(call_ids=[row["id"]], content=["brief", "keyPoints"])
    assert isinstance(late["content"]["brief"], str) and late["content"]["keyPoints"]


# ----------------------------------------------------------------------------------------- resume


LONG_429 = {"status": 429, "retry_after": "3600"}


def test_a_long_429_mid_listing_then_resume_fetches_the_rest_once(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    resume = Resume()
    got: list[str] = []
    gong_emulator.fail_next({"fault": "pass"}, LONG_429)
    with pytest.raises(GongRateLimitError) as caught:
        for call in hook.iter_calls(*SPAN, resume=resume):
            got.append(call["id"])
    assert caught.value.retry_after == 3600
    assert got == [row["id"] for row in rows[:100]]
    assert resume.cursor is not None and not resume.done

    kept = Resume.from_json(json.loads(json.dumps(resume.to_json())))  # what a task keeps between tries
    for call in hook.iter_calls(SPAN[0], SPAN[1], resume=kept):
        got.append(call["id"])
    assert got == [row["id"] for row in rows], "every call once, in order"
    assert kept.done
    assert gong_emulator.stats()["by_endpoint"] == {LIST: {"200": 3, "429": 1}}, "no page twice"
    assert list(hook.iter_calls(*SPAN, resume=kept)) == [], "a finished fetch fetches nothing"
    assert calls(gong_emulator, LIST) == 4


def test_resume_the_same_object_after_a_429(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    resume = Resume()
    got: list[str] = []
    gong_emulator.fail_next({"fault": "pass"}, {"fault": "pass"}, LONG_429)
    with pytest.raises(GongRateLimitError):
        got += [call["id"] for call in hook.iter_calls(*SPAN, resume=resume)]
    got += [call["id"] for call in hook.iter_calls(*SPAN, resume=resume)]
    # The list comprehension of the first try raised before adding: only the resumed run's calls count.
    assert got == [row["id"] for row in rows[200:]]
    assert gong_emulator.stats()["by_endpoint"] == {LIST: {"200": 3, "429": 1}}


def test_a_long_429_by_ids_then_resume_fetches_the_remaining_chunks_once(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    ids = [row["id"] for row in rows[:250]]
    random.Random(1).shuffle(ids)
    ids.insert(50, "88888888888")  # unknown, in the first chunk: fetched before the 429
    ids.insert(150, "99999999999")  # unknown, in the second chunk: fetched after it
    resume = Resume()
    got: list[dict[str, Any]] = []
    gong_emulator.fail_next({"fault": "pass"}, LONG_429)
    with pytest.raises(GongRateLimitError):
        for record in hook.iter_calls_extensive(call_ids=ids, content=["topics"], resume=resume):
            got.append(record)
    assert ids_of(got) == [uid for uid in ids[:100] if uid != "88888888888"]
    assert resume.next_index == 100 and resume.missing_ids == ["88888888888"]
    got += hook.iter_calls_extensive(call_ids=ids, content=["topics"], resume=resume)
    assert ids_of(got) == [uid for uid in ids if uid not in ("88888888888", "99999999999")]
    assert resume.done and resume.missing_ids == ["88888888888", "99999999999"]
    assert gong_emulator.stats()["by_endpoint"] == {EXTENSIVE: {"200": 3, "429": 1}}


def test_a_long_429_by_primary_users_then_resume(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    users = _light_hosts(rows, gong_emulator)
    expected, cost = _expected_by_hosts(rows, users, 100)
    assert cost == 2
    first_chunk = [row["id"] for row in rows if row["primaryUserId"] in set(users[:100])]
    assert first_chunk and len(first_chunk) < len(expected)
    resume = Resume()
    got: list[str] = []
    gong_emulator.fail_next({"fault": "pass"}, LONG_429)
    with pytest.raises(GongRateLimitError):
        for record in hook.iter_calls_extensive(primary_user_ids=users, resume=resume):
            got.append(record["metaData"]["id"])
    assert got == first_chunk
    got += ids_of(list(hook.iter_calls_extensive(primary_user_ids=users, resume=resume)))
    assert got == expected
    assert gong_emulator.stats()["by_endpoint"] == {EXTENSIVE: {"200": 2, "429": 1}}


@pytest.mark.gong_emulator(page_size=20)
def test_a_long_429_mid_transcripts_then_resume(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    resume = Resume()
    got: list[str] = []
    gong_emulator.fail_next({"fault": "pass"}, {"fault": "pass"}, {"fault": "pass"}, LONG_429)
    window = {"from_datetime": SPAN[0], "to_datetime": SPAN[1]}
    with pytest.raises(GongRateLimitError):
        for record in hook.iter_transcripts(**window, resume=resume):
            got.append(record["callId"])
    assert got == [row["id"] for row in rows[:60]]
    got += [record["callId"] for record in hook.iter_transcripts(**window, resume=resume)]
    assert got == [row["id"] for row in rows]
    pages = math.ceil(len(rows) / 20)
    assert gong_emulator.stats()["by_endpoint"] == {TRANSCRIPT: {"200": pages, "429": 1}}


@pytest.mark.gong_emulator(page_size=50, cursor_ttl=1.0)
def test_an_expired_cursor_on_resume_restarts_and_skips_the_stored_calls(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]], gong_logs: list[dict[str, Any]]
) -> None:
    resume = Resume()
    stored: list[str] = []
    gong_emulator.fail_next({"fault": "pass"}, {"fault": "pass"}, LONG_429)
    with pytest.raises(GongRateLimitError):
        for call in hook.iter_calls(*SPAN, resume=resume):
            stored.append(call["id"])
    assert len(stored) == 100
    time.sleep(1.1)  # the kept cursor is older than the emulator's cursor_ttl now (Gong's expire too)
    with pytest.raises(GongBadRequestError, match="cursor has expired"):
        list(hook.iter_calls(*SPAN, resume=Resume.from_json(resume.to_json())))
    rest = [call["id"] for call in hook.iter_calls(*SPAN, resume=resume, known_ids=lambda: stored)]
    assert stored + rest == [row["id"] for row in rows], "every call once, the stored ones skipped"
    assert resume.done
    assert any("restarted listing" in text for text in warning_texts(gong_logs))
    # 2 pages + the 429, the refused resume, then the resume: its refused cursor and all 6 pages again.
    assert gong_emulator.stats()["by_endpoint"] == {LIST: {"200": 2 + 6, "429": 1, "400": 2}}


def test_a_resume_of_another_fetch_is_refused_before_any_request(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    resume = Resume()
    gong_emulator.fail_next({"fault": "pass"}, LONG_429)
    with pytest.raises(GongRateLimitError):
        list(hook.iter_calls(*SPAN, resume=resume))
    before = gong_emulator.stats()["gong_calls"]
    sent = hook.calls_sent
    others = [
        lambda: hook.iter_calls(SPAN[0], "2026-11-30T00:00:00Z", resume=resume),
        lambda: hook.iter_calls(*SPAN, workspace_id=WORKSPACE_IDS[0], resume=resume),
        lambda: hook.iter_calls_extensive(from_datetime=SPAN[0], to_datetime=SPAN[1], resume=resume),
        lambda: hook.iter_transcripts(from_datetime=SPAN[0], to_datetime=SPAN[1], resume=resume),
    ]
    for other in others:
        with pytest.raises(ValueError, match="resume state belongs to another fetch"):
            list(other())
    by_ids = Resume()
    ids = [row["id"] for row in rows[:10]]
    list(hook.iter_calls_extensive(call_ids=ids, resume=by_ids))
    for other_ids, content in ((ids[::-1], None), (ids, ["topics"])):
        with pytest.raises(ValueError, match="resume state belongs to another fetch"):
            list(hook.iter_calls_extensive(call_ids=other_ids, content=content, resume=by_ids))
    assert gong_emulator.stats()["gong_calls"] == before + 1
    assert hook.calls_sent == sent + 1


# ----------------------------------------------------------------------------------------- calls_sent


def test_calls_sent_counts_every_attempt(
    hook: GongHook, gong_emulator: GongEmulator, rows: list[dict[str, Any]]
) -> None:
    assert hook.calls_sent == 0
    gong_emulator.fail_next({"status": 503}, {"fault": "drop"}, {"status": 429, "retry_after": "1"})
    assert hook.get_call(rows[0]["id"])["id"] == rows[0]["id"]
    assert hook.calls_sent == 4 == gong_emulator.stats()["gong_calls"]
    gong_emulator.fail_next({"fault": "pass"}, {"status": 500})
    assert len(list(hook.iter_calls(*SPAN))) == len(rows)
    assert hook.calls_sent == 4 + 4 == gong_emulator.stats()["gong_calls"]
    list(hook.iter_transcripts(call_ids=[row["id"] for row in rows[:150]]))
    assert hook.calls_sent == 10 == gong_emulator.stats()["gong_calls"]
    with pytest.raises(ValueError):
        list(hook.iter_calls(SPAN[1], SPAN[0]))
    assert hook.calls_sent == 10


def test_calls_sent_is_per_hook(gong_emulator_connection: str, gong_emulator: GongEmulator) -> None:
    first = GongHook(gong_emulator_connection, calls_per_second=0, sleep=lambda _: None)
    second = GongHook(gong_emulator_connection, calls_per_second=0, sleep=lambda _: None)
    list(first.iter_calls(*SPAN))
    assert (first.calls_sent, second.calls_sent) == (3, 0)
    assert second.get_call(catalog(gong_emulator).call_id(0))
    assert (first.calls_sent, second.calls_sent) == (3, 1)


@pytest.mark.parametrize(
    "kwargs",
    [{"call_ids": []}, {"primary_user_ids": []}, {"call_ids": ["1", "2"], "primary_user_ids": []}],
    ids=["no call ids", "no primary users", "call ids, no primary users"],
)
def test_an_empty_list_of_ids_matches_nothing_without_a_request(
    kwargs: dict[str, Any], gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    hook = GongHook(gong_emulator_connection, calls_per_second=0)
    assert list(hook.iter_calls_extensive(**kwargs)) == []
    assert gong_emulator.stats()["gong_calls"] == 0
