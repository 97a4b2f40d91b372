"""Harness of the Airflow 2 UI tests: a real ``airflow webserver`` (Flask, FAB login), driven in Chromium.

The Gong emulator, the temporary ``AIRFLOW_HOME``, the process handling and headless Chromium come from
``gong_ui_harness.py``; this module adds what Airflow 2's Flask UI needs: an admin user, the webserver,
and a page object for Admin -> Connections (FAB's model views: the add form with Select2, field
behaviours applied by ``connectionForm.js``, flash messages, and the form's Test button).

- ``GONG_UI_SERVER_TIMEOUT`` (seconds, default 240) bounds the wait for the webserver, as for the
  api-server.
- Screenshots go to ``artifacts/ui/flask-*.png``; ``docs/gong-connection-form-airflow-2.png`` follows the
  rule of the React form's screenshot (written when missing or when ``GONG_UI_UPDATE_DOCS=1``).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import requests
from gong_ui_harness import (
    REPO_ROOT,
    SERVER_TIMEOUT,
    WINDOW,
    Airflow,
    BrowserPage,
    FormField,
    ManagedProcess,
    _free_port,
    wait_for,
)

try:  # Only the browser tests need Selenium.
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
except ImportError:
    pass

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

DOCS_SCREENSHOT_FLASK = REPO_ROOT / "docs" / "gong-connection-form-airflow-2.png"

ADMIN_USER = "gong-ui-admin"
#: Long enough for FAB's password rules; never a Gong credential.
ADMIN_PASSWORD = "admin-Pw-" + secrets.token_hex(8)

#: The start of the warning Airflow 2's connection form greets with (in a message box of its own).
FORM_GREETING = "Warning: Fields that are currently populated"

_T = TypeVar("_T")


def create_admin(airflow: Airflow) -> None:
    """``airflow users create`` an Admin (FAB's auth manager, Airflow 2's default) to log in with."""
    airflow.cli_ok(
        "users",
        "create",
        "--username",
        ADMIN_USER,
        "--password",
        ADMIN_PASSWORD,
        "--role",
        "Admin",
        "--email",
        "gong-ui-admin@example.com",
        "--firstname",
        "Gong",
        "--lastname",
        "Tester",
    )


@dataclass
class Webserver:
    """A running ``airflow webserver`` (Airflow 2): ``url`` serves the Flask UI and the REST API."""

    url: str
    airflow: Airflow
    process: ManagedProcess


@contextlib.contextmanager
def running_webserver(airflow: Airflow) -> Iterator[Webserver]:
    """``airflow webserver`` (one gunicorn worker) on a free loopback port; waits until it is healthy."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(airflow.env)
    env.update(
        # One key for the run, so every gunicorn worker accepts the browser's session cookie.
        AIRFLOW__WEBSERVER__SECRET_KEY=secrets.token_hex(16),
        AIRFLOW__WEBSERVER__WORKERS="1",
        AIRFLOW__WEBSERVER__AUTH_RATE_LIMITED="False",
        AIRFLOW__WEBSERVER__WARN_DEPLOYMENT_EXPOSURE="False",
        # The Test button calls /api/v1/connections/test with the browser's session.
        AIRFLOW__API__AUTH_BACKENDS="airflow.api.auth.backend.session",
    )
    process = ManagedProcess(
        "airflow webserver",
        [airflow.executable, "webserver", "--hostname", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env,
        airflow.home / "webserver.log",
        airflow.home,
    )

    def healthy() -> bool:
        process.check_alive()
        health = requests.get(f"{url}/health", timeout=5)
        if health.status_code != 200 or health.json().get("metadatabase", {}).get("status") != "healthy":
            return False
        return requests.get(f"{url}/login/", timeout=30).status_code == 200

    try:
        wait_for(f"airflow webserver at {url}", healthy, SERVER_TIMEOUT, lambda: process.tail(80))
        yield Webserver(url=url, airflow=airflow, process=process)
    finally:
        process.stop()


@dataclass
class Alert:
    """A message box of the Flask UI (``kind`` from its last ``alert-*`` class: success, error, ...)."""

    kind: str
    text: str


class FlaskConnectionsPage(BrowserPage):
    """Admin -> Connections of Airflow 2's Flask UI, found by element ids, labels and button texts."""

    timeout_shot = "flask-timeout"

    def screenshot(self, name: str, element: WebElement | None = None) -> Path:
        """Save ``artifacts/ui/NAME.png`` of the window, or of one element (focus removed first)."""
        path = self.artifacts / f"{name}.png"
        self.driver.execute_script("document.activeElement && document.activeElement.blur()")
        if element is None:
            self.driver.execute_script("window.scrollTo(0, 0)")  # the message boxes are on top
            self.driver.save_screenshot(str(path))
            return path
        # An element is captured as far as the window shows it: make the window tall enough for it.
        bottom = int(element.location["y"]) + int(element.size["height"]) + 200
        self.driver.set_window_size(WINDOW[0], max(WINDOW[1], bottom))
        try:
            element.screenshot(str(path))
        finally:
            self.driver.set_window_size(*WINDOW)
        return path

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    # ----------------------------------------------------------------- login

    def login(self, username: str, password: str) -> None:
        """FAB's login page; waits until the UI shows the logged-in navigation."""
        self.driver.get(f"{self.base_url}/login/")
        self._until("the login form", self._visible(By.ID, "username")).send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "input[type='submit'], button[type='submit']").click()
        self._until("the page after login", lambda driver: "/login" not in driver.current_url)

    # ----------------------------------------------------------------- add form

    @property
    def form(self) -> WebElement:
        return self._until("the connection form", self._visible(By.ID, "model_form"))

    def open_add_form(self) -> None:
        """``/connection/add``: wait for the Connection Id input and the form's Test button."""
        self.driver.get(f"{self.base_url}/connection/add")
        self._until("the Connection Id input", self._visible(By.ID, "conn_id"))
        self._until("the Test button", self._visible(By.ID, "test-connection"))

    def open_edit_form(self, pk: str) -> None:
        """``/connection/edit/PK`` of a stored connection (``id`` of ``airflow connections get -o json``)."""
        self.driver.get(f"{self.base_url}/connection/edit/{pk}")
        self._until("the Connection Id input", self._visible(By.ID, "conn_id"))
        self._until("the Test button", self._visible(By.ID, "test-connection"))

    def choose_type(self, hook_name: str, conn_type: str) -> None:
        """Open the "Connection Type" Select2 box, type ``hook_name`` and pick the option named so."""
        select = self.driver.find_element(By.ID, "conn_type")
        box = self._until(
            "the Connection Type select",
            self._visible(By.CSS_SELECTOR, "[aria-labelledby='select2-conn_type-container']"),
        )
        box.click()
        search = self._until(
            "the Connection Type search box",
            self._visible(By.CSS_SELECTOR, ".select2-dropdown .select2-search__field"),
        )
        search.send_keys(hook_name)
        self._until(
            f"the {hook_name!r} option",
            self._visible(
                By.XPATH,
                f"//li[contains(@class, 'select2-results__option') and normalize-space()='{hook_name}']",
            ),
        ).click()
        self._until(
            f"the connection type {conn_type!r} to be chosen",
            lambda _driver: select.get_attribute("value") == conn_type,
        )

    def row_of(self, field_id: str) -> WebElement:
        """The form row (``tr``) of the input with id ``field_id``, whether shown or hidden."""
        element = self.driver.find_element(By.ID, field_id)
        return element.find_element(By.XPATH, "./ancestor::tr[1]")

    def is_shown(self, field_id: str) -> bool:
        """Whether the row of ``field_id`` is part of the form and displayed (not hidden by the type)."""
        found = self.form.find_elements(By.ID, field_id)
        return bool(found) and self.row_of(field_id).is_displayed()

    def field(self, field_id: str) -> FormField:
        """The label, type, placeholder and help text of the input with id ``field_id``."""
        element = self._until(f"the form input {field_id!r}", self._visible(By.ID, field_id))
        row = self.row_of(field_id)
        labels = row.find_elements(By.CSS_SELECTOR, f"label[for='{field_id}']")
        helper = row.find_elements(By.CSS_SELECTOR, ".help-block")
        return FormField(
            label=" ".join(str(labels[0].text).split()).rstrip(" *") if labels else "",
            input_type=element.get_attribute("type"),
            placeholder=str(element.get_attribute("placeholder") or ""),
            description=" ".join(str(helper[0].text).split()) if helper else "",
        )

    def value(self, field_id: str) -> str:
        return str(self.driver.find_element(By.ID, field_id).get_attribute("value") or "")

    def fill(self, field_id: str, value: str) -> None:
        """Replace the value of the input with id ``field_id``, as a user typing would."""
        element = self._until(f"the form input {field_id!r}", self._visible(By.ID, field_id))
        element.click()
        element.send_keys(Keys.CONTROL, "a")
        element.send_keys(Keys.DELETE)
        element.send_keys(value)
        self._until(
            f"{field_id!r} to hold the typed value",
            lambda _driver: element.get_attribute("value") == value,
        )

    def save(self) -> list[Alert]:
        """Click Save; return the message boxes of the page it leads to (the list, or the form again)."""
        form = self.form
        form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        self._until("the page after Save", ec.staleness_of(form))
        self._until(
            "the page after Save to load",
            lambda driver: driver.execute_script("return document.readyState") == "complete",
        )
        return self._alerts()

    def has_error(self, field_id: str) -> bool:
        """Whether the form came back with an error box (FAB's ``alert-danger``) in the row of ``field_id``.

        Airflow 2.11's ``connectionForm.js`` overwrites the text of every message box on the page with its
        "Warning: Fields that are currently populated..." greeting, field errors included, so only the box
        itself tells which field was refused.
        """
        return bool(self.row_of(field_id).find_elements(By.CSS_SELECTOR, ".alert-danger"))

    def test(self) -> Alert:
        """Click the form's Test button; return the message box that answers it."""
        before = {alert.text for alert in self._alerts()}
        self.driver.find_element(By.ID, "test-connection").click()
        return self._alert_after("the answer to the Test button", before)

    def _alerts(self) -> list[Alert]:
        found = []
        for element in self.driver.find_elements(By.CSS_SELECTOR, ".alert"):
            if not element.is_displayed():
                continue
            classes = str(element.get_attribute("class") or "").split()
            # connectionForm.js re-uses the box it greets with (alert-warning) and adds the answer's
            # class after it: the last alert-* class is the latest.
            kinds = [name[len("alert-") :] for name in classes if name.startswith("alert-")]
            kind = kinds[-1] if kinds else ""
            # Without the close button's multiplication sign.
            text = " ".join(str(element.text).replace("\u00d7", " ").split())
            found.append(Alert(kind=kind, text=text))
        return found

    def _alert_after(self, what: str, before: set[str]) -> Alert:
        def fresh(_driver: WebDriver) -> Alert | None:
            for alert in self._alerts():
                # The form greets with a warning about deleting field values; that is not an answer.
                if alert.text and alert.text not in before and not alert.text.startswith(FORM_GREETING):
                    return alert
            return None

        return self._until(what, fresh)
