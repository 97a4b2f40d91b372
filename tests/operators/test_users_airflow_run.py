"""GongUserOperator in a real Airflow run (``airflow dags test`` / ``tasks test``, SQLite): what XCom stores,
mapped paths, the XCom parts kept across a deferral."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow_home import AirflowHome, explain
from gong_recording_xcom import read_notes

from airflow_provider_gong.operators.users import xcom_size
from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_1_PLUS

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(900)]

HERE = Path(__file__).parent
DAG_FILE = HERE / "dags" / "gong_operator_checks.py"


@pytest.fixture(scope="module")
def gong() -> Iterator[GongEmulator]:
    with GongEmulator(EmulatorConfig(users=60, rate_per_second=None, rate_per_day=None)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("out")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory, gong: GongEmulator, out: Path) -> AirflowHome:
    env = {"AIRFLOW_CONN_GONG_DEFAULT": gong.connection_json(), "GONG_TEST_OUTPUT_DIR": str(out)}
    return AirflowHome(tmp_path_factory.mktemp("operator-checks"), [DAG_FILE], env=env).migrate()


def test_the_measured_size_is_what_a_real_xcom_push_stores(airflow: AirflowHome, gong: GongEmulator) -> None:
    airflow.run("dags", "test", "gong_xcom_size")
    with sqlite3.connect(airflow.home / "airflow.db") as db:
        [(raw,)] = db.execute(
            "SELECT value FROM xcom WHERE dag_id = 'gong_xcom_size' AND key = 'return_value'"
        ).fetchall()
    stored = raw if isinstance(raw, bytes) else str(raw).encode()
    users = json.loads(stored)
    assert users == [user for user in gong.users if user["id"] not in gong.avatar_ids]
    assert xcom_size(users) == len(stored)
    assert len(stored) > len(json.dumps(users, separators=(",", ":")).encode())  # compact JSON undercounts


def test_a_mapped_task_never_overwrites_another_map_index(airflow: AirflowHome, out: Path) -> None:
    proc = airflow.run("dags", "test", "gong_mapped_output", check=False)
    with sqlite3.connect(airflow.home / "airflow.db") as db:
        states = dict(
            ((task_id, map_index), state)
            for task_id, map_index, state in db.execute(
                "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = 'gong_mapped_output'"
            )
        )
    assert states == {
        ("shared_path", 0): "failed",
        ("shared_path", 1): "failed",
        ("path_per_index", 0): "success",
        ("path_per_index", 1): "success",
    }, explain(proc)
    assert "{{ ti.map_index }}" in proc.stdout + proc.stderr, explain(proc)
    written = {path.name for path in out.iterdir()}
    assert {"users-0.jsonl", "users-1.jsonl"} <= written
    assert not any(name.startswith(("shared", ".shared")) for name in written)


def test_a_mapped_task_group_may_give_each_map_index_its_own_path(airflow: AirflowHome, out: Path) -> None:
    airflow.run("dags", "test", "gong_mapped_group_output")
    assert {"group-a.jsonl", "group-b.jsonl"} <= {path.name for path in out.iterdir()}


def _states(airflow: AirflowHome, dag_id: str) -> dict[tuple[str, int], str]:
    with sqlite3.connect(airflow.home / "airflow.db") as db:
        rows = db.execute("SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ?", (dag_id,))
        return {(task_id, map_index): state for task_id, map_index, state in rows}


def test_a_mapped_user_ids_of_none_fails_instead_of_fetching_every_user(
    airflow: AirflowHome, gong: GongEmulator
) -> None:
    proc = airflow.run("dags", "test", "gong_mapped_user_ids_none", check=False)
    states = _states(airflow, "gong_mapped_user_ids_none")
    assert states == {
        ("give_mapped", -1): "success",
        ("m_xcom", 0): "failed",
        ("m_xcom", 1): "success",
        ("m_xcom", 2): "failed",
        ("m_xcom", 3): "failed",
        ("m_xcom", 4): "failed",
        ("m_literal", 0): "failed",
        ("m_literal", 1): "success",
    }, explain(proc)
    output = proc.stdout + proc.stderr
    # The XComArg-mapped case on every Airflow (test_users_hardening.py cannot run it on Airflow 2).
    for map_index, nothing in ((0, None), (2, ""), (3, "None"), (4, "null")):
        assert f"m_xcom: map index {map_index}: the mapped user_ids {nothing!r}" in output, explain(proc)
    assert "m_literal: map index 0: the mapped user_ids None" in output, explain(proc)
    assert airflow.xcoms("gong_mapped_user_ids_none").get(("m_xcom", 1)) == []


def test_mapped_indexes_sharing_a_default_or_repeated_output_path_fail(
    airflow: AirflowHome, out: Path
) -> None:
    proc = airflow.run("dags", "test", "gong_mapped_shared_output", check=False)
    assert _states(airflow, "gong_mapped_shared_output") == {
        ("m_default", 0): "failed",
        ("m_default", 1): "failed",
        ("m_twice", 0): "failed",
        ("m_twice", 1): "failed",
    }, explain(proc)
    assert "m_default: map index 0 would overwrite" in proc.stdout + proc.stderr, explain(proc)
    assert not any(path.name.startswith(("dflt", ".dflt", "twice", ".twice")) for path in out.iterdir())


#: Airflow 3.0's ``tasks test`` runs the trigger in line but never resumes the task (its ``_run_task``
#: returns after the trigger; 3.1 loops back): the ``dags`` case covers the same on 3.0.
TASKS_TEST_RESUMES = pytest.param(
    "tasks",
    marks=pytest.mark.skipif(
        AIRFLOW_V_3_0_PLUS and not AIRFLOW_V_3_1_PLUS,
        reason="Airflow 3.0's tasks test does not resume a deferred task after its trigger; covered by "
        "test_the_xcom_part_kept_across_a_real_deferral_is_read_back_then_deleted[dags]",
    ),
)


@pytest.mark.parametrize("command", [TASKS_TEST_RESUMES, "dags"])
def test_the_xcom_part_kept_across_a_real_deferral_is_read_back_then_deleted(
    command: str, airflow: AirflowHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 5 pages of users, 3 calls per 4-second "day": pages 1-3 wait in XCom while the trigger waits, then
    # pages 4-5 come; the XCom backend (a BaseXCom noting what goes through it) shows the part's life.
    config = EmulatorConfig(users=460, avatar_share=0.0, rate_per_second=None, rate_per_day=3, day_seconds=4)
    notes = tmp_path / "xcom-notes.jsonl"
    with GongEmulator(config) as quota:
        for name, value in {
            "AIRFLOW_CONN_GONG_DEFERRED": quota.connection_json(),
            "AIRFLOW__CORE__XCOM_BACKEND": "gong_recording_xcom.RecordingXCom",
            "PYTHONPATH": str(HERE),
            "GONG_XCOM_NOTES": str(notes),
        }.items():
            monkeypatch.setitem(airflow.env, name, value)
        dag_id = "gong_deferred_xcom"
        proc = airflow.run(
            *(("tasks", "test", dag_id, "all_users") if command == "tasks" else ("dags", "test", dag_id))
        )
        stats = quota.stats()
    output = proc.stdout + proc.stderr
    assert "running trigger in line" in output, explain(proc)
    assert "could not delete XCom" not in output, explain(proc)
    noted = read_notes(notes)
    stored = [(note["key"], note["items"]) for note in noted if note["event"] == "set"]
    # Airflow 2's tasks test calls the resumed method itself, after the trigger, and stores no return value.
    returned = [] if command == "tasks" and not AIRFLOW_V_3_0_PLUS else [("return_value", 460)]
    assert stored == [("gong_users_part_0", 300), *returned], noted
    deleted = [
        (note["key"], note["task_id"], note["map_index"]) for note in noted if note["event"] == "delete"
    ]
    assert deleted == [("gong_users_part_0", "all_users", -1)], noted
    assert stats["by_endpoint"]["GET /v2/users"] == {"200": 5 + 1, "429": 1}, stats  # each page once, 1 probe
    if command == "dags":  # tasks test removes its temporary run, XComs included
        with sqlite3.connect(airflow.home / "airflow.db") as db:
            keys = [row[0] for row in db.execute("SELECT key FROM xcom WHERE dag_id = ?", (dag_id,))]
        assert keys == ["return_value"]
        assert airflow.xcoms(dag_id)[("all_users", -1)] == [{"id": user["id"]} for user in quota.users]
