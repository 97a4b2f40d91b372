"""Shared checks of the reliability suite (a plain module: pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def rendered(event: dict[str, Any]) -> str:
    """The text of one captured log event, with its ``%s`` arguments filled in."""
    message = str(event.get("event", ""))
    args = event.get("positional_args")
    if args:
        try:
            message = message % tuple(args)
        except (TypeError, ValueError):
            message = f"{message} {args}"
    return message


def retry_warnings(logs: list[dict[str, Any]]) -> list[str]:
    """The WARNING lines of the retry policy ("Gong ... failed (...); retry N of M in X s")."""
    return [rendered(e) for e in logs if e.get("log_level") == "warning" and "; retry " in rendered(e)]


#: Emulator faults that make an attempt fail (``slow`` answers still arrive, ``truncate`` and
#: ``bad_shape`` are not injected by the fault tests).
FAILING_FAULTS = ("drop", "hang", "fail_5xx", "fail_429")


def assert_fault_mix(
    stats: Any,
    warnings: Sequence[str],
    *,
    successes: int,
    sleeps: Sequence[float],
    hang_expected: bool,
) -> None:
    """
    Check that the injected faults happened, were all retried, and each retry was logged.

    :param stats: ``GongEmulator.stats()`` after the run.
    :param warnings: The retry policy's WARNING lines captured during the run.
    :param successes: Calls the run needed (one 200 each).
    :param sleeps: Waits the hook's retry policy asked for.
    :param hang_expected: Whether never-answered calls were part of the mix.
    """
    faults = stats["faults"]
    statuses = stats["by_status"]
    for kind in ("drop", "fail_5xx", "fail_429", "slow", *(("hang",) if hang_expected else ())):
        assert faults[kind] >= 1, f"no {kind!r} fault was injected: {faults}"
    for status in ("500", "502", "503", "429", "dropped"):
        assert statuses.get(status, 0) >= 1, f"no {status} answer in {statuses}"
    assert statuses["200"] == successes

    failed_attempts = stats["gong_calls"] - successes
    injected = sum(faults[kind] for kind in FAILING_FAULTS)
    # Every failed attempt was retried (nothing given up) and logged once at WARNING with "retry".
    assert failed_attempts >= injected
    assert len(warnings) == failed_attempts
    assert len(sleeps) == failed_attempts
    # ~20% of answers were faulty (failing kinds plus slow answers).
    share = (injected + faults["slow"]) / stats["gong_calls"]
    assert 0.12 <= share <= 0.30, share

    text = "\n".join(warnings)
    for needle in ("status 500", "status 502", "status 503", "Retry-After 0.05 s", "no Retry-After"):
        assert needle in text, f"{needle!r} not in the retry log"
    assert "GongConnectionError" in text  # dropped connections
    if hang_expected:
        assert "GongTimeoutError" in text
    # A 429 with Retry-After waits exactly that; other retries back off (>= 1 s, recorded, not slept).
    assert 0.05 in sleeps
    assert all(wait >= 1.0 for wait in sleeps if wait != 0.05)


@dataclass
class RawServer:
    """
    A loopback TCP server whose every connection is handled by ``behaviour(conn)`` in its own thread.

    It counts accepted connections; ``stop()`` closes everything so no handler outlives the test.
    """

    behaviour: Callable[[socket.socket, threading.Event], None]
    accepted: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _conns: list[socket.socket] = field(default_factory=list)

    def start(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            threading.Thread(target=self.behaviour, args=(conn, self._stop), daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self._sock.close()


def read_request(conn: socket.socket) -> bytes:
    """Read one request's head from a raw connection; return it (empty if the client went away)."""
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data.split(b"\r\n\r\n")[0]


def answer_and_close(conn: socket.socket, status: str, headers: dict[str, str], body: bytes) -> None:
    """Send one whole answer (status line, headers, ``Content-Length``, body), then close."""
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    conn.sendall(head.encode() + body)
    conn.close()
