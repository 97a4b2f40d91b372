"""The Gong provider and connection from Airflow's command line (a real ``airflow`` in a temp home).

``airflow providers list`` shows the provider with its version; ``airflow connections test`` answers
"Connection success!" (exit 0) against the Gong emulator, and "Connection failed!" with Gong's requestId
and no secret (exit 1) for a wrong secret.
"""

from __future__ import annotations

import json
import re

import pytest
from gong_ui_harness import (
    EMULATOR_ACCESS_KEY,
    EMULATOR_SECRET,
    EMULATOR_TOKEN,
    Airflow,
    Emulator,
    basic_value,
)

from airflow_provider_gong import __version__

pytestmark = [pytest.mark.ui, pytest.mark.airflow_run]

WRONG_SECRET = "wrong-secret-Hk2v81QsNd"


def _add(airflow: Airflow, conn_id: str, conn: dict[str, object]) -> None:
    """``airflow connections add`` (each test has its own id in the session's fresh database)."""
    airflow.cli_ok("connections", "add", conn_id, "--conn-json", json.dumps(conn))


def test_providers_list_shows_gong_with_its_version(airflow: Airflow) -> None:
    result = airflow.cli_ok("providers", "list", "-o", "json")
    providers = {item["package_name"]: item for item in json.loads(result.stdout)}
    assert "airflow-provider-gong" in providers, sorted(providers)
    assert providers["airflow-provider-gong"]["version"] == __version__ == "0.1.0"


def test_connections_test_succeeds_with_access_key(airflow: Airflow, gong_emulator: Emulator) -> None:
    _add(
        airflow,
        "gong_cli_basic",
        {
            "conn_type": "gong",
            "host": gong_emulator.url,
            "login": EMULATOR_ACCESS_KEY,
            "password": EMULATOR_SECRET,
            "extra": {"timeout": 10, "max_retries": 1, "calls_per_second": 0},
        },
    )
    result = airflow.cli("connections", "test", "gong_cli_basic")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Connection success!" in result.stdout
    assert EMULATOR_SECRET not in result.stdout + result.stderr


def test_connections_test_succeeds_with_oauth_token(airflow: Airflow, gong_emulator: Emulator) -> None:
    _add(
        airflow,
        "gong_cli_oauth",
        {"conn_type": "gong", "host": gong_emulator.url, "extra": {"access_token": EMULATOR_TOKEN}},
    )
    result = airflow.cli("connections", "test", "gong_cli_oauth")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Connection success!" in result.stdout


def test_connections_test_fails_with_request_id_and_no_secret(
    airflow: Airflow, gong_emulator: Emulator
) -> None:
    _add(
        airflow,
        "gong_cli_wrong",
        {
            "conn_type": "gong",
            "host": gong_emulator.url,
            "login": EMULATOR_ACCESS_KEY,
            "password": WRONG_SECRET,
        },
    )
    result = airflow.cli("connections", "test", "gong_cli_wrong")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Connection failed!" in result.stdout
    assert f"Gong at {gong_emulator.url} refused the test: Gong API 401 on GET /v2/users" in result.stdout
    assert re.search(r"\(requestId [0-9a-z]+\)", result.stdout), result.stdout
    assert WRONG_SECRET not in output
    assert basic_value(EMULATOR_ACCESS_KEY, WRONG_SECRET) not in output
