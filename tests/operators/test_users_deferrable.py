"""GongUserOperator(deferrable=True): a long rate limit mid-fetch defers, then resumes without refetching.

Each test spends the emulator's daily quota mid-fetch (``rate_per_day`` with a 2-second "day"), calls
``execute`` (which raises ``TaskDeferred``), runs the trigger, and calls ``execute_complete`` with its event,
as the triggerer and the worker would. The emulator's counters prove no page is fetched twice.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_gong.client import pacing
from airflow_provider_gong.exceptions import GongAuthError, GongNotFoundError, GongRateLimitError
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger

CONN_ID = "gong_deferrable"
#: The hook sleeps out at most 0.5 s itself; the emulator's "day" lasts 2 s, so a spent quota defers.
HOOK_PARAMS = {"max_retry_wait": 0.5}
UNKNOWN_ID = "99999999999999999999"


class XComTI:
    """The part of a task instance the operator uses across a deferral: XCom push and pull."""

    task_id = "fetch_users"
    map_index = -1

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = json.loads(json.dumps(value))  # stored as JSON, like Airflow does

    def xcom_pull(self, task_ids: str, key: str, map_indexes: int) -> Any:
        assert (task_ids, map_indexes) == (self.task_id, self.map_index)
        return self.xcoms.get(key)


@pytest.fixture
def gong(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> GongEmulator:
    """The emulator (250 users, fresh state) with 2-second "days"; each test sets ``rate_per_day``."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pacing, "_registry", {})
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", gong_emulator.connection_json())
    gong_emulator.configure(users=250, day_seconds=2.0)
    return gong_emulator


def _spend_quota_after(gong: GongEmulator, calls: int) -> None:
    """Allow ``calls`` calls in the current 2-second day (starting now), then 429 with Retry-After."""
    gong.configure(rate_per_day=calls)
    gong.reset()


def _run_trigger(trigger: Any) -> dict[str, Any]:
    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(asyncio.wait_for(first_event(), timeout=30))


def _defer(operator: GongUserOperator, context: dict[str, Any]) -> GongRateLimitTrigger:
    with pytest.raises(TaskDeferred) as caught:
        operator.execute(context)  # type: ignore[arg-type]
    assert caught.value.method_name == "execute_complete"
    trigger = caught.value.trigger
    assert isinstance(trigger, GongRateLimitTrigger)
    return trigger


def _calls(gong: GongEmulator, route: str) -> dict[str, int]:
    return gong.stats()["by_endpoint"].get(route, {})


def _listed_users(gong: GongEmulator) -> list[str]:
    return [user["id"] for user in gong.users if user["id"] not in gong.avatar_ids]


# ---------------------------------------------------------------------------------------- all users (XCom)


def test_all_users_resume_from_the_cursor_through_xcom(gong: GongEmulator) -> None:
    expected = _listed_users(gong)  # 245 users in 3 pages of 100
    _spend_quota_after(gong, 2)
    ti = XComTI()
    operator = GongUserOperator(
        task_id="fetch_users", gong_conn_id=CONN_ID, deferrable=True, fields=["id"], hook_params=HOOK_PARAMS
    )

    trigger = _defer(operator, {"ti": ti})

    payload = trigger.payload
    assert payload is not None
    assert payload["count"] == 200
    assert payload["parts"] == 1
    assert payload["resume"]["cursor"]  # Gong's cursor of page 3, not a refetch from page 1
    assert len(json.dumps(payload)) < 1000  # the trigger carries the position only, not the users
    assert [user["id"] for user in ti.xcoms["gong_users_part_0"]] == expected[:200]
    assert trigger.resume_at is not None

    event = _run_trigger(trigger)
    assert event["status"] == "ok"
    users = operator.execute_complete({"ti": ti}, event)  # type: ignore[arg-type]

    assert isinstance(users, list)
    assert [user["id"] for user in users] == expected
    # Three pages fetched once each, the one 429 that stopped page 3, and the trigger's one probe.
    assert _calls(gong, "GET /v2/users") == {"200": 3 + 1, "429": 1}
    assert gong.stats()["rate_limited"]["per_day"] == 1


# ---------------------------------------------------------------------------------------- ids (output_path)


