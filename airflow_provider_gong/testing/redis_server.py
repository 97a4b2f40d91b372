"""A throwaway ``redis-server`` on a loopback port, for tests, benchmarks and the demo of shared state.

Starts the ``redis-server`` program (Debian's package ``redis-server``; nothing is downloaded) with no
persistence, on a free port of 127.0.0.1, optionally with a password, and stops it when done. It can be
killed and started again on the same port, which the tests of Redis failing mid-run use.

Only the standard library is used (as for the emulator).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType

__all__ = ["RedisServer", "RedisServerUnavailableError", "redis_server_path"]


class RedisServerUnavailableError(RuntimeError):
    """The ``redis-server`` program is not installed, or did not start."""


def redis_server_path() -> str | None:
    """Where ``redis-server`` is, or ``None`` when it is not installed."""
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """
    One ``redis-server`` process on ``127.0.0.1``; use as a context manager, or :meth:`start` / :meth:`stop`.

    :param password: Require this password (``requirepass``); ``None``: none.
    :param port: The port (default: a free one, kept across :meth:`kill` and :meth:`start`).
    """

    def __init__(self, password: str | None = None, port: int | None = None) -> None:
        self.password = password
        self.port = port or _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.mkdtemp(prefix="gong-redis-")

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``, with the password when there is one."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server and wait until it accepts connections."""
        program = redis_server_path()
        if program is None:
            raise RedisServerUnavailableError("redis-server is not installed (apt-get install redis-server)")
        args = [
            program,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self._dir,
            "--protected-mode",
            "no",
        ]
        if self.password:
            args += ["--requirepass", self.password]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RedisServerUnavailableError(f"redis-server exited with {self._process.returncode}")
            if self._answers():
                return self
            time.sleep(0.02)
        self.stop()
        raise RedisServerUnavailableError(f"redis-server did not answer on port {self.port} in {timeout} s")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                reply = conn.recv(64)
        except OSError:
            return False
        return reply.startswith((b"+PONG", b"-NOAUTH"))

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would; :meth:`start` brings it back, empty."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
