"""The three ways of fetching one Gong user that the per-call benchmark compares."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from bench.emulator import ACCESS_KEY, SECRET, EmulatorProcess

__all__ = ["CLIENTS", "Client", "available_clients", "make_client", "set_env_connections"]

GONG_CONN_ID = "gong_bench"
HTTP_CONN_ID = "http_bench"

#: Display names, in the order they are listed in the table. ``HttpHook`` (providers-http 6.3) builds a
#: new ``Session`` and looks the connection up on every ``run``, but mounts one shared keep-alive adapter,
#: so its connection is reused; with ``tcp_keep_alive=False`` each call opens a new one.
CLIENTS = ("GongHook.get_user", "raw requests.Session", "HttpHook.run", "HttpHook.run, tcp_keep_alive=False")


@dataclass
class Client:
    """
    One client under test: ``call(user_id)`` returns the user dict, ``close()`` releases it.

    :param name: One of :data:`CLIENTS`.
    :param call: Fetch one user.
    :param close: Close what the client opened.
    """

    name: str
    call: Callable[[str], dict[str, Any]]
    close: Callable[[], None]


def available_clients() -> tuple[str, ...]:
    """:data:`CLIENTS` without the ``HttpHook`` ones when apache-airflow-providers-http is not installed."""
    if importlib.util.find_spec("airflow.providers.http") is None:
        print("apache-airflow-providers-http is not installed: HttpHook is left out", file=sys.stderr)
        return CLIENTS[:2]
    return CLIENTS


def set_env_connections(emulator: EmulatorProcess) -> None:
    """
    Point ``gong_bench`` (type gong) and ``http_bench`` (type http) at the emulator, via ``AIRFLOW_CONN_``.

    Over TLS every client trusts the bench's self-signed certificate through ``REQUESTS_CA_BUNDLE``
    (requests reads it when ``Session.trust_env`` is on, the default for both hooks).
    """
    os.environ[f"AIRFLOW_CONN_{GONG_CONN_ID.upper()}"] = json.dumps(emulator.gong_connection())
    os.environ[f"AIRFLOW_CONN_{HTTP_CONN_ID.upper()}"] = json.dumps(emulator.http_connection())
    if emulator.cafile is not None:
        os.environ["REQUESTS_CA_BUNDLE"] = str(emulator.cafile)
    else:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)


def make_client(name: str, emulator: EmulatorProcess) -> Client:
    """
    Build a fresh client (a new hook or session: its first call opens its connection).

    :param name: One of :data:`CLIENTS`.
    :param emulator: The emulator to talk to (its connections must be set with :func:`set_env_connections`).
    """
    if name == CLIENTS[0]:
        from airflow_provider_gong.hooks.gong import GongHook

        hook = GongHook(GONG_CONN_ID, calls_per_second=0)
        return Client(name, hook.get_user, hook.close)
    if name == CLIENTS[1]:
        session = requests.Session()
        session.auth = (ACCESS_KEY, SECRET)
        session.headers["Accept"] = "application/json"
        if emulator.cafile is not None:
            session.verify = str(emulator.cafile)
        base = emulator.url

        def raw_call(user_id: str) -> dict[str, Any]:
            response = session.get(f"{base}/v2/users/{user_id}", timeout=30)
            response.raise_for_status()
            user: dict[str, Any] = response.json()["user"]
            return user

        return Client(name, raw_call, session.close)
    if name in (CLIENTS[2], CLIENTS[3]):
        from airflow.providers.http.hooks.http import HttpHook

        http = HttpHook(method="GET", http_conn_id=HTTP_CONN_ID, tcp_keep_alive=name == CLIENTS[2])
        headers = {"Accept": "application/json"}

        def http_call(user_id: str) -> dict[str, Any]:
            user: dict[str, Any] = http.run(f"/v2/users/{user_id}", headers=headers).json()["user"]
            return user

        return Client(name, http_call, lambda: None)
    raise ValueError(f"unknown client {name!r}")
