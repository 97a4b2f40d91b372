"""Gong's ``listUsers_1`` (``GET /v2/coaching``): a manager's coaching of their direct reports.

Derived from the activity of :mod:`~airflow_provider_gong.testing.resources.stats`: for each direct report
(``managerId`` is the manager), the calls of the workspace the report hosted on which the manager acted in
``[from, to)`` by the clock: listened, attended, gave feedback, commented, filled a scorecard.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.envelope import BadRequestError, dumps, not_found, record_answer
from airflow_provider_gong.testing.inputs import Request, gong_id
from airflow_provider_gong.testing.resources.settings import (
    MSG_WORKSPACE_NOT_FOUND,
    WORKSPACES,
    reports_of,
    workspace_query,
)
from airflow_provider_gong.testing.resources.stats import events_in
from airflow_provider_gong.testing.resources.users import MSG_USER_NOT_FOUND
from airflow_provider_gong.testing.users import UserDirectory

__all__ = ["COACHING_METRICS", "list_coaching"]

#: Metric name -> the manager's activity it lists.
COACHING_METRICS = {
    "callsListenedTo": "othersCallsListenedTo",
    "callsAttended": "callsAttended",
    "callsGaveFeedback": "callsGaveFeedback",
    "callsCommentsGiven": "callsCommentsGiven",
    "callsScorecardsFilled": "callsScorecardsFilled",
}


def _coaching_user(directory: UserDirectory, index: int) -> dict[str, Any]:
    user = directory.user(index)
    return {key: user[key] for key in ("id", "emailAddress", "firstName", "lastName", "title")}


def list_coaching(request: Request) -> Answer:
    """``GET /v2/coaching?workspace-id=&manager-id=&from=&to=``: ``{"requestId", "coachingData"}``."""
    try:
        workspace = workspace_query(request, "workspace-id", required=True)
    except LookupError:
        return not_found(MSG_WORKSPACE_NOT_FOUND, request.request_id)
    assert workspace is not None
    value = request.query_value("manager-id")
    if not value:
        raise BadRequestError("Missing required query parameter manager-id")
    directory = request.state.directory
    manager = directory.index_of(gong_id(value, "manager id"))
    start = request.query_time("from", required=True)
    end = request.query_time("to", required=True)
    if manager is None:
        return not_found(MSG_USER_NOT_FOUND, request.request_id)
    assert start is not None and end is not None
    catalog = request.state.calls
    reports = list(reports_of(directory).get(manager, ()))
    metrics: dict[int, dict[str, set[str]]] = {
        report: {name: set() for name in COACHING_METRICS} for report in reports
    }
    if reports:
        kinds = {kind: name for name, kind in COACHING_METRICS.items()}
        events = events_in(
            request,
            int(start),
            int(end),
            [manager],
            workspace_id=WORKSPACES[workspace][0],
            primary_user_ids=[directory.ids[report] for report in reports],
        )
        for event in events:
            host = directory.index_of(catalog.primary_user_id(event.call))
            if event.kind in kinds and host in metrics:
                metrics[host][kinds[event.kind]].add(catalog.call_id(event.call))
    data = [
        {
            "manager": _coaching_user(directory, manager),
            "directReportsMetrics": [
                {
                    "report": _coaching_user(directory, report),
                    "metrics": {name: sorted(found) for name, found in metrics[report].items()},
                }
                for report in reports
            ],
        }
    ]
    return record_answer(request.request_id, "coachingData", dumps(data))
