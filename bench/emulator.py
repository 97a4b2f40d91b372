"""The Gong emulator in its own process, and a tiny control client for its ``/_emulator/`` endpoints."""

from __future__ import annotations

import dataclasses
import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_gong.testing.config import DEFAULT_ACCESS_KEY, DEFAULT_SECRET

__all__ = ["ACCESS_KEY", "SECRET", "EmulatorProcess", "start_emulator"]

ACCESS_KEY = DEFAULT_ACCESS_KEY
SECRET = DEFAULT_SECRET
READY_PREFIX = "Gong emulator running at "


@dataclass
class EmulatorProcess:
    """
    A running ``python -m airflow_provider_gong.testing`` and how to reach it.

    Every control call opens (and closes) exactly one TCP connection, so a connection count taken as the
    difference of two :meth:`stats` calls is corrected by :meth:`connections_since`.

    :param process: The emulator's process.
    :param url: Its base URL (``http://127.0.0.1:PORT`` or ``https://...``).
    :param cafile: The CA bundle to trust when it serves TLS.
    :param control_url: Where the control endpoints are (default: ``url``); differs behind a proxy.
    """

    process: subprocess.Popen[str]
    url: str
    cafile: Path | None = None
    control_url: str = ""
    _context: ssl.SSLContext | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.control_url = self.control_url or self.url
        if self.cafile is not None:
            self._context = ssl.create_default_context(cafile=str(self.cafile))

    @property
    def tls(self) -> bool:
        """Whether it serves https."""
        return self.url.startswith("https://")

    @property
    def port(self) -> int:
        """Its own TCP port (not a proxy's)."""
        return int(self.control_url.rsplit(":", 1)[1])

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """
        Call one control endpoint on a fresh connection (``Connection: close``) and decode its JSON.

        :param method: ``GET``, ``POST`` or ``PATCH``.
        :param path: e.g. ``/_emulator/stats``.
        :param body: JSON body.
        """
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own http(s) URL
            self.control_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Connection": "close"},
        )
        with urllib.request.urlopen(request, timeout=30, context=self._context) as response:  # noqa: S310
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        """``GET /_emulator/stats`` (counts this call's own connection)."""
        result: dict[str, Any] = self.control("GET", "/_emulator/stats")
        return result

    def reset(self) -> dict[str, Any]:
        """Clear counters and rate-limit windows; return the stats right after (the baseline)."""
        self.control("POST", "/_emulator/reset")
        return self.stats()

    def configure(self, **changes: Any) -> dict[str, Any]:
        """``PATCH /_emulator/config`` with ``changes``; return the live settings."""
        result: dict[str, Any] = self.control("PATCH", "/_emulator/config", changes)
        return result

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

    def stop(self) -> None:
        """Stop the emulator (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


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
    :param log: File for the emulator's stderr (default: discarded).
    """
    command = [
        sys.executable,
        "-m",
        "airflow_provider_gong.testing",
        "--port",
        "0",
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
        command += ["--ssl-certfile", str(tls)]
        if key is not None:
            command += ["--ssl-keyfile", str(key)]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    err = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    finally:
        if not isinstance(err, int):
            err.close()
    emulator: EmulatorProcess | None = None
    try:
        url = _wait_ready(process, timeout=60, log=log)
        emulator = EmulatorProcess(process=process, url=url, cafile=tls)
        emulator.stats()
        yield emulator
    finally:
        if emulator is not None:
            emulator.stop()
        elif process.poll() is None:
            process.kill()
            process.wait(5)


def _wait_ready(process: subprocess.Popen[str], timeout: float, log: Path | None) -> str:
    """Read the emulator's stdout until its ready line; return the URL it printed."""
    assert process.stdout is not None
    found: list[str] = []

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(READY_PREFIX):
                found.append(line[len(READY_PREFIX) :].strip())
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout)
    if not found:
        process.kill()
        process.wait(5)
        detail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        raise RuntimeError(f"the emulator did not start within {timeout:g} s: {detail}")
    return found[0]
