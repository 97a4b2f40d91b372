"""Fixtures of the reliability and security suite: the Gong emulator, env connections, captured logs.

The emulator's pytest plugin provides ``gong_emulator``; the root conftest may already register it,
otherwise it is registered here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from airflow_provider_gong import pacing

PLUGIN = "airflow_provider_gong.testing.pytest_plugin"
CONN_ID = "gong_reliability"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests honours proxy variables; these tests talk to local servers directly."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def _fresh_pacers(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Give every test its own (real) pacer registry.

    Pacers are process-wide on purpose (hooks of one company share a pace), so a ``Retry-After`` hold-off
    of one test would otherwise slow the next one. The pacers here sleep for real: the thread test
    measures the pace they hold.
    """
    monkeypatch.setattr(pacing, "_registry", {})


@pytest.fixture
def gong_logs() -> Iterator[list[dict[str, Any]]]:
    """
    Structlog events logged while the test runs.

    Airflow 3 logs through structlog, which its configuration renders to stdout, not to the stdlib
    ``logging`` tree, so pytest's ``caplog`` sees nothing; ``capture_logs`` does.
    """
    with capture_logs() as logs:
        yield logs


ConnFactory = Callable[..., str]


@pytest.fixture
def make_conn(monkeypatch: pytest.MonkeyPatch) -> ConnFactory:
    """Define an Airflow connection through ``AIRFLOW_CONN_<ID>`` (JSON form); return its id."""

    def factory(conn_id: str = CONN_ID, **conn: Any) -> str:
        conn.setdefault("conn_type", "gong")
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    return factory
