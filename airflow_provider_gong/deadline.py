"""A deadline on one whole HTTP attempt of the sync transport (requests), whatever the server does.

requests' ``timeout`` bounds the connect and each socket read, not the answer: a server or proxy that
trickles its status line, its headers or its body a byte at a time holds a call for as long as it likes.
Here every attempt runs under a :func:`deadline`; one watchdog thread per process cuts the connection
(a socket ``shutdown``) of an attempt still running when its deadline passes, so the blocked read returns
at once and the caller raises a timeout. It costs a lock and a heap push per attempt, and one thread.

The sockets are found through urllib3's documented extension points: :class:`GongHTTPAdapter` mounts
connection pools whose ``ConnectionCls`` tells the current attempt which connection it uses.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

__all__ = ["Attempt", "GongHTTPAdapter", "deadline"]


class Attempt:
    """One HTTP attempt under a deadline: the connections it used, and whether the deadline cut it."""

    __slots__ = ("_connections", "_lock", "done", "expired")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[HTTPConnection] = []
        self.done = False
        self.expired = False

    def watch(self, connection: HTTPConnection) -> None:
        """Note a connection this attempt uses; cut it at once if the deadline already passed."""
        with self._lock:
            self._connections.append(connection)
            expired = self.expired
        if expired:
            _cut(connection)

    def expire(self) -> None:
        """The deadline passed: cut every connection of the attempt (the watchdog calls this)."""
        with self._lock:
            if self.done:
                return
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            _cut(connection)

    def finish(self) -> None:
        """The attempt ended (answered or failed): nothing to cut any more."""
        with self._lock:
            self.done = True
            self._connections.clear()


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown, also for an SSLSocket: the reading thread gets an error from its
        # blocked read instead of finding the TLS object gone mid-call. OSError: closed already.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that expires the attempts whose deadline passed, earliest first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Attempt]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, attempt: Attempt) -> None:
        with self._cond:
            earliest = not self._heap or at < self._heap[0][0]
            heapq.heappush(self._heap, (at, next(self._order), attempt))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="gong-deadline", daemon=True)
                self._thread.start()
            elif earliest:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            due: list[Attempt] = []
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
                if not due:
                    self._cond.wait(self._heap[0][0] - now)
                    continue
            for attempt in due:
                attempt.expire()


_watchdog = _Watchdog()
_current = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[Attempt]:
    """
    Run one HTTP attempt of this thread (through a :class:`GongHTTPAdapter`) under a deadline.

    When ``seconds`` pass before the block ends, the attempt's connection is cut and the block's blocked
    read fails; the caller checks :attr:`Attempt.expired` to tell a deadline from a real failure.

    :param seconds: How long the attempt may take, from now.
    """
    attempt = Attempt()
    previous = getattr(_current, "attempt", None)
    _current.attempt = attempt
    _watchdog.arm(time.monotonic() + seconds, attempt)
    try:
        yield attempt
    finally:
        attempt.finish()
        _current.attempt = previous


def _watch(connection: HTTPConnection) -> None:
    attempt: Attempt | None = getattr(_current, "attempt", None)
    if attempt is not None:
        attempt.watch(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOL_CLASSES = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}


class GongHTTPAdapter(HTTPAdapter):
    """requests' adapter, with connection pools whose attempts a :func:`deadline` can cut."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        _watched(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, PoolManager):
            _watched(manager)
        return manager


def _watched(manager: PoolManager) -> None:
    manager.pool_classes_by_scheme = dict(_POOL_CLASSES)
