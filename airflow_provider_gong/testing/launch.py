"""The emulator in its own process: start the CLI on a free loopback port, wait until it is ready, stop it.

::

    from airflow_provider_gong.testing.launch import EmulatorProcess

    with EmulatorProcess.start(["--users", "500", "--rate-per-second", "none"]) as gong:
        print(gong.url, gong.stats()["gong_calls"])

Use it when the emulator must live outside the test's interpreter (a benchmark, an Airflow process, the
README's command); in-process :class:`~airflow_provider_gong.testing.GongEmulator` is cheaper otherwise.
Standard library only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

__all__ = ["MODULE", "READY_PREFIX", "EmulatorProcess", "EmulatorStartError"]

#: The module run as ``python -m``.
MODULE = "airflow_provider_gong.testing"
#: Start of the one line the CLI prints on stdout once it accepts connections (the URL follows).
READY_PREFIX = "Gong emulator running at "

_P = TypeVar("_P", bound="EmulatorProcess")


class EmulatorStartError(RuntimeError):
    """The emulator process exited, or printed no ready line in time.

    :param message: What happened.
    :param returncode: Its exit status (``None`` if it was killed for being too slow).
    :param stderr: The end of what it wrote on stderr.
    """

    def __init__(self, message: str, *, returncode: int | None, stderr: str) -> None:
        super().__init__(f"{message}; stderr:\n{stderr}" if stderr else message)
        self.returncode = returncode
        self.stderr = stderr


@dataclasses.dataclass
class EmulatorProcess:
    """A running ``python -m airflow_provider_gong.testing`` and how to reach it.

    Every control call opens (and closes) exactly one TCP connection and ignores proxy settings.

    :param process: The emulator's process.
    :param url: Its base URL (``http://127.0.0.1:PORT`` or ``https://...``), as clients reach it.
    :param cafile: The CA bundle to trust when it serves TLS.
    :param control_url: Where its ``/_emulator/`` endpoints are (default: ``url``); differs when clients
        reach it through a proxy.
    :param log: The file its stderr goes to, if one was given.

    ``stdout_before_ready`` holds the lines it printed on stdout before its ready line (normally none).
    """

    process: subprocess.Popen[str]
    url: str
    cafile: Path | None = None
    control_url: str = ""
    log: Path | None = None
    stdout_before_ready: list[str] = dataclasses.field(default_factory=list, init=False, compare=False)
    _opener: urllib.request.OpenerDirector = dataclasses.field(init=False, repr=False, compare=False)
    _stderr: IO[bytes] | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.control_url = self.control_url or self.url
        context = ssl.create_default_context(cafile=str(self.cafile)) if self.cafile is not None else None
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )

    @classmethod
    def start(
        cls: type[_P],
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        log: Path | None = None,
        cafile: Path | None = None,
        timeout: float = 60.0,
    ) -> _P:
        """Start the CLI on a free loopback port and return once it accepts connections.

        :param args: CLI arguments (``--users 500``...); ``--port 0`` comes first, so a ``--port`` here wins.
        :param env: The process's environment (default: this one's); ``PYTHONUNBUFFERED`` is set.
        :param cwd: Its working directory.
        :param log: File its stderr is appended to (default: a temporary file, shown when it fails).
        :param cafile: CA bundle of its certificate, when ``args`` serve TLS (``--ssl-certfile``).
        :param timeout: Seconds to wait for the ready line.
        :raises EmulatorStartError: If it exits or is not ready in time (it is killed then).
        """
        command = [sys.executable, "-m", MODULE, "--port", "0", *args]
        child_env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
        stderr: IO[bytes] = log.open("ab") if log is not None else tempfile.TemporaryFile()  # noqa: SIM115
        try:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed module
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=child_env,
                cwd=cwd,
                start_new_session=True,  # a Ctrl-C meant for the caller does not reach it first
            )
        except BaseException:
            stderr.close()
            raise
        try:
            url, before = _wait_ready(process, timeout)
        except EmulatorStartError as failed:
            raise EmulatorStartError(
                str(failed.args[0]), returncode=failed.returncode, stderr=_tail(stderr, log)
            ) from None
        except BaseException:  # e.g. KeyboardInterrupt while waiting: leave nothing running
            _kill(process)
            raise
        finally:
            if process.poll() is not None:
                stderr.close()
        try:
            emulator = cls(process=process, url=url, cafile=cafile, log=log)
        except BaseException:  # e.g. an unreadable cafile
            _kill(process)
            stderr.close()
            raise
        emulator._stderr = stderr
        emulator.stdout_before_ready = before
        return emulator

    # -- addresses -----------------------------------------------------------------------------------------

    @property
    def tls(self) -> bool:
        """Whether it serves https."""
        return self.url.startswith("https://")

    @property
    def port(self) -> int:
        """Its own TCP port (not a proxy's)."""
        port = urlsplit(self.control_url).port
        if port is None:  # pragma: no cover - the CLI always prints a port
            raise ValueError(f"no port in {self.control_url!r}")
        return port

    # -- control endpoints ---------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Call one control endpoint on a fresh connection (``Connection: close``) and decode its JSON.

        :param method: ``GET``, ``POST`` or ``PATCH``.
        :param path: e.g. ``/_emulator/stats``.
        :param body: JSON body.
        :raises urllib.error.HTTPError: On a 4xx/5xx answer.
        """
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own http(s) URL
            self.control_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Connection": "close"},
        )
        with self._opener.open(request, timeout=30) as response:
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

    # -- lifecycle -----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop it: SIGTERM (it exits 0), then SIGKILL after ``timeout`` seconds.

        :return: Its exit status.
        """
        process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
        if process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return process.returncode

    def __enter__(self: _P) -> _P:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _wait_ready(process: subprocess.Popen[str], timeout: float) -> tuple[str, list[str]]:
    """Read the process's stdout until its ready line; return the URL it printed and the lines before."""
    found: list[str] = []
    other: list[str] = []

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(READY_PREFIX):
                found.append(line[len(READY_PREFIX) :].strip())
                return
            other.append(line)

    thread = threading.Thread(target=reader, name="gong-emulator-ready", daemon=True)
    thread.start()
    thread.join(timeout)
    if found:
        return found[0], other
    if thread.is_alive():
        _kill(process)
        message = f"the Gong emulator printed no ready line within {timeout:g} s"
        returncode = None
    else:
        returncode = process.wait(5)
        message = f"the Gong emulator exited with status {returncode} before it was ready"
    if other:
        message += f"; stdout: {''.join(other)[-2000:]!r}"
    raise EmulatorStartError(message, returncode=returncode, stderr="")


def _kill(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait(5)


def _tail(stderr: IO[bytes], log: Path | None, size: int = 4000) -> str:
    """The end of what the process wrote on stderr."""
    try:
        if log is not None:
            stderr.flush()
            data = log.read_bytes()
        else:
            stderr.seek(0)
            data = stderr.read()
    except (OSError, ValueError):
        return ""
    return data[-size:].decode(errors="replace")
