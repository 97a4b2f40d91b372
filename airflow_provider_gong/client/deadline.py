"""A deadline on one whole HTTP attempt of the sync transport (requests), whatever the server does.

requests' ``timeout`` bounds the connect and each socket read, not the answer: a server or proxy that
trickles its status line, its headers or its body a byte at a time holds a call for as long as it likes.
Here every attempt runs under a :func:`deadline`; one watchdog thread per process cuts the connection
(a socket ``shutdown``) of an attempt still running when its deadline passes, so the blocked read returns
at once and the caller raises a timeout. It costs two locks per attempt, and one thread that wakes only
when an attempt's deadline may have passed.

The sockets are found through urllib3's documented extension points: :class:`GongHTTPAdapter` mounts
connection pools whose ``ConnectionCls`` tells the current attempt which connection it uses.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

__all__ = ["Attempt", "GongHTTPAdapter", "deadline"]


class Attempt:
    """
    The HTTP attempt a thread runs under a deadline: its connections, and whether the deadline cut it.

    One per thread, reused by every attempt of that thread (no allocation per call that outlives it:
    long-lived small objects made while pages are decoded would pin the allocator's memory).
    """

    __slots__ = ("__weakref__", "_connections", "_lock", "deadline", "expired")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[HTTPConnection] = []
        #: ``time.monotonic()`` by which the attempt must end; ``None`` while no attempt runs.
        self.deadline: float | None = None
        self.expired = False

    def start(self, at: float) -> None:
        """An attempt starts: it must end by ``at`` (monotonic seconds)."""
        with self._lock:
            self._connections.clear()
            self.expired = False
            self.deadline = at

    def watch(self, connection: HTTPConnection) -> None:
        """Note a connection this attempt uses; cut it at once if the deadline already passed."""
        with self._lock:
            if self.deadline is None:
                return
            self._connections.append(connection)
            expired = self.expired
        if expired:
            _cut(connection)

    def expire(self) -> None:
        """Cut every connection of the attempt if its deadline has passed (the watchdog calls this)."""
        with self._lock:
            if self.deadline is None or self.deadline > time.monotonic():
                return  # ended, or a later attempt of the thread runs now
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            _cut(connection)

    def finish(self) -> None:
        """The attempt ended (answered or failed): nothing to cut any more."""
        with self._lock:
            self.deadline = None
            self._connections.clear()


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown, also for an SSLSocket: the reading thread gets an error from its
        # blocked read instead of finding the TLS object gone mid-call. OSError: closed already.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that expires the attempts whose deadline passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._attempts: weakref.WeakSet[Attempt] = weakref.WeakSet()
        self._wake_at: float | None = None  # when the thread looks next (None: when told)
        self._thread: threading.Thread | None = None

    def arm(self, attempt: Attempt, at: float) -> None:
        attempt.start(at)
        with self._cond:
            self._attempts.add(attempt)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="gong-deadline", daemon=True)
                self._thread.start()
            if self._wake_at is None or at < self._wake_at:
                self._wake_at = at
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due: list[Attempt] = []
                earliest: float | None = None
                for attempt in list(self._attempts):
                    at = attempt.deadline
                    if at is None:
                        continue
                    if at <= now:
                        due.append(attempt)
                    elif earliest is None or at < earliest:
                        earliest = at
                self._wake_at = earliest
                if not due:
                    self._cond.wait(None if earliest is None else earliest - now)
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
    attempt: Attempt | None = getattr(_current, "attempt", None)
    if attempt is None or attempt.deadline is not None:  # first attempt of the thread, or a nested one
        attempt = Attempt()
    previous = getattr(_current, "attempt", None)
    _current.attempt = attempt
    _watchdog.arm(attempt, time.monotonic() + seconds)
    try:
        yield attempt
    finally:
        attempt.finish()
        if previous is not None and previous is not attempt:
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
