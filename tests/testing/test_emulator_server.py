"""Running the emulator: lifecycle, ports, TLS, Airflow connection helpers, the CLI."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import pytest
import requests

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.__main__ import _config, build_parser
from airflow_provider_gong.testing.launch import EmulatorProcess, EmulatorStartError
from airflow_provider_gong.testing.tls import make_self_signed


def test_start_stop_and_context_manager() -> None:
    emulator = GongEmulator(EmulatorConfig(users=5))
    assert "not started" in repr(emulator)
    with emulator as running:
        assert running is emulator
        assert emulator.running
        assert emulator.url == f"http://127.0.0.1:{emulator.port}"
        response = requests.get(f"{emulator.url}/v2/users", headers=emulator.auth_headers(), timeout=10)
        assert response.status_code == 200
        with pytest.raises(RuntimeError, match="already running"):
            emulator.start()
    assert not emulator.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.url}/_emulator/health", timeout=2)
    # It can be started again (on a new port).
    with emulator:
        assert requests.get(f"{emulator.url}/_emulator/health", timeout=10).status_code == 200


def test_fixed_port_and_port_in_use() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with GongEmulator(port=port) as emulator:
        assert emulator.port == port
        with pytest.raises(OSError), GongEmulator(port=port):
            pass


def test_default_config_has_gong_limits() -> None:
    config = EmulatorConfig()
    assert (config.rate_per_second, config.rate_per_day, config.day_seconds) == (3, 10_000, 86_400)
    assert (config.users, config.page_size) == (250, 100)
    assert min(len(config.access_key), len(config.secret), len(config.token or "")) >= 5


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])
def test_non_loopback_host_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        GongEmulator(host=host)


def test_localhost_name_works() -> None:
    with GongEmulator(host="localhost") as emulator:
        assert emulator.url.startswith("http://localhost:")
        assert requests.get(f"{emulator.url}/_emulator/health", timeout=10).status_code == 200


def test_connection_helpers(gong_emulator: GongEmulator) -> None:
    basic = gong_emulator.connection_dict()
    assert basic == {
        "conn_type": "gong",
        "host": gong_emulator.url,
        "login": "emulator-access-key",
        "password": "emulator-access-key-secret",
    }
    bearer = json.loads(gong_emulator.connection_json(auth="bearer", extra={"verify": False}))
    assert bearer == {
        "conn_type": "gong",
        "host": gong_emulator.url,
        "extra": {"access_token": "emulator-oauth-token", "verify": False},
    }
    assert gong_emulator.connection_uri() == (
        f"gong://http://emulator-access-key:emulator-access-key-secret@127.0.0.1%3A{gong_emulator.port}"
    )


def test_connection_uri_parses_in_airflow(gong_emulator: GongEmulator) -> None:
    connection_module = pytest.importorskip("airflow.models.connection")
    connection_class = connection_module.Connection
    conn = connection_class(conn_id="gong_default", uri=gong_emulator.connection_uri())
    assert (conn.conn_type, conn.host, conn.port) == ("gong", gong_emulator.url, None)
    assert (conn.login, conn.password) == ("emulator-access-key", "emulator-access-key-secret")
    conn = connection_class(conn_id="gong_default", uri=gong_emulator.connection_uri(auth="bearer"))
    assert conn.host == gong_emulator.url
    assert conn.extra_dejson == {"access_token": "emulator-oauth-token"}
    conn = connection_class.from_json(gong_emulator.connection_json(), conn_id="gong_default")
    assert (conn.host, conn.login) == (gong_emulator.url, "emulator-access-key")


def test_tls(tmp_path: Path) -> None:
    files = make_self_signed(tmp_path)
    cert, key = str(files.certfile), str(files.keyfile)
    config = EmulatorConfig(rate_per_second=None)
    with GongEmulator(config, ssl_certfile=cert, ssl_keyfile=key) as emulator:
        assert emulator.url.startswith("https://127.0.0.1:")
        assert emulator.connection_dict()["host"] == emulator.url
        with requests.Session() as session:
            session.headers.update(emulator.auth_headers())
            for _ in range(3):
                # verify= per request: REQUESTS_CA_BUNDLE in the environment would beat session.verify.
                assert session.get(f"{emulator.url}/v2/users", verify=cert).status_code == 200
        assert emulator.stats()["connections_accepted"] == 1
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{emulator.url}/v2/users", timeout=10)  # untrusted without verify=cert
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{emulator.port}/v2/users", timeout=10)
        emulator.fail_next({"fault": "drop"})
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{emulator.url}/v2/users", headers=emulator.auth_headers(), verify=cert, timeout=10)


def test_cli_options_map_to_config() -> None:
    args = build_parser().parse_args(
        [
            "--users", "12", "--seed", "4", "--rate-per-second", "none", "--rate-per-day", "50",
            "--day-seconds", "60", "--access-key", "k-k-k", "--secret", "s-s-s", "--token", "none",
            "--scopes", "", "--fail-5xx", "0.1", "--fail-429", "0.2", "--retry-after", "http-date+5",
            "--drop", "0.01", "--hang", "0.02", "--truncate", "0.03", "--bad-shape", "0.04",
            "--slow", "0.05", "--slow-seconds", "2", "--latency", "0.01", "--latency-jitter", "0.02",
            "--page-size", "10", "--avatar-share", "0.1", "--fault-seed", "8",
            "--fail-next", '[{"status": 500}, {"fault": "drop"}]',
        ]
    )  # fmt: skip
    config = _config(args)
    assert config.users == 12 and config.seed == 4 and config.page_size == 10
    assert (config.rate_per_second, config.rate_per_day, config.day_seconds) == (None, 50, 60)
    assert (config.access_key, config.secret, config.token, config.scopes) == ("k-k-k", "s-s-s", None, [])
    assert (config.fail_5xx, config.fail_429, config.fault_retry_after) == (0.1, 0.2, "http-date+5")
    assert (config.drop, config.hang, config.truncate, config.bad_shape) == (0.01, 0.02, 0.03, 0.04)
    assert (config.slow, config.slow_seconds, config.latency, config.latency_jitter) == (0.05, 2, 0.01, 0.02)
    assert (config.avatar_share, config.fault_seed) == (0.1, 8)
    assert config.fail_next == [{"status": 500}, {"fault": "drop"}]


@pytest.mark.parametrize(
    "argv",
    [["--fail-next", "{"], ["--fail-next", "[1]"], ["--fail-5xx", "2"], ["--rate-per-second", "x"]],
)
def test_cli_rejects_bad_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2


def test_cli_serves_until_sigterm() -> None:
    with EmulatorProcess.start(["--users", "30", "--rate-per-second", "none", "--fail-5xx", "0"]) as process:
        assert process.stdout_before_ready == []  # the ready line is the first line it prints
        url = process.url
        assert url.startswith("http://127.0.0.1:")
        headers = {"Authorization": "Bearer emulator-oauth-token"}
        body = requests.get(f"{url}/v2/users", headers=headers, timeout=10).json()
        assert body["records"]["totalRecords"] <= 30
        assert (
            requests.patch(f"{url}/_emulator/config", json={"fail_5xx": 1.0}, timeout=10).status_code == 200
        )
        assert requests.get(f"{url}/v2/users", headers=headers, timeout=10).status_code >= 500
        assert requests.get(f"{url}/_emulator/stats", timeout=10).json()["gong_calls"] == 2
        started = time.monotonic()
        assert process.stop(timeout=10) == 0  # SIGTERM
        assert time.monotonic() - started < 5


def test_cli_refuses_remote_host_without_flag() -> None:
    with pytest.raises(EmulatorStartError) as refused:
        EmulatorProcess.start(["--host", "0.0.0.0"], timeout=30)
    assert refused.value.returncode == 2
    assert "--allow-remote" in refused.value.stderr


def test_works_without_httptools(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's httptools is optional: the emulator falls back to h11 (counting and drop included)."""
    monkeypatch.setitem(sys.modules, "uvicorn.protocols.http.httptools_impl", None)
    with GongEmulator(EmulatorConfig(rate_per_second=None)) as emulator:
        protocol = emulator._server.config.http_protocol_class
        assert "H11Protocol" in [base.__name__ for base in protocol.__mro__]
        with requests.Session() as session:
            session.headers.update(emulator.auth_headers())
            for _ in range(3):
                assert session.get(f"{emulator.url}/v2/users").status_code == 200
            emulator.fail_next({"fault": "drop"})
            with pytest.raises(requests.ConnectionError):
                session.get(f"{emulator.url}/v2/users")
        assert emulator.stats()["connections_accepted"] == 1
