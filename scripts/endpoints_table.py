"""Print the README's table of Gong's read operations, from the endpoint registry.

``python scripts/endpoints_table.py`` prints it; ``tests/test_readme.py`` checks that the README holds
exactly this table, so a new entry in ``ENDPOINTS`` cannot be left out of the docs.
"""

from __future__ import annotations

from airflow_provider_gong.endpoints import ENDPOINTS

#: The named hook methods, by operation (every operation also works through request / iter_records).
NAMED_METHODS = {
    "listUsers": "iter_users",
    "getUser": "get_user",
    "getUserHistory": "get_user_settings_history",
    "listMultipleUsers": "iter_users(user_ids)",
    "listCalls": "iter_calls",
    "getCall": "get_call",
    "listCallsExtensive": "iter_calls_extensive",
    "getCallTranscripts": "iter_transcripts",
    "listInteractionStats": "iter_interaction_stats",
    "listAnsweredScorecards": "iter_answered_scorecards",
    "listMultipleUsersDayByDayActivity": "iter_activity_day_by_day",
    "listMultipleUsersAggregateActivity": "iter_activity_aggregate",
    "listMultipleUsersAggregateByPeriod": "iter_activity_by_period",
    "listWorkspaces": "iter_workspaces",
    "listTrackers": "iter_trackers",
    "listScorecards": "iter_scorecards",
    "getLibraryStructure": "iter_library_folders",
    "getCallsInSpecificFolder": "iter_library_folder_calls",
    "listLogs": "iter_logs",
    "listFlows": "iter_flows",
}


def table() -> str:
    """The Markdown table: operation, method and path, hook method, scope, how records come."""
    lines = [
        "| Gong operation | Request | Hook method | Scope | Records |",
        "|---|---|---|---|---|",
    ]
    for operation_id, endpoint in ENDPOINTS.items():
        named = NAMED_METHODS.get(operation_id)
        generic = "iter_records" if endpoint.iterable else "request"
        method = f"`{named}`, `{generic}`" if named else f"`{generic}`"
        scope = ", ".join(f"`{scope}`" for scope in endpoint.scopes) or "none named in the spec"
        if endpoint.paged:
            records = f"paged: `{endpoint.records_key}`"
        elif endpoint.records_key:
            records = f"list: `{endpoint.records_key}`"
        elif endpoint.record_key:
            records = f"one: `{endpoint.record_key}`"
        else:
            records = "the whole answer"
        request = f"`{endpoint.method} {endpoint.path}`"
        lines.append(f"| `{operation_id}` | {request} | {method} | {scope} | {records} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
