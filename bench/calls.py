"""Sections 2-4: calls spent on N users (and CPU per page), wall time at Gong's 3 calls/s, the pacer."""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from bench.clients import GONG_CONN_ID, set_env_connections
from bench.emulator import ACCESS_KEY, SECRET, EmulatorProcess

__all__ = ["CallCount", "PacingResult", "PageCost", "count_calls", "paced_fetch", "page_cost", "run_pacing"]


@dataclass(frozen=True)
class CallCount:
    """
    What fetching ``users`` given ids cost.

    :param method: ``get_users`` or ``get_user per id``.
    :param users: Ids asked for.
    :param returned: Users returned.
    :param calls: Gong calls the emulator served.
    :param wall: Wall seconds.
    :param responses_429: 429 answers the emulator sent.
    :param rate_limit: The emulator's per-second limit during the run (``None``: off).
    """

    method: str
    users: int
    returned: int
    calls: int
    wall: float
    responses_429: int
    rate_limit: int | None = None

    @property
    def best_calls(self) -> int:
        """ceil(N/100): Gong's page size bounds how few calls N users can take."""
        return math.ceil(self.users / 100)


#: Pause before a paced run: the emulator's sliding second and the shared pacer's next slot both clear.
SETTLE_SECONDS = 1.1


def count_calls(emulator: EmulatorProcess, ids: Sequence[str], *, per_id: bool) -> CallCount:
    """
    Fetch ``ids`` with ``get_users`` (or one ``get_user`` per id), no pacing and no emulator limit.

    :param emulator: The emulator.
    :param ids: User ids that exist.
    :param per_id: Use one ``get_user`` call per id instead of ``get_users``.
    """
    from airflow_provider_gong.hooks.gong import GongHook

    set_env_connections(emulator)
    emulator.configure(rate_per_second=None, rate_per_day=None)
    hook = GongHook(GONG_CONN_ID, calls_per_second=0)
    before = emulator.reset()
    start = time.perf_counter()
    if per_id:
        returned = sum(1 for user_id in ids if hook.get_user(user_id)["id"] == user_id)
    else:
        users = hook.get_users(ids)
        returned = sum(1 for user, user_id in zip(users, ids, strict=True) if user["id"] == user_id)
    wall = time.perf_counter() - start
    hook.close()
    after = emulator.stats()
    return CallCount(
        "get_user per id" if per_id else "get_users",
        len(ids),
        returned,
        after["gong_calls"] - before["gong_calls"],
        wall,
        after["responses_429"] - before["responses_429"],
    )


def paced_fetch(emulator: EmulatorProcess, ids: Sequence[str], *, rate_limit: int = 3) -> CallCount:
    """
    ``get_users(ids)`` with the emulator enforcing ``rate_limit`` calls/s and the hook at its default pace.

    :param emulator: The emulator.
    :param ids: User ids that exist.
    :param rate_limit: The emulator's per-second limit (Gong's default: 3).
    """
    from airflow_provider_gong.hooks.gong import GongHook

    set_env_connections(emulator)
    emulator.configure(rate_per_second=rate_limit, rate_per_day=None)
    hook = GongHook(GONG_CONN_ID)  # default pace: 3 calls/s
    time.sleep(SETTLE_SECONDS)
    before = emulator.reset()
    start = time.perf_counter()
    users = hook.get_users(ids)
    wall = time.perf_counter() - start
    hook.close()
    after = emulator.stats()
    return CallCount(
        "get_users",
        len(ids),
        len(users),
        after["gong_calls"] - before["gong_calls"],
        wall,
        after["responses_429"] - before["responses_429"],
        rate_limit,
    )


@dataclass(frozen=True)
class PacingResult:
    """
    Back-to-back ``get_user`` calls through one hook at the emulator's limit.

    :param rate: Allowed calls per second (the emulator's limit; the hook's pace is the same).
    :param threads: Threads sharing the hook.
    :param calls: Calls made (successful ones).
    :param wall: Wall seconds from the start until the last answer.
    :param responses_429: 429 answers the emulator sent.
    :param gong_calls: Calls the emulator saw (429s included).
    :param connections: TCP connections the hook opened.
    """

    rate: float
    threads: int
    calls: int
    wall: float
    responses_429: int
    gong_calls: int
    connections: int

    @property
    def achieved(self) -> float:
        """Successful calls per second."""
        return self.calls / self.wall

    @property
    def ratio(self) -> float:
        """Achieved rate / allowed rate (the pacer's margin caps it near 1/1.02 = 0.98)."""
        return self.achieved / self.rate


