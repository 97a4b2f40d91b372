"""GongHook sessions: one per thread, keep-alive connections reused, closed on ``close()``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests

from airflow_provider_gong.hooks.gong import GongHook


def test_session_is_built_once_per_thread(make_conn: Callable[..., str]) -> None:
    hook = GongHook(make_conn("us-1.api.gong.io"))
    main_session = hook.session
    other: list[requests.Session] = []

    thread = threading.Thread(target=lambda: other.extend([hook.session, hook.session]))
    thread.start()
    thread.join()

    assert hook.session is main_session
    assert hook.get_conn() is main_session
    assert other[0] is other[1]
    assert other[0] is not main_session


def test_calls_reuse_one_connection(keepalive_server: Any, make_conn: Callable[..., str]) -> None:
    hook = GongHook(make_conn(keepalive_server.url))

    for _ in range(3):
        hook.get_user("1")

    assert len(keepalive_server.requests) == 3
    assert keepalive_server.connections == 1


def test_close_drops_the_pooled_connection(keepalive_server: Any, make_conn: Callable[..., str]) -> None:
    hook = GongHook(make_conn(keepalive_server.url))
    hook.get_user("1")
    first_session = hook.session

    hook.close()
    hook.get_user("1")

    assert hook.session is not first_session
    assert keepalive_server.connections == 2
