"""Gong's calls endpoints over real HTTP: shapes per the spec, paging, filters, selectors, late processing.

Most tests run at :data:`SETTLED` (every call of the default span listed and complete); the late-processing
tests move the emulator's clock around one call's ``visibleAt`` / ``transcriptAt`` / ``contentAt``, read
from the ``GET /_emulator/calls`` ground truth.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from gong_spec import SPEC

from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.calls import (
    COLLABORATION_FIELDS,
    CONTENT_FIELDS,
    INTERACTION_FIELDS,
    MEDIA_HOST,
    WORKSPACE_IDS,
)
from airflow_provider_gong.testing.config import (
    CALLS_READ_EXTENSIVE_SCOPE,
    CALLS_READ_MEDIA_URL_SCOPE,
    DEFAULT_SCOPES,
)
from airflow_provider_gong.testing.users import format_gong_time, parse_gong_time

SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
#: Keys the emulator sends beyond the spec's schemas: Gong's deprecated ``pointsOfInterest`` (always null),
#: which the request's ``CallContent`` still offers but ``ContentDto`` no longer declares.
EXTRA_KEYS = {"ContentDto": {"pointsOfInterest"}}

#: Every call of the default span (November 2026) is listed and complete by then (3 days late at most).
SETTLED = "2026-12-10T00:00:00Z"
NOVEMBER = {"fromDateTime": "2026-11-01T00:00:00Z", "toDateTime": "2026-12-01T00:00:00Z"}
NO_CALLS = "No calls found corresponding to the provided filters"
REQUEST_ID = re.compile(r"[0-9a-z]{19}")
EVERYTHING = {
    "context": "Extended",
    "contextTiming": ["Now", "TimeOfCall"],
    "exposedFields": {
        "parties": True,
        "content": dict.fromkeys(CONTENT_FIELDS, True),
        "interaction": dict.fromkeys(INTERACTION_FIELDS, True),
        "collaboration": dict.fromkeys(COLLABORATION_FIELDS, True),
        "media": True,
    },
}

pytestmark = pytest.mark.gong_emulator(clock=SETTLED)


# -- helpers -------------------------------------------------------------------------------------------------


def conforms(value: Any, schema: dict[str, Any], where: str) -> None:
    """Assert ``value`` fits ``schema``: known keys only, JSON types, enums, date-times (null allowed)."""
    if "$ref" in schema:
        conforms_to(value, schema["$ref"].rsplit("/", 1)[-1], where)
        return
    if value is None:  # gong-api.md: no field is declared nullable, yet many are null in live data
        return
    kind = schema.get("type")
    if "enum" in schema:
        assert value in schema["enum"], (where, value)
    if kind == "string":
        assert isinstance(value, str), (where, value)
        if schema.get("format") == "date-time":
            assert datetime.fromisoformat(value).tzinfo is not None, (where, value)
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), (where, value)
    elif kind == "number":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (where, value)
    elif kind == "boolean":
        assert isinstance(value, bool), (where, value)
    elif kind == "array":
        assert isinstance(value, list), (where, value)
        for position, item in enumerate(value):
            conforms(item, schema["items"], f"{where}[{position}]")
    elif "properties" in schema:
        conforms_object(value, schema, set(), where)


def conforms_to(value: Any, name: str, where: str) -> None:
    """Assert ``value`` fits the named component schema."""
    if value is None:
        return
    conforms_object(value, SCHEMAS[name], EXTRA_KEYS.get(name, set()), f"{where}<{name}>")


def conforms_object(value: Any, schema: dict[str, Any], extra: set[str], where: str) -> None:
    assert isinstance(value, dict), (where, value)
    properties = schema["properties"]
    assert set(value) <= set(properties) | extra, (where, sorted(set(value) - set(properties)))
    for key, item in value.items():
        if key in properties:
            conforms(item, properties[key], f"{where}.{key}")


def assert_error(response: requests.Response, status: int, message: str | None = None) -> list[str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert REQUEST_ID.fullmatch(body["requestId"])
    if message is not None:
        assert body["errors"] == [message]
    errors: list[str] = body["errors"]
    return errors


def truth(gong: Any) -> dict[str, Any]:
    response = gong.get("/_emulator/calls")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def epoch(text: str) -> float:
    return parse_gong_time(text)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def list_all(gong: Any, **params: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every call of ``GET /v2/calls`` and the pages' ``records``."""
    calls: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    query = dict(params)
    while True:
        response = gong.get("/v2/calls", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"requestId", "records", "calls"}
        calls += body["calls"]
        records.append(body["records"])
        if "cursor" not in body["records"]:
            return calls, records
        query = dict(params, cursor=body["records"]["cursor"])


