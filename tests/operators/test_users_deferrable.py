"""GongUserOperator(deferrable=True): a long rate limit mid-fetch defers, then resumes without refetching.

Each test spends the emulator's daily quota mid-fetch (``rate_per_day`` with a 2-second "day"), calls
``execute`` (which raises ``TaskDeferred``), runs the trigger, and calls ``execute_complete`` with its event,
as the triggerer and the worker would. The emulator's counters prove no page is fetched twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from gong_recording_xcom import RecordingXCom
from operator_helpers import FakeTI

from airflow_provider_gong.exceptions import GongAuthError, GongNotFoundError, GongRateLimitError
from airflow_provider_gong.operators.users import XCOM_PART_KEY, GongUserOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger
from airflow_provider_gong.version_compat import TaskDeferred

CONN_ID = "gong_deferrable"
#: The hook sleeps out at most 0.5 s itself; the emulator's "day" lasts 2 s, so a spent quota defers.
HOOK_PARAMS = {"max_retry_wait": 0.5}
UNKNOWN_ID = "99999999999999999999"


@pytest.fixture
def gong(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> GongEmulator:
    """The emulator (250 users, fresh state) with 2-second "days"; each test sets ``rate_per_day``."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
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


def _operator(**kwargs: Any) -> GongUserOperator:
    """The task under test: task ``fetch_users`` on the quota-limited connection, deferrable by default."""
    kwargs.setdefault("deferrable", True)
    return GongUserOperator(task_id="fetch_users", gong_conn_id=CONN_ID, hook_params=HOOK_PARAMS, **kwargs)


# ---------------------------------------------------------------------------------------- all users (XCom)


