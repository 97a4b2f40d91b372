"""The README's own commands and snippets, run as a newcomer would paste them, so they cannot rot.

The emulator is started with the README's command (on a free port instead of 8080, which may be taken),
the connection is the README's JSON (pointed at that port), and the ``GongHook`` example runs unchanged in
a fresh interpreter outside the repository.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_gong.testing.launch import EmulatorProcess

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV_PYTHON = ".venv/bin/python"
CHECK = "README-CHECK "


def section(title: str) -> str:
    """The text of one ``## title`` section of the README."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def command(text: str, marker: str) -> list[str]:
    """The first shell command in ``text`` holding ``marker``, split like a shell would (comment dropped)."""
    for block in blocks(text, "bash"):
        for line in block.splitlines():
            if marker in line:
                return shlex.split(line, comments=True)
    raise AssertionError(f"no command with {marker!r}")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
    env.update(AIRFLOW_HOME=str(tmp_path / "airflow-home"), PYTHONUNBUFFERED="1", **extra)
    return env


@pytest.fixture
def readme_emulator(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The emulator started with the README's command; yields (its URL, the port the README names)."""
    argv = command(section("The Gong emulator, for your own DAG tests"), "--users")
    assert argv[:3] == [VENV_PYTHON, "-m", "airflow_provider_gong.testing"], argv  # says which Python
    port_at = argv.index("--port") + 1
    readme_port = int(argv[port_at])
    argv[port_at] = "0"
    with EmulatorProcess.start(
        argv[3:],
        cwd=tmp_path,  # not the repository root: the installed package must be enough
        env=clean_env(tmp_path),
    ) as emulator:
        assert emulator.stdout_before_ready == []  # the README's command prints its ready line first
        yield emulator.url, readme_port


def readme_connection(url: str, readme_port: int) -> str:
    """The README's ``AIRFLOW_CONN_GONG_DEFAULT`` for the emulator, moved from its port to ``url``'s."""
    text = section("The Gong emulator, for your own DAG tests")
    match = re.search(r"^export AIRFLOW_CONN_GONG_DEFAULT='(.*)'$", text, re.M)
    assert match, "the emulator section shows no AIRFLOW_CONN_GONG_DEFAULT"
    conn = json.loads(match.group(1))
    readme_host = urlsplit(conn["host"])
    assert (readme_host.hostname, readme_host.port) == ("127.0.0.1", readme_port), conn["host"]
    conn["host"] = url
    return json.dumps(conn)


def run_hook_snippet(title: str, shown: str, readme_emulator: tuple[str, int], tmp_path: Path) -> Any:
    """Run the section's ``GongHook`` snippet unchanged against the README's emulator; return what the
    appended ``shown`` expression (reading only what the snippet left behind) printed, as JSON.
    """
    url, readme_port = readme_emulator
    [snippet] = [b for b in blocks(section(title), "python") if "GongHook(" in b]
    check = f"\nimport json as _json\nprint({CHECK!r} + _json.dumps({shown}))\n"
    proc = subprocess.run(
        [sys.executable, "-c", snippet + check],
        cwd=tmp_path,
        env=clean_env(tmp_path, AIRFLOW_CONN_GONG_DEFAULT=readme_connection(url, readme_port)),
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [line] = [line for line in proc.stdout.splitlines() if line.startswith(CHECK)]
    return json.loads(line[len(CHECK) :])


def test_the_gonghook_example_runs_as_pasted_against_the_readmes_emulator(
    readme_emulator: tuple[str, int], tmp_path: Path
) -> None:
    shown = "{'users': [u['id'] for u in users], 'ok': ok, 'message': message}"
    result = run_hook_snippet("GongHook", shown, readme_emulator, tmp_path)
    assert result["users"] == ["234599484848423", "987"]
    assert result["ok"] is True, result["message"]
    assert readme_emulator[0] in result["message"]


def test_every_python_command_says_which_python() -> None:
    """Commands that need the project's environment name it (``.venv/bin/python``), not a bare ``python``."""
    for title in ("The Gong emulator, for your own DAG tests", "Performance"):
        for block in blocks(section(title), "bash"):
            for line in block.splitlines():
                words = shlex.split(line, comments=True)
                if "-m" in words:
                    assert words[0] == VENV_PYTHON, f"{title}: {line}"


def test_the_endpoints_table_is_the_registrys() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from endpoints_table import NAMED_METHODS, table
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    from airflow_provider_gong.endpoints import ENDPOINTS
    from airflow_provider_gong.hooks.gong import GongHook

    assert table() in section("Every Gong read endpoint")
    assert len(table().splitlines()) == 2 + len(ENDPOINTS) == 40
    for operation_id, method in NAMED_METHODS.items():
        assert operation_id in ENDPOINTS
        name = method.split("(")[0]
        assert callable(getattr(GongHook, name)), method
        doc = getattr(GongHook, name).__doc__ or ""
        assert ENDPOINTS[operation_id].path.split("{")[0].rstrip("/") in doc or name == "iter_users", method


@pytest.mark.parametrize(
    ("title", "names"),
    [
        ("Calls, detailed calls and transcripts", ["calls", "call", "by_id", "transcripts"]),
        ("Every Gong read endpoint", ["workspaces", "logs", "activity", "scorecards", "outcomes"]),
    ],
)
def test_the_hook_snippets_run_as_pasted_against_the_emulator(
    readme_emulator: tuple[str, int], tmp_path: Path, title: str, names: list[str]
) -> None:
    # Iterators the snippet left behind are drained here.
    shown = (
        f"{{name: (v if isinstance(v, (dict, list)) else list(v)) for name in {names!r} "
        "for v in [globals()[name]]}"
    )
    got = run_hook_snippet(title, shown, readme_emulator, tmp_path)
    sizes = {name: len(value) for name, value in got.items()}
    assert sorted(sizes) == sorted(names)
    assert all(size > 0 for size in sizes.values()), sizes  # every call answered something