def post_all(gong: Any, path: str, payload: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every record of a calls POST endpoint, following cursors."""
    found: list[dict[str, Any]] = []
    body = dict(payload)
    while True:
        response = gong.post(path, json=body)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"requestId", "records", key}
        found += page[key]
        if "cursor" not in page["records"]:
            return found
        body = dict(payload, cursor=page["records"]["cursor"])


def expected_ids(
    gong: Any, *, start: str, end: str, workspace: str | None = None, users: set[str] | None = None
) -> list[str]:
    """The ids a correct answer holds, from the ground truth at the emulator's clock."""
    state = truth(gong)
    now = epoch(state["clock"])
    return [
        call["id"]
        for call in state["calls"]
        if epoch(start) <= epoch(call["started"]) < epoch(end)
        and epoch(call["visibleAt"]) <= now
        and (workspace is None or call["workspaceId"] == workspace)
        and (users is None or call["primaryUserId"] in users)
    ]


# -- shapes --------------------------------------------------------------------------------------------------


def test_list_calls_answers_gong_basic_call_data(gong: Any) -> None:
    response = gong.get("/v2/calls", params=NOVEMBER)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    conforms_to(body, "CallsResponse", "listCalls")
    assert set(body["records"]) == {"totalRecords", "currentPageSize", "currentPageNumber", "cursor"}
    assert body["records"]["totalRecords"] == 300
    assert REQUEST_ID.fullmatch(body["requestId"])
    calls, _ = list_all(gong, **NOVEMBER)
    for call in calls:
        assert set(call) == set(SCHEMAS["CallBasicData"]["properties"])
        assert re.fullmatch(r"[1-9][0-9]{18}", call["id"])
        assert call["url"] == f"https://app.gong.io/call?id={call['id']}"
        assert call["workspaceId"] in WORKSPACE_IDS
        assert re.fullmatch(r"[0-9]+", call["primaryUserId"])
        assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00", call["started"])
        assert isinstance(call["duration"], int) and call["duration"] > 0
        assert call["title"] and call["language"]
        assert call["direction"] == "Conference" or call["media"] == "Audio"

    def share(name: str) -> float:
        return sum(call[name] is None for call in calls) / len(calls)

    for name in (
        "sdrDisposition",
        "clientUniqueId",
        "customData",
        "purpose",
        "meetingUrl",
        "calendarEventId",
    ):
        assert 0.1 < share(name) < 1, name  # often null, as in Gong's live data
    for name in ("scope", "direction", "media", "system", "language", "isPrivate"):
        assert len({call[name] for call in calls}) >= 2, name
    assert {call["scope"] for call in calls} <= {"External", "Internal", "Unknown"}


def test_extensive_answers_gong_call_data(gong: Any) -> None:
    calls = post_all(
        gong, "/v2/calls/extensive", {"filter": NOVEMBER, "contentSelector": EVERYTHING}, "calls"
    )
    assert len(calls) == 300
    for call in calls:
        conforms_to(call, "CallData", "listCallsExtensive")
        assert set(call) == {
            "metaData",
            "context",
            "parties",
            "content",
            "interaction",
            "collaboration",
            "media",
        }
        assert set(call["content"]) == set(CONTENT_FIELDS) - {"trackerOccurrences"}
        assert set(call["interaction"]) == {"speakers", "video", "interactionStats", "questions"}
        assert call["content"]["pointsOfInterest"] is None
        speakers = {party["speakerId"] for party in call["parties"]} - {None}
        assert speakers, call["metaData"]["id"]
        assert {speaker["id"] for speaker in call["interaction"]["speakers"]} <= {
            party["id"] for party in call["parties"]
        }
        for tracker in call["content"]["trackers"]:
            assert len(tracker["occurrences"]) == tracker["count"]
            assert {hit["speakerId"] for hit in tracker["occurrences"]} <= speakers
        host = [party for party in call["parties"] if party["userId"] == call["metaData"]["primaryUserId"]]
        assert host and host[0]["affiliation"] == "Internal"
    parties = [party for call in calls for party in call["parties"]]
    assert any(party["context"] == [] for party in parties)
    assert any(party["context"] for party in parties)
    assert {party["affiliation"] for party in parties} >= {"Internal", "External"}
    assert any(call["context"] == [] for call in calls) and any(call["context"] for call in calls)
    assert any(call["collaboration"]["publicComments"] for call in calls)


def test_transcripts_answer_gong_call_transcripts(gong: Any) -> None:
    transcripts = post_all(gong, "/v2/calls/transcript", {"filter": NOVEMBER}, "callTranscripts")
    extensive = post_all(
        gong,
        "/v2/calls/extensive",
        {"filter": NOVEMBER, "contentSelector": {"exposedFields": {"parties": True}}},
        "calls",
    )
    by_id = {call["metaData"]["id"]: call for call in extensive}
    assert [item["callId"] for item in transcripts] == list(by_id)
    topics: Counter[bool] = Counter()
    for item in transcripts:
        conforms_to(item, "CallTranscript", "getCallTranscripts")
        call = by_id[item["callId"]]
        speakers = {party["speakerId"] for party in call["parties"]} - {None}
        assert 4 <= len(item["transcript"]) <= 15
        moments: list[int] = []
        for monologue in item["transcript"]:
            assert set(monologue) == {"speakerId", "topic", "sentences"}
            assert monologue["speakerId"] in speakers
            topics[monologue["topic"] is None] += 1
            assert 1 <= len(monologue["sentences"]) <= 4
            for sentence in monologue["sentences"]:
                assert sentence["text"]
                assert 0 <= sentence["start"] < sentence["end"] <= call["metaData"]["duration"] * 1000
                moments += [sentence["start"], sentence["end"]]
        assert moments == sorted(moments)
    assert topics[True] and topics[False]


def test_get_call(gong: Any) -> None:
    calls, _ = list_all(gong, **NOVEMBER)
    for call in calls[:: len(calls) // 5]:
        response = gong.get(f"/v2/calls/{call['id']}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"requestId", "call"}
        conforms_to(body, "SpecificCall", "getCall")
        assert body["call"] == call
    assert_error(gong.get("/v2/calls/1234567890123456789"), 404, "Call ID was not found")
    assert_error(gong.get(f"/v2/calls/0{calls[0]['id']}"), 404, "Call ID was not found")
    assert "call id" in assert_error(gong.get("/v2/calls/12ab"), 400)[0]


# -- determinism, order, spread ------------------------------------------------------------------------------


def test_same_seed_same_calls(gong: Any, gong_emulator: GongEmulator) -> None:
    first = truth(gong)["calls"]
    records = list_all(gong, **NOVEMBER)[0]
    gong_emulator.configure(seed=1)
    other = truth(gong)["calls"]
    assert {call["id"] for call in other}.isdisjoint({call["id"] for call in first})
    gong_emulator.configure(seed=0)
    assert truth(gong)["calls"] == first
    assert list_all(gong, **NOVEMBER)[0] == records
    gong_emulator.configure(late_share=0.5, processing_delay=60.0)
    changed = truth(gong)["calls"]
    keep = ("id", "started", "workspaceId", "primaryUserId")
    assert [[call[name] for name in keep] for call in changed] == [
        [call[name] for name in keep] for call in first
    ]
    assert [call["visibleAt"] for call in changed] != [call["visibleAt"] for call in first]


def test_order_and_uneven_spread(gong: Any) -> None:
    calls = truth(gong)["calls"]
    assert len(calls) == 300
    assert len({call["id"] for call in calls}) == 300
    keys = [(epoch(call["started"]), int(call["id"])) for call in calls]
    assert keys == sorted(keys)
    starts = [datetime.fromisoformat(call["started"]).astimezone(UTC) for call in calls]
    assert min(starts) >= datetime(2026, 11, 1, tzinfo=UTC)
    assert max(starts) < datetime(2026, 12, 1, tzinfo=UTC)
    per_day = Counter(moment.date() for moment in starts)
    weekdays = [per_day[day] for day in per_day if day.weekday() < 5]
    weekends = [per_day[day] for day in per_day if day.weekday() >= 5]
    assert sum(weekends) / max(1, len(weekends)) < 0.6 * sum(weekdays) / len(weekdays)
    assert max(weekdays) >= 2 * min(weekdays)
    assert len(set(per_day.values())) >= 8  # day partitions differ
    shares = Counter(call["workspaceId"] for call in calls)
    assert 0.7 < shares[WORKSPACE_IDS[0]] / 300 < 0.9
    assert len({call["primaryUserId"] for call in calls}) > 20


# -- GET /v2/calls: paging, windows, workspace ---------------------------------------------------------------


@pytest.mark.gong_emulator(page_size=7)
def test_list_calls_pages_with_cursors(gong: Any) -> None:
    window = {"fromDateTime": "2026-11-09T00:00:00-08:00", "toDateTime": "2026-11-16T00:00:00-08:00"}
    calls, records = list_all(gong, **window)
    expected = expected_ids(gong, start=window["fromDateTime"], end=window["toDateTime"])
    assert len(expected) > 14
    assert [call["id"] for call in calls] == expected
    assert [record["currentPageNumber"] for record in records] == list(range(len(records)))
    assert {record["totalRecords"] for record in records} == {len(expected)}
    assert [record["currentPageSize"] for record in records[:-1]] == [7] * (len(records) - 1)
    assert "cursor" not in records[-1]
    wrong = gong.get("/v2/calls", params=dict(NOVEMBER, cursor=records[0]["cursor"]))
    assert "cursor" in assert_error(wrong, 400)[0].lower()


def test_window_from_is_inclusive_to_exclusive(gong: Any) -> None:
    calls = truth(gong)["calls"]
    call = calls[len(calls) // 2]
    started = call["started"]
    utc = iso(epoch(started)).replace("+00:00", "Z")
    listed, _ = list_all(gong, fromDateTime=started, toDateTime="2026-12-01T00:00:00Z")
    assert call["id"] in [item["id"] for item in listed]
    assert all(epoch(item["started"]) >= epoch(started) for item in listed)
    before, _ = list_all(gong, fromDateTime="2026-11-01T00:00:00Z", toDateTime=utc)
    assert call["id"] not in [item["id"] for item in before]
    assert all(epoch(item["started"]) < epoch(started) for item in before)
    assert len(before) + len(listed) == 300
    one = gong.get("/v2/calls", params={"fromDateTime": utc, "toDateTime": iso(epoch(started) + 1)})
    assert call["id"] in [item["id"] for item in one.json()["calls"]]


def test_workspace_filter(gong: Any) -> None:
    for workspace in WORKSPACE_IDS:
        calls, _ = list_all(gong, workspaceId=workspace, **NOVEMBER)
        assert {call["workspaceId"] for call in calls} == {workspace}
        assert [call["id"] for call in calls] == expected_ids(
            gong, start=NOVEMBER["fromDateTime"], end=NOVEMBER["toDateTime"], workspace=workspace
        )
    assert_error(gong.get("/v2/calls", params=dict(NOVEMBER, workspaceId="123")), 404, NO_CALLS)
    assert (
        "workspace id" in assert_error(gong.get("/v2/calls", params=dict(NOVEMBER, workspaceId="w1")), 400)[0]
    )


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"toDateTime": "2026-12-01T00:00:00Z"}, "fromDateTime"),
        ({"fromDateTime": "2026-11-01T00:00:00Z"}, "toDateTime"),
        ({"fromDateTime": "", "toDateTime": "2026-12-01T00:00:00Z"}, "fromDateTime"),
        ({"fromDateTime": "2026-11-01", "toDateTime": "2026-12-01T00:00:00Z"}, "fromDateTime"),
        ({"fromDateTime": "2026-11-01T00:00:00Z", "toDateTime": "2026-12-01T00:00:00"}, "toDateTime"),
        (dict(NOVEMBER, cursor="garbage"), "cursor"),
    ],
)
def test_list_calls_rejects_bad_inputs(gong: Any, params: dict[str, str], needle: str) -> None:
    assert needle in assert_error(gong.get("/v2/calls", params=params), 400)[0]


