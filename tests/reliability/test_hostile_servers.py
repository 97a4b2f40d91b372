"""
Hostile servers against both transports: the sync hook (requests) and the trigger's async probe (httpx).

- One attempt ends within ``timeout`` plus ``DEADLINE_SLACK``, whatever the server trickles: the status
  line, the headers or the body.
- A corrupt compressed body is a typed, retried error, never a raw urllib3/httpx exception.
- An error page that echoes the request's headers never puts a credential into the error's text.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from reliability_helpers import RawServer, answer_and_close, read_request

from airflow_provider_gong.client.decode import DEADLINE_SLACK
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongConnectionError,
    GongIncompleteAnswerError,
    GongTimeoutError,
)
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.triggers.rate_limit import GongRateLimitTrigger

KEY = "hostile-access-key"
SECRET = "hostile-secret-5d1f9e0a"
TOKEN = "hostile-oauth-token-77c2b4"
USER_ID = "1234567890"
USER_BODY = b'{"requestId": "ok", "user": {"id": "1234567890"}}'
USERS_BODY = b'{"requestId": "ok", "records": {"totalRecords": 1}, "users": [{"id": "1"}]}'
TIMEOUT = 1.0
#: Generous room for a loaded 2-core machine; the hostile servers below would hold a call for 30 s.
MARGIN = 1.5


def _trickle(conn: socket.socket, stop: threading.Event, at_once: bytes, slowly: bytes) -> None:
    """Send ``at_once``, then ``slowly`` one byte every 0.2 s: every socket read gets a byte in time."""
    read_request(conn)
    try:
        conn.sendall(at_once)
        for byte in slowly:
            if stop.wait(0.2):
                return
            conn.sendall(bytes([byte]))
    except OSError:
        return


_HEADERS = b"Content-Type: application/json\r\nX-Padding: " + b"p" * 200 + b"\r\n\r\n"


def trickle_head(conn: socket.socket, stop: threading.Event) -> None:
    """The status line and the headers, a byte at a time."""
    _trickle(conn, stop, b"", b"HTTP/1.1 200 OK\r\n" + _HEADERS)


def trickle_headers(conn: socket.socket, stop: threading.Event) -> None:
    """The status line at once, then the headers a byte at a time."""
    _trickle(conn, stop, b"HTTP/1.1 200 OK\r\n", _HEADERS)


def close_in_headers(conn: socket.socket, stop: threading.Event) -> None:
    """The status line and half a header, then the connection closes."""
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: applic")
    conn.close()


def bad_location(conn: socket.socket, stop: threading.Event) -> None:
    """A redirect whose Location no URL parser accepts."""
    read_request(conn)
    answer_and_close(conn, "302 Found", {"Location": "http://[::1"}, b"")


def echo_lowercased(conn: socket.socket, stop: threading.Event) -> None:
    """A proxy page that echoes the request head lowercased."""
    [line] = _authorization(read_request(conn))
    token = line.split()[-1].lower()
    answer_and_close(
        conn, "502 Bad Gateway", {"Content-Type": "text/plain"}, b"seen: " + line.lower() + b" " + token
    )


def trickle_body(conn: socket.socket, stop: threading.Event) -> None:
    """Headers at once, then a body of 100,000 promised bytes one byte every 0.1 s."""
    read_request(conn)
    try:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        while not stop.wait(0.1):
            conn.sendall(b" ")
    except OSError:
        return


def corrupt_gzip(conn: socket.socket, stop: threading.Event) -> None:
    """A 200 that says gzip and sends bytes no gzip reader accepts."""
    read_request(conn)
    body = b"\x1f\x8b\x08\x00garbage-that-is-not-deflate" * 4
    answer_and_close(conn, "200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip"}, body)


def _authorization(head: bytes) -> list[bytes]:
    return [line for line in head.split(b"\r\n") if line.lower().startswith(b"authorization:")]


def echo_headers_502(conn: socket.socket, stop: threading.Event) -> None:
    """An edge proxy's error page that quotes the request head, Authorization first."""
    head = read_request(conn)
    page = b"<h1>502</h1><pre>" + b" ".join(_authorization(head) + head.split(b"\r\n")) + b"</pre>"
    answer_and_close(conn, "502 Bad Gateway", {"Content-Type": "text/html"}, page)


