"""Fixtures of the UI/CLI tests (the machinery is in ``gong_ui_harness.py`` and ``flask_ui_harness.py``).

Session-scoped, so the Gong emulator, ``airflow db migrate``, the api-server (Airflow 3) or the webserver
(Airflow 2) and Chromium start once, and only when a test that needs them runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask_ui_harness import Webserver, create_admin, running_webserver
from gong_ui_harness import (
    ARTIFACTS,
    Airflow,
    ApiServer,
    ConnectionsPage,
    Emulator,
    headless_chromium,
    migrated_airflow,
    running_api_server,
    running_emulator,
)

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver


@pytest.fixture(scope="session")
def gong_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The Gong emulator (a subprocess) with its default credentials."""
    with running_emulator(tmp_path_factory.mktemp("emulator")) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Airflow:
    """A temporary Airflow home with a migrated SQLite database, and its ``airflow`` CLI."""
    return migrated_airflow(tmp_path_factory.mktemp("airflow_home"))


@pytest.fixture(scope="session")
def api_server(airflow: Airflow) -> Iterator[ApiServer]:
    """``airflow api-server`` of that home (all users admins, Test Connection enabled)."""
    with running_api_server(airflow) as server:
        yield server


@pytest.fixture(scope="session")
def webserver(airflow: Airflow) -> Iterator[Webserver]:
    """Airflow 2's ``airflow webserver`` of that home (Flask UI), with an admin user to log in with."""
    create_admin(airflow)
    with running_webserver(airflow) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium; skipped when missing, unless ``CI`` is set (then the tests fail)."""
    with headless_chromium() as driver:
        yield driver


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``artifacts/ui/`` of the repository, for screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def connections_page(browser: WebDriver, api_server: ApiServer, artifacts_dir: Path) -> ConnectionsPage:
    """Admin -> Connections of the running api-server, in the shared headless browser."""
    return ConnectionsPage(browser, api_server.url, artifacts_dir)
