"""The emulator in its own process: started on a free port, ready when it says so, stopped cleanly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from airflow_provider_gong.testing import launch
from airflow_provider_gong.testing.launch import READY_PREFIX, EmulatorProcess, EmulatorStartError
from airflow_provider_gong.testing.tls import make_self_signed


def test_start_control_and_stop(tmp_path: Path) -> None:
    log = tmp_path / "emulator.log"
    emulator = EmulatorProcess.start(["--users", "12", "--rate-per-second", "none"], cwd=tmp_path, log=log)
    try:
        assert emulator.running
        assert emulator.url == f"http://127.0.0.1:{emulator.port}"
        assert emulator.control_url == emulator.url and not emulator.tls
        assert emulator.log == log and log.exists()
        assert emulator.stdout_before_ready == []
        assert emulator.configure(page_size=5)["page_size"] == 5
        body = requests.get(
            f"{emulator.url}/v2/users", auth=("emulator-access-key", "emulator-access-key-secret"), timeout=10
        )
        assert body.json()["records"]["currentPageSize"] == 5
        stats = emulator.stats()
        assert (stats["gong_calls"], stats["by_endpoint"]) == (1, {"GET /v2/users": {"200": 1}})
        assert emulator.reset()["gong_calls"] == 0
    finally:
        started = time.monotonic()
        assert emulator.stop() == 0  # SIGTERM: the CLI exits 0
        assert time.monotonic() - started < 5
    assert not emulator.running
    assert emulator.stop() == 0  # stopping twice is harmless
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.url}/_emulator/health", timeout=2)


def test_context_manager_stops_it() -> None:
    with EmulatorProcess.start() as emulator:
        assert requests.get(f"{emulator.url}/_emulator/health", timeout=10).json() == {"ok": True}
        assert emulator.stats()["by_endpoint"] == {}  # the control endpoints are never counted
    assert emulator.process.returncode == 0


def test_args_and_environment_reach_the_cli(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "GONG_LAUNCH_TEST": "1"}
    with EmulatorProcess.start(["--users", "3"], env=env, cwd=tmp_path) as emulator:
        users = emulator.control("GET", "/_emulator/users")["users"]
        assert len(users) == 3
        assert emulator.control("GET", "/_emulator/config")["users"] == 3
        environ = Path(f"/proc/{emulator.process.pid}/environ")
        if environ.exists():  # Linux: the process got exactly that environment (plus unbuffered output)
            names = {entry.split(b"=", 1)[0] for entry in environ.read_bytes().split(b"\0") if entry}
            assert names == {b"PATH", b"GONG_LAUNCH_TEST", b"PYTHONUNBUFFERED"}
            assert Path(f"/proc/{emulator.process.pid}/cwd").resolve() == tmp_path.resolve()


def test_control_calls_ignore_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with EmulatorProcess.start() as emulator:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            monkeypatch.setenv(name, "http://127.0.0.1:9")  # the discard port: nothing listens
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        assert emulator.stats()["gong_calls"] == 0


def test_serves_tls_with_the_packaged_certificate(tmp_path: Path) -> None:
    files = make_self_signed(tmp_path / "tls")
    args = ["--ssl-certfile", str(files.certfile), "--ssl-keyfile", str(files.keyfile)]
    with EmulatorProcess.start(args, cafile=files.cafile) as emulator:
        assert emulator.tls and emulator.url.startswith("https://127.0.0.1:")
        assert emulator.stats()["connections_accepted"] >= 1  # trusted through cafile
        response = requests.get(f"{emulator.url}/_emulator/health", verify=str(files.cafile), timeout=10)
        assert response.status_code == 200


def test_a_cli_that_exits_says_why(tmp_path: Path) -> None:
    log = tmp_path / "emulator.log"
    with pytest.raises(EmulatorStartError, match="exited with status 2") as refused:
        EmulatorProcess.start(["--host", "0.0.0.0"], log=log, timeout=30)
    assert refused.value.returncode == 2
    assert "--allow-remote" in refused.value.stderr
    assert "--allow-remote" in str(refused.value)
    assert "--allow-remote" in log.read_text()


def test_a_cli_that_never_gets_ready_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "silent_emulator.py").write_text(
        "import sys, time\nprint('starting...', flush=True)\nprint('stuck', file=sys.stderr, flush=True)\n"
        "time.sleep(120)\n"
    )
    monkeypatch.setattr(launch, "MODULE", "silent_emulator")
    started = time.monotonic()
    with pytest.raises(EmulatorStartError, match="no ready line within 1 s") as stuck:
        EmulatorProcess.start(cwd=tmp_path, timeout=1)
    assert time.monotonic() - started < 10
    assert stuck.value.returncode is None
    assert "stuck" in stuck.value.stderr
    assert "starting..." in str(stuck.value)


def test_the_ready_line_is_the_clis() -> None:
    from airflow_provider_gong.testing import __main__ as cli

    assert cli.READY_PREFIX == READY_PREFIX
    assert launch.MODULE == "airflow_provider_gong.testing"