def echo_headers_401_json(conn: socket.socket, stop: threading.Event) -> None:
    """A JSON error whose ``errors`` and ``requestId`` quote the Authorization value."""
    [line] = _authorization(read_request(conn))
    value = line.split(b":", 1)[1].strip().decode()
    body = json.dumps(
        {"requestId": value, "errors": [f"bad credentials {value}", value.split()[-1]]}
    ).encode()
    answer_and_close(conn, "401 Unauthorized", {"Content-Type": "application/json"}, body)


def good_gzip(conn: socket.socket, stop: threading.Event) -> None:
    """A correct gzip answer, to show decoding still works."""
    read_request(conn)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer_and_close(conn, "200 OK", headers, gzip.compress(USERS_BODY))


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[RawServer]:
    raw = RawServer(request.param)
    raw.start()
    yield raw
    raw.stop()


def _conn(make_conn: Callable[..., str], url: str, auth: str) -> str:
    if auth == "bearer":
        return make_conn(host=url, extra={"access_token": TOKEN, "calls_per_second": 0})
    return make_conn(host=url, login=KEY, password=SECRET, extra={"calls_per_second": 0})


def _probe(run_trigger: Callable[[Any], list[dict[str, Any]]], conn_id: str, **kwargs: Any) -> dict[str, Any]:
    [event] = run_trigger(GongRateLimitTrigger(conn_id, **kwargs))
    return event


# ------------------------------------------------------------------------------------- bounded attempts


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "server", [trickle_head, trickle_headers, trickle_body], indirect=True, ids=["status", "headers", "body"]
)
def test_sync_attempt_ends_within_timeout_whatever_the_server_trickles(
    server: RawServer, make_conn: Callable[..., str]
) -> None:
    hook = GongHook(_conn(make_conn, server.url, "basic"), timeout=TIMEOUT, max_retries=0)

    started = time.monotonic()
    with pytest.raises(GongTimeoutError, match=f"timed out after {TIMEOUT:g} s"):
        hook.get_user(USER_ID)
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT + DEADLINE_SLACK + MARGIN


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "server", [trickle_head, trickle_headers, trickle_body], indirect=True, ids=["status", "headers", "body"]
)
def test_async_probe_ends_within_timeout_whatever_the_server_trickles(
    server: RawServer, make_conn: Callable[..., str], run_trigger: Callable[[Any], list[dict[str, Any]]]
) -> None:
    conn_id = _conn(make_conn, server.url, "basic")

    started = time.monotonic()
    event = _probe(run_trigger, conn_id, timeout=TIMEOUT, max_retries=0)
    elapsed = time.monotonic() - started

    assert event["status"] == "error"
    assert event["error_type"] == "GongTimeoutError"
    assert f"timed out after {TIMEOUT:g} s" in event["message"]
    assert elapsed < TIMEOUT + DEADLINE_SLACK + MARGIN


@pytest.mark.timeout(60)
@pytest.mark.parametrize("server", [trickle_head], indirect=True)
def test_every_attempt_is_bounded_so_retries_are_too(
    server: RawServer, make_conn: Callable[..., str]
) -> None:
    hook = GongHook(
        _conn(make_conn, server.url, "basic"), timeout=TIMEOUT, max_retries=2, sleep=lambda _: None
    )

    started = time.monotonic()
    with pytest.raises(GongTimeoutError):
        hook.get_user(USER_ID)

    assert server.accepted == 3
    assert time.monotonic() - started < 3 * (TIMEOUT + DEADLINE_SLACK) + MARGIN


@pytest.mark.parametrize("server", [good_gzip], indirect=True)
def test_a_kept_alive_hook_still_reads_compressed_answers(
    server: RawServer, make_conn: Callable[..., str]
) -> None:
    hook = GongHook(_conn(make_conn, server.url, "basic"), timeout=TIMEOUT, max_retries=0)

    assert hook.get_users(["1"]) == [{"id": "1"}]


# ------------------------------------------------------------------------------------- undecodable bodies


