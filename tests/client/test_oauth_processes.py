"""The proof of safe rotation: OS processes that need a token at once refresh it exactly once.

Each worker is its own interpreter with its own ``GongHook``, started together and released at one
wall-clock moment, against the emulator's token endpoint (single-use refresh tokens; ``token_delay`` keeps
each token call open long enough that all of them overlap). With ``shared_state_url`` one process refreshes
under Redis's lock and the others read what it stored; a later run (new processes) uses the rotated refresh
token, not the connection's spent one. Without shared state the same four processes each send the seed
refresh token: Gong accepts one and refuses the others (``invalid_grant``), which is why the README says
any concurrency needs ``shared_state_url``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from airflow_provider_gong.testing.redis_server import RedisServer
from airflow_provider_gong.testing.server import GongEmulator

pytestmark = pytest.mark.timeout(180)

K = 4
CONN_ID = "gong_oauth_procs"
CALLS = 3

#: One worker: import and build its hook, say so, wait for the common start (read from stdin), make CALLS
#: calls, print what happened.
WORKER = """
import json, sys, time
from airflow_provider_gong.hooks.gong import GongHook
hook = GongHook(sys.argv[1], max_retries=0)
print("ready", flush=True)
start = float(sys.stdin.readline())
time.sleep(max(0.0, start - time.time()))
try:
    totals = [hook.call("GET", "/v2/users")["records"]["totalRecords"] for _ in range(int(sys.argv[2]))]
    print(json.dumps({"ok": True, "totals": totals}))
except Exception as err:
    print(json.dumps({"ok": False, "error": f"{type(err).__name__}: {err}"}))
"""


def run_workers(env: dict[str, str], k: int = K) -> list[dict[str, Any]]:
    """Start ``k`` workers, release them at one moment once all are ready, and return what each printed."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, CONN_ID, str(CALLS)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(k)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready", worker.communicate(timeout=30)
    start = time.time() + 0.3
    for worker in workers:  # every worker gets the start before any is waited for
        assert worker.stdin is not None
        worker.stdin.write(f"{start}\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        assert lines, f"worker printed no result; stderr: {err[-2000:]}"
        results.append(json.loads(lines[-1]))
    return results


def oauth(gong: GongEmulator) -> dict[str, int]:
    return {key: value for key, value in gong.stats().items() if key.startswith("oauth_")}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "airflow"
    home.mkdir()
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
    }


def test_four_processes_refresh_once_and_a_later_run_uses_the_rotated_token(
    gong_emulator: GongEmulator, redis_server: RedisServer, env: dict[str, str]
) -> None:
    gong_emulator.configure(users=30, page_size=100, token_delay=0.5)
    conn = gong_emulator.oauth_connection_dict(extra={"shared_state_url": redis_server.url})
    seed = conn["extra"]["refresh_token"]
    env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(conn)

    first = run_workers(env)
    assert all(result["ok"] for result in first), first
    expected = len(gong_emulator.directory.users(include_avatars=False))
    assert all(result["totals"] == [expected] * CALLS for result in first), (expected, first)
    stats = oauth(gong_emulator)
    assert stats["oauth_token_requests"] == 1  # exactly one refresh reached the token endpoint
    assert stats["oauth_invalid_grants"] == 0
    assert gong_emulator.stats()["by_status"] == {"200": K * CALLS}

    # A later run, new processes: the stored token is still good, nothing is refreshed.
    later = run_workers(env, k=2)
    assert all(result["ok"] for result in later), later
    assert oauth(gong_emulator)["oauth_token_requests"] == 1

    # Its expiry: one refresh again, with the rotated refresh token (the connection's seed is spent, and
    # sending it would be an invalid_grant).
    gong_emulator.expire_access_tokens()
    renewed = run_workers(env, k=2)
    assert all(result["ok"] for result in renewed), renewed
    stats = oauth(gong_emulator)
    assert stats["oauth_refreshes"] == 2
    assert stats["oauth_invalid_grants"] == 0
    # The seed really is spent: Gong refuses it.
    gong_emulator.configure(token_delay=0.0)
    config = gong_emulator.config
    import requests

    reused = requests.post(
        gong_emulator.token_url,
        params={"grant_type": "refresh_token", "refresh_token": seed},
        auth=(config.oauth_client_id, config.oauth_client_secret),
        timeout=10,
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_without_shared_state_four_processes_race_and_gong_refuses_all_but_one(
    gong_emulator: GongEmulator, env: dict[str, str]
) -> None:
    gong_emulator.configure(users=30, page_size=100, token_delay=0.5)
    env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(gong_emulator.oauth_connection_dict())
    results = run_workers(env)
    failed = [result for result in results if not result["ok"]]
    assert len(failed) == K - 1, results
    assert all("invalid_grant" in result["error"] for result in failed)
    stats = oauth(gong_emulator)
    assert stats["oauth_refreshes"] == 1
    assert stats["oauth_invalid_grants"] == K - 1
