"""Keep ``bench/`` from rotting: its pieces at tiny sizes, asserting only facts that cannot flake.

Counts (calls, connections, 429s) are asserted; timings and ratios never are (they belong to
``python -m bench``, run on a quiet machine).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import math
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``python -m pytest`` puts the repository on the path; plain ``pytest`` not
    sys.path.insert(0, str(ROOT))

from airflow_provider_gong.testing.redis_server import RedisServer  # noqa: E402
from airflow_provider_gong.testing.server import GongEmulator  # noqa: E402
from airflow_provider_gong.testing.tls import make_self_signed  # noqa: E402
from airflow_provider_gong.testing.users import UserDirectory  # noqa: E402
from bench import backfill, calls, importcost, memory, percall, run, shared  # noqa: E402
from bench.clients import CLIENTS  # noqa: E402
from bench.emulator import EmulatorProcess, start_emulator  # noqa: E402
from bench.proxy import start_proxy  # noqa: E402

pytestmark = pytest.mark.timeout(120)

USERS = 300
IDS = list(UserDirectory(USERS, 0, 0.0).ids)
GONG, RAW, HTTP, HTTP_NO_KEEPALIVE = CLIENTS
HAS_HTTP_PROVIDER = importlib.util.find_spec("airflow.providers.http") is not None


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The emulator CLI in its own process, over TLS with a certificate made here (like the suite)."""
    tls = make_self_signed(tmp_path_factory.mktemp("tls"))
    with start_emulator(users=USERS, tls=tls.certfile, key=tls.keyfile) as running:
        yield running