def test_ids_resume_from_the_next_chunk_into_output_path(gong: GongEmulator, tmp_path: Path) -> None:
    ids = _listed_users(gong)[::-1]  # 245 ids: chunks of 100, 100, 45, in this order
    _spend_quota_after(gong, 2)
    target = tmp_path / "out" / "users.jsonl"
    operator = GongUserOperator(
        task_id="fetch_users",
        gong_conn_id=CONN_ID,
        user_ids=ids,
        output_path=f"file://{target}",
        deferrable=True,
        hook_params=HOOK_PARAMS,
    )

    trigger = _defer(operator, {})

    payload = trigger.payload
    assert payload is not None
    assert (payload["count"], payload["parts"], payload["resume"]["next_index"]) == (200, 1, 200)
    assert not target.exists()  # the file appears only complete
    parts = sorted(path.name for path in target.parent.iterdir())
    assert len(parts) == 1 and parts[0].startswith(".users.jsonl.") and parts[0].endswith(".part0000")
    assert len((target.parent / parts[0]).read_text().splitlines()) == 200

    event = _run_trigger(trigger)
    result = operator.execute_complete({}, event)  # type: ignore[arg-type]

    assert result == {"path": f"file://{target}", "count": 245}
    written = [json.loads(line)["id"] for line in target.read_text().splitlines()]
    assert written == ids
    assert sorted(path.name for path in target.parent.iterdir()) == ["users.jsonl"]  # no part left
    assert _calls(gong, "POST /v2/users/extensive") == {"200": 3, "429": 1}
    assert _calls(gong, "GET /v2/users") == {"200": 1}  # the trigger's probe


def test_missing_ids_found_before_the_deferral_are_still_reported(gong: GongEmulator, tmp_path: Path) -> None:
    ids = [UNKNOWN_ID, *_listed_users(gong)]  # 246 ids; the unknown one is in the first chunk
    _spend_quota_after(gong, 2)
    target = tmp_path / "users.jsonl"
    operator = GongUserOperator(
        task_id="fetch_users",
        gong_conn_id=CONN_ID,
        user_ids=ids,
        output_path=str(target),
        deferrable=True,
        hook_params=HOOK_PARAMS,
    )
    trigger = _defer(operator, {})
    assert trigger.payload is not None
    assert trigger.payload["resume"]["missing_ids"] == [UNKNOWN_ID]
    event = _run_trigger(trigger)

    with pytest.raises(GongNotFoundError, match=f"1 of 246 requested users not found: {UNKNOWN_ID}"):
        operator.execute_complete({}, event)  # type: ignore[arg-type]

    assert list(tmp_path.iterdir()) == []  # parts removed, no partial target


# ---------------------------------------------------------------------------------------- failures


def test_without_deferrable_the_failure_gives_the_wait_and_both_remedies(
    gong: GongEmulator, tmp_path: Path
) -> None:
    _spend_quota_after(gong, 1)
    operator = GongUserOperator(
        task_id="fetch_users",
        gong_conn_id=CONN_ID,
        user_ids=_listed_users(gong)[:150],
        output_path=str(tmp_path / "users.jsonl"),
        hook_params=HOOK_PARAMS,
    )

    with pytest.raises(GongRateLimitError) as caught:
        operator.execute({})  # type: ignore[arg-type]

    message = str(caught.value)
    assert "Gong asks to wait" in message
    assert caught.value.retry_after is not None and caught.value.retry_after > HOOK_PARAMS["max_retry_wait"]
    assert "GongRateLimitSensor" in message
    assert "deferrable=True" in message
    assert caught.value.request_id and caught.value.request_id in message
    assert list(tmp_path.iterdir()) == []


def test_an_error_event_fails_with_the_typed_error_and_cleans_up(
    gong: GongEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _spend_quota_after(gong, 1)
    operator = GongUserOperator(
        task_id="fetch_users",
        gong_conn_id=CONN_ID,
        user_ids=_listed_users(gong)[:150],
        output_path=str(tmp_path / "users.jsonl"),
        deferrable=True,
        hook_params=HOOK_PARAMS,
    )
    trigger = _defer(operator, {})
    assert len(list(tmp_path.iterdir())) == 1  # the part file of the first 100 users
    conn = gong.connection_dict()
    conn["password"] = "revoked-secret-0001"  # the credentials were revoked while the task waited
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    event = _run_trigger(trigger)
    assert event["status"] == "error"

    with pytest.raises(GongAuthError) as caught:
        operator.execute_complete({}, event)  # type: ignore[arg-type]

    assert caught.value.status_code == 401
    assert list(tmp_path.iterdir()) == []