def run_pacing(
    emulator: EmulatorProcess,
    ids: Sequence[str],
    *,
    rate: int,
    seconds: float,
    threads: int,
    calls_per_second: float | None = None,
) -> PacingResult:
    """
    ``rate * seconds`` back-to-back calls, from ``threads`` threads sharing one hook paced at ``rate``.

    :param emulator: The emulator (its per-second limit is set to ``rate``).
    :param ids: User ids to fetch, cycled.
    :param rate: Calls per second allowed, and the hook's ``calls_per_second``.
    :param seconds: Planned duration.
    :param threads: Threads sharing the hook.
    :param calls_per_second: The hook's pace, if not ``rate``.
    """
    from airflow_provider_gong.hooks.gong import GongHook

    set_env_connections(emulator)
    emulator.configure(rate_per_second=rate, rate_per_day=None)
    hook = GongHook(GONG_CONN_ID, calls_per_second=rate if calls_per_second is None else calls_per_second)
    time.sleep(SETTLE_SECONDS)
    total = round(rate * seconds)
    lock = threading.Lock()
    remaining = [total]
    done = [0]
    errors: list[BaseException] = []

    def worker() -> None:
        count = len(ids)
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
                index = remaining[0]
            try:
                hook.get_user(ids[index % count])
            except BaseException as error:  # reported after the run
                errors.append(error)
                return
            with lock:
                done[0] += 1

    before = emulator.reset()
    start = time.perf_counter()
    workers = [threading.Thread(target=worker, name=f"bench-pacing-{i}") for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    wall = time.perf_counter() - start
    hook.close()
    after = emulator.stats()
    if errors:
        raise RuntimeError(f"pacing run failed: {errors[0]!r}") from errors[0]
    return PacingResult(
        rate=float(rate),
        threads=threads,
        calls=done[0],
        wall=wall,
        responses_429=after["responses_429"] - before["responses_429"],
        gong_calls=after["gong_calls"] - before["gong_calls"],
        connections=emulator.connections_since(before, after),
    )


@dataclass(frozen=True)
class PageCost:
    """
    Client CPU per page of 100 users: ``get_users`` vs a raw ``requests.Session`` loop over the same pages.

    :param pages: Pages per round.
    :param ours: Client CPU seconds per page, one value per round (``get_users``).
    :param raw: The same for the raw loop (``POST /v2/users/extensive``, 100 ids a call, JSON decoded,
        users kept in a list like ``get_users`` keeps them).
    """

    pages: int
    ours: list[float]
    raw: list[float]

    @property
    def ratio(self) -> float:
        """Median over rounds of ours / raw, each pair from the same round."""
        return statistics.median(a / b for a, b in zip(self.ours, self.raw, strict=True))


def page_cost(emulator: EmulatorProcess, ids: Sequence[str], *, rounds: int) -> PageCost:
    """
    Alternate rounds of ``get_users(ids)`` and of a raw loop fetching the same pages; no pacing.

    :param emulator: The emulator (limits switched off).
    :param ids: User ids (a multiple of 100 keeps every page full).
    :param rounds: Measured rounds of each (after one warm-up round each).
    """
    from airflow_provider_gong.hooks.gong import GongHook

    set_env_connections(emulator)
    emulator.configure(rate_per_second=None, rate_per_day=None)
    url = emulator.url + "/v2/users/extensive"
    verify: str | bool = str(emulator.cafile) if emulator.cafile is not None else True

    def ours() -> int:
        hook = GongHook(GONG_CONN_ID, calls_per_second=0)
        count = len(hook.get_users(ids))
        hook.close()
        return count

    def raw() -> int:
        users: list[dict[str, Any]] = []  # kept, like get_users keeps them (the GC cost of holding counts)
        with requests.Session() as session:
            session.auth = (ACCESS_KEY, SECRET)
            session.verify = verify
            for start in range(0, len(ids), 100):
                body = {"filter": {"userIds": list(ids[start : start + 100]), "includeAvatars": False}}
                response = session.post(url, json=body, timeout=30)
                response.raise_for_status()
                users.extend(response.json()["users"])
        return len(users)

    pages = math.ceil(len(ids) / 100)
    samples: dict[str, list[float]] = {"ours": [], "raw": []}
    runs = (("ours", ours), ("raw", raw))
    for _, fetch in runs:
        fetch()
    for index in range(rounds):
        for name, fetch in runs if index % 2 == 0 else runs[::-1]:
            cpu0 = time.process_time()
            if fetch() != len(ids):
                raise AssertionError(f"{name} did not fetch every user")
            samples[name].append((time.process_time() - cpu0) / pages)
    return PageCost(pages, samples["ours"], samples["raw"])
