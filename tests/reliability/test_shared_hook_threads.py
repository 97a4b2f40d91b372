"""
Eight threads share one GongHook for 1,000 calls against the Gong emulator.

``requests.Session`` is not documented as thread-safe, so the hook keeps one keep-alive session per
thread. This proves it from the outside: each thread always gets the same session and no other thread
gets it, the emulator sees exactly one TCP connection per thread, every answer is the user its request
asked for, and the shared pacer holds the configured rate (measured, not assumed).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from airflow_provider_gong.client.pacing import JITTER_MARGIN
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.testing import GongEmulator

THREADS = 8
CALLS = 1_000
#: Chosen so the 1,000 calls take ~5 s: long enough to measure the pace, short enough for CI.
CALLS_PER_SECOND = 200.0


@pytest.mark.gong_emulator(users=CALLS, avatar_share=0.0)
def test_eight_threads_share_one_hook_for_a_thousand_calls(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    ids = list(gong_emulator.directory.ids)
    expected = {user["id"]: user for user in gong_emulator.users}
    hook = GongHook(calls_per_second=CALLS_PER_SECOND, max_retries=0, timeout=10)
    sessions: dict[int, set[int]] = {}  # thread ident -> ids of the sessions it was given
    answers: dict[str, dict[str, Any]] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(share: list[str]) -> None:
        barrier.wait(timeout=30)
        try:
            for user_id in share:
                session = hook.get_conn()
                user = hook.get_user(user_id)
                with lock:
                    sessions.setdefault(threading.get_ident(), set()).add(id(session))
                    assert user_id not in answers
                    answers[user_id] = user
        except BaseException as err:  # reported below, with the thread's other errors
            errors.append(err)

    threads = [threading.Thread(target=work, args=(ids[n::THREADS],)) for n in range(THREADS)]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        elapsed = time.monotonic() - started
        hook.close()

    # No errors (max_retries=0: any failure would have raised), and every answer matches its request.
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(answers) == sorted(ids)
    assert all(user == expected[user_id] for user_id, user in answers.items())

    # One session per thread: each thread always got the same one, and no two threads shared one.
    assert len(sessions) == THREADS
    assert all(len(owned) == 1 for owned in sessions.values())
    assert len({next(iter(owned)) for owned in sessions.values()}) == THREADS

    # ... and one keep-alive TCP connection per thread, reused for all of its calls.
    stats = gong_emulator.stats()
    assert stats["gong_calls"] == CALLS
    assert stats["by_status"] == {"200": CALLS}
    assert stats["connections_accepted"] == THREADS

    # The pace held: never faster than configured, and not much slower (the pacer leaves a 2% margin).
    achieved = CALLS / elapsed
    print(f"achieved {achieved:.1f} calls/s in {elapsed:.2f} s")
    assert achieved <= CALLS_PER_SECOND
    assert achieved >= 0.7 * CALLS_PER_SECOND / (1 + JITTER_MARGIN)
