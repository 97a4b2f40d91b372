"""Real ``airflow dags test`` runs of an OAuth app without shared state: the rotated token in a Variable.

The first run refreshes with the connection's seed refresh token and saves the rotated one to the Variable
``gong_oauth_token__gong_oauth`` (through the Task SDK on Airflow 3, Airflow 2's model on 2.11), encrypted
by Airflow with its Fernet key. After the access token expired, a second run (a new process) reads the
Variable and refreshes with the rotated refresh token: the seed is spent, so sending it would be an
``invalid_grant``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from airflow_home import AirflowHome
from cryptography.fernet import Fernet

from airflow_provider_gong.testing import GongEmulator

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(600)]

HERE = Path(__file__).parent
VARIABLE = "gong_oauth_token__gong_oauth"


def variable_row(home: AirflowHome) -> tuple[str, bool] | None:
    with sqlite3.connect(home.home / "airflow.db") as db:
        row = db.execute("SELECT val, is_encrypted FROM variable WHERE key = ?", (VARIABLE,)).fetchone()
    return None if row is None else (str(row[0]), bool(row[1]))


def test_the_rotated_refresh_token_is_saved_to_a_variable_and_the_next_run_uses_it(
    gong_emulator: GongEmulator, tmp_path: Path
) -> None:
    gong = gong_emulator
    gong.configure(users=12, page_size=100)
    conn = gong.oauth_connection_dict()
    seed = conn["extra"]["refresh_token"]
    home = AirflowHome(
        tmp_path,
        [HERE / "gong_oauth_dag.py"],
        env={
            "AIRFLOW_CONN_GONG_OAUTH": json.dumps(conn),
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        },
    ).migrate()

    home.run("dags", "test", "gong_oauth_users", "2026-01-01")
    stored = variable_row(home)
    assert stored is not None, "the rotated token was not saved"
    value, encrypted = stored
    assert encrypted  # Airflow encrypted it with its Fernet key
    assert seed not in value
    assert gong.stats()["oauth_refreshes"] == 1

    gong.expire_access_tokens()
    proc = home.run("dags", "test", "gong_oauth_users", "2026-01-02")
    stats = gong.stats()
    assert stats["oauth_refreshes"] == 2
    assert stats["oauth_invalid_grants"] == 0  # the rotated refresh token was sent, not the spent seed
    assert stats["by_status"].get("401", 0) == 1  # the expired token, refused once, then refreshed
    # Airflow 3.0's dags test prints its own requests to mask a secret, the secret in them (the README says
    # so): every other line is searched.
    output = "\n".join(line for line in (proc.stdout + proc.stderr).splitlines() if "MaskSecret" not in line)
    assert seed not in output
    assert conn["extra"]["client_secret"] not in output
    assert variable_row(home) != stored  # rotated again, and saved again
