"""GongHook.request / iter_records: any read operation, its inputs checked and placed, its records read.

pytest-httpserver shows exactly what the hook sent; the emulator-backed tests of every operation are in
``test_gong_operations.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gong_hook_helpers import gong_error, gong_json, seen
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from airflow_provider_gong.client.paging import Resume
from airflow_provider_gong.endpoints import ENDPOINTS
from airflow_provider_gong.exceptions import GongAuthError, GongConfigError, GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook


@pytest.fixture
def hook(server_conn: Callable[..., str]) -> GongHook:
    return GongHook(gong_conn_id=server_conn(), sleep=lambda _: None)


def _body(request: Request) -> Any:
    return json.loads(request.get_data()) if request.get_data() else None


def _query(request: Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query)


def test_a_get_carries_its_json_list_body(httpserver: HTTPServer, hook: GongHook) -> None:
    httpserver.expect_request("/v2/crm/entities", method="GET").respond_with_json(
        {"requestId": "r1", "crmObjectsMap": {"a1": {"Name": "Acme"}, "b2": None}}
    )

    answer = hook.request(
        "getCrmObjects", integration_id=6286478263646, object_type="deal", objects_crm_ids=["a1", "b2"]
    )

    assert answer["crmObjectsMap"]["b2"] is None
    (request,) = seen(httpserver)
    assert request.method == "GET"
    assert _query(request) == {"integrationId": ["6286478263646"], "objectType": ["DEAL"]}
    assert _body(request) == ["a1", "b2"]


def test_more_crm_ids_than_gong_takes_are_refused_before_any_call(
    httpserver: HTTPServer, hook: GongHook
) -> None:
    with pytest.raises(
        ValueError, match=r"getCrmObjects: objects_crm_ids holds 101 items; Gong takes at most 100"
    ):
        hook.request(
            "getCrmObjects",
            integration_id=1,
            object_type="DEAL",
            objects_crm_ids=[str(i) for i in range(101)],
        )
    assert seen(httpserver) == []


def test_query_inputs_go_by_gongs_names(httpserver: HTTPServer, hook: GongHook) -> None:
    httpserver.expect_request("/v2/coaching", method="GET").respond_with_json(
        {"requestId": "r1", "coachingData": [{"manager": {"id": "7"}, "directReportsMetrics": []}]}
    )

    records = list(
        hook.iter_records(
            "listUsers_1",
            workspace_id="123",
            manager_id=7,
            from_=datetime(2026, 11, 1),
            to="2026-12-01T00:00:00Z",
        )
    )

    assert records == [{"manager": {"id": "7"}, "directReportsMetrics": []}]
    assert _query(seen(httpserver)[0]) == {
        "workspace-id": ["123"],
        "manager-id": ["7"],
        "from": ["2026-11-01T00:00:00+00:00"],
        "to": ["2026-12-01T00:00:00+00:00"],
    }


def test_gongs_own_names_are_accepted_too(httpserver: HTTPServer, hook: GongHook) -> None:
    httpserver.expect_request("/v2/settings/trackers").respond_with_json(
        {"requestId": "r", "keywordTrackers": []}
    )
    assert list(hook.iter_records("listTrackers", workspaceId=5)) == []
    assert _query(seen(httpserver)[0]) == {"workspaceId": ["5"]}


@pytest.mark.parametrize(
    ("operation_id", "inputs", "problem"),
    [
        (
            "listLogs",
            {"from_date_time": "2026-11-30T00:00:00Z"},
            r"listLogs: log_type is required \(one of \['AccessLog'",
        ),
        (
            "listLogs",
            {"log_type": "Access", "from_date_time": "2026-11-30"},
            r"log_type must be one of \['AccessLog'",
        ),
        (
            "listLogs",
            {"log_type": "AccessLog", "from_date_time": "yesterday"},
            r"from_date_time: fromDateTime 'yesterday' is not an ISO-8601",
        ),
        (
            "listLogs",
            {"log_type": "AccessLog", "from_datetime": "2026-11-30"},
            r"unknown input 'from_datetime' \(did you mean 'from_date_time'\?\)",
        ),
        (
            "listLogs",
            {"log_type": "AccessLog", "from_date_time": "2026-11-30", "cursor": "abc"},
            r"cursor is not an input",
        ),
        ("getUser", {}, r"getUser: id is required"),
        ("getUser", {"id": "12ab"}, r"getUser: id: Invalid Gong record id '12ab'"),
        ("listPermissionProfile", {}, r"listPermissionProfile: workspace_id is required \(a Gong id"),
        (
            "listFlows",
            {"flow_owner_email": "nobody"},
            r"listFlows: flow_owner_email must be an email address, got 'nobody'",
        ),
        (
            "listCrmSchemaFields",
            {"integration_id": 1, "object_type": "OPPORTUNITY"},
            r"object_type must be one of \['ACCOUNT', 'CONTACT', 'DEAL', 'LEAD'\]",
        ),
        (
            "listMultipleUsersDayByDayActivity",
            {"filter": {"fromDate": "2026-11-30"}},
            r"filter\['toDate'\] is required \(a date, YYYY-MM-DD\)",
        ),
        (
            "listMultipleUsersDayByDayActivity",
            {"filter": {"fromDate": "30/11/2026", "toDate": "2026-12-01"}},
            r"filter\['fromDate'\]: fromDate must be a date in the form YYYY-MM-DD",
        ),
        (
            "listMultipleUsersDayByDayActivity",
            {"filter": {"fromDate": "2026-11-30", "toDate": "2026-12-01", "userIDs": ["1"]}},
            r"unknown key 'userIDs' \(did you mean 'userIds'\?\)",
        ),
        ("listMultipleUsersDayByDayActivity", {"filter": "2026-11-30"}, r"filter must be a dict"),
        (
            "listMultipleUsersAggregateByPeriod",
            {"filter": {"fromDate": "2026-11-01", "toDate": "2026-12-01"}},
            r"aggregation_period is required \(one of \['DAY'",
        ),
        (
            "listTasks",
            {
                "filter": {
                    "userId": "1",
                    "types": ["FLOW"],
                    "taskAction": ["CALL"],
                    "status": ["OPEN", "LATE"],
                }
            },
            r"filter\['status'\]\[1\] must be one of \['OPEN', 'DONE', 'DISMISSED'\]",
        ),
        ("listTasks", {"filter": {"userId": "1"}}, r"filter\['types'\] is required"),
        ("getUsersAccessToCalls", {"filter": {}}, r"filter\['callIds'\] is required"),
        (
            "listFlows",
            {"flow_owner_email": "a@b.co", "most_recently_assigned": "yes"},
            r"most_recently_assigned must be True or False",
        ),
        ("listNothing", {}, None),
    ],
)
def test_bad_inputs_fail_before_any_request_naming_the_input(
    httpserver: HTTPServer, hook: GongHook, operation_id: str, inputs: dict[str, Any], problem: str | None
) -> None:
    if problem is None:
        with pytest.raises(GongConfigError, match=r"'listNothing' is not one of Gong's read operations"):
            hook.request(operation_id, **inputs)
    else:
        with pytest.raises(ValueError, match=problem):
            hook.request(operation_id, **inputs)
        if ENDPOINTS[operation_id].iterable:
            with pytest.raises(ValueError, match=problem):
                hook.iter_records(operation_id, **inputs)  # raised at the call, not at the first next()
    assert seen(httpserver) == []


def test_an_unknown_operation_suggests_the_closest(hook: GongHook) -> None:
    with pytest.raises(GongConfigError, match=r"did you mean 'listWorkspaces'"):
        hook.request("listWorkspace")


def test_a_single_object_answer_is_for_request_only(httpserver: HTTPServer, hook: GongHook) -> None:
    with pytest.raises(
        GongConfigError, match=r"getRequestStatus answers one object, not records: call request\(\)"
    ):
        hook.iter_records("getRequestStatus", integration_id=1, client_request_id="x")
    assert seen(httpserver) == []


def test_a_single_record_answer_yields_its_record(httpserver: HTTPServer, hook: GongHook) -> None:
    profile = {"id": "55", "name": "Reps"}
    httpserver.expect_request("/v2/permission-profile").respond_with_json(
        {"requestId": "r", "profile": profile}
    )
    assert list(hook.iter_records("getPermissionProfile", profile_id=55)) == [profile]
    assert _query(seen(httpserver)[0]) == {"profileId": ["55"]}


def test_paged_post_follows_the_cursor_in_the_body(httpserver: HTTPServer, hook: GongHook) -> None:
    pages = [
        {"requestId": "a",
         "records": {"totalRecords": 3, "currentPageSize": 2, "currentPageNumber": 0, "cursor": "c1"},
         "usersDetailedActivities": [{"userId": "1"}, {"userId": "2"}]},
        {"requestId": "b", "records": {"totalRecords": 3, "currentPageSize": 1, "currentPageNumber": 1},
         "usersDetailedActivities": [{"userId": "3"}]},
    ]  # fmt: skip

    def answer(request: Request) -> Response:
        return gong_json(pages[1] if _body(request).get("cursor") == "c1" else pages[0])

    httpserver.expect_request("/v2/stats/activity/day-by-day", method="POST").respond_with_handler(answer)

    records = list(hook.iter_activity_day_by_day(date(2026, 11, 1), date(2026, 11, 3), user_ids=[1, 2, 3]))

    assert [record["userId"] for record in records] == ["1", "2", "3"]
    first, second = (_body(request) for request in seen(httpserver))
    assert first == {"filter": {"fromDate": "2026-11-01", "toDate": "2026-11-03", "userIds": ["1", "2", "3"]}}
    assert second == {**first, "cursor": "c1"}


def test_company_timezone_turns_a_window_into_gongs_dates(httpserver: HTTPServer, hook: GongHook) -> None:
    httpserver.expect_request("/v2/stats/activity/aggregate", method="POST").respond_with_json(
        {"requestId": "r", "records": {"totalRecords": 0, "currentPageSize": 0, "currentPageNumber": 0},
         "usersAggregateActivityStats": []}
    )  # fmt: skip
    start = datetime(
        2026, 11, 20, 0, 0, tzinfo=UTC
    )  # 19:00 on Nov 19 in New York, 05:30 on Nov 20 in Kolkata
    end = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)

    list(hook.iter_activity_aggregate(start, end, company_timezone="America/New_York"))
    list(hook.iter_activity_aggregate(start, end, company_timezone="Asia/Kolkata"))  # 05:30 on each day
    list(hook.iter_activity_aggregate(start, end))

    assert [_body(request)["filter"] for request in seen(httpserver)] == [
        {"fromDate": "2026-11-19", "toDate": "2026-11-21"},  # every instant of the window is covered
        {"fromDate": "2026-11-20", "toDate": "2026-11-22"},
        {"fromDate": "2026-11-20", "toDate": "2026-11-21"},
    ]


def test_gongs_dates_may_not_end_after_today(httpserver: HTTPServer, hook: GongHook) -> None:
    with pytest.raises(ValueError, match=r"to_date 2999-01-02 is after today"):
        hook.iter_interaction_stats("2999-01-01", "2999-01-02")
    with pytest.raises(ValueError, match=r"from_date \(2026-11-02\) must be before to_date \(2026-11-01\)"):
        hook.iter_interaction_stats("2026-11-02", "2026-11-01")
    with pytest.raises(ValueError, match=r"not a known IANA time zone"):
        hook.iter_interaction_stats(
            datetime(2026, 11, 1), datetime(2026, 11, 2), company_timezone="Mars/Base"
        )
    with pytest.raises(ValueError, match=r"both be dates \(YYYY-MM-DD\) or both date-times"):
        hook.iter_interaction_stats(date(2026, 11, 1), datetime(2026, 11, 2))
    assert seen(httpserver) == []


def test_answered_scorecards_window_by_review_date(httpserver: HTTPServer, hook: GongHook) -> None:
    httpserver.expect_request("/v2/stats/activity/scorecards", method="POST").respond_with_json(
        {"requestId": "r", "records": {"totalRecords": 1, "currentPageSize": 1, "currentPageNumber": 0},
         "answeredScorecards": [{"answeredScorecardId": "9", "reviewTime": "2026-11-30T10:00:00Z"}]}
    )  # fmt: skip

    records = list(
        hook.iter_answered_scorecards(
            review_from=date(2026, 11, 23), review_to="2026-12-01", review_method="both", scorecard_ids=["4"]
        )
    )

    assert [record["answeredScorecardId"] for record in records] == ["9"]
    assert _body(seen(httpserver)[0]) == {
        "filter": {
            "scorecardIds": ["4"],
            "reviewMethod": "BOTH",
            "reviewFromDate": "2026-11-23",
            "reviewToDate": "2026-12-01",
        }
    }
    with pytest.raises(ValueError, match="review_from and review_to go together"):
        hook.iter_answered_scorecards(review_from=date(2026, 11, 23))


def test_an_id_filter_of_more_than_a_hundred_goes_a_hundred_per_call(
    httpserver: HTTPServer, hook: GongHook
) -> None:
    def answer(request: Request) -> Response:
        ids = _body(request)["filter"]["callIds"]
        return gong_json(
            {
                "requestId": "r",
                "callAccessList": [{"callId": i, "users": []} for i in reversed(ids) if i != "7"],
            }
        )

    httpserver.expect_request("/v2/calls/users-access", method="POST").respond_with_handler(answer)
    ids = [str(i) for i in range(1, 251)]

    records = list(hook.iter_records("getUsersAccessToCalls", filter={"callIds": ids}))

    assert [record["callId"] for record in records] == [
        i for i in ids if i != "7"
    ]  # the ids' order, each once
    assert [len(_body(request)["filter"]["callIds"]) for request in seen(httpserver)] == [100, 100, 50]
    with pytest.raises(ValueError, match=r"holds 250 ids; one call takes at most 100: use iter_records"):
        hook.request("getUsersAccessToCalls", filter={"callIds": ids})


def test_a_list_answer_is_read_once_and_deduplicated(httpserver: HTTPServer, hook: GongHook) -> None:
    workspaces = [{"id": "1", "name": "A"}, {"id": "2", "name": "B"}, {"id": "1", "name": "A"}]
    httpserver.expect_request("/v2/workspaces").respond_with_json(
        {"requestId": "r", "workspaces": workspaces}
    )
    assert [w["id"] for w in hook.iter_workspaces()] == ["1", "2"]
    assert len(seen(httpserver)) == 1


def test_a_list_answer_of_another_shape_names_what_came(httpserver: HTTPServer, hook: GongHook) -> None:
    from airflow_provider_gong.exceptions import GongApiError

    httpserver.expect_request("/v2/workspaces").respond_with_json({"requestId": "r9", "workspace": []})
    with pytest.raises(GongApiError, match=r"unexpected answer shape") as caught:
        list(hook.iter_workspaces())
    assert caught.value.request_id == "r9"


def test_a_403_names_the_endpoints_own_scope(httpserver: HTTPServer, hook: GongHook) -> None:
    httpserver.expect_request("/v2/logs").respond_with_response(gong_error(403, "Access denied"))
    with pytest.raises(GongAuthError, match=r"'api:logs:read'") as caught:
        list(hook.iter_logs("AccessLog", "2026-11-30T00:00:00Z"))
    assert caught.value.status_code == 403


def test_a_403_of_an_endpoint_without_a_documented_scope_says_so(
    httpserver: HTTPServer, hook: GongHook
) -> None:
    httpserver.expect_request("/v2/all-permission-profiles").respond_with_response(
        gong_error(403, "Access denied")
    )
    with pytest.raises(GongAuthError) as caught:
        hook.request("listPermissionProfile", workspace_id=3)
    assert "api:users:read" not in str(caught.value)
    assert "names no OAuth scope for this endpoint" in str(caught.value)


def test_logs_resume_after_a_long_rate_limit_without_fetching_a_page_twice(
    httpserver: HTTPServer, hook: GongHook
) -> None:
    limited = [True]

    def answer(request: Request) -> Response:
        cursor = _query(request).get("cursor", [None])[0]
        if cursor == "1" and limited:  # the second page is limited once
            limited.clear()
            return gong_error(429, "Too many requests", headers={"Retry-After": "3600"})
        page = int(cursor or 0)
        records = {"totalRecords": 4, "currentPageSize": 2, "currentPageNumber": page}
        if page == 0:
            records["cursor"] = "1"
        entries = [{"userId": str(page * 2 + i), "eventTime": "2026-11-30T10:00:00Z"} for i in range(2)]
        return gong_json({"requestId": f"r{page}", "records": records, "logEntries": entries})

    httpserver.expect_request("/v2/logs").respond_with_handler(answer)
    inputs = {"log_type": "UserCallPlay", "from_date_time": "2026-11-30T00:00:00Z"}
    resume = Resume()
    got: list[dict[str, Any]] = []
    with pytest.raises(GongRateLimitError) as caught:
        got.extend(hook.iter_records("listLogs", resume=resume, **inputs))
    assert caught.value.retry_after == 3600
    kept = Resume.from_json(json.loads(json.dumps(resume.to_json())))
    got.extend(hook.iter_records("listLogs", resume=kept, **inputs))

    assert [entry["userId"] for entry in got] == ["0", "1", "2", "3"]
    assert [_query(request).get("cursor") for request in seen(httpserver)] == [None, ["1"], ["1"]]
    assert kept.done
    with pytest.raises(ValueError, match="resume state belongs to another fetch"):
        hook.iter_records(
            "listLogs", resume=kept, log_type="AccessLog", from_date_time="2026-11-30T00:00:00Z"
        )
