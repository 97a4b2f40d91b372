"""Fixtures of the reliability and security suite: env connections.

The emulator, proxy isolation, fresh pacers and ``gong_logs`` come from ``tests/conftest.py``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_gong.client import pacing

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
def pacer_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Pacers that record their waits instead of sleeping (the registry is fresh, see tests/conftest.py)."""
    waits: list[float] = []
    monkeypatch.setattr(pacing, "Pacer", functools.partial(pacing.Pacer, sleep=waits.append))
    return waits
