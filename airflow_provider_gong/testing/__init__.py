"""A local emulator of Gong's users and calls APIs, for tests, demos and benchmarks.

Start one in-process::

    from airflow_provider_gong.testing import EmulatorConfig, GongEmulator

    with GongEmulator(EmulatorConfig(users=250, calls=300, clock="2026-12-01T00:00:00Z")) as gong:
        print(gong.url, gong.connection_json())

or from a shell: ``python -m airflow_provider_gong.testing --port 8080`` (in another process from Python:
:class:`airflow_provider_gong.testing.launch.EmulatorProcess`). pytest users can enable the fixtures with
``pytest_plugins = ["airflow_provider_gong.testing.pytest_plugin"]``.

Running it needs the ``emulator`` extra, ``pip install 'airflow-provider-gong[emulator]'`` (uvicorn, and
cryptography for the TLS certificates of :func:`airflow_provider_gong.testing.tls.make_self_signed`).
Importing this package is cheap (standard library only); uvicorn is imported when an emulator starts.
Nothing here imports Airflow.

Layout: :mod:`~airflow_provider_gong.testing.routes` is the route table (one row per Gong operation, with
its ``operationId`` and scopes), :mod:`~airflow_provider_gong.testing.resources` holds one module of
handlers per resource, :mod:`~airflow_provider_gong.testing.app` runs every call through the same steps
(faults, auth, scopes, rate limits, stats), :mod:`~airflow_provider_gong.testing.envelope` and
:mod:`~airflow_provider_gong.testing.inputs` build Gong's answers and check its inputs for any resource.
The data: :class:`~airflow_provider_gong.testing.users.UserDirectory` (users) and
:class:`~airflow_provider_gong.testing.calls.CallCatalog` (calls, listed and processed late on the
emulator's clock, ``EmulatorConfig.clock``).
"""

from __future__ import annotations

from airflow_provider_gong.testing.calls import CallCatalog
from airflow_provider_gong.testing.config import ConfigError, EmulatorConfig
from airflow_provider_gong.testing.server import GongEmulator
from airflow_provider_gong.testing.state import EmulatorStats
from airflow_provider_gong.testing.users import UserDirectory, generate_users

__all__ = [
    "CallCatalog",
    "ConfigError",
    "EmulatorConfig",
    "EmulatorStats",
    "GongEmulator",
    "UserDirectory",
    "generate_users",
]
