"""
Gong's API never redirects: any redirect, to another origin or to Gong itself, is a ``GongApiError``
naming the status and the target's origin, in both transports (the hook's requests, the trigger's httpx),
and nothing is sent to the target, so neither credentials nor a POST turned GET can go anywhere.

Two real local servers: the "Gong" one (the connection's host) answers with a redirect, the other one
records what it receives; for every redirect status, with both auth modes, for GET and POST.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from airflow_provider_gong.exceptions import GongApiError
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger

ACCESS_KEY = "redirect-access-key"
ACCESS_SECRET = "redirect-access-secret-7f3e9c"
TOKEN = "redirect-oauth-token-5b1d0a"
USER = {"id": "1234567890", "emailAddress": "jon@example.com"}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class RecordingServer:
    """A threaded local HTTP server; ``redirect_to`` (if set) makes it answer every call with a redirect."""

    bind: str = "127.0.0.1"
    redirect_to: str | None = None
    redirect_status: int = 302
    redirect_to_self_once: bool = False
    seen: list[Seen] = field(default_factory=list)

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
                location = None
                if owner.redirect_to is not None:
                    location = owner.redirect_to + self.path
                elif owner.redirect_to_self_once and "moved=1" not in self.path:
                    location = owner.url() + self.path + ("&" if "?" in self.path else "?") + "moved=1"
                if location is not None:
                    self.send_response(owner.redirect_status)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/v2/users/extensive"):
                    body = {"requestId": "other", "records": {"totalRecords": 1}, "users": [USER]}
                else:
                    body = {"requestId": "other", "user": USER}
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.bind, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, host: str | None = None) -> str:
        return f"http://{host or self.bind}:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    gong, other = RecordingServer(), RecordingServer()
    gong.start()
    other.start()
    yield gong, other
    gong.stop()
    other.stop()


def _conn(make_conn: Callable[..., str], url: str, auth: str) -> str:
    if auth == "bearer":
        return make_conn(host=url, extra={"access_token": TOKEN})
    return make_conn(host=url, login=ACCESS_KEY, password=ACCESS_SECRET)


def _call(hook: GongHook, method: str) -> Any:
    if method == "GET":
        return hook.get_user(USER["id"])
    return hook.get_users([USER["id"]])


def _assert_redirect_error(message: str, status: int, origin: str) -> None:
    assert f"Gong API {status} on " in message
    assert f"a redirect to {origin}" in message
    assert "Gong's API does not redirect" in message
    assert ACCESS_SECRET not in message
    assert TOKEN not in message


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("auth", ["basic", "bearer"])
@pytest.mark.parametrize(
    "target_host", ["localhost", "127.0.0.1"], ids=["other-host-name", "same-host-other-port"]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_redirect_is_an_error_and_nothing_follows_it(
    servers: tuple[RecordingServer, RecordingServer],
    make_conn: Callable[..., str],
    status: int,
    auth: str,
    target_host: str,
    method: str,
) -> None:
    gong, other = servers
    gong.redirect_to = other.url(target_host)
    gong.redirect_status = status
    conn_id = _conn(make_conn, gong.url(), auth)
    hook = GongHook(conn_id, calls_per_second=0, max_retries=3, sleep=lambda _: None)

    with pytest.raises(GongApiError) as caught:
        _call(hook, method)
    hook.close()

    assert caught.value.status_code == status
    _assert_redirect_error(str(caught.value), status, other.url(target_host))
    assert len(gong.seen) == 1  # not retried
    assert gong.seen[0].method == method
    assert other.seen == []  # never followed


def test_a_redirect_within_the_same_origin_is_an_error_too(
    servers: tuple[RecordingServer, RecordingServer], make_conn: Callable[..., str]
) -> None:
    gong, other = servers
    gong.redirect_to_self_once = True
    conn_id = _conn(make_conn, gong.url(), "basic")

    with pytest.raises(GongApiError) as caught:
        GongHook(conn_id, calls_per_second=0, max_retries=0).get_user(USER["id"])

    _assert_redirect_error(str(caught.value), 302, gong.url())
    assert [seen.path for seen in gong.seen] == [f"/v2/users/{USER['id']}"]
    assert other.seen == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_the_triggers_probe_treats_a_redirect_as_the_hook_does(
    servers: tuple[RecordingServer, RecordingServer],
    make_conn: Callable[..., str],
    run_trigger: Callable[[Any], list[dict[str, Any]]],
    status: int,
    auth: str,
) -> None:
    gong, other = servers
    gong.redirect_to = other.url("localhost")
    gong.redirect_status = status
    conn_id = _conn(make_conn, gong.url(), auth)

    [event] = run_trigger(GongRateLimitTrigger(conn_id, max_retries=2))

    assert event["status"] == "error"
    assert event["error_type"] == "GongApiError"
    assert event["status_code"] == status
    _assert_redirect_error(event["message"], status, other.url("localhost"))
    assert len(gong.seen) == 1
    assert other.seen == []
