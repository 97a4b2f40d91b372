"""Section 1: what one call costs the client, GongHook vs raw requests vs HttpHook, rounds alternated."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.clients import available_clients, make_client, set_env_connections
from bench.emulator import EmulatorProcess

__all__ = ["PerCallResult", "RoundResult", "measure_round", "run_per_call"]


@dataclass(frozen=True)
class RoundResult:
    """
    One round of one client: ``calls`` calls from a fresh client, then closed.

    :param calls: Calls made.
    :param wall: Wall seconds (client built, calls made, client closed).
    :param cpu: Client-process CPU seconds (``time.process_time``) over the same span.
    :param connections: TCP connections the emulator accepted from the client in the round.
    """

    calls: int
    wall: float
    cpu: float
    connections: int

    @property
    def calls_per_second(self) -> float:
        """Throughput of the round."""
        return self.calls / self.wall

    @property
    def cpu_per_call(self) -> float:
        """Client CPU seconds per call."""
        return self.cpu / self.calls


@dataclass
class PerCallResult:
    """
    Every round of every client over one transport (plain http, TLS, TLS behind a latency proxy).

    :param label: The transport, e.g. ``"https (TLS)"``.
    :param rounds: Rounds per client name, in the order they ran.
    """

    label: str
    rounds: dict[str, list[RoundResult]] = field(default_factory=dict)

    def median(self, client: str, metric: str) -> float:
        """Median of ``calls_per_second``, ``cpu_per_call`` or ``connections`` over the client's rounds."""
        return statistics.median(float(getattr(r, metric)) for r in self.rounds[client])

    def ratio(self, client: str, baseline: str, metric: str) -> float:
        """Median over rounds of ``client / baseline`` for one metric, each pair from the same round."""
        pairs = zip(self.rounds[client], self.rounds[baseline], strict=True)
        return statistics.median(float(getattr(a, metric)) / float(getattr(b, metric)) for a, b in pairs)

    def calls_per_round(self, client: str) -> int:
        """Calls each round of the client made."""
        return self.rounds[client][0].calls


def measure_round(emulator: EmulatorProcess, client_name: str, ids: Sequence[str], calls: int) -> RoundResult:
    """
    Build a fresh client, make ``calls`` calls with it (ids in turn), close it; measure all of that.

    :param emulator: The emulator (its stats give the connection count).
    :param client_name: One of :data:`bench.clients.CLIENTS`.
    :param ids: User ids to fetch, cycled.
    :param calls: How many calls.
    """
    before = emulator.stats()
    count = len(ids)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    client = make_client(client_name, emulator)
    call = client.call
    for i in range(calls):
        user_id = ids[i % count]
        if call(user_id)["id"] != user_id:
            raise AssertionError(f"{client_name} fetched the wrong user")
    client.close()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    after = emulator.stats()
    return RoundResult(calls, wall, cpu, emulator.connections_since(before, after))


def run_per_call(
    emulator: EmulatorProcess,
    ids: Sequence[str],
    *,
    label: str,
    rounds: int,
    calls: int,
    clients: Sequence[str] | None = None,
    warmup: int = 20,
) -> PerCallResult:
    """
    Alternate rounds of each client (the order rotates every round), after one warm-up round each.

    :param emulator: The emulator, pacing-free (no rate limits).
    :param ids: User ids to fetch.
    :param label: Transport label for the table.
    :param rounds: Measured rounds per client.
    :param calls: Calls per round.
    :param clients: Client names to compare (default: every available one).
    :param warmup: Calls of the unmeasured warm-up round (imports, first connection lookup, SSL contexts).
    """
    clients = available_clients() if clients is None else clients
    set_env_connections(emulator)
    emulator.configure(rate_per_second=None, rate_per_day=None)
    for name in clients:
        measure_round(emulator, name, ids, warmup)
    result = PerCallResult(label, {name: [] for name in clients})
    order = list(clients)
    for index in range(rounds):
        shift = index % len(order)
        for name in order[shift:] + order[:shift]:
            result.rounds[name].append(measure_round(emulator, name, ids, calls))
    return result
