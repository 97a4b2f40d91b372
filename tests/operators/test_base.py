"""BaseGongFetchOperator on its own: a tiny subclass whose records keep their id at ``metaData.id``.

The subclass dresses the emulator's users as detailed calls (``{"metaData": {"id": ...}, "parties": [...]}``),
so everything the base does is seen with another record shape and other names than GongUserOperator's:
messages, XCom keys, ids kept aside when ``fields`` drops them, the resume, and the cleanup however the
deferral ends. Everything talks HTTP to the Gong emulator; XCom parts are deleted through a configured
custom XCom backend (:mod:`gong_recording_xcom`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_compat import TaskDeferralError, TaskDeferralTimeout
from gong_recording_xcom import RecordingXCom
from operator_helpers import DEFER_FAST, EXPIRED, FakeTI, defer, names

from airflow_provider_gong.client.paging import Resume
from airflow_provider_gong.exceptions import GongConfigError, GongRateLimitError, GongResultTooLargeError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.base import BaseGongFetchOperator, Fetch, KnownIds
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.version_compat import TRIGGER_FAIL_REPR, AirflowException


class CallShapedOperator(BaseGongFetchOperator):
    """Gong's users dressed as detailed calls: the smallest fetch operator on the base."""

    record_noun = "call"
    record_plural = "calls"
    id_path = ("metaData", "id")
    known_keys = ("metaData", "parties")

    def prepare(self, ids: list[str] | None) -> Fetch:
        def fetch(hook: GongHook, resume: Resume, known_ids: KnownIds | None) -> Iterator[dict[str, Any]]:
            for user in hook.iter_users(resume=resume, known_ids=known_ids):
                yield {"metaData": {"id": user["id"]}, "parties": [user["emailAddress"]]}

        return fetch


@pytest.fixture
def gong(gong_emulator: GongEmulator, gong_emulator_connection: str) -> GongEmulator:
    gong_emulator.configure(users=250)  # 245 listed users: pages of 100, 100, 45
    return gong_emulator


@pytest.fixture
def ti(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTI]:
    """A task instance whose XComs the configured backend (``RecordingXCom``) deletes from."""
    instance = FakeTI(task_id="calls")
    monkeypatch.setenv("AIRFLOW__CORE__XCOM_BACKEND", "gong_recording_xcom.RecordingXCom")
    monkeypatch.setattr(RecordingXCom, "store", instance.xcoms)
    monkeypatch.setattr(RecordingXCom, "notes", [])
    yield instance


def calls_of(gong: GongEmulator, fields: list[str] | None = None) -> list[dict[str, Any]]:
    listed = [user for user in gong.users if user["id"] not in gong.avatar_ids]
    calls = [{"metaData": {"id": user["id"]}, "parties": [user["emailAddress"]]} for user in listed]
    return calls if fields is None else [{key: call[key] for key in fields} for call in calls]


def make(**kwargs: Any) -> CallShapedOperator:
    kwargs.setdefault("hook_params", DEFER_FAST)
    return CallShapedOperator(task_id="calls", **kwargs)


# ---------------------------------------------------------------------------------------- names and fields


def test_the_records_come_back_and_messages_name_them(
    gong: GongEmulator, gong_logs: list[dict[str, Any]]
) -> None:
    result = make(fields=["parties", "speakers"]).execute({})  # type: ignore[arg-type]

    assert result == calls_of(gong, ["parties"])
    [warning] = [log for log in gong_logs if log["log_level"] == "warning" and "fields" in log["event"]]
    assert "['speakers'] are in none of the 245 calls" in warning["event"]
    assert "Gong's call keys include metaData, parties" in warning["event"]
    with pytest.raises(
        GongResultTooLargeError, match=r"^calls: 1 calls are already .* 'file:///data/gong/calls"
    ):
        make(max_xcom_bytes=100).execute({})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"list of call keys such as \['metaData', 'parties'\]"):
        make(fields=["metaData.id"])
    with pytest.raises(ValueError, match=r"'s3://bucket/gong/calls\.jsonl'"):
        make(output_path="calls.jsonl")
    assert CallShapedOperator.template_fields == ("fields", "output_path")


