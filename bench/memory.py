"""Section 6: peak memory of streaming users (``iter_users``) vs holding them (``get_users``).

Each measurement runs in a fresh process: ``python -m bench.memory --mode stream|hold`` prints one JSON
line with the peak RSS growth: the peak after the fetch minus the RSS of the same process, warmed up,
before it.

The peak is Linux's high-water mark (``VmHWM``), reset to the current RSS right before the fetch (by
writing ``5`` to ``/proc/self/clear_refs``). ``getrusage().ru_maxrss`` cannot be reset, and in a child it
starts at the RSS of the parent that forked it, so a warm-up (or the parent) peak can hide the fetch; it is
only the fallback where ``/proc`` is missing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.clients import GONG_CONN_ID, set_env_connections
from bench.emulator import EmulatorProcess

__all__ = ["MemoryResult", "measure_memory"]

_ROOT = Path(__file__).resolve().parent.parent
_RESULT = "@@bench-memory@@ "


@dataclass(frozen=True)
class MemoryResult:
    """
    Peak RSS growth of one fetch of every user.

    :param mode: ``stream`` (``iter_users``, counted and dropped) or ``hold`` (``get_users``, a list).
    :param users: Users fetched.
    :param baseline_kib: RSS before the fetch (the warmed-up process), KiB.
    :param peak_kib: Peak RSS by the end of the fetch, KiB.
    """

    mode: str
    users: int
    baseline_kib: int
    peak_kib: int

    @property
    def growth_mib(self) -> float:
        """Peak RSS growth caused by the fetch, MiB."""
        return (self.peak_kib - self.baseline_kib) / 1024


def _rss_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> int:
    """Reset the high-water mark to the current RSS (Linux); return the baseline in KiB."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _rss_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak() -> int:
    return _rss_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(mode: str) -> None:
    from airflow_provider_gong.hooks.gong import GongHook

    hook = GongHook(GONG_CONN_ID, calls_per_second=0)
    # Warm up: imports, the connection lookup, the TLS session, one page decoded and dropped.
    next(iter(hook.iter_users()))
    gc.collect()
    baseline = _reset_peak()
    if mode == "stream":
        count = sum(1 for _ in hook.iter_users())
    else:
        users = hook.get_users()
        count = len(users)
    peak = _peak()
    hook.close()
    print(_RESULT + json.dumps({"users": count, "baseline": baseline, "peak": peak}), flush=True)


def measure_memory(emulator: EmulatorProcess, mode: str, users: int) -> MemoryResult:
    """
    Serve ``users`` users and fetch them all in a fresh process.

    :param emulator: The emulator (its ``users`` setting is changed; no rate limits).
    :param mode: ``stream`` or ``hold``.
    :param users: How many users the company has.
    """
    set_env_connections(emulator)
    emulator.configure(users=users, rate_per_second=None, rate_per_day=None)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--mode", mode],
        capture_output=True,
        text=True,
        env=env,
        cwd=_ROOT,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith(_RESULT):
            data = json.loads(line[len(_RESULT) :])
            return MemoryResult(mode, int(data["users"]), int(data["baseline"]), int(data["peak"]))
    raise RuntimeError(f"memory child failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def main(argv: Sequence[str] | None = None) -> int:
    """Child entry point: ``--mode stream|hold``; the connection comes from ``AIRFLOW_CONN_GONG_BENCH``."""
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--mode", choices=("stream", "hold"), required=True)
    _child(parser.parse_args(argv).mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
