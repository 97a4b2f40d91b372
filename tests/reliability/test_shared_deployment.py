"""A real Airflow deployment (LocalExecutor, mapped tasks running at once) held to Gong's 3 calls/s by Redis.

The scheduler runs 8 mapped GongUserOperator instances of ``dags/gong_shared_mapped.py`` in parallel, each
listing every user page by page from an emulator that answers 429 beyond 3 calls in any second. Their
connection shares one pace through a real ``redis-server`` (``shared_state_url``): the emulator must
answer no 429 at all, and the calls must still come about as fast as the limit allows.

The components run as separate processes, as a deployment runs them, rather than ``airflow standalone``
(which also starts the UI, creates users, and differs between Airflow 2 and 3): on Airflow 3 the scheduler,
the dag-processor and the api-server (its execution API is what the task processes talk to); on Airflow 2
the scheduler alone, which parses the DAGs itself and whose task processes write to the database directly.
No triggerer runs: no task of the DAG defers (a 429 that made one defer fails the test anyway).

Airflow 3 runs LocalExecutor on SQLite (its tasks reach the database only through the api-server). Airflow
2's scheduler refuses LocalExecutor on SQLite ("cannot use SQLite with the LocalExecutor"), so on Airflow 2
the test needs ``GONG_TEST_AIRFLOW_DB`` (the SQLAlchemy URL of an empty Postgres or MySQL database, which
also replaces SQLite on Airflow 3) and is skipped without it: CI runs no database server, and the shared
limits are the same code on every Airflow (their own tests run on every leg).

Four mapped tasks run at once (``parallelism`` 4): each Airflow 3 task is two processes (its supervisor and
the task), and on the 2-core CI machine more of them only add scheduling delays.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
import requests
from airflow_home import AIRFLOW, AirflowHome
from ui.gong_ui_harness import ManagedProcess, _free_port, wait_for

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.config import DEFAULT_ACCESS_KEY, DEFAULT_SECRET
from airflow_provider_gong.testing.launch import EmulatorProcess
from airflow_provider_gong.testing.redis_server import RedisServer
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(900)]

HERE = Path(__file__).parent
DAG_FILE = HERE / "dags" / "gong_shared_mapped.py"
DAG_ID = "gong_shared_mapped"
TASK_ID = "list_users"

#: Mapped task instances, all running at once (one wave: tasks that start later would leave the pace idle
#: while their processes start, and the time would measure Airflow's start-up, not the pace).
MAPPED = 4
PARALLELISM = 4
#: Users of the emulated company and records per page: each task makes ceil(78 / 2) = 39 calls.
USERS = 78
PAGE_SIZE = 2
CALLS = MAPPED * math.ceil(USERS / PAGE_SIZE)
#: Gong's limit, which the emulator enforces and the connection's shared pace keeps to.
RATE = 3
#: Bounds of the waits (seconds): the components' start-up, the DAG's parse, the run.
START_TIMEOUT = 300.0
PARSE_TIMEOUT = 180.0
RUN_TIMEOUT = 300.0


def _database(home_root: Path) -> dict[str, str]:
    """
    The environment of the metadata database: ``GONG_TEST_AIRFLOW_DB`` (a SQLAlchemy URL) when set, else
    SQLite under the home; on Airflow 2, SQLite with LocalExecutor needs Airflow's own escape hatch.

    :param home_root: The root of the :class:`AirflowHome`.
    """
    url = os.environ.get("GONG_TEST_AIRFLOW_DB", "")
    if url:
        return {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url}
    if not AIRFLOW_V_3_0_PLUS:
        pytest.skip(
            "Airflow 2 refuses LocalExecutor on SQLite: set GONG_TEST_AIRFLOW_DB to an empty Postgres or "
            "MySQL database to run this test there"
        )
    return {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home_root / 'home' / 'airflow.db'}"}


@dataclass
class CallClock:
    """
    Polls the emulator's count of Gong calls every 0.25 s in a thread: when the first came, when the last
    (more often, the polls themselves would delay the emulator's answers to the tasks).

    :param gong: The emulator (its process).
    """

    gong: EmulatorProcess
    first: float | None = None
    last: float | None = None
    calls: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> CallClock:
        self._thread = threading.Thread(target=self._poll, name="gong-call-clock", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _poll(self) -> None:
        while not self._stop.is_set():
            calls = int(self.gong.stats()["gong_calls"])
            now = time.monotonic()
            if calls != self.calls:
                if self.first is None:
                    self.first = now
                self.calls, self.last = calls, now
            self._stop.wait(0.25)

    @property
    def seconds(self) -> float:
        """From the first call seen to the last (0 before two polls saw calls)."""
        if self.first is None or self.last is None:
            return 0.0
        return self.last - self.first


@dataclass
class Deployment:
    """The running components of one Airflow deployment, for diagnostics."""

    airflow: AirflowHome
    processes: list[ManagedProcess]

    def check_alive(self) -> None:
        for process in self.processes:
            process.check_alive()

    def logs(self, lines: int = 40) -> str:
        """The tail of every component's log and of the task logs written so far."""
        parts = [
            f"--- {process.name} ({process.log_path})\n{process.tail(lines)}" for process in self.processes
        ]
        for task_log in sorted((self.airflow.home / "logs").glob(f"dag_id={DAG_ID}/**/*.log"))[:MAPPED]:
            text = task_log.read_text(errors="replace").splitlines()
            parts.append(f"--- {task_log.relative_to(self.airflow.home)}\n" + "\n".join(text[-15:]))
        return "\n".join(parts)


@contextlib.contextmanager
def running_deployment(airflow: AirflowHome) -> Iterator[Deployment]:
    """Start the components (see the module's doc); stop every one of them (process groups) at the end."""
    commands: list[tuple[str, list[str]]] = [("airflow scheduler", ["scheduler"])]
    port = _free_port()
    if AIRFLOW_V_3_0_PLUS:
        airflow.env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://127.0.0.1:{port}/execution/"
        commands += [
            ("airflow dag-processor", ["dag-processor"]),
            (
                "airflow api-server",
                ["api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            ),
        ]
    deployment = Deployment(airflow, [])
    try:
        for name, args in commands:
            log = airflow.home / f"{args[0]}.log"
            deployment.processes.append(
                ManagedProcess(name, [AIRFLOW, *args], airflow.env, log, airflow.home)
            )
        if AIRFLOW_V_3_0_PLUS:

            def healthy() -> bool:
                deployment.check_alive()
                health = requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5)
                return health.status_code == 200

            wait_for("the api-server", healthy, START_TIMEOUT, deployment.logs)
        yield deployment
    finally:
        for process in reversed(deployment.processes):
            process.stop()


def _query(airflow: AirflowHome, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Rows of the SQLite metadata database (Airflow 3), or through SQLAlchemy for another database."""
    url = airflow.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)) as db:
            return db.execute(sql, args).fetchall()
    import sqlalchemy  # only for Airflow 2's database

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            params = {f"p{i}": value for i, value in enumerate(args)}
            for i in range(len(args)):
                sql = sql.replace("?", f":p{i}", 1)
            return [tuple(row) for row in connection.execute(sqlalchemy.text(sql), params)]
    finally:
        engine.dispose()


def _moment(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _max_overlap(spans: list[tuple[datetime, datetime]]) -> int:
    """The most spans open at one moment (an end before a start at the same instant)."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans], key=lambda e: e)
    running = best = 0
    for _, step in events:
        running += step
        best = max(best, running)
    return best


def test_mapped_tasks_of_a_real_deployment_share_gongs_limit_through_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    root = tmp_path / "airflow"
    out = tmp_path / "out"
    out.mkdir()
    # The emulator in its own process, as Gong is: the test's threads never delay its answers (nor its
    # clock of the sliding second).
    args = ["--users", str(USERS), "--page-size", str(PAGE_SIZE), "--avatar-share", "0"]
    args += ["--rate-per-second", str(RATE), "--rate-per-day", "none"]
    with EmulatorProcess.start(args, log=tmp_path / "emulator.log") as gong:
        connection = {
            "conn_type": "gong",
            "host": gong.url,
            "login": DEFAULT_ACCESS_KEY,
            "password": DEFAULT_SECRET,
            "extra": {"shared_state_url": redis_server.url},
        }
        env = {
            "AIRFLOW_CONN_GONG_DEFAULT": json.dumps(connection),
            **_database(root),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(PARALLELISM),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__API_AUTH__JWT_SECRET": "gong-shared-deployment-test-secret",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "GONG_SHARED_OUTPUT_DIR": str(out),
            "GONG_SHARED_MAPPED": str(MAPPED),
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "500",
        }
        airflow = AirflowHome(root, [DAG_FILE], env=env)
        airflow.migrate()
        with running_deployment(airflow) as deployment, CallClock(gong) as clock:

            def parsed() -> bool:
                deployment.check_alive()
                with contextlib.suppress(sqlite3.OperationalError):
                    rows = _query(airflow, "SELECT is_paused FROM dag WHERE dag_id = ?", DAG_ID)
                    return [bool(paused) for (paused,) in rows] == [False]
                return False

            wait_for(f"the scheduler to know {DAG_ID}", parsed, PARSE_TIMEOUT, deployment.logs)
            airflow.run("dags", "trigger", DAG_ID, timeout=180)

            def finished() -> str | None:
                deployment.check_alive()
                rows = _query(airflow, "SELECT state FROM dag_run WHERE dag_id = ?", DAG_ID)
                states = [str(state) for (state,) in rows]
                return states[0] if states and states[0] in ("success", "failed") else None

            run_state = wait_for(f"the run of {DAG_ID}", finished, RUN_TIMEOUT, deployment.logs)
            time.sleep(0.6)  # one more poll of the call count after the last task ended
            instances = _query(
                airflow,
                "SELECT map_index, state, start_date, end_date FROM task_instance WHERE dag_id = ? "
                "AND task_id = ?",
                DAG_ID,
                TASK_ID,
            )
            logs = deployment.logs()
        stats = gong.stats()

    states = {int(index): str(state) for index, state, _, _ in instances}
    assert run_state == "success", f"the run ended {run_state}; task states {states}\n{logs}"
    assert states == dict.fromkeys(range(MAPPED), "success"), logs
    limit_seconds = (CALLS - 1) / RATE
    ratio = clock.seconds / limit_seconds
    spans = [(_moment(start), _moment(end)) for _, _, start, end in instances]
    overlap = _max_overlap(spans)
    measured = (
        f"{clock.calls} calls in {clock.seconds:.2f} s, limit {limit_seconds:.2f} s, ratio {ratio:.3f}, "
        f"at most {overlap} tasks at once"
    )
    print(measured)
    assert stats["responses_429"] == 0, f"the emulator answered 429s ({measured}): {stats}\n{logs}"
    assert "429" not in stats["by_status"], f"{stats}\n{logs}"
    assert stats["gong_calls"] == CALLS, stats

    # The CLI's company is the default seed's: the same users as an emulator of this config in-process.
    company = GongEmulator(EmulatorConfig(users=USERS, avatar_share=0.0))
    expected_ids = [user["id"] for user in company.users]
    assert len(set(expected_ids)) == USERS
    for index in range(MAPPED):
        lines = (out / f"users-{index}.jsonl").read_text().splitlines()
        assert sorted(json.loads(line)["id"] for line in lines) == sorted(expected_ids), index

    assert clock.calls == CALLS, measured
    assert ratio <= 1.1, f"the shared pace was slower than 1.1x the limit: {measured}"
    # Zero 429s already says the calls kept to 3 per second; the clock must agree (0.25 s polls).
    assert clock.seconds >= (CALLS - RATE) / RATE - 0.6, measured
    assert overlap >= PARALLELISM, (
        f"the mapped tasks did not run {PARALLELISM} at once: {measured}; spans {spans}"
    )