def test_a_subclass_with_no_ids_argument_takes_none() -> None:
    # Airflow's own check of unknown arguments: a TypeError on Airflow 3, an AirflowException on 2.
    with pytest.raises((TypeError, AirflowException), match="user_ids"):
        CallShapedOperator(task_id="calls", user_ids=["1"])


# ---------------------------------------------------------------------------------------- deferral


@pytest.mark.parametrize("sink", ["xcom", "file"])
def test_a_deferred_listing_keeps_nested_ids_aside_and_survives_an_expired_cursor(
    sink: str, gong: GongEmulator, ti: FakeTI, tmp_path: Path, run_trigger: Any
) -> None:
    target = tmp_path / "calls.jsonl"
    output = {"output_path": f"file://{target}"} if sink == "file" else {}
    op = make(deferrable=True, fields=["parties"], **output)  # the id (metaData) is not kept
    gong.fail_next({"fault": "pass"}, {"fault": "pass"}, {"status": 429, "retry_after": "1"})

    deferred = defer(op, {"ti": ti})

    assert deferred.trigger.payload["count"] == 200
    first_ids = [call["metaData"]["id"] for call in calls_of(gong)[:200]]
    if sink == "xcom":
        assert sorted(ti.xcoms) == ["gong_calls_part_0", "gong_calls_part_0_ids"]
        assert ti.xcoms["gong_calls_part_0"] == calls_of(gong, ["parties"])[:200]
        assert ti.xcoms["gong_calls_part_0_ids"] == first_ids
    else:
        [part, ids] = names(tmp_path)
        assert part.startswith(".calls.jsonl.") and ids == f"{part}.ids"
        assert json.loads((tmp_path / ids).read_text()) == first_ids
    [event] = run_trigger(deferred.trigger)
    gong.fail_next(EXPIRED)  # Gong forgot the cursor kept across the wait: the listing restarts

    result = op.execute_complete({"ti": ti}, event)  # type: ignore[arg-type]

    if sink == "file":
        assert result == {"path": f"file://{target}", "count": 245}
        records = [json.loads(line) for line in target.read_text().splitlines()]
        assert names(tmp_path) == ["calls.jsonl"]
    else:
        records = result
        deleted = [note for note in RecordingXCom.notes if note["event"] == "delete"]
        assert deleted == [
            {
                "event": "delete",
                "key": key,
                "task_id": "calls",
                "dag_id": ti.dag_id,
                "run_id": ti.run_id,
                "map_index": -1,
            }
            for key in ("gong_calls_part_0", "gong_calls_part_0_ids")
        ]
    assert records == calls_of(gong, ["parties"])  # every record once, in Gong's order
    assert ti.xcoms == {}  # the parts are gone: the result alone goes to return_value
    by_status = gong.stats()["by_endpoint"]["GET /v2/users"]
    assert by_status == {"200": 2 + 1 + 3, "429": 1, "400": 1}  # the 1st two pages again, only to skip them


