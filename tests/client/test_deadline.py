"""The per-attempt deadline of the sync transport: a late attempt's socket is cut, an ended one never is."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_gong.client.deadline import deadline


@dataclass
class Connection:
    """What the deadline needs of a urllib3 connection: its ``sock``."""

    sock: socket.socket | None


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def _blocked_read(sock: socket.socket, seconds: float) -> Any:
    sock.settimeout(seconds)
    try:
        return sock.recv(10)
    except OSError as err:
        return err


def test_an_attempt_past_its_deadline_has_its_socket_cut(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _ = pair
    started = time.monotonic()
    with deadline(0.2) as attempt:
        attempt.watch(Connection(ours))  # type: ignore[arg-type]
        got = _blocked_read(ours, 5)  # nothing comes: only the cut ends this read
    assert attempt.expired
    assert got == b"" or isinstance(got, OSError)
    assert time.monotonic() - started < 2


def test_a_connection_watched_after_the_deadline_is_cut_at_once(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    with deadline(0.05) as attempt:
        time.sleep(0.3)
        attempt.watch(Connection(ours))  # type: ignore[arg-type]
        got = _blocked_read(ours, 5)
    assert attempt.expired
    assert got == b"" or isinstance(got, OSError)


def test_an_ended_attempt_is_never_cut_by_its_old_deadline(pair: tuple[socket.socket, socket.socket]) -> None:
    """A thread reuses its attempt: the next one must not inherit the earlier, shorter deadline."""
    ours, theirs = pair
    with deadline(0.1) as first:
        pass
    with deadline(10) as second:
        second.watch(Connection(ours))  # type: ignore[arg-type]
        time.sleep(0.4)  # well past the first attempt's deadline
        theirs.sendall(b"still here")
        got = _blocked_read(ours, 2)
    assert second is first  # one attempt object per thread, reused
    assert got == b"still here"
    assert not second.expired


def test_threads_have_attempts_of_their_own(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    results: dict[str, Any] = {}

    def slow_but_in_time() -> None:
        with deadline(10) as attempt:
            attempt.watch(Connection(ours))  # type: ignore[arg-type]
            results["read"] = _blocked_read(ours, 3)
            results["expired"] = attempt.expired

    worker = threading.Thread(target=slow_but_in_time)
    worker.start()
    with deadline(0.1) as late:
        time.sleep(0.4)
    theirs.sendall(b"ok")
    worker.join(5)
    assert late.expired
    assert results == {"read": b"ok", "expired": False}


def test_an_attempt_without_a_socket_yet_is_marked_and_nothing_breaks() -> None:
    with deadline(0.05) as attempt:
        attempt.watch(Connection(None))  # type: ignore[arg-type]
        time.sleep(0.3)
    assert attempt.expired
