"""Incremental loads and Gong's long rate limits: defer, resume with nothing fetched twice, one writer.

Each test spends the emulator's daily quota mid-load (``rate_per_day`` with a 2-second "day"), calls
``execute`` (which raises ``TaskDeferred``), runs the trigger and calls ``execute_complete`` with its event,
as the triggerer and the worker would. The emulator's counters prove no page is fetched twice, the files
that nothing was committed before the load completed.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from operator_helpers import FakeTI

from airflow_provider_gong.exceptions import GongError, GongRateLimitError
from airflow_provider_gong.operators.calls import GongCallsOperator
from airflow_provider_gong.operators.transcripts import GongTranscriptsOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger
from airflow_provider_gong.version_compat import TRIGGER_FAIL_REPR, TaskDeferred

CONN_ID = "gong_incremental"
HOOK_PARAMS = {"max_retry_wait": 0.5, "calls_per_second": 0}
WINDOW = {"from_datetime": "2026-11-10T00:00:00Z", "to_datetime": "2026-11-15T00:00:00Z"}
TRANSCRIPTS = "POST /v2/calls/transcript"
EXTENSIVE = "POST /v2/calls/extensive"


@pytest.fixture
def gong(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> GongEmulator:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", gong_emulator.connection_json())
    gong_emulator.configure(
        users=40, calls=300, clock="2026-12-01T00:00:00Z", day_seconds=2.0, rate_per_second=None, page_size=20
    )
    return gong_emulator


def spend_quota_after(gong: GongEmulator, calls: int) -> None:
    gong.configure(rate_per_day=calls)
    gong.reset()


def run_trigger(trigger: Any) -> dict[str, Any]:
    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(asyncio.wait_for(first_event(), timeout=30))


def defer(operator: Any, context: dict[str, Any]) -> GongRateLimitTrigger:
    with pytest.raises(TaskDeferred) as caught:
        operator.execute(context)
    trigger = caught.value.trigger
    assert isinstance(trigger, GongRateLimitTrigger)
    return trigger


def routes(gong: GongEmulator, route: str) -> dict[str, int]:
    return gong.stats()["by_endpoint"].get(route, {})


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.jsonl")) if p.is_file()}


class OtherRunTI(FakeTI):
    run_id = "manual__2024-01-02"


def load(operator_class: type[Any], target: Path, ti: FakeTI | None = None, **kwargs: Any) -> Any:
    """An operator of the test's window into ``target``, without lookback (the window is the days)."""
    return operator_class(
        task_id=(ti or FakeTI()).task_id,
        gong_conn_id=CONN_ID,
        output_path=f"file://{target}",
        lookback=timedelta(0),
        hook_params=HOOK_PARAMS,
        **WINDOW,
        **kwargs,
    )


def reference_load(
    gong: GongEmulator, operator_class: type[Any], target: Path, **kwargs: Any
) -> dict[str, Any]:
    """The same load without any limit: what the deferred one must end with, and the calls it costs."""
    gong.configure(rate_per_day=None)
    gong.reset()
    summary = load(operator_class, target, FakeTI("users"), **kwargs).execute({"ti": FakeTI("users")})
    return {"summary": summary, "stats": gong.stats()["by_endpoint"]}


@pytest.mark.parametrize(
    ("operator_class", "kwargs", "route"),
    [
        (GongTranscriptsOperator, {}, TRANSCRIPTS),
        (GongCallsOperator, {"content": ["topics", "brief"]}, EXTENSIVE),
    ],
    ids=["transcripts, day by day", "detailed calls, cursor"],
)
def test_a_load_defers_mid_way_and_resumes_where_it_stopped(
    gong: GongEmulator, tmp_path: Path, operator_class: type[Any], kwargs: dict[str, Any], route: str
) -> None:
    reference = reference_load(gong, operator_class, tmp_path / "reference", **kwargs)
    expected_pages = reference["stats"][route]["200"] + reference["stats"][route].get("404", 0)
    assert expected_pages >= 4, "the load must take several calls for the stop to fall mid-way"
    target = tmp_path / "deferred"
    ti = FakeTI("users")
    operator = load(operator_class, target, ti, deferrable=True, **kwargs)
    spend_quota_after(gong, 2)

    trigger = defer(operator, {"ti": ti})

    payload = trigger.payload
    assert payload is not None and payload["count"] > 0
    assert len(json.dumps(payload)) < 2000, "the trigger carries the position, never the records"
    assert files(target) == {}, "nothing is committed before the load completed"
    with pytest.raises(GongError, match="is being written by gong_dag/users/manual__2024-01-01"):
        load(operator_class, target, OtherRunTI("users"), **kwargs).execute({"ti": OtherRunTI("users")})

    gong.configure(rate_per_day=None)  # the quota is back once the wait is over
    event = run_trigger(trigger)
    assert event["status"] == "ok"
    summary = operator.execute_complete({"ti": ti}, event)

    assert files(target) == files(tmp_path / "reference")
    assert summary["partitions"] == reference["summary"]["partitions"]
    assert summary["count"] == reference["summary"]["count"]
    answered = routes(gong, route)
    assert answered.get("200", 0) + answered.get("404", 0) == expected_pages, "no page fetched twice"
    assert answered["429"] == 1
    # Every call the load made, the stopped one included, and not the trigger's probe.
    assert summary["calls_made"] == expected_pages + 1
    assert not list(target.rglob("*.part*")) and not (target / "_gong_staging").exists()


def test_a_deferral_airflow_ended_releases_the_folder(gong: GongEmulator, tmp_path: Path) -> None:
    target = tmp_path / "lake"
    ti = FakeTI("users")
    operator = load(GongTranscriptsOperator, target, ti, deferrable=True)
    spend_quota_after(gong, 2)
    defer(operator, {"ti": ti})
    with pytest.raises(Exception, match=r"(?i)timeout|trigger"):
        operator.resume_execution(TRIGGER_FAIL_REPR, {"error": "Trigger timeout"}, {"ti": ti})
    gong.configure(rate_per_day=None)
    gong.reset()
    other = OtherRunTI("users")
    summary = load(GongTranscriptsOperator, target, other).execute({"ti": other})
    assert summary["count"] > 0 and files(target)


def test_a_rate_limit_without_deferral_fails_and_changes_nothing(gong: GongEmulator, tmp_path: Path) -> None:
    target = tmp_path / "lake"
    load(GongTranscriptsOperator, target, FakeTI("users")).execute({"ti": FakeTI("users")})
    before = files(target)
    spend_quota_after(gong, 2)
    with pytest.raises(GongRateLimitError):
        load(GongTranscriptsOperator, target, FakeTI("users")).execute({"ti": FakeTI("users")})
    assert files(target) == before
    assert not (target / "_gong_staging").exists(), "the failed load's staging and claim are gone"