@pytest.mark.parametrize("sink", ["xcom", "file"])
def test_a_timeout_event_fails_naming_the_records_and_removes_the_parts(
    sink: str, gong: GongEmulator, ti: FakeTI, tmp_path: Path
) -> None:
    output = {"output_path": f"file://{tmp_path}/calls.jsonl"} if sink == "file" else {}
    op = make(deferrable=True, **output)
    gong.fail_next({"fault": "pass"}, {"status": 429, "retry_after": "60"})
    deferred = defer(op, {"ti": ti})
    assert ti.xcoms or names(tmp_path)
    event = {
        "status": "timeout",
        "message": "Gong's rate limit holds until 2999-01-01T00:00:00+00:00, after the wait's end",
        "resume_at": "2999-01-01T00:00:00+00:00",
        "probes": 1,
        "payload": deferred.trigger.payload,
    }

    with pytest.raises(GongRateLimitError) as caught:
        op.execute_complete({"ti": ti}, event)

    assert "The 100 calls fetched so far were discarded" in str(caught.value)
    assert ti.xcoms == {}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("error", "raised"), [("Trigger timeout", TaskDeferralTimeout), ("Trigger failure", TaskDeferralError)]
)
@pytest.mark.parametrize("sink", ["xcom", "file"])
def test_when_airflow_ends_the_deferral_itself_what_was_kept_is_removed(
    sink: str, error: str, raised: type[Exception], gong: GongEmulator, ti: FakeTI, tmp_path: Path
) -> None:
    """Airflow's own deadline (``defer(timeout=...)``), a crashed trigger: ``execute_complete`` never runs."""
    output = {"output_path": f"file://{tmp_path}/calls.jsonl"} if sink == "file" else {}
    op = make(deferrable=True, fields=["parties"], **output)
    gong.fail_next({"fault": "pass"}, {"status": 429, "retry_after": "60"})
    defer(op, {"ti": ti})
    ti.xcoms["unrelated"] = "kept"
    assert len(ti.xcoms) + len(names(tmp_path)) == 3  # a part and its ids, and the unrelated XCom
    resumed = make(deferrable=True, fields=["parties"], **output)  # a new worker process
    resumed.render_template_fields({"ti": ti})  # type: ignore[arg-type]

    with pytest.raises(raised, match=error):
        resumed.resume_execution(TRIGGER_FAIL_REPR, {"error": error}, {"ti": ti})  # type: ignore[arg-type]

    assert list(tmp_path.iterdir()) == []
    assert ti.xcoms == {"unrelated": "kept"}


def test_a_rate_limit_without_deferrable_fails_naming_the_operator(
    gong: GongEmulator, gong_logs: list[dict[str, Any]]
) -> None:
    gong.fail_next({"fault": "pass"}, *[{"status": 429}] * 10)  # no Retry-After: the hook gives up
    with pytest.raises(GongRateLimitError):
        make(hook_params={"calls_per_second": 0, "max_retries": 0}).execute({})  # type: ignore[arg-type]
    errors = [log["event"] for log in gong_logs if log["log_level"] == "error"]
    assert any(
        "after 100 calls" in text and "run CallShapedOperator with deferrable=True" in text for text in errors
    ), errors


# ---------------------------------------------------------------------------------------- probe endpoint


class CallsOnlyOperator(CallShapedOperator):
    """A fetch whose credentials may read calls only: its deferrals must probe a calls endpoint."""

    default_probe_endpoint = "listCalls"


def test_a_deferral_probes_the_endpoint_the_operator_names(gong: GongEmulator, ti: FakeTI) -> None:
    gong.fail_next({"status": 429, "retry_after": "120"})

    deferred = defer(CallsOnlyOperator(task_id="calls", deferrable=True, hook_params=DEFER_FAST), {"ti": ti})

    assert deferred.trigger.probe_endpoint == "listCalls"
    assert deferred.trigger.serialize()[1]["probe_endpoint"] == "listCalls"


def test_probe_endpoint_overrides_the_operators_default(gong: GongEmulator, ti: FakeTI) -> None:
    gong.fail_next({"status": 429, "retry_after": "120"})
    op = make(deferrable=True, probe_endpoint="listMultipleUsers")

    deferred = defer(op, {"ti": ti})

    assert deferred.trigger.probe_endpoint == "listMultipleUsers"
    assert make(deferrable=True).probe_endpoint == "listUsers"


@pytest.mark.parametrize("value", ["getCall", "listNothing", 7])
def test_a_bad_probe_endpoint_fails_when_the_dag_is_parsed(value: Any) -> None:
    with pytest.raises(GongConfigError, match=r"^calls: "):
        make(probe_endpoint=value)
