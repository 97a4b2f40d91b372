"""A load that runs out of the company's daily quota mid-way, with shared state: defer, resume, once each.

Two ways the quota ends, both against a real ``redis-server``:

- Gong's own quota (the emulator's ``rate_per_day`` with a 3-second "day" on its clock): its 429 holds every
  process of the company through Redis, not only the task that got it; the task defers, and resumes when
  the emulator's day resets.
- The budget the processes count themselves (``calls_per_day``): the call that would overspend it is never
  sent; the task defers until the next UTC midnight, and resumes there.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from operator_helpers import FakeTI

from airflow_provider_gong.client import shared
from airflow_provider_gong.exceptions import GongRateLimitError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.redis_server import RedisServer
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger
from airflow_provider_gong.version_compat import TaskDeferred

CONN_ID = "gong_shared_budget"
HOOK_PARAMS = {"max_retry_wait": 0.5}
USERS_ROUTE = "GET /v2/users"


@pytest.fixture
def gong(gong_emulator: GongEmulator) -> GongEmulator:
    gong_emulator.configure(users=44, page_size=10, day_seconds=3.0, rate_per_second=None, rate_per_day=None)
    gong_emulator.reset()
    return gong_emulator


def connect(
    gong: GongEmulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, **extra: Any
) -> None:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN_ID.upper()}",
        gong.connection_json(extra={"shared_state_url": redis_server.url, **extra}),
    )


def listed_ids(gong: GongEmulator) -> list[str]:
    return [user["id"] for user in gong.directory.users(include_avatars=False)]


def operator() -> GongUserOperator:
    return GongUserOperator(
        task_id="fetch_users", gong_conn_id=CONN_ID, hook_params=HOOK_PARAMS, fields=["id"], deferrable=True
    )


def run_trigger(trigger: GongRateLimitTrigger) -> dict[str, Any]:
    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(asyncio.wait_for(first_event(), timeout=60))


def deferred(call: Any) -> GongRateLimitTrigger | None:
    """Run ``call``; the trigger it deferred to, or ``None`` when it finished (its result in ``done``)."""
    try:
        deferred.done = call()  # type: ignore[attr-defined]
    except TaskDeferred as caught:
        assert isinstance(caught.trigger, GongRateLimitTrigger)
        return caught.trigger
    return None


def test_gongs_quota_holds_every_process_and_the_load_resumes_at_the_reset(
    gong: GongEmulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(gong, redis_server, monkeypatch)
    expected = listed_ids(gong)
    gong.configure(rate_per_day=2)  # two calls per 3-second day of the emulator's clock, then 429s
    gong.reset()
    ti = FakeTI(task_id="fetch_users")
    task = operator()

    trigger = deferred(lambda: task.execute({"ti": ti}))
    assert trigger is not None, "the load must run out of quota mid-way"
    calls_at_deferral = gong.stats()["gong_calls"]
    # Another process of the company does not find the 429 for itself: Redis holds it off, nothing is sent.
    shared.REGISTRY.clear()
    other = GongHook(CONN_ID, max_retry_wait=0.5)
    with pytest.raises(GongRateLimitError, match="holds every process"):
        other.call("GET", "/v2/users")
    assert gong.stats()["gong_calls"] == calls_at_deferral

    deferrals = 1
    while trigger is not None:
        event = run_trigger(trigger)
        assert event["status"] == "ok", event
        trigger = deferred(lambda event=event: task.execute_complete({"ti": ti}, event))
        deferrals += trigger is not None
    users = deferred.done  # type: ignore[attr-defined]

    assert [user["id"] for user in users] == expected  # every user once, in Gong's order
    pages = -(-len(expected) // 10)
    stats = gong.stats()["by_endpoint"][USERS_ROUTE]
    # Each page fetched once, plus one probe per wait; every 429 was the one that stopped a load.
    assert stats["200"] == pages + deferrals
    assert stats["429"] == deferrals
    assert deferrals >= 2


def test_the_counted_budget_defers_to_utc_midnight_and_resumes_there(
    gong: GongEmulator, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, fake_time: Any
) -> None:
    connect(gong, redis_server, monkeypatch, calls_per_day=3)
    expected = listed_ids(gong)  # 5 pages of 10: 3 today, 2 after midnight
    ti = FakeTI(task_id="fetch_users")
    task = operator()

    trigger = deferred(lambda: task.execute({"ti": ti}))
    assert trigger is not None
    assert gong.stats()["gong_calls"] == 3  # the fourth call would overspend the budget: never sent
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    assert trigger.resume_at is not None
    assert abs((datetime.fromisoformat(trigger.resume_at) - midnight).total_seconds()) < 5
    assert GongHook(CONN_ID).remaining_daily_budget() == 0

    # The same trigger, on a clock that moves when it sleeps: it waits until midnight and probes in the new
    # UTC day, whose budget (counted in Redis under that day) lets the probe through.
    _, kwargs = trigger.serialize()
    event = run_trigger(GongRateLimitTrigger(**kwargs, **fake_time.injected()))
    assert event["status"] == "ok"
    assert fake_time.now >= midnight
    store = redis.Redis.from_url(redis_server.url, decode_responses=True)
    company = gong.url.split("://")[1]
    assert store.get(f"gong:{company}:budget:{midnight.date().isoformat()}") == "1"

    # The task resumes in the new day. Here the real day has not turned, so the test turns it: today's count
    # goes, as the new day's key would start from nothing.
    store.delete(f"gong:{company}:budget:{now.date().isoformat()}")
    assert deferred(lambda: task.execute_complete({"ti": ti}, event)) is None
    users = deferred.done  # type: ignore[attr-defined]
    assert [user["id"] for user in users] == expected  # every user once
    assert gong.stats()["by_endpoint"][USERS_ROUTE] == {"200": 5 + 1}  # each page once, one probe
