"""GongFetchOperator: any read endpoint by its operationId, checked when parsed, whole or day by day.

Every load is compared with what :class:`GongHook` itself gets from the emulator for the same inputs (the
whole listing, or each day's window), so a record lost, duplicated or put in the wrong day shows.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from operator_helpers import FakeTI, task_context

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.fetch import GongFetchOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger
from airflow_provider_gong.version_compat import TaskDeferred

#: Two New York days: the window's instants are those days' midnights there (UTC-5 in November).
NY_WINDOW = {"from_datetime": "2026-11-10T05:00:00Z", "to_datetime": "2026-11-12T05:00:00Z"}
ACTIVITY = "listMultipleUsersDayByDayActivity"
ACTIVITY_ROUTE = "POST /v2/stats/activity/day-by-day"


@pytest.fixture
def gong(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> GongEmulator:
    monkeypatch.setenv("AIRFLOW_CONN_GONG_DEFAULT", gong_emulator.connection_json())
    gong_emulator.configure(users=30, calls=200, clock="2026-12-01T00:00:00Z", rate_per_second=None)
    return gong_emulator


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def partitions(root: Path, name: str) -> dict[str, list[dict[str, Any]]]:
    return {path.parent.name: read_jsonl(path) for path in sorted(root.glob(f"date=*/{name}"))}


def day_records(operation_id: str, day: date, **inputs: Any) -> list[dict[str, Any]]:
    """What the hook gets for one company day of a dates endpoint."""
    window = {"fromDate": day.isoformat(), "toDate": (day + timedelta(days=1)).isoformat()}
    return list(GongHook().iter_records(operation_id, filter={**inputs, **window}))


# -- checked when the DAG is parsed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operation_id": "listWorkspace"}, r"operation_id: 'listWorkspace' is not one of .*did you mean "),
        ({"operation_id": "generateBrief"}, "'generateBrief' is not one of Gong's read operations"),
        (
            {"operation_id": "listTrackers", "inputs": {"workspaceid": "1"}},
            r"inputs: listTrackers: unknown input 'workspaceid' \(did you mean 'workspace_id'\?\)",
        ),
        ({"operation_id": "listTrackers", "inputs": "nope"}, "inputs must be a dict, or JSON text of one"),
        ({"operation_id": "listTrackers", "inputs": [1]}, r"inputs must be a dict of listTrackers's"),
        ({"operation_id": "listLogs"}, "inputs: listLogs: log_type is required"),
        ({"operation_id": "listLogs", "inputs": {"log_type": "Bogus"}}, "log_type must be one of"),
        (
            {"operation_id": ACTIVITY, "inputs": {"filter": {"fromDate": "2026-11-01"}}},
            r"filter\['toDate'\] is required",
        ),
        (
            {"operation_id": ACTIVITY, "inputs": {"filter": {"userIds": ["x"]}}},
            r"filter\['userIds'\]\[0\]: Invalid Gong user id 'x'",
        ),
        (
            {"operation_id": "getCrmObjects", "inputs": {"integration_id": "1"}},
            "getCrmObjects: object_type is required",
        ),
        (
            {"operation_id": "listWorkspaces", "from_datetime": "2026-11-01"},
            "from_datetime: listWorkspaces takes no window",
        ),
        (
            {
                "operation_id": "listLogs",
                "inputs": {"log_type": "AccessLog", "from_date_time": "2026-11-01T00:00:00Z"},
                "to_datetime": "2026-11-02",
            },
            "to_datetime and the window in inputs .* are given both",
        ),
        ({"operation_id": ACTIVITY, "company_timezone": "Mars/Base"}, "'Mars/Base' is not a known IANA"),
        ({"operation_id": "listWorkspaces", "output_path": "rel/path"}, "output_path 'rel/path' is relative"),
        ({"operation_id": ACTIVITY, "from_datetime": "last monday"}, "not an ISO-8601 date-time"),
    ],
)
def test_bad_arguments_fail_when_the_dag_is_parsed(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^load: .*{message}"):
        GongFetchOperator(task_id="load", **kwargs)


def test_templated_inputs_are_checked_once_rendered_before_any_request(gong: GongEmulator) -> None:
    operator = GongFetchOperator(task_id="load", operation_id="listLogs", inputs="{{ params.inputs }}")
    ti = FakeTI("load")
    context = task_context(ti, params={"inputs": '{"log_type": "AccessLogs"}'})
    operator.render_template_fields(context)
    with pytest.raises(ValueError, match="load: inputs: listLogs: log_type must be one of"):
        operator.execute(context)
    empty = GongFetchOperator(task_id="load", operation_id="listLogs", inputs="{{ params.missing }}")
    context = task_context(ti, params={})
    empty.render_template_fields(context)
    with pytest.raises(
        ValueError,
        match=r"load: inputs '\{\{ params.missing \}\}' rendered to '' .* give inputs=None literally for "
        r"that; else a dict of listLogs's inputs \['log_type', ",
    ):
        empty.execute(context)
    assert gong.stats()["gong_calls"] == 0


# -- whole listings and one-object answers -------------------------------------------------------------------


def test_a_listing_is_fetched_whole_to_xcom_with_fields(gong: GongEmulator) -> None:
    gong.configure(page_size=2)
    expected = list(GongHook().iter_records("listWorkspaces"))
    assert len(expected) >= 2
    gong.reset()
    records = GongFetchOperator(task_id="load", operation_id="listWorkspaces").execute(
        task_context(FakeTI("load"))
    )
    assert records == expected
    narrowed = GongFetchOperator(task_id="load", operation_id="listWorkspaces", fields=["id"]).execute(
        task_context(FakeTI("load"))
    )
    assert narrowed == [{"id": record["id"]} for record in expected]


def test_templated_inputs_to_a_jsonl_file_rewritten_by_each_run(gong: GongEmulator, tmp_path: Path) -> None:
    workspace = str(next(iter(GongHook().iter_records("listWorkspaces")))["id"])
    expected = list(GongHook().iter_records("listTrackers", workspace_id=workspace))
    assert expected
    target = tmp_path / "trackers.jsonl"
    for _ in range(2):
        operator = GongFetchOperator(
            task_id="load",
            operation_id="listTrackers",
            inputs={"workspace_id": "{{ params.workspace }}"},
            output_path=f"file://{target}",
        )
        context = task_context(FakeTI("load"), params={"workspace": workspace})
        operator.render_template_fields(context)
        summary = operator.execute(context)
        assert summary == {"path": f"file://{target}", "count": len(expected)}
        assert read_jsonl(target) == expected, "each run rewrites the file whole"


def test_an_endpoint_answering_one_object_gives_that_answer(gong: GongEmulator) -> None:
    hook = GongHook()
    integration = next(iter(hook.iter_records("listGenericCrmIntegration")))["integrationId"]
    inputs = {"integration_id": integration, "object_type": "DEAL", "objects_crm_ids": ["1", "2"]}
    expected = hook.request("getCrmObjects", **inputs)
    records = GongFetchOperator(task_id="load", operation_id="getCrmObjects", inputs=inputs).execute(
        task_context(FakeTI("load"))
    )
    assert len(records) == 1
    del records[0]["requestId"], expected["requestId"]
    assert records == [expected] and expected["crmObjectsMap"]


# -- windows, day by day -------------------------------------------------------------------------------------


def test_stats_land_in_the_company_days_of_the_window_and_a_rerun_changes_nothing(
    gong: GongEmulator, tmp_path: Path
) -> None:
    days = [date(2026, 11, 10), date(2026, 11, 11)]
    expected = {f"date={day.isoformat()}": day_records(ACTIVITY, day) for day in days}
    assert all(expected.values())
    gong.reset()

    def run() -> dict[str, Any]:
        operator = GongFetchOperator(
            task_id="activity",
            operation_id=ACTIVITY,
            output_path=f"file://{tmp_path}",
            company_timezone="America/New_York",
            lookback=timedelta(0),
            **NY_WINDOW,
        )
        result: dict[str, Any] = operator.execute(task_context(FakeTI("activity")))
        return result

    summary = run()
    landed = partitions(tmp_path, f"{ACTIVITY}.jsonl")
    assert landed == expected
    assert summary["partitions"] == {day.isoformat(): len(expected[f"date={day}"]) for day in days}
    assert summary["count"] == sum(map(len, expected.values()))
    answered = gong.stats()["by_endpoint"][ACTIVITY_ROUTE]
    assert summary["calls_made"] == answered["200"] >= len(days), "one request plan per day"

    again = run()
    assert partitions(tmp_path, f"{ACTIVITY}.jsonl") == expected
    assert again["partitions"] == summary["partitions"]
    assert not list(tmp_path.rglob("*.part*")) and not (tmp_path / "_gong_staging").exists()


def test_stats_of_a_company_day_never_go_past_yesterday(gong: GongEmulator, tmp_path: Path) -> None:
    """Gong refuses a toDate after its today, and today's figures are not final: a window reaching into the
    future stops at the company's yesterday (here Tokyo's, ahead of UTC).
    """
    zone = ZoneInfo("Asia/Tokyo")
    gong.configure(clock=None, company_timezone="Asia/Tokyo")
    now = datetime.now(UTC)
    summary = GongFetchOperator(
        task_id="activity",
        operation_id=ACTIVITY,
        output_path=f"file://{tmp_path}",
        company_timezone="Asia/Tokyo",
        lookback=timedelta(0),
        from_datetime=now - timedelta(days=3),
        to_datetime=now + timedelta(days=3),
    ).execute(task_context(FakeTI("activity")))
    yesterday = now.astimezone(zone).date() - timedelta(days=1)
    assert max(summary["partitions"]) == yesterday.isoformat()
    assert min(summary["partitions"]) == (now - timedelta(days=3)).astimezone(zone).date().isoformat()


def test_a_datetime_window_to_xcom_is_the_utc_days_one_after_another(gong: GongEmulator) -> None:
    hook = GongHook()
    expected = [
        record
        for start, end in (("2026-11-10", "2026-11-11"), ("2026-11-11", "2026-11-12"))
        for record in hook.iter_records(
            "listLogs",
            log_type="AccessLog",
            from_date_time=f"{start}T00:00:00Z",
            to_date_time=f"{end}T00:00:00Z",
        )
    ]
    assert expected
    records = GongFetchOperator(
        task_id="logs",
        operation_id="listLogs",
        inputs={"log_type": "AccessLog"},
        from_datetime="2026-11-10T00:00:00Z",
        to_datetime="2026-11-12T00:00:00Z",
        lookback=timedelta(0),
    ).execute(task_context(FakeTI("logs")))
    assert records == expected


def test_a_window_given_in_the_inputs_is_fetched_as_asked(gong: GongEmulator) -> None:
    inputs = {"log_type": "AccessLog", "from_date_time": "2026-11-10T06:00:00Z"}
    inputs["to_date_time"] = "2026-11-10T18:00:00Z"
    expected = list(GongHook().iter_records("listLogs", **inputs))
    pages = gong.stats()["by_endpoint"]
    gong.reset()
    records = GongFetchOperator(task_id="logs", operation_id="listLogs", inputs=inputs).execute(
        task_context(FakeTI("logs"))
    )
    assert records == expected
    assert gong.stats()["by_endpoint"] == pages, "one fetch of exactly that window, no day plan"


def test_a_windowed_load_defers_and_resumes_without_fetching_a_day_twice(
    gong: GongEmulator, tmp_path: Path
) -> None:
    gong.configure(clock=None)  # the trigger's probe asks for Gong's dates of today's clock
    arguments: dict[str, Any] = {
        "operation_id": ACTIVITY,
        "company_timezone": "America/New_York",
        "lookback": timedelta(days=2),
        "hook_params": {"max_retry_wait": 0.5, "calls_per_second": 0},
        **NY_WINDOW,
    }
    reference = tmp_path / "reference"
    GongFetchOperator(task_id="activity", output_path=f"file://{reference}", **arguments).execute(
        task_context(FakeTI("activity"))
    )
    plans = gong.stats()["by_endpoint"][ACTIVITY_ROUTE]["200"]
    assert plans == 4, "two days and two of lookback"

    gong.configure(day_seconds=2.0, rate_per_day=2)
    gong.reset()
    target = tmp_path / "deferred"
    ti = FakeTI("activity")
    operator = GongFetchOperator(
        task_id="activity", output_path=f"file://{target}", deferrable=True, **arguments
    )
    with pytest.raises(TaskDeferred) as caught:
        operator.execute(task_context(ti))
    trigger = caught.value.trigger
    assert isinstance(trigger, GongRateLimitTrigger)
    assert partitions(target, f"{ACTIVITY}.jsonl") == {}, "nothing is committed before the load completed"

    gong.configure(rate_per_day=None)

    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("the trigger ended without an event")

    event = asyncio.run(asyncio.wait_for(first_event(), timeout=30))
    summary = operator.execute_complete(task_context(ti), event)
    name = f"{ACTIVITY}.jsonl"
    assert partitions(target, name) == partitions(reference, name)
    answered = gong.stats()["by_endpoint"][ACTIVITY_ROUTE]
    # No day fetched twice: the one more 200 is the trigger's probe (of the endpoint itself).
    assert (answered["200"], answered["429"]) == (plans + 1, 1)
    assert summary["calls_made"] == plans + 1, "every call of the load, the stopped one included"
    assert summary["count"] == sum(map(len, partitions(reference, name).values()))


@pytest.mark.parametrize(
    ("operation_id", "inputs"),
    [
        ("listInteractionStats", None),
        ("listAnsweredScorecards", None),
        (ACTIVITY, None),
        ("listLogs", {"log_type": "UserCallPlay"}),
    ],
)
def test_quiet_days_land_as_empty_partitions(
    gong: GongEmulator, tmp_path: Path, operation_id: str, inputs: dict[str, Any] | None
) -> None:
    """Days before any call: Gong answers its "nothing found" 404 (or an empty page); each day is rewritten
    empty, the load succeeds.
    """
    summary = GongFetchOperator(
        task_id="quiet",
        operation_id=operation_id,
        inputs=inputs,
        output_path=f"file://{tmp_path}",
        lookback=timedelta(0),
        from_datetime="2026-10-10T00:00:00Z",
        to_datetime="2026-10-12T00:00:00Z",
    ).execute(task_context(FakeTI("quiet")))
    assert summary["partitions"] == {"2026-10-10": 0, "2026-10-11": 0}
    assert partitions(tmp_path, f"{operation_id}.jsonl") == {"date=2026-10-10": [], "date=2026-10-11": []}
    answered = gong.stats()["by_endpoint"]
    assert sum(sum(counts.values()) for counts in answered.values()) == 2, answered
