"""One company's limits, shared by every process through Redis: the pace, the daily budget, a 429's hold.

Gong's limits are per company: every worker, task and trigger of a deployment spends the same 3 calls per
second and 10,000 calls per day. With the connection extra ``shared_state_url`` (a ``redis://`` or
``rediss://`` URL), every process keeps them together in one Redis:

- **the pace**: `pyrate-limiter`_'s GCRA (the generic cell rate algorithm: one "theoretical arrival time"
  per company, in a Redis hash, checked and moved by one Lua script), with no burst, so calls leave
  ``1 / calls_per_second`` apart whichever process sends them. The state is one time that only moves
  forward, so two processes asking for the same slot at the same instant never both get it (a
  sliding-window log counted up to each caller's clock can let both through). A process told to wait
  sleeps until its slot (with a little random jitter, and waking earlier the more slots it lost, so
  waiting processes take turns);
- **the daily budget**: a counter of the calls spent on the UTC day (``calls_per_day``, default 10,000).
  A call that would spend a budget already at zero is not sent: it raises
  :class:`~airflow_provider_gong.exceptions.GongRateLimitError` with ``retry_after`` = the time to the
  next UTC midnight, so an operator defers and a sensor waits;
- **a 429's hold**: a 429 with ``Retry-After`` anywhere holds every process off until it ends. A hold
  longer than :data:`QUOTA_HOLD` is Gong's daily quota spent (perhaps by another tool of the same
  company): the budget reads zero until it ends.

The algorithm is written once, as a generator of steps (:class:`_Step`: a Redis command, a bucket put or a
sleep); :meth:`SharedLimits.acquire` runs it with the sync Redis client and :meth:`SharedLimits.aacquire`
with the async one (the trigger's event loop never blocks on Redis or on a wait).

When Redis cannot be used (refused, timed out, unknown host, wrong password), the process keeps to its own
pace alone (the :class:`~airflow_provider_gong.client.pacing.Pacer` every call waits for first anyway),
says so once at WARNING, and tries Redis again after :data:`RETRY_REDIS_AFTER` seconds: no call fails
because of Redis alone.

.. _pyrate-limiter: https://pyratelimiter.readthedocs.io
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import random
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from airflow_provider_gong.client.dates import now_utc
from airflow_provider_gong.client.settings import SharedStateSettings
from airflow_provider_gong.exceptions import GongConfigError, GongRateLimitError

__all__ = [
    "QUOTA_HOLD",
    "RETRY_REDIS_AFTER",
    "SharedLimits",
    "SharedStateUnavailableError",
    "shared_limits",
]

#: The extra that installs the Redis client and the limiter.
EXTRA = "airflow-provider-gong[redis]"
#: Seconds the process keeps to its own pace after Redis failed, before it tries Redis again.
RETRY_REDIS_AFTER = 30.0
#: Seconds a Redis command may take (connect, then each read): a dead Redis costs this, not a hang.
REDIS_TIMEOUT = 2.0
#: A 429 asking to wait longer than this (seconds) is the daily quota: the budget reads zero until it ends.
QUOTA_HOLD = 60.0
#: Up to this much random delay (seconds) is added to a process's wait for a slot, so processes that wait
#: for the same slot take turns instead of the same one always winning.
FAIR_JITTER = 0.004
#: A process that lost the race for a slot wakes this much earlier (seconds) for the next one, per slot
#: lost (up to :data:`MAX_AGE` slots): the longest waiting asks first, so turns go round nearly in order.
AGE_STEP = 0.001
MAX_AGE = 8
#: Calls of the company are spaced this much wider than ``1 / calls_per_second``: wider than one process's
#: margin (:data:`~airflow_provider_gong.client.pacing.JITTER_MARGIN`), since a call of one process may
#: leave a little after its slot (a busy CPU) while the next process's leaves on time, and Gong counts
#: arrivals in any one-second window: 3% (344 ms between calls at 3/s) lets one call come 30 ms late.
SHARED_MARGIN = 0.03

_log = logging.getLogger("airflow_provider_gong.client.shared")


class SharedStateUnavailableError(Exception):
    """Redis could not be used; the message names Redis's location, never its password."""


