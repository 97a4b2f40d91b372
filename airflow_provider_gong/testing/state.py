"""Shared, thread-safe state of one emulator: settings, users, calls, limiter, fault RNG and counters.

The event-loop thread serves requests; tests read counters and change settings from other threads.
Every mutation happens in short synchronous sections under one lock (never across an ``await``).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from airflow_provider_gong.testing.calls import CallCatalog
from airflow_provider_gong.testing.config import ConfigError, EmulatorConfig
from airflow_provider_gong.testing.faults import FAULT_KINDS, FaultDecision, decide, validate_scripted_answer
from airflow_provider_gong.testing.oauth import OAuthState
from airflow_provider_gong.testing.ratelimit import RateDecision, RateLimiter
from airflow_provider_gong.testing.users import UserDirectory

__all__ = ["EmulatorState", "EmulatorStats"]


class EmulatorStats(TypedDict):
    """Counters since start or the last reset (``GET /_emulator/stats``).

    ``by_endpoint`` maps a route's label (``"GET /v2/users"``, see ``routes.TABLE``; ``"other"`` for calls
    that match no route) to ``{status: count}``; statuses are strings
    (``"200"``, ``"429"``) or ``"dropped"`` / ``"hung"`` for calls that got no answer. ``faults`` counts
    injected faults by kind (``drop``, ``hang``, ``fail_5xx``, ``fail_429``, ``truncate``, ``bad_shape``,
    ``slow``) plus ``scripted`` for consumed ``fail_next`` entries.

    The OAuth token endpoint (not a Gong API call, so not in ``gong_calls``): ``oauth_token_requests``
    counts every call of it, ``oauth_refreshes`` / ``oauth_code_exchanges`` the successful
    ``refresh_token`` / ``authorization_code`` grants (answers dropped by ``token_drop_after_rotation``
    included), ``oauth_invalid_grants`` the ``invalid_grant`` refusals; ``oauth_rejected_bearer`` counts API
    calls refused for an expired or unknown bearer token.
    """

    gong_calls: int
    by_endpoint: dict[str, dict[str, int]]
    by_status: dict[str, int]
    responses_429: int
    rate_limited: dict[str, int]
    faults: dict[str, int]
    connections_accepted: int
    connections_open: int
    fail_next_pending: int
    calls_today: int
    oauth_token_requests: int
    oauth_refreshes: int
    oauth_code_exchanges: int
    oauth_invalid_grants: int
    oauth_rejected_bearer: int


class EmulatorState:
    """State shared by the ASGI app, the server's protocol and the controlling thread.

    :param config: Initial settings (kept by reference; mutate it or replace it via :attr:`config`).
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self.initial_config = config.copy()
        self._directory: UserDirectory | None = None
        self._directory_lock = threading.Lock()
        self._catalog: CallCatalog | None = None
        self._catalog_lock = threading.Lock()
        self.limiter = RateLimiter()
        #: The OAuth tokens and codes issued, and the token endpoint's counters.
        self.oauth = OAuthState()
        self._rng = random.Random()
        self._connections: dict[Any, Any] = {}
        self.stopping: asyncio.Event | None = None
        self._reset_counters()
        self._seed_rng()

    # -- settings and data ---------------------------------------------------------------------------------

    @property
    def config(self) -> EmulatorConfig:
        """The live settings."""
        return self._config

    @config.setter
    def config(self, value: EmulatorConfig) -> None:
        value.validate()
        self._config = value

    @property
    def directory(self) -> UserDirectory:
        """The users for the current ``users`` / ``seed`` / ``avatar_share`` (rebuilt when they change)."""
        config = self._config
        key = (config.users, config.seed, config.avatar_share)
        directory = self._directory
        if directory is None or directory.key != key:
            with self._directory_lock:
                directory = self._directory
                if directory is None or directory.key != key:
                    directory = UserDirectory(*key)
                    self._directory = directory
        return directory

    @property
    def calls(self) -> CallCatalog:
        """The calls for the current ``calls`` / ``seed`` / ``calls_from`` / ``calls_to`` / late-processing
        settings and users (rebuilt when they change; the clock is not part of the data).
        """
        config = self._config
        directory = self.directory
        start, end = config.calls_window()
        key = (
            config.calls,
            config.seed,
            start,
            end,
            config.processing_delay,
            config.late_share,
            config.late_delay,
            directory.key,
        )
        catalog = self._catalog
        if catalog is None or catalog.key != key:
            with self._catalog_lock:
                catalog = self._catalog
                if catalog is None or catalog.key != key:
                    catalog = CallCatalog(
                        config.calls,
                        config.seed,
                        directory,
                        start,
                        end,
                        processing_delay=config.processing_delay,
                        late_share=config.late_share,
                        late_delay=config.late_delay,
                    )
                    self._catalog = catalog
        return catalog

    # -- counters ------------------------------------------------------------------------------------------

    def _reset_counters(self) -> None:
        self._calls = 0
        self._by_endpoint: dict[str, Counter[str]] = {}
        self._by_status: Counter[str] = Counter()
        self._rate_limited: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._connections_accepted = 0

    def _seed_rng(self) -> None:
        config = self._config
        seed = config.fault_seed if config.fault_seed is not None else config.seed
        self._rng.seed(f"gong-emulator-faults:{seed}")

    def reset(self) -> None:
        """Clear counters, limiter windows and pending ``fail_next`` answers; re-seed the fault RNG; forget
        the OAuth tokens and codes issued (and pending ``token_drop_after_rotation``).
        """
        with self._lock:
            self._reset_counters()
            self._seed_rng()
            self._config.fail_next.clear()
            self._config.token_drop_after_rotation = 0
        self.limiter.reset()
        self.oauth.reset()

    def queue_answers(self, answers: Iterable[Mapping[str, Any]]) -> None:
        """Append scripted answers to ``config.fail_next`` (validated first, appended atomically).

        :param answers: ``fail_next`` entries.
        """
        checked = [dict(answer) for answer in answers]
        for position, answer in enumerate(checked):
            try:
                validate_scripted_answer(answer)
            except ValueError as exc:
                raise ConfigError(f"fail_next[{position}]: {exc}") from None
        with self._lock:
            self._config.fail_next.extend(checked)

    def begin_call(self) -> FaultDecision:
        """Count one Gong call and decide its faults (consumes a ``fail_next`` entry if one is pending)."""
        with self._lock:
            self._calls += 1
            config = self._config
            scripted = config.fail_next.pop(0) if config.fail_next else None
            decision = decide(config, self._rng, scripted)
            if scripted is not None:
                self._faults["scripted"] += 1
            if decision.kind is not None:
                self._faults[decision.kind] += 1
            if decision.slow:
                self._faults["slow"] += 1
            return decision

    def acquire_rate(self) -> RateDecision:
        """Admit one call under the rate limits, counting refusals."""
        config = self._config
        decision = self.limiter.acquire(config.rate_per_second, config.rate_per_day, config.day_seconds)
        if not decision.allowed and decision.limit is not None:
            with self._lock:
                self._rate_limited[decision.limit] += 1
        return decision

    def record(self, endpoint: str, status: str) -> None:
        """Count the outcome of one Gong call.

        :param endpoint: Route label such as ``"GET /v2/users"``.
        :param status: HTTP status as text, or ``"dropped"`` / ``"hung"``.
        """
        with self._lock:
            per_endpoint = self._by_endpoint.get(endpoint)
            if per_endpoint is None:
                per_endpoint = self._by_endpoint[endpoint] = Counter()
            per_endpoint[status] += 1
            self._by_status[status] += 1

    def stats(self) -> EmulatorStats:
        """Return a snapshot of the counters."""
        oauth = self.oauth.stats()
        with self._lock:
            faults = dict.fromkeys((*FAULT_KINDS, "slow", "scripted"), 0)
            faults.update(self._faults)
            return {
                "gong_calls": self._calls,
                "by_endpoint": {name: dict(counts) for name, counts in sorted(self._by_endpoint.items())},
                "by_status": dict(sorted(self._by_status.items())),
                "responses_429": self._by_status.get("429", 0),
                "rate_limited": {
                    "total": sum(self._rate_limited.values()),
                    "per_second": self._rate_limited["per_second"],
                    "per_day": self._rate_limited["per_day"],
                },
                "faults": faults,
                "connections_accepted": self._connections_accepted,
                "connections_open": len(self._connections),
                "fail_next_pending": len(self._config.fail_next),
                "calls_today": self.limiter.calls_today,
                "oauth_token_requests": oauth["oauth_token_requests"],
                "oauth_refreshes": oauth["oauth_refreshes"],
                "oauth_code_exchanges": oauth["oauth_code_exchanges"],
                "oauth_invalid_grants": oauth["oauth_invalid_grants"],
                "oauth_rejected_bearer": oauth["oauth_rejected_bearer"],
            }

    # -- connections (called from the server's protocol, in the event-loop thread) -------------------------

    def connection_made(self, peer: Any, transport: asyncio.BaseTransport) -> None:
        """Count an accepted TCP connection and remember its transport (for ``drop``).

        :param peer: The client address, as in the ASGI scope's ``client``.
        :param transport: The connection's transport.
        """
        with self._lock:
            self._connections_accepted += 1
            self._connections[_peer_key(peer)] = transport

    def connection_lost(self, peer: Any) -> None:
        """Forget a closed connection.

        :param peer: The client address, as in the ASGI scope's ``client``.
        """
        with self._lock:
            self._connections.pop(_peer_key(peer), None)

    def abort_connection(self, peer: Any) -> bool:
        """Close a client's TCP connection at once, without sending anything more.

        :param peer: The client address, as in the ASGI scope's ``client``.
        :return: Whether the connection was known (served by this emulator's protocol).
        """
        with self._lock:
            transport = self._connections.get(_peer_key(peer))
        if transport is None:
            return False
        transport.abort()
        return True


def _peer_key(peer: Any) -> Any:
    return tuple(peer) if isinstance(peer, (list, tuple)) else peer
