"""
No credential leaks from real task runs: ``airflow tasks test`` (which redacts like a worker; ``airflow
dags test`` does not redact at all) against the Gong emulator, for success (Basic and Bearer auth), 401,
repeated 500 then failure, and a timeout.

For every run the suite searches the full task output (stdout + stderr: logs, the exception text and its
traceback), every file under ``AIRFLOW_HOME/logs``, the XComs read back from the metadata database, and
the raw bytes of the whole SQLite database, for the access key secret, the OAuth token and the base64
``Basic ...`` value (with and without the scheme): zero hits. The ``summarize_users`` task logs the
derived ``Authorization`` value on purpose; its output must show ``auth=***``. (``tasks test`` logs to
its output and, on 3.3.2, writes no task log file: ``logs/`` stays empty; any file that does appear is
searched too.)

Slow (each ``airflow`` command starts Airflow: ~8 s of CPU), so marked ``airflow_run``: one
``airflow db migrate`` and ``dags reserialize`` per module, two ``dags trigger`` (real runs whose XComs
stay in the database to be read back) and six task runs.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.version_compat import AIRFLOW_VERSION

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(600)]

DAG_ID = "gong_secrets_check"
DAGS_FOLDER = Path(__file__).parent / "dags"
AIRFLOW = str(Path(sys.executable).parent / "airflow")

# Realistic lengths: Airflow's masker ignores values shorter than 5 characters.
ACCESS_KEY = "reliability-access-key-4e1f07"
SECRET = "reliability-secret-8c2d5b7a9e41f3"
TOKEN = "reliability-oauth-token-3f6a1c9d0b72e5aa"
WRONG_SECRET = "reliability-wrong-secret-0a1b2c3d4e5f"


def _basic(secret: str) -> str:
    return base64.b64encode(f"{ACCESS_KEY}:{secret}".encode()).decode("ascii")


#: What must never appear anywhere, by run kind.
BASIC_SECRETS = [SECRET, _basic(SECRET), f"Basic {_basic(SECRET)}"]
BEARER_SECRETS = [TOKEN, f"Bearer {TOKEN}"]
WRONG_SECRETS = [WRONG_SECRET, _basic(WRONG_SECRET), f"Basic {_basic(WRONG_SECRET)}"]
ALL_SECRETS = BASIC_SECRETS + BEARER_SECRETS + WRONG_SECRETS


@dataclass
class TaskRun:
    task_id: str
    returncode: int
    output: str
    seconds: float


@dataclass
class AirflowHome:
    path: Path
    env: dict[str, str]
    timings: dict[str, float]
    triggered: list[str] = field(default_factory=list)
    tested: int = 0

    def run(self, *args: str, conn: dict[str, Any] | None = None, label: str) -> TaskRun:
        env = dict(self.env)
        if conn is not None:
            env["AIRFLOW_CONN_GONG_DEFAULT"] = json.dumps(conn)
        started = time.monotonic()
        done = subprocess.run(
            [AIRFLOW, *args],
            env=env,
            cwd=self.path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        seconds = time.monotonic() - started
        self.timings[label] = seconds
        name = args[3] if args[:2] == ("tasks", "test") else " ".join(args[:2])
        return TaskRun(name, done.returncode, done.stdout + done.stderr, seconds)

    def trigger(self, run_id: str) -> None:
        # A logical date of its own for each run: with two runs of no logical date in the database, Airflow
        # 3.0's `tasks test` of a new run fails to read them ("Couldn't parse datetime string").
        self.triggered.append(run_id)
        logical_date = f"2024-01-{len(self.triggered):02d}T00:00:00+00:00"
        flag = "--logical-date" if AIRFLOW_VERSION >= (3, 0, 0) else "--exec-date"
        done = self.run(
            "dags", "trigger", DAG_ID, "--run-id", run_id, flag, logical_date, label=f"trigger {run_id}"
        )
        assert done.returncode == 0, done.output[-3000:]
        # No scheduler starts the run, so it has no start date, and Airflow 3.0's execution API refuses to
        # run a task of such a run ("dag_run.start_date: Input should be a valid datetime"). Give it the
        # start a scheduler would have (harmless elsewhere).
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as Airflow stores its dates
        with sqlite3.connect(self.path / "airflow.db") as db:
            db.execute(
                "UPDATE dag_run SET start_date = ? WHERE dag_id = ? AND run_id = ?", (started, DAG_ID, run_id)
            )

    def task(
        self,
        task_id: str,
        conn: dict[str, Any],
        user_ids: list[str],
        run_id: str | None = None,
        *,
        label: str,
    ) -> TaskRun:
        # A run of its own where none is given, by a logical date of its own: Airflow 3.0's `tasks test`
        # without one trips over the run of no logical date an earlier failed `tasks test` left behind.
        self.tested += 1
        args = ["tasks", "test", DAG_ID, task_id, run_id or f"2024-02-{self.tested:02d}T00:00:00+00:00"]
        args += ["--task-params", json.dumps({"user_ids": user_ids})]
        return self.run(*args, conn=conn, label=label)

    def xcoms(self, run_id: str) -> dict[str, Any]:
        with sqlite3.connect(self.path / "airflow.db") as db:
            rows = db.execute(
                "SELECT task_id, key, value FROM xcom WHERE dag_id = ? AND run_id = ?", (DAG_ID, run_id)
            ).fetchall()
        return {f"{task_id}.{key}": value for task_id, key, value in rows}

    def log_files(self) -> list[Path]:
        return [path for path in (self.path / "logs").rglob("*") if path.is_file()]


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowHome]:
    path = tmp_path_factory.mktemp("airflow_home")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(name, None)
    env.update(
        {
            "AIRFLOW_HOME": str(path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    home = AirflowHome(path, env, {})
    migrated = home.run("db", "migrate", label="db migrate")
    assert migrated.returncode == 0, migrated.output[-3000:]
    # The DAG must be known to the database before `dags trigger` can make a run for the XCom checks.
    serialized = home.run("dags", "reserialize", label="dags reserialize")
    assert serialized.returncode == 0, serialized.output[-3000:]
    yield home
    print("\nairflow command wall times: " + ", ".join(f"{k} {v:.1f} s" for k, v in home.timings.items()))


@pytest.fixture(scope="module")
def emulator() -> Iterator[GongEmulator]:
    config = EmulatorConfig(
        users=50,
        access_key=ACCESS_KEY,
        secret=SECRET,
        token=TOKEN,
        rate_per_second=None,
        rate_per_day=None,
    )
    with GongEmulator(config) as gong:
        yield gong


@pytest.fixture
def gong(emulator: GongEmulator) -> Iterator[GongEmulator]:
    emulator.configure(hang=0.0, fail_5xx=0.0)
    emulator.reset()
    yield emulator
    emulator.configure(hang=0.0, fail_5xx=0.0)
    emulator.reset()


def _conn(gong: GongEmulator, *, auth: str = "basic", secret: str = SECRET, **extra: Any) -> dict[str, Any]:
    conn = gong.connection_dict(auth="bearer" if auth == "bearer" else "basic")
    if auth == "basic":
        conn["password"] = secret
    conn["extra"] = {**conn.get("extra", {}), "calls_per_second": 0, **extra}
    return conn


def _user_ids(gong: GongEmulator, count: int = 3) -> list[str]:
    visible = [uid for uid in gong.directory.ids if uid not in gong.avatar_ids]
    return visible[:count]


def _without_airflow_30_mask_requests(output: str) -> str:
    """
    The output of ``airflow tasks test`` without Airflow 3.0's own debug lines of the secrets it masks.

    Airflow 3.0's in-process supervisor prints each message of the task to it at DEBUG, whatever the log
    level, and a masking request carries the secret it masks: the connection's password (masked by Airflow
    itself) as much as the hook's derived ``Basic`` value, e.g. ``Sending request
    msg=MaskSecret(value='...')``. 3.1.8 prints none; the README says so. Every other line is searched.
    """
    if AIRFLOW_VERSION[:2] != (3, 0):
        return output
    return "\n".join(line for line in output.splitlines() if "MaskSecret(value=" not in line)


def _assert_nothing_leaked(home: AirflowHome, runs: list[TaskRun], xcoms: dict[str, Any]) -> None:
    places: dict[str, str] = {
        f"output of {run.task_id}": _without_airflow_30_mask_requests(run.output) for run in runs
    }
    places.update({f"XCom {key}": str(value) for key, value in xcoms.items()})
    for path in home.log_files():
        places[f"log file {path}"] = path.read_text(errors="replace")
    database = (home.path / "airflow.db").read_bytes()
    for secret in ALL_SECRETS:
        for where, text in places.items():
            assert secret not in text, f"{secret[:12]}... leaked in {where}"
        assert secret.encode() not in database, f"{secret[:12]}... leaked in the metadata database"


def _final_state(run: TaskRun) -> str:
    """The end state, as Airflow 3 (``new_state=success``) or 2 (``Marking task as SUCCESS``) logs it."""
    for state in ("success", "failed"):
        if f"new_state={state}" in run.output or f"Marking task as {state.upper()}." in run.output:
            return state
    raise AssertionError(f"no final task state in the output of {run.task_id}:\n{run.output[-3000:]}")


def test_basic_auth_success_leaks_nothing(airflow_home: AirflowHome, gong: GongEmulator) -> None:
    ids = _user_ids(gong)
    airflow_home.trigger("basic_ok")
    conn = _conn(gong)

    fetch = airflow_home.task("fetch_users", conn, ids, "basic_ok", label="basic fetch_users")
    summary = airflow_home.task("summarize_users", conn, ids, "basic_ok", label="basic summarize_users")

    assert _final_state(fetch) == "success", fetch.output[-3000:]
    assert _final_state(summary) == "success", summary.output[-3000:]
    assert "fetched 3/3 users (page 1)" in fetch.output
    assert "fetched 3 users; e-mail domains:" in summary.output
    # The derived Authorization value, logged and printed on purpose, came out masked.
    assert "auth=***" in summary.output
    assert "print of the header: ***" in summary.output
    assert "auth_mode='basic'" in summary.output
    xcoms = airflow_home.xcoms("basic_ok")
    assert [user["id"] for user in json.loads(xcoms["fetch_users.return_value"])] == ids
    assert json.loads(xcoms["summarize_users.return_value"])["users"] == 3
    assert gong.stats()["by_status"] == {"200": 2}
    _assert_nothing_leaked(airflow_home, [fetch, summary], xcoms)


def test_bearer_auth_success_leaks_nothing(airflow_home: AirflowHome, gong: GongEmulator) -> None:
    ids = _user_ids(gong)
    airflow_home.trigger("bearer_ok")

    summary = airflow_home.task(
        "summarize_users", _conn(gong, auth="bearer"), ids, "bearer_ok", label="bearer summarize_users"
    )

    assert _final_state(summary) == "success", summary.output[-3000:]
    assert "auth=***" in summary.output
    assert "print of the header: ***" in summary.output
    assert "auth_mode='bearer'" in summary.output
    xcoms = airflow_home.xcoms("bearer_ok")
    returned = json.loads(xcoms["summarize_users.return_value"])
    assert returned["users"] == 3
    assert returned["auth_mode"] == "bearer"
    assert gong.stats()["by_status"] == {"200": 1}
    _assert_nothing_leaked(airflow_home, [summary], xcoms)


def test_401_leaks_nothing(airflow_home: AirflowHome, gong: GongEmulator) -> None:
    run = airflow_home.task(
        "fetch_users", _conn(gong, secret=WRONG_SECRET), _user_ids(gong), label="401 fetch_users"
    )

    assert _final_state(run) == "failed"
    assert "GongAuthError: Gong API 401 on POST /v2/users/extensive" in run.output
    assert "Invalid access key or access key secret" in run.output
    assert "requestId" in run.output
    assert gong.stats()["by_status"] == {"401": 1}  # not retried
    _assert_nothing_leaked(airflow_home, [run], {})


def test_repeated_500_then_failure_leaks_nothing(airflow_home: AirflowHome, gong: GongEmulator) -> None:
    gong.fail_next({"status": 500}, {"status": 500}, {"status": 500})

    run = airflow_home.task(
        "fetch_users", _conn(gong, max_retries=2), _user_ids(gong), label="500 fetch_users"
    )

    assert _final_state(run) == "failed"
    assert "retry 1 of 2" in run.output
    assert "retry 2 of 2" in run.output
    assert "GongServerError: Gong API 500 on POST /v2/users/extensive" in run.output
    assert gong.stats()["by_status"] == {"500": 3}
    _assert_nothing_leaked(airflow_home, [run], {})


def test_timeout_leaks_nothing(airflow_home: AirflowHome, gong: GongEmulator) -> None:
    gong.configure(hang=1.0)

    run = airflow_home.task(
        "fetch_users", _conn(gong, timeout=1, max_retries=1), _user_ids(gong), label="timeout fetch_users"
    )

    assert _final_state(run) == "failed"
    assert "GongTimeoutError" in run.output
    assert "timed out after 1 s" in run.output
    assert gong.stats()["by_status"] == {"hung": 2}
    _assert_nothing_leaked(airflow_home, [run], {})
