"""A TCP proxy that adds network latency, to show what a TLS handshake per call costs on a real network.

Run: ``python -m bench.proxy --target 127.0.0.1:8443 --one-way-ms 5`` (prints ``proxy listening on PORT``).

Every byte is delivered ``one-way`` later in each direction, in order (no bandwidth limit). A new
connection's first bytes reach the server no sooner than three one-way delays after the client connected,
as if the TCP handshake (SYN, SYN-ACK) had crossed the network too; connect() itself returns at once on
loopback, so the client sees that handshake round trip in its first answer instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["main", "serve", "start_proxy"]

_CHUNK = 65536
_ROOT = Path(__file__).resolve().parent.parent


async def _pump(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay: float,
    not_before: float,
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError):
                    if writer.can_write_eof():
                        writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(_CHUNK)
            queue.put_nowait((max(loop.time() + delay, not_before), data))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()
    finally:
        if not task.done():
            await asyncio.gather(task, return_exceptions=True)


async def _handle(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    target: tuple[str, int],
    delay: float,
) -> None:
    loop = asyncio.get_running_loop()
    accepted = loop.time()
    try:
        server_reader, server_writer = await asyncio.open_connection(*target)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(
            _pump(client_reader, server_writer, delay, accepted + 3 * delay),
            _pump(server_reader, client_writer, delay, accepted),
        )
    except asyncio.CancelledError:
        pass  # the proxy is stopping: end quietly
    finally:
        for writer in (client_writer, server_writer):
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def serve(target: tuple[str, int], one_way: float, port: int = 0) -> None:
    """
    Proxy ``127.0.0.1:port`` to ``target`` until SIGTERM or SIGINT; print the port once listening.

    :param target: Upstream ``(host, port)``.
    :param one_way: Seconds added in each direction.
    :param port: Local port (0: any free one).
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, target, one_way), "127.0.0.1", port, reuse_address=True
    )
    print(f"proxy listening on {server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    server.close()
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.proxy", description=__doc__)
    parser.add_argument("--target", required=True, help="upstream HOST:PORT")
    parser.add_argument("--one-way-ms", type=float, default=5.0, help="latency added per direction")
    parser.add_argument("--port", type=int, default=0, help="local port (default: any free one)")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    asyncio.run(serve((host, int(port)), args.one_way_ms / 1000.0, args.port))
    return 0


@contextlib.contextmanager
def start_proxy(target_port: int, one_way_ms: float) -> Iterator[int]:
    """
    Run the proxy in its own process in front of ``127.0.0.1:target_port``; yield its port.

    :param target_port: The emulator's port.
    :param one_way_ms: Latency added per direction, in milliseconds.
    """
    command = [
        sys.executable, "-m", "bench.proxy", "--target", f"127.0.0.1:{target_port}",
        "--one-way-ms", str(one_way_ms),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=_ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("proxy listening on "):
            raise RuntimeError(f"the latency proxy did not start: {line!r}")
        yield int(line.rsplit(" ", 1)[1])
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


if __name__ == "__main__":
    sys.exit(main())
