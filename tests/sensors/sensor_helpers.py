"""Shared pieces of the sensor tests (a plain module: pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow_provider_gong.testing import GongEmulator


class RescheduleTI:
    """What the base sensor asks of the task instance in reschedule mode: the first reschedule date."""

    def get_first_reschedule_date(self, context: Any) -> datetime | None:
        return None


def list_calls(gong: GongEmulator) -> dict[str, int]:
    """The emulator's answers to the sensor's probe (``GET /v2/users``), by status."""
    return gong.stats()["by_endpoint"].get("GET /v2/users", {})
