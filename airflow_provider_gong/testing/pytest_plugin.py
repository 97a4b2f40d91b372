"""pytest fixtures for the Gong emulator.

Enable them in your root ``conftest.py``::

    pytest_plugins = ["airflow_provider_gong.testing.pytest_plugin"]

Fixtures:

``gong_emulator``
    A running :class:`GongEmulator` with fresh state for each test: settings from
    ``gong_emulator_config``, counters / rate-limit windows / fault RNG reset. One server is shared by the
    whole session (``gong_emulator_server``) to keep tests fast.
``gong_emulator_config``
    The settings each test starts with: defaults, but **rate limits off** so tests are fast, plus the
    fields of a ``@pytest.mark.gong_emulator(...)`` marker, e.g.
    ``@pytest.mark.gong_emulator(users=10, rate_per_second=3)``. Override the fixture to change the
    defaults of a whole directory.
``gong_emulator_server``
    The session-wide server behind ``gong_emulator`` (state not reset: prefer ``gong_emulator``).
``gong_emulator_connection``
    Points Airflow's ``gong_default`` connection at the emulator (sets ``AIRFLOW_CONN_GONG_DEFAULT`` to
    :meth:`GongEmulator.connection_json`) and returns the connection id.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_gong.testing.config import EmulatorConfig
from airflow_provider_gong.testing.server import GongEmulator

__all__ = [
    "gong_emulator",
    "gong_emulator_config",
    "gong_emulator_connection",
    "gong_emulator_server",
    "pytest_configure",
]

MARKER = "gong_emulator"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``gong_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**settings): EmulatorConfig fields applied to the gong_emulator fixture of this test",
    )


@pytest.fixture(scope="session")
def gong_emulator_server() -> Iterator[GongEmulator]:
    """One emulator for the whole session (rate limits off); ``gong_emulator`` resets it per test."""
    emulator = GongEmulator(EmulatorConfig(rate_per_second=None, rate_per_day=None))
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def gong_emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """Settings for this test's emulator: defaults with rate limits off, plus the marker's fields."""
    settings: dict[str, object] = {"rate_per_second": None, "rate_per_day": None}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        settings.update(marker.kwargs)
    return EmulatorConfig().updated(settings)


@pytest.fixture
def gong_emulator(
    gong_emulator_server: GongEmulator, gong_emulator_config: EmulatorConfig
) -> Iterator[GongEmulator]:
    """The session's emulator with this test's settings and fresh counters, limits and fault RNG."""
    gong_emulator_server.config = gong_emulator_config.copy()
    gong_emulator_server.reset()
    yield gong_emulator_server
    # Leave nothing pending for the next test (e.g. scripted answers or hang).
    gong_emulator_server.config = gong_emulator_config.copy()
    gong_emulator_server.reset()


@pytest.fixture
def gong_emulator_connection(gong_emulator: GongEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Set ``AIRFLOW_CONN_GONG_DEFAULT`` to the emulator (basic auth) and return ``"gong_default"``."""
    monkeypatch.setenv("AIRFLOW_CONN_GONG_DEFAULT", gong_emulator.connection_json())
    return "gong_default"
