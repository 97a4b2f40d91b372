"""A deferral that outlives the OAuth access token resumes with a refreshed one, through the same code.

The load runs out of Gong's quota (the emulator's ``rate_per_day`` over a 3-second "day") and defers; the
access tokens last 2 s, so by the time the trigger probes again the token it started with has expired. The
trigger (its own token manager, as a triggerer process has) refreshes it under Redis's lock, and the task
that resumes (a new hook, as a new worker process has) reads the rotated token from Redis: no
``invalid_grant``, no 401, every user once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from operator_helpers import FakeTI

from airflow_provider_gong.client import shared
from airflow_provider_gong.operators.users import GongUserOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.redis_server import RedisServer
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger
from airflow_provider_gong.version_compat import TaskDeferred

CONN_ID = "gong_oauth_deferral"
LIFETIME = 2.0


def deferred(call: Callable[[], Any], done: list[Any]) -> GongRateLimitTrigger | None:
    """Run ``call``; the trigger it deferred to, or ``None`` when it finished (its result put in ``done``)."""
    try:
        done.append(call())
    except TaskDeferred as caught:
        assert isinstance(caught.trigger, GongRateLimitTrigger)
        return caught.trigger
    return None


def test_a_deferral_outliving_the_access_token_resumes_with_a_refreshed_one(
    gong_emulator: GongEmulator,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    run_trigger: Callable[[Any], list[dict[str, Any]]],
) -> None:
    gong = gong_emulator
    gong.configure(users=34, page_size=10, day_seconds=3.0, access_token_lifetime=LIFETIME)
    gong.reset()
    expected = [user["id"] for user in gong.directory.users(include_avatars=False)]
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())
    conn = gong.oauth_connection_dict(extra={"shared_state_url": redis_server.url})
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    gong.configure(rate_per_day=2)  # two calls per 3-second day, then 429s until the reset
    ti = FakeTI(task_id="fetch_users")
    task = GongUserOperator(
        task_id="fetch_users",
        gong_conn_id=CONN_ID,
        hook_params={"max_retry_wait": 0.5},
        fields=["id"],
        deferrable=True,
    )
    done: list[Any] = []

    trigger = deferred(lambda: task.execute({"ti": ti}), done)
    assert trigger is not None, "the load must run out of quota mid-way"
    refreshed_by_triggers = 0
    while trigger is not None:
        shared.REGISTRY.clear()  # the triggerer and the resumed task are processes of their own
        before = gong.stats()["oauth_refreshes"]
        (event,) = run_trigger(trigger)
        assert event["status"] == "ok", event
        refreshed_by_triggers += gong.stats()["oauth_refreshes"] - before
        shared.REGISTRY.clear()
        trigger = deferred(lambda event=event: task.execute_complete({"ti": ti}, event), done)

    (users,) = done
    assert [user["id"] for user in users] == expected  # every user once, in Gong's order
    stats = gong.stats()
    # The wait outlived the token: the trigger refreshed it, before Gong had to refuse it.
    assert refreshed_by_triggers >= 1
    assert stats["oauth_invalid_grants"] == 0
    assert stats["oauth_rejected_bearer"] == 0
    assert stats["by_status"].get("401") is None
    assert stats["oauth_refreshes"] == stats["oauth_token_requests"]
