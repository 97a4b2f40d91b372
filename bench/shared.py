"""Many processes, one company: Gong's 3 calls/s shared through Redis, or spent by each process alone.

``python -m bench.shared [--seconds 30] [--ks 1,4,8] [--chart-k 4] [--png docs/shared-limits.png]``

K worker processes (separate interpreters, each with its own
:class:`~airflow_provider_gong.hooks.gong.GongHook`, ``max_retries=0`` so every 429 is seen) call
``listUsers`` back to back until a common deadline, against the Gong emulator enforcing Gong's 3 calls per
sliding second. With ``shared_state_url`` they share one pace through a throwaway ``redis-server``;
without it (today's default) each keeps its own 3 calls/s. All start at the same wall-clock moment,
once every one of them is ready (Airflow imported, hook built).

The table gives, per mode and K, the successful calls per second (over the window) and their ratio to
Gong's 3/s, the 429s the emulator sent and those the workers saw, and the least and most calls one process
got, as a fraction of its fair share (total / K). The chart shows calls per second over time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import machine, markdown_table

__all__ = ["GONG_RATE", "ProcessCalls", "SharedRun", "main", "plot", "render", "run_processes", "worker"]

ROOT = Path(__file__).resolve().parents[1]
#: Gong's limit: calls per second per company.
GONG_RATE = 3
#: Seconds after the last worker is ready before they all start (the start time is sent to each first).
START_DELAY = 1.0
#: Seconds a worker may take to import Airflow and build its hook (8 at once on 2 CPUs take a while).
READY_TIMEOUT = 120.0
#: Users of the emulated company (one page of ``listUsers``).
USERS = 50


@dataclass(frozen=True)
class ProcessCalls:
    """
    What one worker process got.

    :param index: The worker's number.
    :param pid: Its process id.
    :param successes: Wall-clock times (``time.time()``) at which its successful calls were answered.
    :param responses_429: The ``GongRateLimitError`` it caught.
    :param limited: Wall-clock times at which each of those was raised.
    """

    index: int
    pid: int
    successes: tuple[float, ...]
    responses_429: int
    limited: tuple[float, ...] = ()


@dataclass(frozen=True)
class SharedRun:
    """
    One run of K processes.

    :param k: Worker processes.
    :param shared: Whether they shared the pace through Redis (``shared_state_url``).
    :param seconds: The window: from :attr:`start` to :attr:`start` + ``seconds``.
    :param start: Wall-clock time at which every worker started.
    :param processes: What each worker got.
    :param emulator_200: Calls the emulator answered 200 (every call of the run, the window's and after).
    :param emulator_429: Calls the emulator answered 429.
    """

    k: int
    shared: bool
    seconds: float
    start: float
    processes: tuple[ProcessCalls, ...]
    emulator_200: int
    emulator_429: int

    @property
    def mode(self) -> str:
        """``shared`` or ``per-process``."""
        return "shared" if self.shared else "per-process"

    @property
    def deadline(self) -> float:
        """Wall-clock end of the window."""
        return self.start + self.seconds

    def in_window(self, process: ProcessCalls) -> int:
        """Successful calls of ``process`` answered inside the window (a call waiting at the end is not)."""
        return sum(1 for t in process.successes if self.start <= t < self.deadline)

    @property
    def calls(self) -> int:
        """Successful calls of every worker (the window's and those answered after it)."""
        return sum(len(p.successes) for p in self.processes)

    @property
    def window_calls(self) -> int:
        """Successful calls answered inside the window."""
        return sum(self.in_window(p) for p in self.processes)

    @property
    def rate(self) -> float:
        """Successful calls per second over the window, all processes together."""
        return self.window_calls / self.seconds

    @property
    def ratio(self) -> float:
        """:attr:`rate` relative to Gong's 3 calls/s."""
        return self.rate / GONG_RATE

    @property
    def worker_429(self) -> int:
        """429s the workers saw (each raised ``GongRateLimitError``)."""
        return sum(p.responses_429 for p in self.processes)

    @property
    def shares(self) -> tuple[float, ...]:
        """Each process's calls in the window as a fraction of its fair share (window calls / K)."""
        total = self.window_calls
        if total == 0:
            return tuple(0.0 for _ in self.processes)
        return tuple(self.in_window(p) * self.k / total for p in self.processes)

    def per_second(self, process: ProcessCalls | None = None) -> list[int]:
        """
        Successful calls per 1-second bin of the window, of one process or (``None``) of all.

        :param process: The process, or ``None`` for the total.
        """
        bins = [0] * max(round(self.seconds), 1)
        for proc in self.processes if process is None else (process,):
            for t in proc.successes:
                index = int(t - self.start)
                if 0 <= index < len(bins) and t < self.deadline:
                    bins[index] += 1
        return bins


# ---------------------------------------------------------------------------------------------------- worker


def worker(out: Path, index: int) -> int:
    """
    One worker process: build the hook, call once to warm up, say it is ready, then call from the start
    until the deadline.

    The connection comes from ``AIRFLOW_CONN_GONG_DEFAULT``. Readiness is a file ``<out>.ready``; the start
    and deadline (wall-clock seconds) come as one JSON line on stdin; the result is written to ``out``.

    :param out: Where the JSON result goes.
    :param index: The worker's number.
    """
    from airflow_provider_gong.endpoints import ENDPOINTS
    from airflow_provider_gong.exceptions import GongRateLimitError
    from airflow_provider_gong.hooks.gong import GongHook

    hook = GongHook(max_retries=0)
    client = hook.client
    endpoint = ENDPOINTS["listUsers"]
    # Warm up before the start (the emulator's limits are off meanwhile and its counters reset after): the
    # connection read, the client built, Gong's and Redis's TCP connections open, as in a running worker.
    # A cold first call can reach Gong tens of ms after it took its slot, enough for a 429 at the limit.
    client.request(endpoint, params={})
    Path(f"{out}.ready").write_text(str(os.getpid()))
    plan = json.loads(sys.stdin.readline())
    start, deadline = float(plan["start"]), float(plan["deadline"])
    time.sleep(max(start - time.time(), 0.0))
    successes: list[float] = []
    responses_429 = 0
    limited: list[float] = []
    while time.time() < deadline:
        try:
            client.request(endpoint, params={})
        except GongRateLimitError:
            responses_429 += 1
            limited.append(time.time())
            continue
        successes.append(time.time())
    hook.close()
    result = {
        "index": index,
        "pid": os.getpid(),
        "successes": successes,
        "responses_429": responses_429,
        "limited": limited,
    }
    out.write_text(json.dumps(result))
    return 0


# ---------------------------------------------------------------------------------------------------- driver


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def run_processes(
    emulator: Any,
    *,
    k: int,
    shared: bool,
    seconds: float,
    redis_url: str | None,
    workdir: Path | None = None,
) -> SharedRun:
    """
    Run ``k`` worker processes against ``emulator`` for ``seconds``; return what each got.

    Each worker warms up with one call while the emulator's limits are off; then the emulator is set to
    Gong's limits (3 calls per sliding second, no daily limit) and its counters are reset, and the workers
    start calling together.

    :param emulator: A running :class:`~airflow_provider_gong.testing.server.GongEmulator` (in this process).
    :param k: Worker processes.
    :param shared: Give the workers ``shared_state_url`` = ``redis_url`` (else each paces alone).
    :param seconds: The window every worker calls in.
    :param redis_url: The Redis of the shared mode (unused otherwise).
    :param workdir: Where the workers' results and logs go (default: a temporary directory).
    :raises RuntimeError: when a worker fails or does not get ready in time (with its log's tail).
    """
    if shared and not redis_url:
        raise ValueError("the shared mode needs redis_url")
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="gong-bench-shared-") as tmp:
            return run_processes(
                emulator, k=k, shared=shared, seconds=seconds, redis_url=redis_url, workdir=Path(tmp)
            )
    extra = {"shared_state_url": redis_url} if shared else None
    env = {name: value for name, value in os.environ.items() if not name.lower().endswith("_proxy")}
    env.update(
        AIRFLOW_CONN_GONG_DEFAULT=emulator.connection_json(extra=extra),
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    emulator.configure(rate_per_second=None, rate_per_day=None)  # for the warm-up calls
    label = f"{'shared' if shared else 'own'}-{k}"
    outs = [workdir / f"{label}-{i}.json" for i in range(k)]
    logs = [workdir / f"{label}-{i}.log" for i in range(k)]
    procs: list[subprocess.Popen[str]] = []
    try:
        for i in range(k):
            with logs[i].open("w") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bench.shared", "--worker", str(outs[i]), "--index", str(i)],
                        stdin=subprocess.PIPE,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        cwd=ROOT,
                        text=True,
                    )
                )
        limit = time.monotonic() + READY_TIMEOUT
        for i, proc in enumerate(procs):
            while not Path(f"{outs[i]}.ready").exists():
                if proc.poll() is not None or time.monotonic() > limit:
                    raise RuntimeError(f"worker {i} did not get ready (rc {proc.poll()}):\n{_tail(logs[i])}")
                time.sleep(0.05)
        emulator.configure(rate_per_second=GONG_RATE, rate_per_day=None)
        emulator.reset()  # counters and the sliding window start empty: the warm-up calls are not counted
        start = time.time() + START_DELAY
        plan = json.dumps({"start": start, "deadline": start + seconds}) + "\n"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(plan)
            proc.stdin.close()
        for i, proc in enumerate(procs):
            rc = proc.wait(timeout=START_DELAY + seconds + 60)
            if rc != 0 or not outs[i].exists():
                raise RuntimeError(f"worker {i} failed (rc {rc}):\n{_tail(logs[i])}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stats = emulator.stats()
    processes = []
    for out in outs:
        data = json.loads(out.read_text())
        processes.append(
            ProcessCalls(
                index=int(data["index"]),
                pid=int(data["pid"]),
                successes=tuple(float(t) for t in data["successes"]),
                responses_429=int(data["responses_429"]),
                limited=tuple(float(t) for t in data["limited"]),
            )
        )
    return SharedRun(
        k=k,
        shared=shared,
        seconds=seconds,
        start=start,
        processes=tuple(processes),
        emulator_200=int(stats["by_status"].get("200", 0)),
        emulator_429=int(stats["responses_429"]),
    )


# ---------------------------------------------------------------------------------------------------- output


def render(runs: Sequence[SharedRun]) -> str:
    """The runs as one Markdown table with aligned columns."""
    header = (
        "mode",
        "K",
        "calls/s (total)",
        "ratio to 3/s",
        "429s emulator",
        "429s workers",
        "min share",
        "max share",
    )
    rows = [
        (
            r.mode,
            str(r.k),
            f"{r.rate:.2f}",
            f"{r.ratio:.2f}",
            str(r.emulator_429),
            str(r.worker_429),
            f"{min(r.shares):.2f}",
            f"{max(r.shares):.2f}",
        )
        for r in runs
    ]
    return markdown_table(header, rows)


def plot(shared: SharedRun, alone: SharedRun, png: Path) -> None:
    """
    Draw calls per second over time (1-s bins): each process thin, the total thick, Gong's limit at 3.

    :param shared: The run with ``shared_state_url``.
    :param alone: The run without it, same K.
    :param png: Where the PNG goes.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = (shared, alone)
    top = max(max(r.per_second(), default=0) for r in runs) + 1
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, run in zip(axes, runs, strict=True):
        edges = range(len(run.per_second()) + 1)
        for proc in run.processes:
            ax.stairs(run.per_second(proc), edges, linewidth=0.9, alpha=0.8, baseline=None)
        ax.stairs(
            run.per_second(), edges, linewidth=3, color="tab:blue", baseline=None, label="all processes"
        )
        ax.axhline(
            GONG_RATE, color="red", linestyle="--", linewidth=1.5, zorder=5, label="Gong's limit (3 calls/s)"
        )
        title = "shared pace (shared_state_url)" if run.shared else "each process alone (today's default)"
        ax.set_title(
            f"{title}\nK={run.k}: {run.rate:.2f} calls/s, {run.emulator_429} answers 429", fontsize=10
        )
        ax.set_xlabel("second of the run")
        ax.set_ylim(0, top)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
    axes[0].set_ylabel("successful calls per second (thin: one process each)")
    fig.suptitle("K processes calling Gong (emulator enforcing 3 calls per sliding second)")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m bench.shared [--seconds S] [--ks 1,4,8] [--chart-k 4] [--png PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.shared", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="window of each run (default 30)")
    parser.add_argument("--ks", default="1,4,8", help="process counts, comma-separated (default 1,4,8)")
    parser.add_argument("--chart-k", type=int, default=4, help="K of the chart (default 4; one of --ks)")
    parser.add_argument(
        "--png", type=Path, default=ROOT / "docs" / "shared-limits.png", help="where the chart goes"
    )
    parser.add_argument("--no-png", action="store_true", help="draw no chart")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return worker(args.worker, args.index)
    ks = [int(k) for k in args.ks.split(",") if k.strip()]
    if not args.no_png and args.chart_k not in ks:
        parser.error(f"--chart-k {args.chart_k} is not among --ks {args.ks}")

    from airflow_provider_gong.testing.config import EmulatorConfig
    from airflow_provider_gong.testing.redis_server import RedisServer
    from airflow_provider_gong.testing.server import GongEmulator

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    print(f"machine: {machine()}", flush=True)
    began = time.monotonic()
    runs: list[SharedRun] = []
    config = EmulatorConfig(users=USERS, avatar_share=0.0, rate_per_second=GONG_RATE, rate_per_day=None)
    with GongEmulator(config) as emulator, RedisServer() as redis:
        for k in ks:
            for shared in (True, False):
                mode = "shared" if shared else "per-process"
                print(
                    f"[{time.monotonic() - began:6.1f} s] start {mode} K={k}",
                    file=sys.stderr,
                    flush=True,
                )
                runs.append(
                    run_processes(emulator, k=k, shared=shared, seconds=args.seconds, redis_url=redis.url)
                )
    print()
    print(render(runs))
    print()
    if not args.no_png:
        chart = {run.shared: run for run in runs if run.k == args.chart_k}
        plot(chart[True], chart[False], args.png)
        print(f"chart: {args.png}")
    print(f"machine at the end: {machine()}; took {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