@pytest.mark.parametrize("server", [corrupt_gzip], indirect=True)
def test_sync_corrupt_gzip_is_an_incomplete_answer_retried(
    server: RawServer, make_conn: Callable[..., str]
) -> None:
    sleeps: list[float] = []
    hook = GongHook(_conn(make_conn, server.url, "basic"), max_retries=2, sleep=sleeps.append)

    with pytest.raises(GongIncompleteAnswerError, match="could not be decoded") as caught:
        hook.get_user(USER_ID)

    assert caught.value.status_code == 200
    assert server.accepted == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("server", [corrupt_gzip], indirect=True)
def test_async_corrupt_gzip_is_an_incomplete_answer(
    server: RawServer, make_conn: Callable[..., str], run_trigger: Callable[[Any], list[dict[str, Any]]]
) -> None:
    event = _probe(run_trigger, _conn(make_conn, server.url, "basic"), max_retries=0)

    assert event["status"] == "error"
    assert event["error_type"] == "GongIncompleteAnswerError"


# ------------------------------------------------------------------------------------- echoed credentials


@pytest.mark.parametrize("auth", ["basic", "bearer"])
@pytest.mark.parametrize(
    "server", [echo_headers_502, echo_headers_401_json], indirect=True, ids=["html", "json"]
)
def test_sync_error_text_never_carries_a_credential(
    server: RawServer, make_conn: Callable[..., str], auth: str
) -> None:
    hook = GongHook(_conn(make_conn, server.url, auth), max_retries=0)

    with pytest.raises(GongApiError) as caught:
        hook.get_user(USER_ID)

    error = caught.value
    text = f"{error} {error.detail} {error.errors} {error.request_id} {error!r}"
    assert ("Authorization" in text) or ("bad credentials" in text)  # the answer did quote the header ...
    for secret in (SECRET, TOKEN, *hook.settings.secrets):
        assert secret not in text  # ... but not its value
    assert "***" in text


@pytest.mark.parametrize("auth", ["basic", "bearer"])
@pytest.mark.parametrize("server", [echo_headers_502], indirect=True)
def test_async_error_event_never_carries_a_credential(
    server: RawServer,
    make_conn: Callable[..., str],
    run_trigger: Callable[[Any], list[dict[str, Any]]],
    auth: str,
) -> None:
    conn_id = _conn(make_conn, server.url, auth)
    secrets = GongHook(conn_id).settings.secrets

    event = _probe(run_trigger, conn_id, max_retries=0)

    text = repr(event)
    assert event["error_type"] == "GongServerError"
    assert "Authorization" in text
    for secret in (SECRET, TOKEN, *secrets):
        assert secret not in text


@pytest.mark.parametrize("server", [close_in_headers], indirect=True)
def test_a_connection_closed_in_the_headers_is_retried_never_a_final_200(
    server: RawServer, make_conn: Callable[..., str]
) -> None:
    hook = GongHook(_conn(make_conn, server.url, "basic"), max_retries=2, sleep=lambda _: None)

    with pytest.raises((GongIncompleteAnswerError, GongConnectionError)):
        hook.get_user(USER_ID)

    assert server.accepted == 3  # every attempt was retried


@pytest.mark.parametrize("server", [bad_location], indirect=True)
def test_an_unreadable_location_is_still_a_redirect_error(
    server: RawServer, make_conn: Callable[..., str]
) -> None:
    hook = GongHook(_conn(make_conn, server.url, "basic"), max_retries=2, sleep=lambda _: None)

    with pytest.raises(GongApiError, match="302 on GET") as caught:
        hook.get_user(USER_ID)

    assert "unreadable Location" in str(caught.value)
    assert server.accepted == 1


@pytest.mark.parametrize("server", [echo_lowercased], indirect=True)
def test_a_credential_echoed_in_another_case_is_redacted(
    server: RawServer, make_conn: Callable[..., str], run_trigger: Callable[[Any], list[dict[str, Any]]]
) -> None:
    conn_id = make_conn(host=server.url, extra={"access_token": "MiXeD-Case-Token-9Q", "calls_per_second": 0})

    with pytest.raises(GongApiError) as caught:
        GongHook(conn_id, max_retries=0).get_user(USER_ID)
    event = _probe(run_trigger, conn_id, max_retries=0)

    for text in (str(caught.value), repr(event)):
        assert "authorization:" in text  # the echo is there ...
        assert "mixed-case-token-9q" not in text.lower()  # ... without the token, in any case
