"""The Gong emulator in its own process (the package's launcher), plus what the bench asks of it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airflow_provider_gong.testing import launch
from airflow_provider_gong.testing.config import DEFAULT_ACCESS_KEY, DEFAULT_SECRET

__all__ = ["ACCESS_KEY", "SECRET", "EmulatorProcess", "start_emulator"]

ACCESS_KEY = DEFAULT_ACCESS_KEY
SECRET = DEFAULT_SECRET


@dataclasses.dataclass
class EmulatorProcess(launch.EmulatorProcess):
    """
    A running emulator CLI (see :class:`airflow_provider_gong.testing.launch.EmulatorProcess`), with the
    bench's connections and connection counting.

    Every control call opens (and closes) exactly one TCP connection, so a connection count taken as the
    difference of two :meth:`stats` calls is corrected by :meth:`connections_since`.
    """

    @staticmethod
    def connections_since(before: dict[str, Any], after: dict[str, Any]) -> int:
        """TCP connections clients opened between two :meth:`stats` snapshots (minus the second's own)."""
        return int(after["connections_accepted"]) - int(before["connections_accepted"]) - 1

    def gong_connection(self, **extra: Any) -> dict[str, Any]:
        """An Airflow connection of type ``gong`` for this emulator."""
        conn: dict[str, Any] = {
            "conn_type": "gong",
            "host": self.url,
            "login": ACCESS_KEY,
            "password": SECRET,
        }
        if extra:
            conn["extra"] = extra
        return conn

    def http_connection(self) -> dict[str, Any]:
        """The same endpoint and credentials as an Airflow ``http`` connection (for ``HttpHook``)."""
        scheme, _, rest = self.url.partition("://")
        host, _, port = rest.rpartition(":")
        return {
            "conn_type": "http",
            "host": host,
            "schema": scheme,
            "port": int(port),
            "login": ACCESS_KEY,
            "password": SECRET,
        }

    def behind(self, port: int) -> EmulatorProcess:
        """The same emulator as clients reach it through a proxy on ``127.0.0.1:port``."""
        scheme = self.url.partition("://")[0]
        return dataclasses.replace(self, url=f"{scheme}://127.0.0.1:{port}", control_url=self.control_url)


@contextmanager
def start_emulator(
    *,
    users: int,
    tls: Path | None = None,
    key: Path | None = None,
    log: Path | None = None,
) -> Iterator[EmulatorProcess]:
    """
    Start the emulator CLI on a free loopback port with no rate limits (tests switch them on by PATCH).

    :param users: Users of the emulated company (avatars switched off, so every user is listed).
    :param tls: Certificate file: serve https with it (and trust it).
    :param key: Private key of ``tls``.
    :param log: File for the emulator's stderr (default: a temporary file, shown if it fails to start).
    """
    args = [
        "--users",
        str(users),
        "--avatar-share",
        "0",
        "--rate-per-second",
        "none",
        "--rate-per-day",
        "none",
    ]
    if tls is not None:
        args += ["--ssl-certfile", str(tls)]
        if key is not None:
            args += ["--ssl-keyfile", str(key)]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    with EmulatorProcess.start(args, env=env, log=log, cafile=tls, timeout=60) as emulator:
        emulator.stats()
        yield emulator