def test_an_empty_window_is_404_everywhere(gong: Any) -> None:
    empty = {"fromDateTime": "2027-01-01T00:00:00Z", "toDateTime": "2027-02-01T00:00:00Z"}
    assert_error(gong.get("/v2/calls", params=empty), 404, NO_CALLS)
    assert_error(gong.post("/v2/calls/extensive", json={"filter": empty}), 404, NO_CALLS)
    assert_error(gong.post("/v2/calls/transcript", json={"filter": empty}), 404, NO_CALLS)
    reversed_window = {"fromDateTime": NOVEMBER["toDateTime"], "toDateTime": NOVEMBER["fromDateTime"]}
    assert_error(gong.get("/v2/calls", params=reversed_window), 404, NO_CALLS)


@pytest.mark.gong_emulator(users=0)
def test_a_company_without_users_has_no_calls(gong: Any) -> None:
    assert truth(gong)["calls"] == []
    assert_error(gong.get("/v2/calls", params=NOVEMBER), 404, NO_CALLS)


# -- POST /v2/calls/extensive and /v2/calls/transcript: filters ----------------------------------------------


@pytest.mark.gong_emulator(page_size=25)
def test_extensive_filters_combine(gong: Any) -> None:
    calls = truth(gong)["calls"]
    everything = post_all(gong, "/v2/calls/extensive", {"filter": {}}, "calls")
    assert [call["metaData"]["id"] for call in everything] == [call["id"] for call in calls]
    assert all(set(call) == {"metaData"} for call in everything)

    picked = [calls[index]["id"] for index in (250, 3, 77, 3)] + ["1111111111111111111"]
    found = post_all(gong, "/v2/calls/extensive", {"filter": {"callIds": picked}}, "calls")
    assert [call["metaData"]["id"] for call in found] == [calls[index]["id"] for index in (3, 77, 250)]

    hosts = {calls[0]["primaryUserId"], calls[1]["primaryUserId"]}
    window = {"fromDateTime": "2026-11-05T00:00:00Z", "toDateTime": "2026-11-25T00:00:00Z"}
    both = dict(window, primaryUserIds=sorted(hosts), workspaceId=WORKSPACE_IDS[0])
    found = post_all(gong, "/v2/calls/extensive", {"filter": both}, "calls")
    expected = expected_ids(
        gong, start=window["fromDateTime"], end=window["toDateTime"], workspace=WORKSPACE_IDS[0], users=hosts
    )
    assert expected
    assert [call["metaData"]["id"] for call in found] == expected
    assert len(expected) < len(expected_ids(gong, start=window["fromDateTime"], end=window["toDateTime"]))

    outside = {"callIds": [calls[0]["id"]], "fromDateTime": "2026-11-20T00:00:00Z"}
    assert_error(gong.post("/v2/calls/extensive", json={"filter": outside}), 404, NO_CALLS)
    transcripts = post_all(gong, "/v2/calls/transcript", {"filter": {"callIds": picked}}, "callTranscripts")
    assert [item["callId"] for item in transcripts] == [calls[index]["id"] for index in (3, 77, 250)]
    in_workspace = post_all(
        gong, "/v2/calls/transcript", {"filter": {"workspaceId": WORKSPACE_IDS[1]}}, "callTranscripts"
    )
    assert {item["callId"] for item in in_workspace} == {
        call["id"] for call in calls if call["workspaceId"] == WORKSPACE_IDS[1]
    }