@dataclass(frozen=True)
class _Step:
    """A step: ``redis`` (``arg`` called with the client), ``put`` (a bucket item) or ``sleep``."""

    kind: str
    arg: Any


_Steps = Generator[_Step, Any, Any]

#: Sets the hold to ARGV[1] ms unless a longer one is already in force; returns what was in force (ms).
_HOLD_SCRIPT = """
local current = redis.call('PTTL', KEYS[1])
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[1])
end
return current
"""


def redis_modules() -> tuple[Any, Any, Any]:
    """The redis and pyrate-limiter modules, or a :class:`GongConfigError` naming the extra."""
    try:
        import pyrate_limiter  # noqa: PLC0415 - optional extra
        import redis  # noqa: PLC0415 - optional extra
        import redis.asyncio  # noqa: PLC0415 - optional extra
    except ImportError as err:
        raise GongConfigError(
            f"the Gong connection sets shared_state_url, but {err.name} is not installed: "
            f"pip install '{EXTRA}'"
        ) from None
    return redis, redis.asyncio, pyrate_limiter


def _midnight_after(moment: datetime) -> datetime:
    """The next UTC midnight after ``moment``: when Gong's day (as the budget counts it) resets."""
    day = moment.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, dt_time(0), tzinfo=UTC)


class SharedLimits:
    """
    The company's pace, daily budget and hold, kept in Redis for every process; one per company and process.

    Use :func:`shared_limits` (one instance per company in the process, so hooks share their Redis
    connections). Nothing connects until the first call.

    While Redis cannot be used, :meth:`acquire` returns at once (the caller's own pace still holds),
    :meth:`held_for` says 0 and :meth:`remaining` ``None``.

    :param shared: The connection's shared-state settings.
    :param clock: The current UTC time: the budget's day (tests move it).
    """

    def __init__(self, shared: SharedStateSettings, *, clock: Callable[[], datetime] = now_utc) -> None:
        self.shared = shared
        self._clock = clock
        self._sleep = time.sleep
        self._asleep = asyncio.sleep
        self._redis, self._aredis, self._pyrate = redis_modules()
        prefix = f"gong:{shared.company}"
        self.pace_key = f"{prefix}:pace"
        self.hold_key = f"{prefix}:hold"
        self.budget_prefix = f"{prefix}:budget:"
        rate = shared.calls_per_second
        # One call per emission interval, no burst: GCRA's Rate(limit, interval in ms, burst).
        self._rates = (
            [self._pyrate.Rate(1, max(math.ceil(1000 * (1 + SHARED_MARGIN) / rate), 1), burst=1)]
            if rate > 0
            else []
        )
        self._lock = threading.Lock()
        self._sync: tuple[Any, Any] | None = None
        self._async: tuple[asyncio.AbstractEventLoop, Any, Any, asyncio.Lock] | None = None
        self._down_until = 0.0
        self._warned = False

    # ------------------------------------------------------------------ what callers use

    @property
    def location(self) -> str:
        """Where the shared state is, without password: ``redis://host:6379/0``."""
        return self.shared.location

    def acquire(
        self, method: str, path: str, max_wait: float, *, failed: Callable[[], float] | None = None
    ) -> float:
        """
        Wait for the company's next slot (spending one call of today's budget); return the seconds waited.

        :param method: The call's method, for the error.
        :param path: The call's path, for the error.
        :param max_wait: The longest hold slept here; a longer one raises.
        :param failed: Called when Redis fails during this call (after its timeout): the caller's own pace
            books its slot again, from now.
        :raises GongRateLimitError: when today's budget is spent, or a hold longer than ``max_wait`` is in
            force; nothing is sent.
        """
        steps = self._acquire_steps(method, path, max_wait)
        return float(self._run(steps, fallback=lambda: 0.0, failed=failed))

    async def aacquire(
        self, method: str, path: str, max_wait: float, *, failed: Callable[[], Awaitable[float]] | None = None
    ) -> float:
        """:meth:`acquire` on the async Redis client."""

        async def fallback() -> float:
            return 0.0

        steps = self._acquire_steps(method, path, max_wait)
        return float(await self._arun(steps, fallback=fallback, failed=failed))

    def hold_off(self, seconds: float) -> None:
        """
        Hold every process of the company off for ``seconds`` (a 429's ``Retry-After``); never shortens one.

        :param seconds: What Gong asked to wait.
        """
        self._run(self._hold_steps(seconds), fallback=lambda: None)

    async def ahold_off(self, seconds: float) -> None:
        """:meth:`hold_off` on the async Redis client."""

        async def fallback() -> None:
            return None

        await self._arun(self._hold_steps(seconds), fallback=fallback)

    def held_for(self) -> float:
        """Seconds left of the company's hold (0 when none, or while Redis cannot be used)."""
        return float(self._run(self._held_steps(), fallback=lambda: 0.0))

    async def aheld_for(self) -> float:
        """:meth:`held_for` on the async Redis client."""

        async def fallback() -> float:
            return 0.0

        return float(await self._arun(self._held_steps(), fallback=fallback))

    def remaining(self) -> int | None:
        """Calls left of today's budget (UTC day); 0 during a quota hold; ``None`` when Redis is unusable."""
        return self._run(self._remaining_steps(), fallback=lambda: None)  # type: ignore[no-any-return]

    async def aremaining(self) -> int | None:
        """:meth:`remaining` on the async Redis client."""

        async def fallback() -> None:
            return None

        return await self._arun(self._remaining_steps(), fallback=fallback)  # type: ignore[no-any-return]

    def check(self) -> int:
        """
        Check that Redis answers (for ``test_connection``); return the calls left today.

        :raises SharedStateUnavailableError: naming Redis's location and what failed.
        """
        try:
            client, _ = self._sync_parts()
            client.ping()
            remaining = self._drive(self._remaining_steps(), client, None)
        except self._redis.exceptions.RedisError as err:
            raise SharedStateUnavailableError(self._describe(err)) from None
        except OSError as err:
            raise SharedStateUnavailableError(self._describe(err)) from None
        return int(remaining)

    # ------------------------------------------------------------------ the algorithm, once

    def _budget_key(self, day: date) -> str:
        return f"{self.budget_prefix}{day.isoformat()}"

    def _acquire_steps(self, method: str, path: str, max_wait: float) -> _Steps:
        waited = 0.0
        now = self._clock()
        key = self._budget_key(now.astimezone(UTC).date())
        reset = _midnight_after(now)
        expire_at = int((reset + timedelta(days=1)).timestamp())
        # The hold is read with the spend, in one round trip; a hold that raises gives the call back.
        hold_ms, spent, _ = yield _Step(
            "redis", lambda r: r.pipeline().pttl(self.hold_key).incr(key).expireat(key, expire_at).execute()
        )
        waited += yield from self._sleep_hold(int(hold_ms), method, path, max_wait, refund=key)
        if int(spent) > self.shared.calls_per_day:
            yield _Step("redis", lambda r: r.decr(key))
            raise GongRateLimitError(
                429,
                method,
                path,
                detail=(
                    f"the company's daily budget of {self.shared.calls_per_day} Gong calls (calls_per_day, "
                    f"shared through {self.location}) is spent for {now.date().isoformat()} (UTC); it "
                    f"resets at {reset.isoformat().replace('+00:00', 'Z')}. Nothing was sent"
                ),
                retry_after=max((reset - now).total_seconds(), 1.0),
            )
        if not self._rates:
            return waited
        lost = 0
        while True:
            decision = yield _Step("put", self._pyrate.RateItem("call", 0))  # stamped when sent
            if decision.allowed:
                break
            slot = max(decision.retry_after_ms or 1, 1) / 1000
            if slot > 2 * AGE_STEP:  # a new slot to wait for, not an early wake-up's last millisecond
                lost = min(lost + 1, MAX_AGE)
            wait = max(slot + random.uniform(0, FAIR_JITTER) - AGE_STEP * lost, 0.0005)
            yield _Step("sleep", wait)
            waited += wait
            # A 429 another process got while this one slept holds this call too.
            hold_ms = yield _Step("redis", lambda r: r.pttl(self.hold_key))
            waited += yield from self._sleep_hold(int(hold_ms), method, path, max_wait, refund=key)
        return waited

    def _sleep_hold(self, hold_ms: int, method: str, path: str, max_wait: float, refund: str) -> _Steps:
        """
        Sleep out a hold of ``hold_ms`` up to ``max_wait`` (and any set meanwhile); a longer one raises,
        refunding the budget.
        """
        slept = 0.0
        while hold_ms > 0:
            held = hold_ms / 1000
            if held > max_wait:
                yield _Step("redis", lambda r: r.decr(refund))
                raise GongRateLimitError(
                    429,
                    method,
                    path,
                    detail=(
                        f"a call of this company got a 429 and Gong's Retry-After holds every process "
                        f"(shared through {self.location}) for {held:.0f} s more. Nothing was sent"
                    ),
                    retry_after=held,
                )
            yield _Step("sleep", held)
            slept += held
            hold_ms = int((yield _Step("redis", lambda r: r.pttl(self.hold_key))))
        return slept

    def _hold_steps(self, seconds: float) -> _Steps:
        ms = max(int(seconds * 1000), 1)
        yield _Step("redis", lambda r: r.eval(_HOLD_SCRIPT, 1, self.hold_key, ms))

    def _held_steps(self) -> _Steps:
        hold_ms = yield _Step("redis", lambda r: r.pttl(self.hold_key))
        return max(int(hold_ms), 0) / 1000

    def _remaining_steps(self) -> _Steps:
        key = self._budget_key(self._clock().astimezone(UTC).date())
        spent, hold_ms = yield _Step("redis", lambda r: r.pipeline().get(key).pttl(self.hold_key).execute())
        if int(hold_ms) > QUOTA_HOLD * 1000:
            return 0
        return max(self.shared.calls_per_day - int(spent or 0), 0)

    # ------------------------------------------------------------------ two drivers

    def _sync_parts(self) -> tuple[Any, Any]:
        with self._lock:
            if self._sync is None:
                client = self._redis.Redis.from_url(self.shared.url, **self._client_options(self._redis))
                self._sync = (client, self._bucket(client))
            return self._sync

    async def _async_parts(self) -> tuple[Any, Any, asyncio.Lock]:
        loop = asyncio.get_running_loop()
        parts = self._async
        if parts is None or parts[0] is not loop:
            client = self._aredis.Redis.from_url(self.shared.url, **self._client_options(self._redis))
            parts = self._async = (loop, client, self._bucket(client), asyncio.Lock())
        return parts[1], parts[2], parts[3]

    def _bucket(self, client: Any) -> Any:
        """The company's GCRA state in Redis, through ``client`` (sync or async); ``None`` without a pace."""
        if not self._rates:
            return None
        store = self._pyrate.RedisStateStore(client, self.pace_key)
        return self._pyrate.StateBucket(self._rates, algorithm=self._pyrate.GCRA(), store=store)

    @staticmethod
    def _client_options(redis: Any) -> dict[str, Any]:
        """Short timeouts and no retries inside redis-py: a failure falls back at once."""
        return {
            "socket_timeout": REDIS_TIMEOUT,
            "socket_connect_timeout": REDIS_TIMEOUT,
            "retry": redis.retry.Retry(redis.backoff.NoBackoff(), 0),
        }

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _run(
        self, steps: _Steps, *, fallback: Callable[[], Any], failed: Callable[[], Any] | None = None
    ) -> Any:
        if not self._usable():
            steps.close()
            return fallback()
        try:
            client, bucket = self._sync_parts()
            return self._answered(self._drive(steps, client, bucket))
        except (self._redis.exceptions.RedisError, OSError) as err:
            steps.close()
            self._fall_back(err)
            return (failed or fallback)()

    def _drive(self, steps: _Steps, client: Any, bucket: Any) -> Any:
        result: Any = None
        try:
            while True:
                step = steps.send(result)
                if step.kind == "sleep":
                    self._sleep(step.arg)
                    result = None
                elif step.kind == "put":
                    with self._lock:  # the bucket keeps the last verdict: one put at a time
                        result = bucket.put_decision(_stamped(step.arg))
                else:
                    result = step.arg(client)
        except StopIteration as done:
            return done.value

    async def _arun(
        self,
        steps: _Steps,
        *,
        fallback: Callable[[], Awaitable[Any]],
        failed: Callable[[], Awaitable[Any]] | None = None,
    ) -> Any:
        if not self._usable():
            steps.close()
            return await fallback()
        result: Any = None
        try:
            client, bucket, lock = await self._async_parts()
            while True:
                step = steps.send(result)
                if step.kind == "sleep":
                    await self._asleep(step.arg)
                    result = None
                elif step.kind == "put":
                    async with lock:
                        result = await bucket.put_decision(_stamped(step.arg))
                else:
                    result = step.arg(client)
                    if inspect.isawaitable(result):
                        result = await result
        except StopIteration as done:
            return self._answered(done.value)
        except (self._redis.exceptions.RedisError, OSError) as err:
            steps.close()
            self._fall_back(err)
            return await (failed or fallback)()

    def _answered(self, value: Any) -> Any:
        """``value``, after saying that Redis answers again if it had failed."""
        if self._warned and self._down_until:
            self._down_until = 0.0
            _log.info(
                "Gong's shared state (Redis at %s) answers again: the company's limits are shared",
                self.location,
            )
        return value

    def _fall_back(self, err: BaseException) -> None:
        self._down_until = time.monotonic() + RETRY_REDIS_AFTER
        with self._lock:
            # Built again on the next try: a Redis that restarted has lost the bucket's script, too.
            self._sync = None
            self._async = None
        if not self._warned:
            self._warned = True
            _log.warning(
                "%s; every Gong call of this process keeps to its own pace (calls_per_second) instead of "
                "the company's shared one, and the daily budget is not counted, until Redis answers "
                "again (tried every %.0f s)",
                self._describe(err),
                RETRY_REDIS_AFTER,
            )

    def _describe(self, err: BaseException) -> str:
        # redis-py's messages name the host and the problem, never the password.
        return f"Gong's shared state (Redis at {self.location}) cannot be used: {type(err).__name__}: {err}"


