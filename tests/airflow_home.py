"""A real Airflow for tests: a temporary AIRFLOW_HOME (SQLite, migrated), its CLI, and its XComs."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
REPO = Path(__file__).resolve().parents[1]


def run_python(code: str, home: Path | None = None, timeout: float = 180) -> Any:
    """
    Run ``code`` in a fresh interpreter (Airflow caches providers per process); return the JSON it printed
    on its last line.

    :param code: Python source, dedented.
    :param home: An ``AIRFLOW_HOME`` of its own (no other ``AIRFLOW*`` variable passes) or, without it, this
        process's environment.
    :param timeout: Seconds before it is killed.
    """
    env = None
    if home is not None:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "_AIRFLOW"))}
        env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def pinned_constraints() -> Path:
    """What CI pins for the running Airflow and Python: ``constraints/airflow-<v>/python-<x.y>.txt``."""
    from airflow import __version__

    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return REPO / "constraints" / f"airflow-{__version__}" / f"python-{python}.txt"


class AirflowHome:
    """
    One migrated Airflow home with its own dags folder; runs the Airflow CLI in subprocesses.

    :param root: An empty directory to hold ``home/`` and ``dags/``.
    :param dag_files: DAG files copied into the dags folder.
    :param env: Extra environment (e.g. ``AIRFLOW_CONN_GONG_DEFAULT``).
    """

    def __init__(self, root: Path, dag_files: list[Path], env: dict[str, str] | None = None) -> None:
        self.home = root / "home"
        self.dags = root / "dags"
        self.dags.mkdir(parents=True)
        for dag_file in dag_files:
            shutil.copy2(dag_file, self.dags / dag_file.name)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
        self.env.update(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="False",
            NO_PROXY="127.0.0.1,localhost",
            **(env or {}),
        )

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        """
        Run ``airflow ARGS``; with ``check``, fail with the output's tail when it exits non-zero.

        :param args: CLI arguments, e.g. ``("dags", "test", "my_dag")``.
        :param timeout: Seconds before the run is killed.
        :param check: Raise ``AssertionError`` on a non-zero exit.
        """
        proc = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} failed: {explain(proc)}")
        return proc

    def migrate(self) -> AirflowHome:
        """
        ``airflow db migrate`` (SQLite under the home); on Airflow 3.0 also ``airflow dags reserialize``.

        Airflow 3.0's ``dags test`` fails a task whose outlet Asset no DAG processor has recorded yet
        ("inactive assets"), and a fetch operator with ``output_path`` has one; from 3.1 ``dags test``
        records it itself.
        """
        self.run("db", "migrate")
        from airflow import __version__

        if __version__.startswith("3.0."):
            self.run("dags", "reserialize")
        return self

    def xcoms(self, dag_id: str, key: str = "return_value") -> dict[tuple[str, int], Any]:
        """
        Every XCom of a DAG's runs by ``(task_id, map_index)``, decoded from the metadata database.

        :param dag_id: The DAG.
        :param key: The XCom key.
        """
        with sqlite3.connect(self.home / "airflow.db") as db:
            rows = db.execute(
                "SELECT task_id, map_index, value FROM xcom WHERE dag_id = ? AND key = ?", (dag_id, key)
            ).fetchall()
        return {(task_id, map_index): _decode(value) for task_id, map_index, value in rows}


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode()
    decoded = json.loads(value) if isinstance(value, str) else value
    # Airflow stores JSON; strings that themselves hold JSON come back double-encoded.
    if isinstance(decoded, str):
        try:
            return json.loads(decoded)
        except ValueError:
            return decoded
    return decoded


def explain(proc: subprocess.CompletedProcess[str]) -> str:
    """The exit code and the tail of both streams of a finished CLI run, for assertion messages."""
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"