@pytest.mark.gong_emulator(page_size=10)
def test_extensive_cursor_is_bound_to_filter_and_selector_not_to_clock(
    gong: Any, gong_emulator: GongEmulator
) -> None:
    payload: dict[str, Any] = {"filter": NOVEMBER, "contentSelector": {"exposedFields": {"parties": True}}}
    first = gong.post("/v2/calls/extensive", json=payload).json()
    cursor = first["records"]["cursor"]
    other = {"filter": NOVEMBER, "cursor": cursor, "contentSelector": {"exposedFields": {"media": True}}}
    assert "cursor" in assert_error(gong.post("/v2/calls/extensive", json=other), 400)[0].lower()
    other = {"filter": dict(NOVEMBER, workspaceId=WORKSPACE_IDS[0]), "cursor": cursor}
    assert_error(gong.post("/v2/calls/extensive", json=other), 400)
    gong_emulator.configure(clock="2026-12-20T00:00:00Z")
    second = gong.post("/v2/calls/extensive", json=dict(payload, cursor=cursor))
    assert second.status_code == 200, second.text
    assert second.json()["records"]["currentPageNumber"] == 1
    gong_emulator.configure(calls=301)
    assert_error(gong.post("/v2/calls/extensive", json=dict(payload, cursor=cursor)), 400)


