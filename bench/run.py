"""Run the whole benchmark suite and print one table: ``python -m bench`` (or ``--quick``).

Every figure is compared with what was measured in the same run, against the Gong emulator in its own
process on loopback (http, and https with a certificate made at bench time).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from airflow_provider_gong.testing.tls import make_self_signed
from bench import backfill, importcost, memory, percall
from bench import calls as calls_bench
from bench.clients import CLIENTS
from bench.emulator import start_emulator
from bench.proxy import start_proxy
from bench.report import Row, machine, render

__all__ = ["FULL", "QUICK", "Plan", "Progress", "main", "run"]

SECTIONS = ("percall", "calls", "wall", "pacing", "import", "memory", "backfill")


@dataclass(frozen=True)
class Plan:
    """
    How big each section runs.

    :param rounds: Per-call rounds per client (alternated).
    :param calls: Calls per per-call round.
    :param proxy_rounds: Per-call rounds behind the latency proxy.
    :param proxy_calls: Calls per round behind the proxy.
    :param one_way_ms: Latency the proxy adds per direction.
    :param counts: N for the call-count and wall-time sections.
    :param page_ids: Ids per round of the CPU-per-page comparison (a fresh hook fetches them each round).
    :param pacing: ``(calls per second, seconds)`` runs of the pacing section.
    :param threads: Thread counts of each pacing run.
    :param import_runs: Fresh interpreters per entry-point module.
    :param memory: ``(small N, large N)`` of the memory section.
    :param backfill: Calls of the 30-day backfill (detailed calls and transcripts).
    """

    rounds: int
    calls: int
    proxy_rounds: int
    proxy_calls: int
    one_way_ms: float
    counts: tuple[int, ...]
    page_ids: int
    pacing: tuple[tuple[int, float], ...]
    threads: tuple[int, ...]
    import_runs: int
    memory: tuple[int, int]
    backfill: int


FULL = Plan(
    rounds=7,
    calls=1000,
    proxy_rounds=3,
    proxy_calls=100,
    one_way_ms=5.0,
    counts=(1_000, 10_000),
    page_ids=10_000,
    pacing=((3, 60.0), (30, 10.0)),
    threads=(1, 8),
    import_runs=7,
    memory=(10_000, 100_000),
    backfill=3_000,
)
QUICK = Plan(
    rounds=5,
    calls=300,
    proxy_rounds=2,
    proxy_calls=40,
    one_way_ms=5.0,
    counts=(1_000,),
    page_ids=3_000,
    pacing=((30, 5.0),),
    threads=(1, 8),
    import_runs=3,
    memory=(5_000, 20_000),
    backfill=600,
)

GONG, RAW, HTTP, HTTP_NO_KEEPALIVE = CLIENTS
_SHORT = {GONG: "GongHook", RAW: "raw", HTTP: "HttpHook", HTTP_NO_KEEPALIVE: "HttpHook no-keep-alive"}


class Progress:
    """
    One line as each benchmark starts and one as it ends, with the time since the run began.

    The table comes only at the end of a run of minutes; these lines (on stderr by default, so the
    table on stdout stays clean) show what runs meanwhile.

    :param stream: Where the lines go.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()

    def _line(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", file=self.stream, flush=True)

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        """
        Announce one benchmark, run the block, then say how long it took.

        :param label: What runs, e.g. ``"1 per call, https"``.
        """
        self._line(f"start {label}")
        began = time.monotonic()
        yield
        self._line(f"done  {label} in {time.monotonic() - began:.1f} s")


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _percall_rows(result: percall.PerCallResult, *, goals: bool) -> list[Row]:
    """
    The per-call rows of one transport; without ``goals`` the rate and CPU rows are informative.

    :param result: The rounds of one transport (http, https, https behind the latency proxy).
    :param goals: Judge the rate and CPU goals. Behind the proxy the network dominates, so those rows say
        ``informative`` in the goal column instead of a goal that would read as missed.
    """
    section = f"1 {result.label}"
    others = [name for name in result.rounds if name != GONG]
    rows = []
    cps = result.median(GONG, "calls_per_second")
    cps_ratio = result.ratio(GONG, RAW, "calls_per_second")
    rows.append(
        Row(
            section,
            "calls/s (median of rounds)",
            _fmt(cps),
            " · ".join(f"{_SHORT[n]} {_fmt(result.median(n, 'calls_per_second'))}" for n in others),
            f"{cps_ratio:.2f}x raw",
            "≥ 0.9x raw" if goals else "informative",
            cps_ratio >= 0.9 if goals else None,
        )
    )
    cpu = result.median(GONG, "cpu_per_call") * 1e6
    cpu_ratio = result.ratio(GONG, RAW, "cpu_per_call")
    rows.append(
        Row(
            section,
            "client CPU µs/call",
            _fmt(cpu),
            " · ".join(f"{_SHORT[n]} {_fmt(result.median(n, 'cpu_per_call') * 1e6)}" for n in others),
            f"{cpu_ratio:.2f}x raw",
            "≤ 1.1x raw" if goals else "informative",
            cpu_ratio <= 1.1 if goals else None,
        )
    )
    per_round = result.calls_per_round(GONG)
    conns = [r.connections for r in result.rounds[GONG]]
    rows.append(
        Row(
            section,
            f"TCP connections per client and {per_round:,} calls",
            "/".join(str(c) for c in sorted(set(conns))),
            " · ".join(
                f"{_SHORT[n]} {'/'.join(str(c) for c in sorted({r.connections for r in result.rounds[n]}))}"
                for n in others
            ),
            "",
            "1 per hook and thread",
            all(c == 1 for c in conns),
        )
    )
    return rows


def _count_rows(n: int, ours: calls_bench.CallCount, per_id: calls_bench.CallCount) -> Row:
    best = ours.best_calls
    return Row(
        "2 calls for N users",
        f"calls for N={n:,} ids (get_users)",
        f"{ours.calls:,}",
        f"get_user per id {per_id.calls:,}",
        f"{ours.calls / per_id.calls:.3f}x",
        f"ceil(N/100) = {best:,}",
        ours.calls == best and ours.returned == n and per_id.returned == n,
    )


def _page_row(cost: calls_bench.PageCost) -> Row:
    ours = statistics.median(cost.ours) * 1e6
    theirs = statistics.median(cost.raw) * 1e6
    return Row(
        "2 calls for N users",
        f"client CPU µs per page of 100 ({cost.pages} pages a round)",
        _fmt(ours),
        f"raw requests loop {_fmt(theirs)}",
        f"{cost.ratio:.2f}x raw",
        "informative: id checks, de-dup, input order",
        None,
    )


def _wall_row(paced: calls_bench.CallCount) -> Row:
    ideal = paced.best_calls / 3
    ratio = paced.wall / ideal
    return Row(
        "3 wall at 3 calls/s",
        f"get_users N={paced.users:,}, emulator 3/s, hook default pace",
        f"{paced.wall:.1f} s, {paced.calls} calls, {paced.responses_429}x429",
        f"ceil(N/100)/3 = {ideal:.1f} s · one get_user per id ≥ {paced.users / 3:,.0f} s",
        f"{ratio:.2f}x ideal",
        "≤ 1.1x ideal, no 429",
        ratio <= 1.1 and paced.responses_429 == 0 and paced.returned == paced.users,
    )


def _pacing_row(result: calls_bench.PacingResult, seconds: float) -> Row:
    who = "1 thread" if result.threads == 1 else f"{result.threads} threads, one hook"
    return Row(
        "4 pacing",
        f"{result.rate:g}/s limit, {seconds:g} s, {who}",
        f"{result.achieved:.2f}/s, {result.responses_429}x429, {result.connections} conn",
        f"allowed {result.rate:g}/s",
        f"{result.ratio:.3f}",
        "≥ 0.95, zero 429",
        result.ratio >= 0.95 and result.responses_429 == 0,
    )


def _import_row(ours: importcost.ImportCost, theirs: importcost.ImportCost) -> Row:
    def flags(cost: importcost.ImportCost) -> str:
        pulled = [
            name for name, yes in (("airflow", cost.imports_airflow), ("requests", cost.imports_requests))
        ]
        pulled = [name for name in pulled if getattr(cost, f"imports_{name}")]
        return f"imports {' + '.join(pulled)}" if pulled else "no airflow, no requests"

    return Row(
        "5 provider discovery",
        "import the entry-point module, fresh process",
        f"{ours.microseconds / 1000:,.1f} ms, {ours.modules} modules, {flags(ours)}",
        f"http provider {theirs.microseconds / 1000:,.0f} ms, {theirs.modules:,} modules, {flags(theirs)}",
        f"{ours.microseconds / theirs.microseconds:.4f}x",
        "no airflow, no requests",
        not ours.imports_airflow and not ours.imports_requests,
    )


def _memory_rows(results: dict[tuple[str, int], memory.MemoryResult], small: int, large: int) -> list[Row]:
    stream_small, stream_large = results["stream", small], results["stream", large]
    hold_small, hold_large = results["hold", small], results["hold", large]
    stream_slope = stream_large.growth_mib - stream_small.growth_mib
    hold_slope = hold_large.growth_mib - hold_small.growth_mib
    return [
        Row(
            "6 memory",
            f"peak RSS growth, {small:,} / {large:,} users",
            f"iter_users {stream_small.growth_mib:.1f} / {stream_large.growth_mib:.1f} MiB",
            f"get_users {hold_small.growth_mib:.1f} / {hold_large.growth_mib:.1f} MiB",
            f"{stream_large.growth_mib / hold_large.growth_mib:.3f}x at {large:,}",
            f"streaming flat: +{small:,}→{large:,} < 5% of get_users'",
            stream_small.users == small and stream_large.users == large and stream_slope < 0.05 * hold_slope,
        )
    ]


def _backfill_rows(result: backfill.BackfillResult) -> list[Row]:
    section = "7 incremental backfill"
    counted = sum(result.counted.values())
    reported = sum(result.reported.values())
    pace = "hook default pace" if result.paced else "pacing off"
    limit = f"emulator {result.rate_limit}/s" if result.rate_limit else "no emulator limit"
    ratio = result.wall / result.allowed_wall
    return [
        Row(
            section,
            f"Gong calls, {result.days}-day backfill of {result.calls:,} calls: detailed + transcripts",
            f"{counted:,} counted ({result.counted[backfill.EXTENSIVE]} listing"
            f" + {result.counted[backfill.TRANSCRIPT]} transcript), summaries {reported:,}",
            f"theory {result.formula}",
            f"{counted / result.theory:.3f}x theory",
            "= theory exactly",
            counted == result.theory == reported == result.gong_calls,
        ),
        Row(
            section,
            f"wall of both loads, {limit}, {pace}",
            f"{result.wall:.1f} s, {result.responses_429}x429",
            f"theory/3 = {result.theory}/3 = {result.allowed_wall:.1f} s",
            f"{ratio:.2f}x allowed",
            "≤ 1.1x theory/3 s, zero 429",
            ratio <= 1.1 and result.responses_429 == 0,
        ),
        Row(
            section,
            "records landed (calls · transcripts)",
            f"{result.landed['calls']:,} · {result.landed['transcripts']:,} in "
            f"{result.partitions['calls']} + {result.partitions['transcripts']} partitions",
            f"ground truth {result.truth_calls:,} · {result.truth_transcripts:,}",
            "",
            "= ground truth, same ids",
            result.landed == {"calls": result.truth_calls, "transcripts": result.truth_transcripts}
            and result.ids_match,
        ),
    ]


def run(
    plan: Plan,
    sections: Sequence[str],
    workdir: Path,
    proxy: bool = True,
    progress: Progress | None = None,
) -> tuple[list[Row], dict[str, Any]]:
    """
    Run the chosen sections; return the table rows and the raw results (JSON-ready).

    :param plan: Sizes (:data:`FULL` or :data:`QUICK`).
    :param sections: Names from :data:`SECTIONS`.
    :param workdir: Where the certificate and the emulator logs go.
    :param proxy: Also run the per-call section behind the latency proxy.
    :param progress: Where each benchmark's start and end are announced (default: stderr).
    """
    from airflow_provider_gong.testing.users import UserDirectory

    step = (progress if progress is not None else Progress()).step
    rows: list[Row] = []
    raw: dict[str, Any] = {"plan": dataclasses.asdict(plan), "machine": machine()}
    tls = make_self_signed(workdir / "tls")
    users = max((*plan.counts, plan.page_ids, 2 * plan.calls, 1000))
    ids = list(UserDirectory(users, 0, 0.0).ids)

    if "import" in sections:
        with step(f"5 provider discovery: import cost, {plan.import_runs} fresh interpreters each"):
            ours, theirs = importcost.compare_import_cost(plan.import_runs)
        rows.append(_import_row(ours, theirs))
        raw["import"] = [dataclasses.asdict(ours), dataclasses.asdict(theirs)]

    with start_emulator(
        users=users, tls=tls.certfile, key=tls.keyfile, log=workdir / "emulator-https.log"
    ) as emu:
        if "percall" in sections:
            rounds = f"{plan.rounds} rounds x {plan.calls:,} calls per client"
            with (
                start_emulator(users=users, log=workdir / "emulator-http.log") as plain,
                step(f"1 per call, http: {rounds}"),
            ):
                results = [
                    percall.run_per_call(plain, ids, label="http", rounds=plan.rounds, calls=plan.calls)
                ]
            with step(f"1 per call, https: {rounds}"):
                results.append(
                    percall.run_per_call(emu, ids, label="https", rounds=plan.rounds, calls=plan.calls)
                )
            if proxy:
                rtt = 2 * plan.one_way_ms
                label = f"https, {rtt:g} ms RTT proxy"
                with (
                    step(f"1 per call, {label}: {plan.proxy_rounds} rounds x {plan.proxy_calls} calls"),
                    start_proxy(emu.port, plan.one_way_ms) as port,
                ):
                    results.append(
                        percall.run_per_call(
                            emu.behind(port),
                            ids,
                            label=label,
                            rounds=plan.proxy_rounds,
                            calls=plan.proxy_calls,
                            warmup=5,
                        )
                    )
            for index, result in enumerate(results):
                rows += _percall_rows(result, goals=index < 2)
            raw["percall"] = [
                {
                    "label": r.label,
                    "rounds": {k: [dataclasses.asdict(x) for x in v] for k, v in r.rounds.items()},
                }
                for r in results
            ]
        if "calls" in sections:
            raw["calls"] = []
            for n in plan.counts:
                with step(f"2 calls for N users: N={n:,}, get_users vs get_user per id"):
                    ours_count = calls_bench.count_calls(emu, ids[:n], per_id=False)
                    per_id = calls_bench.count_calls(emu, ids[:n], per_id=True)
                rows.append(_count_rows(n, ours_count, per_id))
                raw["calls"] += [dataclasses.asdict(ours_count), dataclasses.asdict(per_id)]
            with step(f"2 client CPU per page: {plan.page_ids:,} ids, {plan.rounds} rounds"):
                pages = calls_bench.page_cost(emu, ids[: plan.page_ids], rounds=plan.rounds)
            rows.append(_page_row(pages))
            raw["page_cost"] = dataclasses.asdict(pages)
        if "wall" in sections:
            raw["wall"] = []
            for n in plan.counts:
                with step(f"3 wall time at 3 calls/s: get_users of {n:,} ids"):
                    paced = calls_bench.paced_fetch(emu, ids[:n])
                rows.append(_wall_row(paced))
                raw["wall"].append(dataclasses.asdict(paced))
        if "pacing" in sections:
            raw["pacing"] = []
            for rate, seconds in plan.pacing:
                for threads in plan.threads:
                    with step(f"4 pacing: {rate}/s limit for {seconds:g} s, {threads} thread(s)"):
                        paced_run = calls_bench.run_pacing(
                            emu, ids, rate=rate, seconds=seconds, threads=threads
                        )
                    rows.append(_pacing_row(paced_run, seconds))
                    raw["pacing"].append(dataclasses.asdict(paced_run))
        if "memory" in sections:
            small, large = plan.memory
            mem = {}
            for n in (small, large):
                for mode in ("stream", "hold"):
                    with step(f"6 memory: {mode} {n:,} users in a fresh process"):
                        mem[mode, n] = memory.measure_memory(emu, mode, n)
            rows += _memory_rows(mem, small, large)
            raw["memory"] = [dataclasses.asdict(m) for m in mem.values()]
        if "backfill" in sections:
            with step(f"7 incremental backfill: {plan.backfill:,} calls over 30 days, emulator 3/s"):
                filled = backfill.run_backfill(emu, workdir, calls=plan.backfill)
            rows += _backfill_rows(filled)
            raw["backfill"] = {
                **dataclasses.asdict(filled),
                "theory": filled.theory,
                "formula": filled.formula,
                "allowed_wall": filled.allowed_wall,
            }
    raw["machine_end"] = machine()
    return rows, raw


def _quiet_logs() -> None:
    """Keep the hooks' per-page INFO lines out of the table (warnings, e.g. retries, still show)."""
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")  # before Airflow is imported
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m bench [--quick] [--sections a,b] [--json FILE] [--no-proxy]``."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="scaled-down run (about a minute; its ratios are noisier)"
    )
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}"
    )
    parser.add_argument("--json", type=Path, help="also write every raw measurement to this file")
    parser.add_argument(
        "--no-proxy", action="store_true", help="skip the per-call run behind the latency proxy"
    )
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    _quiet_logs()
    plan = QUICK if args.quick else FULL
    progress = Progress()
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gong-bench-") as tmp:
        rows, raw = run(plan, sections, Path(tmp), proxy=not args.no_proxy, progress=progress)
    print()
    print(render(rows))
    print()
    print(f"machine at the end: {raw['machine_end']}; took {time.monotonic() - progress.started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2, default=str))
    failed = [row for row in rows if row.met is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
