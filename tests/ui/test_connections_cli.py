"""The Gong provider and connection from Airflow's command line (a real ``airflow`` in a temp home).

``airflow providers list`` shows the provider with its version; ``airflow connections test`` answers
"Connection success!" (exit 0) against the Gong emulator, and "Connection failed!" with Gong's requestId
and no secret for a wrong secret (exit 1 on Airflow >= 3.3; before, the command exits 0 either way).
Runs on every Airflow the provider supports (2.11 to 3.3).
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from gong_ui_harness import (
    EMULATOR_ACCESS_KEY,
    EMULATOR_SECRET,
    EMULATOR_TOKEN,
    Airflow,
    Emulator,
    basic_value,
)

from airflow_provider_gong import __version__
from airflow_provider_gong.testing.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TOKEN_PATH
from airflow_provider_gong.version_compat import AIRFLOW_VERSION

pytestmark = [pytest.mark.ui, pytest.mark.airflow_run]

WRONG_SECRET = "wrong-secret-Hk2v81QsNd"

#: ``airflow connections test`` exits 1 on a failed test since Airflow 3.3; before, it exits 0 either way.
FAILED_TEST_EXIT = 1 if AIRFLOW_VERSION >= (3, 3, 0) else 0


def _add(airflow: Airflow, conn_id: str, conn: dict[str, object]) -> None:
    """``airflow connections add`` (each test has its own id in the session's fresh database)."""
    airflow.cli_ok("connections", "add", conn_id, "--conn-json", json.dumps(conn))


def _json_output(stdout: str) -> list[dict[str, object]]:
    """The JSON a ``-o json`` command printed: all of stdout, but for Airflow 3.0's log lines before it.

    Airflow 3.0 logs at INFO to stdout (alembic plugins, hooks without Flask-AppBuilder) ahead of the
    JSON; from 3.1 on, and on 2.11, stdout is the JSON alone.
    """
    if (3, 0, 0) <= AIRFLOW_VERSION < (3, 1, 0):
        stdout = [line for line in stdout.splitlines() if line.startswith("[{")][-1]
    return list(json.loads(stdout))


def test_providers_list_shows_gong_with_its_version(airflow: Airflow) -> None:
    result = airflow.cli_ok("providers", "list", "-o", "json")
    providers = {item["package_name"]: item for item in _json_output(result.stdout)}
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
    assert result.returncode == FAILED_TEST_EXIT, output
    assert "Connection failed!" in result.stdout
    assert f"Gong at {gong_emulator.url} refused the test: Gong API 401 on GET /v2/users" in result.stdout
    assert re.search(r"\(requestId [0-9a-z]+\)", result.stdout), result.stdout
    assert WRONG_SECRET not in output
    assert basic_value(EMULATOR_ACCESS_KEY, WRONG_SECRET) not in output


def test_connections_test_of_an_oauth_app_does_not_spend_its_refresh_token(
    airflow: Airflow, gong_emulator: Emulator
) -> None:
    """Without shared state, the command says a refresh would spend the single-use token, and spends none."""
    refresh_token = gong_emulator.control("POST", "/_emulator/oauth/refresh-token")["refresh_token"]
    before = gong_emulator.stats()["oauth_token_requests"]
    _add(
        airflow,
        "gong_cli_oauth_app",
        {
            "conn_type": "gong",
            "host": gong_emulator.url,
            "extra": {
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "refresh_token": refresh_token,
                "token_url": gong_emulator.url + TOKEN_PATH,
            },
        },
    )
    result = airflow.cli("connections", "test", "gong_cli_oauth_app")
    output = result.stdout + result.stderr
    assert result.returncode == FAILED_TEST_EXIT, output
    assert "Connection failed!" in result.stdout
    assert "would spend the single-use refresh token" in " ".join(result.stdout.split())  # lines wrap
    assert refresh_token not in output
    assert DEFAULT_CLIENT_SECRET not in output
    assert gong_emulator.stats()["oauth_token_requests"] == before
    # Still usable: the emulator rotates it for us (a 200), which spends it only now.
    with requests.Session() as http:
        http.trust_env = False
        answer = http.post(
            gong_emulator.url + TOKEN_PATH,
            params={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            timeout=30,
        )
    assert answer.status_code == 200, answer.text