def _stamped(item: Any) -> Any:
    """
    ``item`` stamped with the time now, the moment before its script is sent to Redis.

    GCRA's script compares it with the company's next free slot: a time taken earlier (before waiting for
    the lock, say) would only make this process wait longer than it needs.
    """
    item.timestamp = int(time.time() * 1000)
    return item


class _Registry:
    """The :class:`SharedLimits` of a process, one per Redis, company, limits and clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limits: dict[tuple[str, str, float, int, Callable[[], datetime]], SharedLimits] = {}

    def get(self, shared: SharedStateSettings, clock: Callable[[], datetime]) -> SharedLimits:
        key = (shared.url, shared.company, shared.calls_per_second, shared.calls_per_day, clock)
        with self._lock:
            limits = self._limits.get(key)
            if limits is None:
                limits = self._limits[key] = SharedLimits(shared, clock=clock)
            return limits

    def clear(self) -> None:
        with self._lock:
            self._limits.clear()


#: The shared limits of this process.
REGISTRY = _Registry()


def shared_limits(shared: SharedStateSettings, clock: Callable[[], datetime] = now_utc) -> SharedLimits:
    """
    The company's :class:`SharedLimits` in this process (built on first use; nothing connects yet).

    :param shared: The connection's shared-state settings.
    :param clock: The current UTC time, the budget's day (tests move it).
    :raises GongConfigError: when the ``redis`` extra is not installed.
    """
    return REGISTRY.get(shared, clock)