@pytest.mark.gong_emulator(max_call_ids=3)
def test_id_lists_are_limited(gong: Any) -> None:
    ids = [call["id"] for call in truth(gong)["calls"][:4]]
    for name in ("callIds", "primaryUserIds"):
        errors = assert_error(gong.post("/v2/calls/extensive", json={"filter": {name: ids}}), 400)
        assert name in errors[0] and "3" in errors[0]
    assert gong.post("/v2/calls/extensive", json={"filter": {"callIds": ids[:3]}}).status_code == 200
    errors = assert_error(gong.post("/v2/calls/transcript", json={"filter": {"callIds": ids}}), 400)
    assert "callIds" in errors[0]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({}, "filter"),
        ({"filter": []}, "filter"),
        ({"filter": {"callIds": "123"}}, "callIds"),
        ({"filter": {"callIds": ["12x"]}}, "call id"),
        ({"filter": {"primaryUserIds": [123]}}, "user id"),
        ({"filter": {"workspaceId": 5}}, "workspaceId"),
        ({"filter": {"fromDateTime": "2026-11-01"}}, "fromDateTime"),
        ({"filter": {"toDateTime": 1}}, "toDateTime"),
        ({"filter": {}, "cursor": 5}, "cursor"),
        ({"filter": {}, "contentSelector": []}, "contentSelector"),
        ({"filter": {}, "contentSelector": {"context": "Full"}}, "context"),
        ({"filter": {}, "contentSelector": {"context": "Basic", "contextTiming": ["Now"]}}, "contextTiming"),
        ({"filter": {}, "contentSelector": {"contextTiming": ["Now"]}}, "contextTiming"),
        (
            {"filter": {}, "contentSelector": {"context": "Extended", "contextTiming": ["Later"]}},
            "contextTiming",
        ),
        ({"filter": {}, "contentSelector": {"context": "Extended", "contextTiming": "Now"}}, "contextTiming"),
        ({"filter": {}, "contentSelector": {"selector": {}}}, "selector"),
        ({"filter": {}, "contentSelector": {"exposedFields": {"transcript": True}}}, "transcript"),
        ({"filter": {}, "contentSelector": {"exposedFields": {"parties": "yes"}}}, "parties"),
        ({"filter": {}, "contentSelector": {"exposedFields": {"media": 1}}}, "media"),
        ({"filter": {}, "contentSelector": {"exposedFields": {"content": {"summary": True}}}}, "summary"),
        ({"filter": {}, "contentSelector": {"exposedFields": {"content": {"brief": "true"}}}}, "brief"),
        ({"filter": {}, "contentSelector": {"exposedFields": {"interaction": True}}}, "interaction"),
        (
            {"filter": {}, "contentSelector": {"exposedFields": {"collaboration": {"comments": True}}}},
            "comments",
        ),
    ],
)
def test_extensive_rejects_bad_inputs(gong: Any, payload: dict[str, Any], needle: str) -> None:
    assert needle in assert_error(gong.post("/v2/calls/extensive", json=payload), 400)[0]


def test_transcript_rejects_bad_inputs(gong: Any) -> None:
    assert "JSON" in assert_error(gong.post("/v2/calls/transcript", data=b"{"), 400)[0]
    assert "filter" in assert_error(gong.post("/v2/calls/transcript", json={}), 400)[0]
    bad = {"filter": {"toDateTime": "soon"}}
    assert "toDateTime" in assert_error(gong.post("/v2/calls/transcript", json=bad), 400)[0]


# -- contentSelector -----------------------------------------------------------------------------------------


def _one(gong: Any, call_id: str, selector: dict[str, Any] | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"filter": {"callIds": [call_id]}}
    if selector is not None:
        payload["contentSelector"] = selector
    response = gong.post("/v2/calls/extensive", json=payload)
    assert response.status_code == 200, response.text
    [call] = response.json()["calls"]
    conforms_to(call, "CallData", "listCallsExtensive")
    result: dict[str, Any] = call
    return result


def _external_call(gong: Any) -> str:
    """A video call with CRM context (the first one of the catalog)."""
    for call in truth(gong)["calls"]:
        record = _one(gong, call["id"], {"context": "Basic"})
        if record["context"] and record["metaData"]["media"] == "Video":
            return str(call["id"])
    raise AssertionError("no external video call")


