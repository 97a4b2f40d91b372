"""A local emulator of Gong's users API, for tests, demos and benchmarks.

Start one in-process::

    from airflow_provider_gong.testing import EmulatorConfig, GongEmulator

    with GongEmulator(EmulatorConfig(users=250)) as gong:
        print(gong.url, gong.connection_json())

or from a shell: ``python -m airflow_provider_gong.testing --port 8080``. pytest users can enable the
fixtures with ``pytest_plugins = ["airflow_provider_gong.testing.pytest_plugin"]``.

Importing this package is cheap (standard library only); uvicorn is imported when an emulator starts.
Nothing here imports Airflow.
"""

from __future__ import annotations

from airflow_provider_gong.testing.config import ConfigError, EmulatorConfig
from airflow_provider_gong.testing.server import GongEmulator
from airflow_provider_gong.testing.state import EmulatorStats
from airflow_provider_gong.testing.users import UserDirectory, generate_users

__all__ = [
    "ConfigError",
    "EmulatorConfig",
    "EmulatorStats",
    "GongEmulator",
    "UserDirectory",
    "generate_users",
]
