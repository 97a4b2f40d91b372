"""Inputs of Gong's operations: named in snake_case, checked by kind, placed where Gong reads them."""

from __future__ import annotations

import pytest

from airflow_provider_gong.client.inputs import Param, prepare, snake_case
from airflow_provider_gong.endpoints import ENDPOINTS


@pytest.mark.parametrize(
    ("wire", "name"),
    [
        ("workspaceId", "workspace_id"),
        ("workspace-id", "workspace_id"),
        ("from", "from_"),
        ("fromDateTime", "from_date_time"),
        ("objectsCrmIds", "objects_crm_ids"),
        ("id", "id"),
    ],
)
def test_keyword_names_are_snake_case(wire: str, name: str) -> None:
    assert snake_case(wire) == name


def test_each_input_goes_where_gong_reads_it() -> None:
    flows = ENDPOINTS["listFlows"].prepare(
        {
            "flow_owner_email": " a@b.co ",
            "workspace_id": 12,
            "most_recently_assigned": False,
            "folder_id": None,
        }
    )
    assert flows.params == {"flowOwnerEmail": "a@b.co", "workspaceId": "12", "mostRecentlyAssigned": "false"}
    assert flows.body is None and flows.path_params == {}

    period = ENDPOINTS["listMultipleUsersAggregateByPeriod"].prepare(
        {
            "filter": {"fromDate": "2026-11-01", "toDate": "2026-11-08", "userIds": "1, 2"},
            "aggregation_period": "week",
        }
    )
    assert period.body == {
        "filter": {"fromDate": "2026-11-01", "toDate": "2026-11-08", "userIds": ["1", "2"]},
        "aggregationPeriod": "WEEK",
    }
    bulk = ENDPOINTS["getFlowProspectsBulkAssignment"].prepare({"id": "b-1"})
    assert bulk.path_params == {"id": "b-1"}


def test_a_required_filter_is_sent_even_when_it_has_nothing_required() -> None:
    assert ENDPOINTS["listAnsweredScorecards"].prepare({}).body == {"filter": {}}
    assert ENDPOINTS["listMultipleUsers"].prepare({}).body == {"filter": {}}


def test_an_input_given_twice_by_two_names_is_refused() -> None:
    with pytest.raises(ValueError, match="workspace_id is given twice"):
        ENDPOINTS["listTrackers"].prepare({"workspace_id": 1, "workspaceId": 2})


def test_lists_come_from_templates_as_text_too() -> None:
    steps = ENDPOINTS["getFlowSteps"].prepare({"flow_ids": '["f1", "f2"]'})
    assert steps.body == {"flowIds": ["f1", "f2"]}
    with pytest.raises(ValueError, match=r"getFlowSteps: flow_ids must be a list"):
        ENDPOINTS["getFlowSteps"].prepare({"flow_ids": {"f1": 1}})
    with pytest.raises(ValueError, match=r"flow_ids\[1\] must be a non-empty string"):
        ENDPOINTS["getFlowSteps"].prepare({"flow_ids": ["f1", ""]})


def test_a_date_time_input_refuses_a_bare_date() -> None:
    from datetime import date

    with pytest.raises(
        ValueError, match=r"listLogs: from_date_time takes a date-time \(ISO-8601\), got the date"
    ):
        ENDPOINTS["listLogs"].prepare({"log_type": "AccessLog", "from_date_time": date(2026, 11, 30)})


def test_an_object_input_is_sent_unchanged() -> None:
    selector = {"exposedFields": {"parties": True}}
    prepared = ENDPOINTS["listCallsExtensive"].prepare(
        {"filter": {"callIds": [1]}, "content_selector": selector}
    )
    assert prepared.body == {"filter": {"callIds": ["1"]}, "contentSelector": selector}
    with pytest.raises(ValueError, match="content_selector must be a dict"):
        ENDPOINTS["listCallsExtensive"].prepare({"content_selector": ["parties"]})


def test_an_operation_without_inputs_takes_none() -> None:
    with pytest.raises(ValueError, match=r"listWorkspaces: unknown input 'workspace_id'; it takes none"):
        prepare("listWorkspaces", ENDPOINTS["listWorkspaces"].inputs, {"workspace_id": 1})
    assert Param("x", "query", "int").check("0042", "x") == 42
