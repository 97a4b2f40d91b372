"""The sync (requests) and async (httpx) transports behave alike: trust store, proxies, timeouts, redirects.

Each check runs one call through :class:`GongClient` and one probe through :class:`AsyncGongClient`
(the trigger's path) against the same real local server, with no Airflow involved: the client core is
built from a plain object with a connection's fields.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_gong.client.core import AsyncGongClient, GongClient
from airflow_provider_gong.client.pacing import PacerRegistry
from airflow_provider_gong.client.settings import GongSettings, settings_from_connection
from airflow_provider_gong.endpoints import ENDPOINTS
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConfigError,
    GongConnectionError,
    GongError,
    GongTimeoutError,
)
from airflow_provider_gong.testing import EmulatorConfig, GongEmulator
from airflow_provider_gong.testing.tls import make_self_signed

LIST_USERS = ENDPOINTS["listUsers"]


def _settings(url: str, *, timeout: float = 5.0, retries: int = 0, **extra: Any) -> GongSettings:
    defaults = EmulatorConfig()
    conn = SimpleNamespace(
        host=url, port=None, login=defaults.access_key, password=defaults.secret, extra=json.dumps(extra)
    )
    return settings_from_connection(conn, "gong_alike", {"timeout": timeout, "max_retries": retries})


def _both(settings: GongSettings) -> tuple[Any, Any]:
    """The outcome of one sync call and one async probe of ``listUsers``: a result or the error raised."""
    pacers = PacerRegistry()

    def sync() -> Any:
        client = GongClient(settings, pacers=pacers, sleep=lambda _: None)
        try:
            return client.request(LIST_USERS, params={"includeAvatars": "false"})
        except GongError as err:
            return err
        finally:
            client.close()

    async def probe() -> Any:
        async def no_sleep(_: float) -> None:
            return None

        async with AsyncGongClient(settings, pacers=pacers, asleep=no_sleep) as client:
            try:
                return await client.probe(LIST_USERS)
            except GongError as err:
                return err

    return sync(), asyncio.run(probe())


@pytest.fixture
def tls_emulator(tmp_path: Path) -> Iterator[tuple[GongEmulator, Path]]:
    files = make_self_signed(tmp_path)
    with GongEmulator(ssl_certfile=str(files.certfile), ssl_keyfile=str(files.keyfile)) as emulator:
        yield emulator, files.cafile


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_one_trust_store_variable_serves_both_transports(
    tls_emulator: tuple[GongEmulator, Path], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    emulator, cafile = tls_emulator
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, str(cafile))

    answered, probed = _both(_settings(emulator.url))

    assert isinstance(answered, dict) and "users" in answered, answered
    assert probed is None, probed


def test_without_the_servers_ca_both_transports_fail_the_same_way(
    tls_emulator: tuple[GongEmulator, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, _ = tls_emulator
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)

    answered, probed = _both(_settings(emulator.url, retries=2))

    for error in (answered, probed):
        assert type(error) is GongConnectionError
        assert error.retryable is False  # a certificate problem is not retried
        assert "TLS failed" in str(error)
    assert str(answered) == str(probed)
    assert emulator.stats()["gong_calls"] == 0


class _Proxy(ThreadingHTTPServer):
    """A forwarding HTTP proxy on loopback that records the absolute URLs it was asked for."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[str] = []


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _Proxy

    def _forward(self) -> None:
        self.server.seen.append(self.path)
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")
        }
        upstream.request(
            self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers
        )
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = _forward
    do_POST = _forward

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def proxy() -> Iterator[_Proxy]:
    server = _Proxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_both_transports_take_the_proxy_from_the_environment(
    gong_emulator: GongEmulator, proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")

    answered, probed = _both(_settings(gong_emulator.url))

    assert isinstance(answered, dict) and probed is None
    assert len(proxy.seen) == 2
    assert all(url.startswith(gong_emulator.url + "/v2/users") for url in proxy.seen)


@pytest.mark.parametrize(
    ("no_proxy", "host", "proxied"),
    [
        ("127.0.0.0/8", "127.0.0.1", False),  # a CIDR range: httpx alone would not match it
        ("127.0.0.1:{port}", "127.0.0.1", True),  # an IP with a port: requests does not match it; httpx did
        (".localhost", "localhost", False),  # a leading dot: httpx alone would not match it
        ("localhost", "localhost", False),
        ("*", "127.0.0.1", False),
        ("example.com", "127.0.0.1", True),
    ],
)
def test_both_transports_read_no_proxy_by_the_same_rules(
    gong_emulator: GongEmulator,
    proxy: _Proxy,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
    host: str,
    proxied: bool,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", no_proxy.format(port=gong_emulator.port))
    monkeypatch.delenv("no_proxy", raising=False)

    answered, probed = _both(_settings(f"http://{host}:{gong_emulator.port}"))

    assert isinstance(answered, dict) and probed is None, (answered, probed)
    assert len(proxy.seen) == (2 if proxied else 0), proxy.seen


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_trust_store_that_does_not_exist_is_the_same_config_error_in_both(
    gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "/nonexistent/ca.pem")

    answered, probed = _both(_settings(gong_emulator.url, retries=2))

    for error in (answered, probed):
        assert type(error) is GongConfigError
        assert f"{variable} names the CA bundle '/nonexistent/ca.pem', which does not exist" in str(error)
    assert gong_emulator.stats()["gong_calls"] == 0


def test_both_transports_honour_no_proxy(
    gong_emulator: GongEmulator, proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    answered, probed = _both(_settings(gong_emulator.url))

    assert isinstance(answered, dict) and probed is None
    assert proxy.seen == []


def _raw_server(behaviour: Callable[[socket.socket], None]) -> Iterator[str]:
    sock = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=behaviour, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    sock.close()


def _read_head(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """Sends its status line and headers, then one byte of the body every 0.2 s, forever."""

    def behaviour(conn: socket.socket) -> None:
        try:
            _read_head(conn)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            )
            while True:
                conn.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            pass
        finally:
            conn.close()

    yield from _raw_server(behaviour)


def test_a_trickled_answer_is_cut_at_the_timeout_by_both(trickling_server: str) -> None:
    started = time.monotonic()
    answered, probed = _both(_settings(trickling_server, timeout=1.0))
    elapsed = time.monotonic() - started

    for error in (answered, probed):
        assert type(error) is GongTimeoutError
    assert str(answered) == str(probed)
    assert elapsed < 6.0  # each cut at about 1 s (+ slack), though every read got a byte in time


@pytest.fixture
def redirecting_server() -> Iterator[str]:
    def behaviour(conn: socket.socket) -> None:
        try:
            _read_head(conn)
            conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: https://evil.example.com/steal?token=abc\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
        finally:
            conn.close()

    yield from _raw_server(behaviour)


def test_a_redirect_is_refused_the_same_way_by_both(redirecting_server: str) -> None:
    answered, probed = _both(_settings(redirecting_server))

    for error in (answered, probed):
        assert type(error) is GongApiError
        assert error.status_code == 302
        assert "https://evil.example.com" in str(error)
        assert "token=abc" not in str(error)
    assert str(answered) == str(probed)


def test_both_transports_send_the_same_headers(gong_emulator: GongEmulator, proxy: _Proxy) -> None:
    settings = _settings(gong_emulator.url)
    sync_client = GongClient(settings)
    assert sync_client.transport.session.headers["User-Agent"].startswith("airflow-provider-gong/")
    sync_client.close()
    answered, probed = _both(settings)
    assert isinstance(answered, dict) and probed is None
    by_route = gong_emulator.stats()["by_endpoint"]["GET /v2/users"]
    assert by_route == {"200": 2}
