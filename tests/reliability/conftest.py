"""Fixtures of the reliability and security suite: env connections, injected pacers.

The emulator, proxy isolation, the emptied process-wide pacers and ``gong_logs`` come from
``tests/conftest.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_gong.client.pacing import PacerRegistry

CONN_ID = "gong_reliability"


ConnFactory = Callable[..., str]


@pytest.fixture
def make_conn(monkeypatch: pytest.MonkeyPatch) -> ConnFactory:
    """Define an Airflow connection through ``AIRFLOW_CONN_<ID>`` (JSON form); return its id."""

    def factory(conn_id: str = CONN_ID, **conn: Any) -> str:
        conn.setdefault("conn_type", "gong")
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    return factory


@pytest.fixture
def pacer_waits() -> list[float]:
    """Waits the pacers of :func:`pacers` asked for (recorded, never slept)."""
    return []


@pytest.fixture
def pacers(pacer_waits: list[float]) -> PacerRegistry:
    """
    A pacer registry of the test's own whose pacers record their waits in ``pacer_waits``, not sleeping.

    Pass it as ``GongHook(..., pacers=pacers)``; a hook built without it paces (and sleeps out a
    ``Retry-After`` hold-off) for real, on the process's registry.
    """
    return PacerRegistry(sleep=pacer_waits.append)