def test_all_users_resume_from_the_cursor_through_xcom(gong: GongEmulator) -> None:
    expected = _listed_users(gong)  # 245 users in 3 pages of 100
    _spend_quota_after(gong, 2)
    ti = FakeTI(task_id="fetch_users")
    operator = _operator(fields=["id"])

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
    operator = _operator(user_ids=ids, output_path=f"file://{target}")

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
    operator = _operator(user_ids=ids, output_path=str(target))
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
    operator = _operator(
        user_ids=_listed_users(gong)[:150], output_path=str(tmp_path / "users.jsonl"), deferrable=False
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
    operator = _operator(user_ids=_listed_users(gong)[:150], output_path=str(tmp_path / "users.jsonl"))
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


# ---------------------------------------------------------- a task deferred before the operator base came
# What the release before the operator base (commit 7d5d620) kept across a deferral, written out here as
# it built it, so that a task deferred before an upgrade resumes after it: the trigger's ``payload``
# ({"resume": UsersResume.to_json(), "fields_unseen": [...], **sink.pause()}), the parts it points to, and
# the events GongRateLimitTrigger fires (``ok``, ``timeout``, and ``error`` as error_event() builds it).


def _fingerprint_before(ids: list[str] | None, date_filter: dict[str, Any], include_avatars: bool) -> str:
    """The hook's digest of a fetch's inputs then (``hooks/gong.py: _fingerprint`` at 7d5d620)."""
    text = json.dumps([ids, date_filter, include_avatars], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _resume_before(fingerprint: str, *, cursor: str | None = None, next_index: int = 0) -> dict[str, Any]:
    return {
        "cursor": cursor,
        "next_index": next_index,
        "missing_ids": [],
        "fingerprint": fingerprint,
        "done": False,
        "restarted": False,
    }


def _events_before(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "ok": {"status": "ok", "probes": 1, "waited": 61.5, "payload": payload},
        "timeout": {
            "status": "timeout",
            "message": "Gong's rate limit holds until 2999-01-01T00:00:00+00:00, after the wait's end at ...",
            "resume_at": "2999-01-01T00:00:00+00:00",
            "probes": 2,
            "payload": payload,
        },
        "error": {
            "status": "error",
            "error_type": "GongAuthError",
            "message": "401 GET /v2/users: Unauthorized",
            "status_code": 401,
            "request_id": "req-before",
            "payload": payload,
            "method": "GET",
            "path": "/v2/users",
            "errors": ["Unauthorized"],
            "detail": None,
            "hint": None,
            "retry_after": None,
        },
    }


@pytest.fixture
def recording_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__XCOM_BACKEND", "gong_recording_xcom.RecordingXCom")
    monkeypatch.setattr(RecordingXCom, "notes", [])


@pytest.mark.parametrize("status", ["ok", "timeout", "error"])
def test_a_listing_deferred_before_the_base_resumes_from_its_xcom_part(
    status: str, gong: GongEmulator, recording_backend: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _listed_users(gong)  # 245 users in 3 pages of 100
    # Page 1 as the hook then fetched it; the 429 on page 2 left its cursor in the resume state.
    answer = requests.get(
        f"{gong.url}/v2/users", params={"includeAvatars": "false"}, headers=gong.auth_headers(), timeout=10
    )
    page, cursor = answer.json()["users"], answer.json()["records"]["cursor"]
    part = [{"id": user["id"]} for user in page]  # fields=["id"]
    ti = FakeTI(task_id="fetch_users")
    ti.xcoms["gong_users_part_0"] = json.loads(json.dumps(part))
    monkeypatch.setattr(RecordingXCom, "store", ti.xcoms)
    payload = {
        "resume": _resume_before(_fingerprint_before(None, {}, False), cursor=cursor),
        "fields_unseen": [],
        "parts": 1,
        "count": 100,
        "bytes": len(json.dumps(part)),  # XComSink: the parts' size in XCom, as one list
    }
    operator = _operator(fields=["id"])
    assert operator.xcom_part_key == XCOM_PART_KEY == "gong_users_part"
    event = _events_before(payload)[status]

    if status == "ok":
        users = operator.execute_complete({"ti": ti}, event)  # type: ignore[arg-type]
        assert users == [{"id": uid} for uid in expected]
        assert _calls(gong, "GET /v2/users") == {"200": 1 + 2}  # page 1 (above), then pages 2 and 3 once
    else:
        error = GongRateLimitError if status == "timeout" else GongAuthError
        with pytest.raises(error) as caught:
            operator.execute_complete({"ti": ti}, event)  # type: ignore[arg-type]
        assert status == "error" or "The 100 users fetched so far were discarded" in str(caught.value)
        assert status == "timeout" or caught.value.status_code == 401
        assert _calls(gong, "GET /v2/users") == {"200": 1}
    assert ti.xcoms == {}  # the part kept then is deleted like one of this release


@pytest.mark.parametrize("status", ["ok", "timeout", "error"])
def test_ids_deferred_before_the_base_resume_from_their_part_file(
    status: str, gong: GongEmulator, tmp_path: Path
) -> None:
    ids = _listed_users(gong)[::-1][:150]  # chunks of 100 and 50: the first one is stored
    by_id = {user["id"]: user for user in gong.users}
    token = "0123456789abcdef0123456789abcdef"
    target = tmp_path / "users.jsonl"
    stored = "".join(json.dumps(by_id[uid], separators=(",", ":"), default=str) + "\n" for uid in ids[:100])
    (tmp_path / f".users.jsonl.{token}.part0000").write_text(stored)
    payload = {
        "resume": _resume_before(_fingerprint_before(ids, {}, False), next_index=100),
        "fields_unseen": [],
        "token": token,
        "parts": 1,
        "count": 100,
    }
    operator = _operator(user_ids=ids, output_path=f"file://{target}")
    event = _events_before(payload)[status]

    if status == "ok":
        result = operator.execute_complete({}, event)  # type: ignore[arg-type]
        assert result == {"path": f"file://{target}", "count": 150}
        written = target.read_text()
        assert written.startswith(stored)
        assert [json.loads(line)["id"] for line in written.splitlines()] == ids
        assert _calls(gong, "POST /v2/users/extensive") == {"200": 1}  # the second chunk only
        assert sorted(path.name for path in tmp_path.iterdir()) == ["users.jsonl"]
    else:
        with pytest.raises(GongRateLimitError if status == "timeout" else GongAuthError):
            operator.execute_complete({}, event)  # type: ignore[arg-type]
        assert list(tmp_path.iterdir()) == []
        assert gong.stats()["gong_calls"] == 0
