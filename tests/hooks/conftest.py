"""Helpers for the GongHook tests: env connections, fake sleeps, injected pacers, local servers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from gong_hook_helpers import ACCESS_KEY, ACCESS_SECRET
from pytest_httpserver import HTTPServer

from airflow_provider_gong.client.pacing import PacerRegistry

CONN_ID = "gong_test"


# ---------------------------------------------------------------------------------------- pacing


@pytest.fixture
def pacer_waits() -> list[float]:
    """Waits the pacers of :func:`pacers` asked for (recorded, never slept)."""
    return []


@pytest.fixture
def pacers(pacer_waits: list[float]) -> PacerRegistry:
    """
    A pacer registry of the test's own whose pacers record their waits in ``pacer_waits`` instead of sleeping.

    Pass it as ``GongHook(..., pacers=pacers)``. A hook built without it paces for real, on the process's
    registry (emptied around every test by ``tests/conftest.py``), at the connection's ``calls_per_second``
    (``make_conn`` sets 0 unless the test sets it), and sleeps out a ``Retry-After`` hold-off for real.
    """
    return PacerRegistry(sleep=pacer_waits.append)


# ---------------------------------------------------------------------------------------- fakes


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the retry policy asked for; pass ``sleeps.append`` as the hook's ``sleep``."""
    return []


# ---------------------------------------------------------------------------------------- connections


ConnFactory = Callable[..., str]


@pytest.fixture
def make_conn(monkeypatch: pytest.MonkeyPatch) -> ConnFactory:
    """
    Define an Airflow connection through ``AIRFLOW_CONN_<ID>`` (JSON form); return its id.

    Pacing is off unless the test sets ``calls_per_second`` itself.
    """

    def factory(
        host: str | None = None,
        *,
        conn_id: str = CONN_ID,
        login: str | None = ACCESS_KEY,
        password: str | None = ACCESS_SECRET,
        port: int | None = None,
        conn_type: str = "gong",
        **extra: Any,
    ) -> str:
        extra.setdefault("calls_per_second", 0)
        conn: dict[str, Any] = {"conn_type": conn_type, "extra": extra}
        for key, value in (("host", host), ("login", login), ("password", password), ("port", port)):
            if value is not None:
                conn[key] = value
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn_id

    return factory


@pytest.fixture
def server_conn(httpserver: HTTPServer, make_conn: ConnFactory) -> Callable[..., str]:
    """A connection pointing at pytest-httpserver's local server."""

    def factory(**kwargs: Any) -> str:
        return make_conn(httpserver.url_for("/"), **kwargs)

    return factory


# ---------------------------------------------------------------------------------------- keep-alive server


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    connection: int


@dataclass
class KeepAliveServer:
    """
    A tiny threaded HTTP/1.1 server that keeps connections alive and counts them.

    pytest-httpserver's werkzeug server is single-threaded HTTP/1.0 (one TCP connection per request),
    so it cannot show connection reuse; this one can. ``delay`` makes every answer late (read timeouts).
    """

    body: dict[str, Any] = field(default_factory=lambda: {"requestId": "ka-1", "user": {"id": "1"}})
    delay: float = 0.0
    requests: list[SeenRequest] = field(default_factory=list)
    connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with owner._lock:
                    owner.connections += 1
                    self.connection_number = owner.connections

            def do_GET(self) -> None:
                with owner._lock:
                    owner.requests.append(
                        SeenRequest("GET", self.path, dict(self.headers.items()), self.connection_number)
                    )
                if owner.delay:
                    time.sleep(owner.delay)
                payload = json.dumps(owner.body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout test)
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def keepalive_server() -> Iterator[KeepAliveServer]:
    server = KeepAliveServer()
    server.start()
    yield server
    server.stop()
