"""Shared pieces of the sensor tests (a plain module: pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException, TaskDeferred

from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger

RunTrigger = Callable[[Any], list[dict[str, Any]]]
#: ``(soft_fail, what a timeout raises)``: a sensor's timeout fails it, or skips it with ``soft_fail``.
TIMEOUT_OUTCOMES = [(False, AirflowSensorTimeout), (True, AirflowSkipException)]


class RescheduleTI:
    """
    What a sensor in reschedule mode asks of the task instance: the first reschedule date.

    :param first_poke_ago: Seconds since the first poke of the task's first try (``None``: never
        rescheduled yet, so this poke is the first).
    """

    def __init__(self, first_poke_ago: float | None = None) -> None:
        self.first = None
        if first_poke_ago is not None:
            self.first = datetime.now(timezone.utc) - timedelta(seconds=first_poke_ago)

    def get_first_reschedule_date(self, context: Any) -> datetime | None:
        return self.first


def list_calls(gong: GongEmulator) -> dict[str, int]:
    """The emulator's answers to the sensor's probe (``GET /v2/users``), by status."""
    return gong.stats()["by_endpoint"].get("GET /v2/users", {})


def seconds_until(moment: datetime | str) -> float:
    """Seconds from now until ``moment`` (a ``datetime`` or ISO-8601 text), negative when past."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return (when - datetime.now(timezone.utc)).total_seconds()


def env_connection(monkeypatch: pytest.MonkeyPatch, host: str, conn_id: str = "gong_http") -> str:
    """Define a Basic-auth Gong connection to ``host`` through ``AIRFLOW_CONN_<ID>``; return its id."""
    conn = {
        "conn_type": "gong",
        "host": host,
        "login": "test-access-key",
        "password": "test-access-secret-0001",
        "extra": {"calls_per_second": 0},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return conn_id


def deferral(run: Callable[[], Any]) -> tuple[TaskDeferred, GongRateLimitTrigger]:
    """Call ``run``, which must defer to a :class:`GongRateLimitTrigger`; return the deferral and it."""
    with pytest.raises(TaskDeferred) as caught:
        run()
    trigger = caught.value.trigger
    assert isinstance(trigger, GongRateLimitTrigger)
    return caught.value, trigger