def test_selector_adds_only_the_asked_sections(gong: Any) -> None:
    call_id = _external_call(gong)
    basic = gong.get(f"/v2/calls/{call_id}").json()["call"]
    assert _one(gong, call_id, None) == {"metaData": basic}
    assert _one(gong, call_id, {"context": "None", "exposedFields": {}}) == {"metaData": basic}
    assert set(_one(gong, call_id, {"exposedFields": {"parties": True}})) == {"metaData", "parties"}
    record = _one(
        gong, call_id, {"exposedFields": {"content": {"topics": True, "brief": True, "outline": False}}}
    )
    assert set(record) == {"metaData", "content"} and set(record["content"]) == {"topics", "brief"}
    record = _one(gong, call_id, {"exposedFields": {"interaction": {"speakers": True, "questions": True}}})
    assert set(record) == {"metaData", "interaction"}
    assert set(record["interaction"]) == {"speakers", "questions"}
    record = _one(gong, call_id, {"exposedFields": {"interaction": {"personInteractionStats": True}}})
    assert [stat["name"] for stat in record["interaction"]["interactionStats"]] == [
        "Talk Ratio", "Longest Monologue", "Longest Customer Story", "Interactivity", "Patience",
    ]  # fmt: skip
    record = _one(gong, call_id, {"exposedFields": {"collaboration": {"publicComments": True}}})
    assert set(record) == {"metaData", "collaboration"} and set(record["collaboration"]) == {"publicComments"}
    assert set(_one(gong, call_id, {"exposedFields": {"media": True}})) == {"metaData", "media"}
    assert set(_one(gong, call_id, {"exposedFields": {"media": False, "parties": None}})) == {"metaData"}
    record = _one(gong, call_id, {"exposedFields": {"content": {"trackers": True}}})
    assert all("occurrences" not in tracker for tracker in record["content"]["trackers"])
    record = _one(
        gong, call_id, {"exposedFields": {"content": {"trackers": True, "trackerOccurrences": True}}}
    )
    assert all("occurrences" in tracker for tracker in record["content"]["trackers"])
    full = _one(gong, call_id, EVERYTHING)
    partial = _one(gong, call_id, {"exposedFields": {"content": {"brief": True}}})
    assert partial["content"]["brief"] == full["content"]["brief"]  # a section does not depend on the others


def test_context_levels_and_timing(gong: Any) -> None:
    call_id = _external_call(gong)
    basic = _one(gong, call_id, {"context": "Basic", "exposedFields": {"parties": True}})
    objects = [item for system in basic["context"] for item in system["objects"]]
    assert {item["objectType"] for item in objects} == {"Opportunity", "Account"}
    assert all(set(item) == {"objectType", "objectId"} for item in objects)
    extended = _one(gong, call_id, {"context": "Extended"})
    objects = [item for system in extended["context"] for item in system["objects"]]
    assert all(set(item) == {"objectType", "objectId", "fields", "timing"} for item in objects)
    assert {item["timing"] for item in objects} == {"Now"}
    assert {field["name"] for item in objects for field in item["fields"]} >= {"Name", "StageName", "Amount"}
    both = _one(gong, call_id, {"context": "Extended", "contextTiming": ["TimeOfCall", "Now"]})
    objects = [item for system in both["context"] for item in system["objects"]]
    assert Counter(item["timing"] for item in objects) == {"Now": 2, "TimeOfCall": 2}
    plain = _one(gong, call_id, {"exposedFields": {"parties": True}})
    assert all(party["context"] == [] for party in plain["parties"])
    linked = [party for party in basic["parties"] if party["context"]]
    assert all(
        item["objectType"] in ("Contact", "Lead", "User")
        for p in linked
        for s in p["context"]
        for item in s["objects"]
    )


def test_media_urls_expire_eight_hours_after_the_clock(gong: Any, gong_emulator: GongEmulator) -> None:
    call_id = _external_call(gong)
    media = _one(gong, call_id, {"exposedFields": {"media": True}})["media"]
    assert set(media) == {"audioUrl", "videoUrl"}
    for url in media.values():
        parts = urlsplit(url)
        assert url.startswith(MEDIA_HOST + "/calls/" + call_id + "/")
        assert int(parse_qs(parts.query)["expires"][0]) == epoch(SETTLED) + 8 * 3600
    gong_emulator.configure(clock="2026-12-11T00:00:00Z")
    later = _one(gong, call_id, {"exposedFields": {"media": True}})["media"]
    assert int(parse_qs(urlsplit(later["audioUrl"]).query)["expires"][0]) == epoch("2026-12-11T08:00:00Z")