@pytest.fixture(autouse=True)
def _restore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench sets connections and the CA bundle in ``os.environ``; undo that after each test."""
    for name in ("AIRFLOW_CONN_GONG_BENCH", "AIRFLOW_CONN_HTTP_BENCH", "REQUESTS_CA_BUNDLE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_per_call_rounds_open_one_connection_per_hook(emulator: EmulatorProcess) -> None:
    clients = (GONG, RAW, HTTP, HTTP_NO_KEEPALIVE) if HAS_HTTP_PROVIDER else (GONG, RAW)

    result = percall.run_per_call(emulator, IDS, label="https", rounds=2, calls=15, clients=clients, warmup=2)

    for name in clients:
        assert [r.calls for r in result.rounds[name]] == [15, 15]
    assert [r.connections for r in result.rounds[GONG]] == [1, 1]
    assert [r.connections for r in result.rounds[RAW]] == [1, 1]
    if HAS_HTTP_PROVIDER:
        assert [r.connections for r in result.rounds[HTTP_NO_KEEPALIVE]] == [15, 15]


def test_per_call_round_through_the_latency_proxy(emulator: EmulatorProcess) -> None:
    with start_proxy(emulator.port, one_way_ms=1.0) as port:
        result = percall.run_per_call(
            emulator.behind(port), IDS, label="proxy", rounds=1, calls=5, clients=(GONG,), warmup=1
        )

    assert [(r.calls, r.connections) for r in result.rounds[GONG]] == [(5, 1)]


@pytest.mark.parametrize("n", [1, 100, 250])
def test_get_users_costs_ceil_n_over_100_calls(emulator: EmulatorProcess, n: int) -> None:
    bulk = calls.count_calls(emulator, IDS[:n], per_id=False)
    per_id = calls.count_calls(emulator, IDS[:n], per_id=True)

    assert (bulk.calls, bulk.returned) == (math.ceil(n / 100), n)
    assert (per_id.calls, per_id.returned) == (n, n)


def test_page_cost_rounds_fetch_every_page(emulator: EmulatorProcess) -> None:
    cost = calls.page_cost(emulator, IDS[:200], rounds=1)  # raises if a round misses a user

    assert (cost.pages, len(cost.ours), len(cost.raw)) == (2, 1, 1)


def test_paced_get_users_gets_no_429(emulator: EmulatorProcess) -> None:
    paced = calls.paced_fetch(emulator, IDS[:250])  # 3 calls under Gong's 3 calls/s

    assert (paced.calls, paced.returned, paced.responses_429) == (3, 250, 0)


@pytest.mark.parametrize("threads", [1, 4])
def test_pacing_under_the_limit_gets_no_429_and_one_connection_per_thread(
    emulator: EmulatorProcess, threads: int
) -> None:
    # The hook paces at 90% of the emulator's limit: at exactly the limit the pacer's margin is 20 ms per
    # window, which a loaded CI machine's scheduling can eat; the suite measures that case instead.
    result = calls.run_pacing(emulator, IDS, rate=20, seconds=1.5, threads=threads, calls_per_second=18.0)

    assert (result.calls, result.gong_calls, result.responses_429) == (30, 30, 0)
    assert result.connections == threads


def test_backfill_costs_the_calls_of_its_request_plan(emulator: EmulatorProcess, tmp_path: Path) -> None:
    # 60 calls over 30 days: one page of detailed calls, one transcript request per day (empty days too).
    result = backfill.run_backfill(emulator, tmp_path, calls=60, rate_limit=None, paced=False)

    assert (result.theory_listing, result.theory_transcripts) == (1, 30)
    assert result.counted == {backfill.EXTENSIVE: 1, backfill.TRANSCRIPT: 30}
    assert result.gong_calls == sum(result.reported.values()) == result.theory
    assert result.responses_429 == 0
    assert result.landed == {"calls": 60, "transcripts": result.truth_transcripts} and result.ids_match
    counts, _, landed = run._backfill_rows(result)
    assert (counts.met, landed.met) == (True, True)


def test_entry_point_imports_neither_airflow_nor_requests() -> None:
    _, modules, flags = importcost.measure_import(importcost.OURS)

    assert flags == {"airflow": False, "requests": False}
    assert modules > 0


def test_memory_child_streams_every_user(emulator: EmulatorProcess) -> None:
    result = memory.measure_memory(emulator, "stream", 250)

    assert result.users == 250
    assert result.peak_kib >= result.baseline_kib > 0


def test_progress_announces_each_benchmark_with_the_elapsed_time() -> None:
    stream = io.StringIO()
    progress = run.Progress(stream)
    with progress.step("2 calls for N users: N=1,000"):
        pass

    start, done = stream.getvalue().splitlines()
    assert re.fullmatch(r"\[ +\d+\.\d s\] start 2 calls for N users: N=1,000", start)
    assert re.fullmatch(r"\[ +\d+\.\d s\] done  2 calls for N users: N=1,000 in \d+\.\d s", done)


def test_a_run_prints_progress_as_it_goes(emulator: EmulatorProcess) -> None:
    stream = io.StringIO()
    plan = dataclasses.replace(run.QUICK, counts=(100,), page_ids=100, rounds=1)
    with tempfile.TemporaryDirectory() as tmp:
        rows, _ = run.run(plan, ["calls"], Path(tmp), progress=run.Progress(stream))

    lines = stream.getvalue().splitlines()
    assert [line.split("] ", 1)[1].split(" ", 1)[0] for line in lines] == ["start", "done", "start", "done"]
    assert len(rows) == 2


def test_rows_without_goals_read_informative_not_missed(emulator: EmulatorProcess) -> None:
    emulator.configure(users=USERS)  # the memory test leaves another user count behind
    with start_proxy(emulator.port, one_way_ms=1.0) as port:
        result = percall.run_per_call(
            emulator.behind(port), IDS, label="proxy", rounds=1, calls=3, clients=(GONG, RAW), warmup=1
        )

    judged = run._percall_rows(result, goals=True)
    informative = run._percall_rows(result, goals=False)
    assert [row.goal for row in judged[:2]] == ["≥ 0.9x raw", "≤ 1.1x raw"]
    assert [(row.goal, row.met, row.verdict) for row in informative[:2]] == [("informative", None, "-")] * 2


def test_shared_processes_get_no_429_and_every_call_is_counted(
    gong_emulator: GongEmulator, redis_server: RedisServer, tmp_path: Path
) -> None:
    result = shared.run_processes(
        gong_emulator, k=2, shared=True, seconds=3.0, redis_url=redis_server.url, workdir=tmp_path
    )

    assert (len(result.processes), result.emulator_429, result.worker_429) == (2, 0, 0)
    assert result.calls == result.emulator_200 > 0
    assert len(shared.render([result]).splitlines()) == 3
