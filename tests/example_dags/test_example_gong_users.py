"""The example DAG and a mapped GongUserOperator, run for real with ``airflow dags test`` on the emulator."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_home import AirflowHome, explain

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_dags" / "example_gong_users.py"
MAPPED = Path(__file__).parent / "dags" / "gong_mapped_users.py"
DEFERRED = Path(__file__).parent / "dags" / "gong_deferred_fetch.py"
#: How Airflow 3.0's in-process supervisor logs a request to mask a secret (at debug, in ``dags test``).
_MASK_REQUEST = re.compile(r"\bSending request +msg=MaskSecret\(value=")


@pytest.fixture(scope="module")
def gong() -> Iterator[GongEmulator]:
    # Gong's real per-second limit: the hook's pace must keep the run free of 429s.
    with GongEmulator(EmulatorConfig(users=250, rate_per_second=3, rate_per_day=10_000)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory, gong: GongEmulator) -> AirflowHome:
    home = AirflowHome(
        tmp_path_factory.mktemp("example-dags"),
        [EXAMPLE, MAPPED, DEFERRED],
        env={"AIRFLOW_CONN_GONG_DEFAULT": gong.connection_json()},
    ).migrate()
    home.run("pools", "set", "gong_api", "1", "Gong API calls")
    return home


def unmasked(output: str, secret: str) -> list[str]:
    """
    The lines of a run's output that show ``secret``, but for the requests to mask it.

    Airflow 3.0's ``dags test`` prints the debug log of its in-process supervisor, where each request to
    mask a secret shows the secret (``Sending request  msg=MaskSecret(value=...)``; Airflow's own masking of
    the connection's password too): that is the masking itself, not the provider logging the secret.
    """
    return [line for line in output.splitlines() if secret in line and not _MASK_REQUEST.search(line)]


def visible(gong: GongEmulator) -> list[dict[str, Any]]:
    return [user for user in gong.users if user["id"] not in gong.avatar_ids]


def test_example_dag_runs_and_its_xcoms_match_the_emulator(airflow: AirflowHome, gong: GongEmulator) -> None:
    users = visible(gong)
    chosen = [users[7]["id"], users[0]["id"], users[42]["id"]]
    gong.reset()
    proc = airflow.run("dags", "test", "example_gong_users", "-c", json.dumps({"user_ids": chosen}))
    output = proc.stdout + proc.stderr
    assert "Gong active-users report:" in output, explain(proc)
    # Where the data came from (no credentials), what the listing hides, and the calls it took.
    assert f"data from: Gong at {gong.url}" in output, explain(proc)
    active_count = sum(1 for user in users if user["active"])
    listed = f"{len(users)} users listed (avatars hidden: include_avatars=False), {active_count} active"
    assert listed in output, explain(proc)
    assert "Gong calls: 5 needed (1 for 3 chosen ids, 1 rate-limit probe, 3 pages of all users)" in output
    assert unmasked(output, gong.config.secret) == [], explain(proc)

    xcoms = airflow.xcoms("example_gong_users")
    by_id = {user["id"]: user for user in users}
    assert xcoms[("fetch_chosen_users", -1)] == [by_id[uid] for uid in chosen]
    keep = ("id", "emailAddress", "active", "managerId", "spokenLanguages")
    assert xcoms[("fetch_all_users", -1)] == [{k: u[k] for k in keep} for u in users]

    report = xcoms[("active_users_report", -1)]
    active = [user for user in users if user["active"]]
    assert report["source"] == gong.url
    assert report["users"] == len(users)
    assert report["include_avatars"] is False
    assert report["active_users"] == len(active)
    assert report["chosen_users"] == chosen
    assert report["chosen_users_unknown_in_listing"] == []
    assert report["active_per_manager"] == dict(Counter(u["managerId"] or "(no manager)" for u in active))
    languages = Counter(
        next((lang["language"] for lang in u["spokenLanguages"] if lang["primary"]), "(none)") for u in active
    )
    assert report["active_per_primary_language"] == dict(languages)

    stats = gong.stats()
    assert stats["responses_429"] == 0, stats
    # 1 call for the chosen ids, 1 sensor probe, ceil(245/100) pages of all users.
    assert stats["by_endpoint"]["POST /v2/users/extensive"] == {"200": 1}, stats
    assert stats["gong_calls"] == 1 + 1 + 3, stats
    assert report["gong_calls_needed"] == {"chosen_ids": 1, "rate_limit_probe": 1, "pages_of_all_users": 3}


def test_mapped_operator_returns_one_list_per_group(airflow: AirflowHome, gong: GongEmulator) -> None:
    ids = [user["id"] for user in visible(gong)]
    groups = [ids[0], [ids[3], ids[2]], ids[10:13]]
    gong.reset()
    airflow.run("dags", "test", "gong_mapped_users", "-c", json.dumps({"groups": groups}))
    xcoms = airflow.xcoms("gong_mapped_users")
    by_id = {user["id"]: user for user in gong.users}

    def shaped(uids: list[str]) -> list[dict[str, Any]]:
        return [{"id": uid, "emailAddress": by_id[uid]["emailAddress"]} for uid in uids]

    assert xcoms == {
        ("users_per_group", 0): shaped([ids[0]]),
        ("users_per_group", 1): shaped([ids[3], ids[2]]),
        ("users_per_group", 2): shaped(ids[10:13]),
    }
    assert gong.stats()["gong_calls"] == 3


def test_deferrable_fetch_resumes_after_a_spent_quota_and_leaves_one_xcom(airflow: AirflowHome) -> None:
    # 5 pages of users, 3 calls per 4-second "day": the fetch stops after page 3, waits in the trigger,
    # and resumes from Gong's cursor (1 probe + pages 4 and 5 in the next "day").
    config = EmulatorConfig(users=460, avatar_share=0.0, rate_per_second=None, rate_per_day=3, day_seconds=4)
    with GongEmulator(config) as quota:
        airflow.env["AIRFLOW_CONN_GONG_DEFERRED"] = quota.connection_json()
        proc = airflow.run("dags", "test", "gong_deferred_fetch")
        stats = quota.stats()
        users = quota.users
    assert "running trigger in line" in proc.stdout + proc.stderr, explain(proc)
    with sqlite3.connect(airflow.home / "airflow.db") as db:
        keys = sorted(
            row[0] for row in db.execute("SELECT key FROM xcom WHERE dag_id = 'gong_deferred_fetch'")
        )
    assert keys == ["return_value"], "the parts kept across the deferral must be gone"
    assert airflow.xcoms("gong_deferred_fetch")[("all_users", -1)] == [{"id": u["id"]} for u in users]
    assert stats["by_endpoint"]["GET /v2/users"]["200"] == 5 + 1, stats  # 5 pages once each, 1 probe