def test_media_urls_need_their_scope(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.scopes = [scope for scope in DEFAULT_SCOPES if scope != CALLS_READ_MEDIA_URL_SCOPE]
    asked = {"filter": NOVEMBER, "contentSelector": {"exposedFields": {"media": True}}}
    errors = assert_error(gong.post("/v2/calls/extensive", json=asked), 403)
    assert errors == [f"Access denied: the credentials lack the scope '{CALLS_READ_MEDIA_URL_SCOPE}'"]
    not_asked = {"filter": NOVEMBER, "contentSelector": {"exposedFields": {"media": False, "parties": True}}}
    assert gong.post("/v2/calls/extensive", json=not_asked).status_code == 200
    gong_emulator.config.scopes = [CALLS_READ_MEDIA_URL_SCOPE]
    errors = assert_error(gong.post("/v2/calls/extensive", json=asked), 403)
    assert CALLS_READ_EXTENSIVE_SCOPE in errors[0]
    gong_emulator.config.scopes = list(DEFAULT_SCOPES)
    assert gong.post("/v2/calls/extensive", json=asked).status_code == 200
    assert gong_emulator.stats()["by_endpoint"] == {"POST /v2/calls/extensive": {"403": 2, "200": 2}}


# -- late processing on the emulator's clock -----------------------------------------------------------------


def _at(gong_emulator: GongEmulator, moment: float) -> None:
    gong_emulator.configure(clock=iso(moment))


def test_a_call_appears_when_it_becomes_visible(gong: Any, gong_emulator: GongEmulator) -> None:
    calls = truth(gong)["calls"]
    call = max(calls, key=lambda item: epoch(item["visibleAt"]) - epoch(item["started"]))  # a late one
    visible = epoch(call["visibleAt"])
    window = {"fromDateTime": call["started"], "toDateTime": iso(epoch(call["started"]) + 1)}
    _at(gong_emulator, visible - 1)
    assert truth(gong)["clock"] == format_gong_time(int(visible - 1))
    assert_error(gong.get(f"/v2/calls/{call['id']}"), 404, "Call ID was not found")
    listed = gong.get("/v2/calls", params=window)
    assert listed.status_code == 404 or call["id"] not in [item["id"] for item in listed.json()["calls"]]
    assert_error(gong.post("/v2/calls/extensive", json={"filter": {"callIds": [call["id"]]}}), 404, NO_CALLS)
    assert_error(gong.post("/v2/calls/transcript", json={"filter": {"callIds": [call["id"]]}}), 404, NO_CALLS)
    november, _ = list_all(gong, **NOVEMBER)
    assert call["id"] not in [item["id"] for item in november]

    _at(gong_emulator, visible)
    assert gong.get(f"/v2/calls/{call['id']}").status_code == 200
    assert call["id"] in [item["id"] for item in gong.get("/v2/calls", params=window).json()["calls"]]
    assert gong.post("/v2/calls/extensive", json={"filter": {"callIds": [call["id"]]}}).status_code == 200
    later, _ = list_all(gong, **NOVEMBER)
    assert {item["id"] for item in later} - {item["id"] for item in november} >= {call["id"]}


def test_a_transcript_appears_when_it_is_ready(gong: Any, gong_emulator: GongEmulator) -> None:
    calls = truth(gong)["calls"]
    call = max(calls, key=lambda item: epoch(item["transcriptAt"]) - epoch(item["visibleAt"]))
    ready = epoch(call["transcriptAt"])
    assert ready - epoch(call["visibleAt"]) > 3600  # late, listed long before
    only = {"filter": {"callIds": [call["id"]]}}
    _at(gong_emulator, ready - 1)
    assert gong.get(f"/v2/calls/{call['id']}").status_code == 200
    assert_error(gong.post("/v2/calls/transcript", json=only), 404, NO_CALLS)
    around = {
        "fromDateTime": iso(epoch(call["started"]) - 3600),
        "toDateTime": iso(epoch(call["started"]) + 1),
    }
    response = gong.post("/v2/calls/transcript", json={"filter": around})
    assert response.status_code == 404 or call["id"] not in [
        item["callId"] for item in response.json()["callTranscripts"]
    ]
    _at(gong_emulator, ready)
    [transcript] = gong.post("/v2/calls/transcript", json=only).json()["callTranscripts"]
    assert transcript["callId"] == call["id"] and transcript["transcript"]


def test_content_completes_when_processed(gong: Any, gong_emulator: GongEmulator) -> None:
    calls = truth(gong)["calls"]
    call = max(calls, key=lambda item: epoch(item["contentAt"]) - epoch(item["visibleAt"]))
    done = epoch(call["contentAt"])
    assert done - epoch(call["visibleAt"]) > 3600
    _at(gong_emulator, done - 1)
    pending = _one(gong, call["id"], EVERYTHING)
    assert pending["content"] == {
        "structure": [],
        "topics": [],
        "trackers": [],
        "pointsOfInterest": None,
        "brief": None,
        "outline": [],
        "highlights": [],
        "callOutcome": None,
        "keyPoints": [],
    }
    assert pending["interaction"]["interactionStats"] == []
    assert pending["interaction"]["questions"] == {"companyCount": 0, "nonCompanyCount": 0}
    assert pending["parties"] and pending["interaction"]["speakers"]  # known once listed
    _at(gong_emulator, done)
    complete = _one(gong, call["id"], EVERYTHING)
    content = complete["content"]
    assert content["topics"] and content["trackers"] and content["outline"] and content["highlights"]
    assert content["keyPoints"] and content["structure"]
    assert isinstance(content["brief"], str) and set(content["callOutcome"]) == {"id", "category", "name"}
    assert len(complete["interaction"]["interactionStats"]) == 5
    assert complete["metaData"] == pending["metaData"] and complete["parties"] == pending["parties"]


def test_both_kinds_of_late_calls_with_the_defaults(gong: Any, gong_emulator: GongEmulator) -> None:
    durations = {call["id"]: call["duration"] for call in list_all(gong, **NOVEMBER)[0]}
    late_listed = late_processed = 0
    for call in truth(gong)["calls"]:
        ended = epoch(call["started"]) + durations[call["id"]]
        visible, transcript, content = (
            epoch(call[name]) for name in ("visibleAt", "transcriptAt", "contentAt")
        )
        assert ended <= visible <= min(transcript, content)
        assert max(visible, transcript, content) <= ended + 259_200
        if visible > ended + 3600:
            late_listed += 1
        elif max(transcript, content) > ended + 3600:
            late_processed += 1
    assert late_listed >= 5 and late_processed >= 5
    assert 30 <= late_listed + late_processed <= 45  # 15 % of 300 (a few are late by less than a second)


def test_real_time_is_the_default_clock(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.configure(clock=None)
    before = datetime.now(UTC).timestamp()
    assert abs(epoch(truth(gong)["clock"]) - before) < 60
    span = {"fromDateTime": iso(before - 86_400 * 7), "toDateTime": iso(before + 86_400 * 7)}
    gong_emulator.configure(calls_from=span["fromDateTime"], calls_to=span["toDateTime"])
    calls = truth(gong)["calls"]
    listed = {call["id"] for call in list_all(gong, **span)[0]}
    after = datetime.now(UTC).timestamp()
    assert any(epoch(call["started"]) > after for call in calls)  # some calls are yet to happen
    assert {call["id"] for call in calls if epoch(call["visibleAt"]) <= before} <= listed
    assert listed <= {call["id"] for call in calls if epoch(call["visibleAt"]) <= after + 1}


# -- control endpoint and stats ------------------------------------------------------------------------------


def test_control_endpoint_is_the_ground_truth(anon: Any, gong_emulator: GongEmulator) -> None:
    body = truth(anon)
    assert set(body) == {"calls", "workspaceIds", "clock"}
    assert body["workspaceIds"] == list(WORKSPACE_IDS)
    assert body["clock"] == "2026-12-09T16:00:00-08:00"
    for call in body["calls"]:
        assert set(call) == {
            "id",
            "started",
            "workspaceId",
            "primaryUserId",
            "visibleAt",
            "transcriptAt",
            "contentAt",
        }
        assert epoch(call["started"]) < epoch(call["visibleAt"]) <= epoch(call["transcriptAt"])
        assert epoch(call["visibleAt"]) <= epoch(call["contentAt"])
    assert gong_emulator.stats()["gong_calls"] == 0
    assert anon.post("/_emulator/calls").status_code == 405
    gong_emulator.configure(calls=12)
    assert len(truth(anon)["calls"]) == 12


def test_clock_and_calls_settings_are_validated(gong: Any) -> None:
    for changes in (
        {"clock": "tomorrow"},
        {"clock": "2026-12-01T00:00:00"},
        {"calls_from": "2026-12-01T00:00:00Z"},
        {"calls_to": "2026-11-01"},
        {"calls": -1},
        {"late_share": 1.5},
        {"late_delay": 60.0},
        {"processing_delay": -1.0},
        {"max_call_ids": 0},
    ):
        response = gong.patch("/_emulator/config", json=changes)
        assert response.status_code == 400, changes
        assert response.json()["errors"]
    patched = gong.patch("/_emulator/config", json={"clock": "2026-11-15T12:00:00+01:00"}).json()
    assert patched["clock"] == "2026-11-15T12:00:00+01:00"
    assert truth(gong)["clock"] == "2026-11-15T03:00:00-08:00"


def test_calls_are_counted_by_route(gong: Any, gong_emulator: GongEmulator) -> None:
    call_id = truth(gong)["calls"][0]["id"]
    gong.get("/v2/calls", params=NOVEMBER)
    gong.get("/v2/calls")
    gong.get(f"/v2/calls/{call_id}")
    gong.post("/v2/calls/extensive", json={"filter": {}})
    gong.post("/v2/calls/transcript", json={"filter": {"callIds": ["1"]}})
    assert gong_emulator.stats()["by_endpoint"] == {
        "GET /v2/calls": {"200": 1, "400": 1},
        "GET /v2/calls/{id}": {"200": 1},
        "POST /v2/calls/extensive": {"200": 1},
        "POST /v2/calls/transcript": {"404": 1},
    }


@pytest.mark.gong_emulator(calls=100_000, page_size=100)
def test_hundred_thousand_calls_serve_quickly(gong: Any) -> None:
    started = datetime.now(UTC).timestamp()
    body = gong.get("/v2/calls", params=NOVEMBER).json()
    assert body["records"]["totalRecords"] == 100_000
    for _ in range(3):
        body = gong.get("/v2/calls", params=dict(NOVEMBER, cursor=body["records"]["cursor"])).json()
        assert len(body["calls"]) == 100
    page = gong.post("/v2/calls/extensive", json={"filter": NOVEMBER, "contentSelector": EVERYTHING}).json()
    assert len(page["calls"]) == 100
    assert datetime.now(UTC).timestamp() - started < 10
