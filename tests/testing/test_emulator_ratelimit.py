"""Rate limits: N calls in any sliding second, M per day window, 429 + Retry-After, exact under load."""

from __future__ import annotations

import concurrent.futures
import math
import time
from typing import Any

import pytest
import requests

from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.testing.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_sliding_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert [limiter.acquire(3, None, 86400).allowed for _ in range(3)] == [True, True, True]
    refused = limiter.acquire(3, None, 86400)
    assert (refused.allowed, refused.limit, refused.retry_after) == (False, "per_second", 1)
    clock.now += 0.999
    assert not limiter.acquire(3, None, 86400).allowed
    clock.now += 0.002
    assert limiter.acquire(3, None, 86400).allowed
    # Refusals consumed nothing: exactly three slots were used in the first second.
    assert limiter.calls_today == 4


def test_limiter_sliding_window_not_fixed_buckets() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    limiter.acquire(2, None, 86400)
    clock.now += 0.6
    limiter.acquire(2, None, 86400)
    clock.now += 0.5  # 1.1 s after the first, 0.5 s after the second call
    assert limiter.acquire(2, None, 86400).allowed
    assert not limiter.acquire(2, None, 86400).allowed


def test_limiter_day_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert all(limiter.acquire(None, 5, 100).allowed for _ in range(5))
    clock.now += 30.2
    refused = limiter.acquire(None, 5, 100)
    assert (refused.allowed, refused.limit, refused.retry_after) == (False, "per_day", 70)
    clock.now += 69.8
    assert limiter.acquire(None, 5, 100).allowed
    limiter.reset()
    assert limiter.calls_today == 0


def test_limiter_none_disables() -> None:
    limiter = RateLimiter(FakeClock())
    assert all(limiter.acquire(None, None, 1).allowed for _ in range(1000))


@pytest.mark.gong_emulator(rate_per_second=3)
def test_per_second_429_with_retry_after(gong: Any, gong_emulator: GongEmulator) -> None:
    statuses = [gong.get("/v2/users").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    response = gong.get("/v2/users")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    time.sleep(1.05)
    assert gong.get("/v2/users").status_code == 200
    stats = gong_emulator.stats()
    assert stats["rate_limited"] == {"total": 3, "per_second": 3, "per_day": 0}
    assert stats["responses_429"] == 3
    assert stats["calls_today"] == 4


@pytest.mark.gong_emulator(rate_per_second=None, rate_per_day=4, day_seconds=2)
def test_per_day_429_until_the_window_resets(gong: Any, gong_emulator: GongEmulator) -> None:
    statuses = [gong.get("/v2/users").status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    response = gong.get("/v2/users")
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    time.sleep(2.05)
    assert gong.get("/v2/users").status_code == 200
    assert gong_emulator.stats()["rate_limited"]["per_day"] == 3


@pytest.mark.gong_emulator(rate_per_second=None, rate_per_day=10_000, day_seconds=86_400)
def test_spent_daily_quota_gives_a_huge_retry_after(gong: Any, gong_emulator: GongEmulator) -> None:
    gong_emulator.config.rate_per_day = 1
    assert gong.get("/v2/users").status_code == 200
    response = gong.get("/v2/users")
    assert response.status_code == 429
    assert 86_000 < int(response.headers["Retry-After"]) <= 86_400


def _burst(emulator: GongEmulator, calls: int) -> tuple[list[int], float]:
    headers = emulator.auth_headers()
    url = f"{emulator.url}/v2/users/{emulator.users[0]['id']}"

    def call(_: int) -> int:
        return requests.get(url, headers=headers, timeout=10).status_code

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(call, range(calls)))
    return statuses, time.monotonic() - started


@pytest.mark.gong_emulator(rate_per_second=None, rate_per_day=5, day_seconds=3600)
def test_daily_limit_is_exact_under_concurrency(gong_emulator: GongEmulator) -> None:
    statuses, _ = _burst(gong_emulator, 40)
    assert statuses.count(200) == 5
    assert statuses.count(429) == 35
    assert gong_emulator.stats()["calls_today"] == 5


@pytest.mark.gong_emulator(rate_per_second=5)
def test_per_second_limit_holds_under_concurrency(gong_emulator: GongEmulator) -> None:
    statuses, elapsed = _burst(gong_emulator, 40)
    assert set(statuses) <= {200, 429}
    # At most 5 per sliding second: a burst lasting `elapsed` seconds spans at most ceil(elapsed) + 1 windows.
    assert 5 <= statuses.count(200) <= 5 * (math.ceil(elapsed) + 1)
    if elapsed < 1.0:
        assert statuses.count(200) == 5


@pytest.mark.gong_emulator(rate_per_second=2)
def test_errors_count_against_the_quota(gong: Any) -> None:
    assert gong.get("/v2/users/123456789012345").status_code == 404
    assert gong.get("/v2/users/123456789012345").status_code == 404
    assert gong.get("/v2/users").status_code == 429


@pytest.mark.gong_emulator(rate_per_second=1)
def test_control_endpoints_are_never_limited(gong: Any) -> None:
    assert gong.get("/v2/users").status_code == 200
    for _ in range(5):
        assert gong.get("/_emulator/stats").status_code == 200
    assert gong.get("/_emulator/stats").json()["gong_calls"] == 1
