"""Harness of the UI/CLI tests: the Gong emulator, a real ``airflow api-server``, headless Chromium.

Everything runs on loopback, in a temporary ``AIRFLOW_HOME`` (SQLite), and is stopped at the end (process
groups are killed, so no uvicorn worker outlives the run). ``conftest.py`` turns these into fixtures.

- Without Chromium (or Selenium) the browser tests are skipped, unless ``CI`` is set: then they fail.
- Screenshots go to ``artifacts/ui/``. ``docs/gong-connection-form.png`` is written when it is missing or
  when ``GONG_UI_UPDATE_DOCS=1``, so a normal run leaves the committed file alone.
- ``GONG_UI_SERVER_TIMEOUT`` (seconds, default 240) bounds the wait for the api-server; ``CHROMIUM_BIN``
  and ``CHROMEDRIVER_BIN`` point at another browser/driver pair than the ones on ``PATH``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import pytest
import requests

from airflow_provider_gong.testing.launch import EmulatorProcess
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS

try:  # Only the browser tests need Selenium; the CLI tests run without it.
    from selenium import webdriver
    from selenium.common.exceptions import ElementClickInterceptedException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    webdriver = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts" / "ui"
DOCS_SCREENSHOT = REPO_ROOT / "docs" / "gong-connection-form.png"

EMULATOR_ACCESS_KEY = "emulator-access-key"
EMULATOR_SECRET = "emulator-access-key-secret"
EMULATOR_TOKEN = "emulator-oauth-token"
EMULATOR_USERS = 42

SERVER_TIMEOUT = float(os.environ.get("GONG_UI_SERVER_TIMEOUT", "240"))
UI_TIMEOUT = 30.0
WINDOW = (1280, 1400)
_T = TypeVar("_T")


class UiTimeoutError(Exception):
    """The page did not reach an expected state in time (not an AssertionError, so xfail cannot hide it)."""


def in_ci() -> bool:
    """Whether this run is CI (``CI`` set to something true), where the UI tests must not be skipped."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    """Skip a test for a missing tool, or fail it on CI, where the UI tests must run."""
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so the UI tests must run (install it, see .ci/run)")
    pytest.skip(reason)


def basic_value(login: str, secret: str) -> str:
    """The base64 part of ``Authorization: Basic ...`` for ``login:secret`` (must never be shown)."""
    return base64.b64encode(f"{login}:{secret}".encode()).decode("ascii")


def _airflow_executable() -> str:
    beside_python = Path(sys.executable).with_name("airflow")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("airflow")
    if found is None:
        pytest.fail("the 'airflow' command was found neither next to this Python nor on PATH")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as err:
        return f"(no log: {err})"
    return "\n".join(text.splitlines()[-lines:])


def _no_proxy(env: dict[str, str]) -> None:
    """Keep loopback traffic (emulator, api-server) away from any proxy configured in the environment."""
    for name in ("NO_PROXY", "no_proxy"):
        current = [part for part in env.get(name, "").split(",") if part]
        env[name] = ",".join([*current, "127.0.0.1", "localhost", "::1"])


class ManagedProcess:
    """A subprocess in its own session, logging to a file, stopped by killing its whole process group."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], log_path: Path, cwd: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            args,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise RuntimeError(
                f"{self.name} exited with status {code} while starting; log tail:\n{self.tail()}"
            )

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after 20 s."""
        try:
            pgid = os.getpgid(self.process.pid)
        except ProcessLookupError:
            pgid = None
        if pgid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
            # uvicorn workers may outlive the parent for a moment: the group goes, whatever is left.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._log.close()


def wait_for(what: str, check: Callable[[], _T | None], timeout: float, on_timeout: Callable[[], str]) -> _T:
    """Poll ``check`` until it returns a truthy value, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except (requests.RequestException, OSError) as err:
            last_error, result = err, None
        if result:
            return result
        time.sleep(0.25)
    raise RuntimeError(
        f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error!r}); "
        f"details:\n{on_timeout()}"
    )


# --------------------------------------------------------------------------------------- Gong emulator


#: The emulator subprocess (``url`` is its base URL, ``http://127.0.0.1:<port>``; ``port`` its port).
Emulator = EmulatorProcess


@contextlib.contextmanager
def running_emulator(workdir: Path) -> Iterator[Emulator]:
    """``python -m airflow_provider_gong.testing`` on a free loopback port, with default credentials."""
    if not (REPO_ROOT / "airflow_provider_gong" / "testing" / "__main__.py").exists():
        pytest.fail("the Gong emulator (airflow_provider_gong/testing/__main__.py) is missing")
    env = dict(os.environ)
    _no_proxy(env)
    args = [
        "--users",
        str(EMULATOR_USERS),
        "--avatar-share",
        "0",
        # Three processes call it (pytest, the api-server, the CLI); Gong's pace is not under test here.
        "--rate-per-second",
        "none",
    ]
    with EmulatorProcess.start(args, env=env, cwd=REPO_ROOT, log=workdir / "emulator.log") as emulator:
        yield emulator


# --------------------------------------------------------------------------------------- Airflow


def assert_no_secret_shown(wrong_secret: str, *texts: str) -> None:
    """No secret of the test (the emulator's, a wrong one, either ``Basic`` value) in any of ``texts``."""
    for secret in (
        wrong_secret,
        basic_value(EMULATOR_ACCESS_KEY, wrong_secret),
        EMULATOR_SECRET,
        basic_value(EMULATOR_ACCESS_KEY, EMULATOR_SECRET),
    ):
        for text in texts:
            assert secret not in text


#: The standard fields of the Gong form, as both UIs show them: the input's name (React) or id (Flask):
#: (label, placeholder, input type).
STANDARD_FIELDS = {
    "host": ("Gong API base URL", "https://us-12345.api.gong.io", "text"),
    "login": ("Access key", "Access key from Gong > Company settings > API", "text"),
    "password": (
        "Access key secret",
        "Access key secret (leave empty for an OAuth app or token)",
        "password",
    ),
}


@dataclass
class Airflow:
    """A temporary Airflow installation: its environment and the ``airflow`` CLI bound to it."""

    home: Path
    env: dict[str, str]
    executable: str

    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run ``airflow ARGS`` in this installation; never raises on a non-zero exit status."""
        return subprocess.run(
            [self.executable, *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def cli_ok(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run ``airflow ARGS`` and fail the test, with its output, unless it exits 0."""
        result = self.cli(*args, timeout=timeout)
        if result.returncode != 0:
            pytest.fail(
                f"airflow {' '.join(args[:2])} exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
            )
        return result

    def connection_json(self, conn_id: str) -> dict[str, Any]:
        """``airflow connections get CONN_ID -o json``: the stored connection, secrets in clear."""
        result = self.cli_ok("connections", "get", conn_id, "-o", "json")
        try:
            rows = json.loads(result.stdout)
        except json.JSONDecodeError:  # Airflow 3.0 and 3.2 log alembic's INFO lines to stdout before it
            rows = json.loads([line for line in result.stdout.splitlines() if line.startswith("[")][-1])
        assert len(rows) == 1, rows
        return dict(rows[0])


def airflow_env(home: Path) -> dict[str, str]:
    """The developer's environment without Airflow settings of its own, plus this installation's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "AIRFLOW_HOME"))
    }
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        # Rich wraps the CLI's output at the terminal width; keep messages on one line.
        COLUMNS="500",
        PYTHONUNBUFFERED="1",
    )
    if AIRFLOW_V_3_0_PLUS:  # Airflow 2 has no simple auth manager: its webserver keeps FAB's login.
        env.update(
            AIRFLOW__CORE__AUTH_MANAGER=(
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        )
    _no_proxy(env)
    return env


def migrated_airflow(home: Path) -> Airflow:
    """An Airflow installation in ``home`` with a migrated SQLite database (``airflow db migrate``)."""
    (home / "dags").mkdir(exist_ok=True)
    installation = Airflow(home=home, env=airflow_env(home), executable=_airflow_executable())
    installation.cli_ok("db", "migrate", timeout=300)
    return installation


@dataclass
class ApiServer:
    """A running ``airflow api-server``: ``url`` serves the React UI and the REST API."""

    url: str
    airflow: Airflow
    process: ManagedProcess

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the api-server (all users are admins, so no token is needed)."""
        return requests.request(method, self.url + path, timeout=60, **kwargs)

    def create_connection(self, body: Mapping[str, Any]) -> None:
        """``POST /api/v2/connections``, replacing a connection of the same id."""
        self.api("DELETE", f"/api/v2/connections/{body['connection_id']}")
        answer = self.api("POST", "/api/v2/connections", json=dict(body))
        assert answer.status_code == 201, answer.text

    def get_connection(self, conn_id: str) -> dict[str, Any]:
        """``GET /api/v2/connections/CONN_ID`` (the password comes back masked)."""
        answer = self.api("GET", f"/api/v2/connections/{conn_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@contextlib.contextmanager
def running_api_server(airflow: Airflow) -> Iterator[ApiServer]:
    """``airflow api-server`` on a free loopback port; waits (bounded) until it is healthy."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = ManagedProcess(
        "airflow api-server",
        [airflow.executable, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        airflow.env,
        airflow.home / "api-server.log",
        airflow.home,
    )

    def healthy() -> bool:
        process.check_alive()
        health = requests.get(f"{url}/api/v2/monitor/health", timeout=5)
        if health.status_code != 200 or health.json().get("metadatabase", {}).get("status") != "healthy":
            return False
        # The provider must be known to the server, not only to this process.
        meta = requests.get(f"{url}/ui/connections/hook_meta", timeout=30)
        return meta.status_code == 200 and any(item.get("connection_type") == "gong" for item in meta.json())

    try:
        wait_for(f"airflow api-server at {url}", healthy, SERVER_TIMEOUT, lambda: process.tail(80))
        yield ApiServer(url=url, airflow=airflow, process=process)
    finally:
        process.stop()


# --------------------------------------------------------------------------------------- browser


def _browser_paths() -> tuple[str, str] | None:
    browser = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver")
    if browser and driver and Path(browser).exists() and Path(driver).exists():
        return browser, driver
    return None


@contextlib.contextmanager
def headless_chromium() -> Iterator[WebDriver]:
    """Headless Chromium through the system chromedriver (Selenium Manager never downloads anything)."""
    if webdriver is None:
        unavailable("selenium is not installed (pip install selenium)")
    paths = _browser_paths()
    if paths is None:
        unavailable("chromium and chromedriver not found (apt-get install chromium chromium-driver)")
    chromium, chromedriver = paths
    os.environ.setdefault("SE_OFFLINE", "true")
    profile = tempfile.mkdtemp(prefix="gong-ui-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--no-proxy-server",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--force-device-scale-factor=1",
        "--lang=en-US",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class FormField:
    """One field of the connection form as a user sees it."""

    label: str
    input_type: str | None
    placeholder: str
    description: str


@dataclass
class Toast:
    """A notification of the UI (``kind`` is ``success`` or ``error``)."""

    kind: str
    title: str
    description: str


class BrowserPage:
    """
    A page of an Airflow UI in the browser: waits that end in a screenshot, visibility checks.

    :param driver: The browser.
    :param base_url: The UI's address.
    :param artifacts: Where screenshots go.
    """

    #: The screenshot a timed-out wait saves.
    timeout_shot = "timeout"

    def __init__(self, driver: WebDriver, base_url: str, artifacts: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.artifacts = artifacts
        self.wait = WebDriverWait(driver, UI_TIMEOUT)

    def _until(self, what: str, check: Callable[[WebDriver], _T]) -> _T:
        try:
            return self.wait.until(check)
        except TimeoutException:
            shot = self.screenshot(self.timeout_shot)
            message = f"timed out after {UI_TIMEOUT:.0f} s waiting for {what}; see {shot}"
            raise UiTimeoutError(message) from None

    def _visible(self, by: str, selector: str) -> Callable[[WebDriver], WebElement | None]:
        def check(driver: WebDriver) -> WebElement | None:
            for element in driver.find_elements(by, selector):
                if element.is_displayed():
                    return element
            return None

        return check

    def screenshot(self, name: str, element: WebElement | None = None) -> Path:
        raise NotImplementedError


class ConnectionsPage(BrowserPage):
    """Admin -> Connections of Airflow's React UI, found by labels, names, roles and ``data-testid``."""

    def screenshot(self, name: str, element: WebElement | None = None) -> Path:
        """Save ``artifacts/ui/NAME.png`` of the window, or of one element (focus removed first)."""
        path = self.artifacts / f"{name}.png"
        self.driver.execute_script("document.activeElement && document.activeElement.blur()")
        if element is None:
            self.driver.save_screenshot(str(path))
        else:
            element.screenshot(str(path))
        return path

    @property
    def dialog(self) -> WebElement:

        return self._until("the connection dialog", self._visible(By.CSS_SELECTOR, "[role='dialog']"))

    def text(self) -> str:

        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    # ----------------------------------------------------------------- list

    def open(self) -> None:
        """Load the connection list and wait for its "Add Connection" button."""

        self.driver.get(f"{self.base_url}/connections")
        self._until(
            "the Add Connection button",
            self._visible(By.XPATH, "//button[normalize-space()='Add Connection']"),
        )

    def row(self, conn_id: str) -> WebElement:

        xpath = (
            f"//td[@data-testid='table-cell-connection_id' and normalize-space()='{conn_id}']/ancestor::tr[1]"
        )
        return self._until(f"the row of connection {conn_id!r}", self._visible(By.XPATH, xpath))

    def test_connection(self, conn_id: str) -> Toast:
        """Click the row's "Test Connection" button; return the notification that answers it."""

        toast_roots = "[data-scope='toast'][data-part='root']"
        before = {
            element.get_attribute("id") for element in self.driver.find_elements(By.CSS_SELECTOR, toast_roots)
        }
        self.row(conn_id).find_element(By.CSS_SELECTOR, "button[aria-label='Test Connection']").click()

        def new_toast(driver: WebDriver) -> WebElement | None:
            for element in driver.find_elements(By.CSS_SELECTOR, toast_roots):
                if element.get_attribute("id") not in before and element.get_attribute("data-type"):
                    return element
            return None

        toast = self._until(f"the answer to Test Connection of {conn_id!r}", new_toast)

        def text_of(part: str) -> str:
            # textContent, not .text: a toast still fading in has no *visible* text yet.
            found = toast.find_elements(By.CSS_SELECTOR, f"[data-part='{part}']")
            return " ".join(str(found[0].get_attribute("textContent") or "").split()) if found else ""

        self._until("the toast's title", lambda _driver: text_of("title"))
        return Toast(
            kind=str(toast.get_attribute("data-type")),
            title=text_of("title"),
            description=text_of("description"),
        )

    # ----------------------------------------------------------------- add form

    def open_add_form(self) -> None:

        self.open()
        self.driver.find_element(By.XPATH, "//button[normalize-space()='Add Connection']").click()
        self._until("the Connection ID input", self._visible(By.NAME, "connection_id"))

    def choose_type(self, hook_name: str) -> None:
        """Type into the "Connection Type" select and pick the option named exactly ``hook_name``."""

        combobox = self.dialog.find_element(By.CSS_SELECTOR, "input[role='combobox']")
        combobox.click()
        combobox.send_keys(hook_name)
        option = self._until(
            f"the {hook_name!r} connection type option",
            self._visible(By.XPATH, f"//*[@role='option' and normalize-space()='{hook_name}']"),
        )
        option.click()
        self._until("the standard fields of the form", self._visible(By.NAME, "host"))

    def open_section(self, title: str) -> None:
        """Expand one accordion section of the form ("Standard Fields", "Extra Fields", ...)."""

        trigger = self.dialog.find_element(
            By.XPATH, f".//button[@data-part='item-trigger' and normalize-space()='{title}']"
        )
        if trigger.get_attribute("aria-expanded") != "true":
            trigger.click()
        self._until(
            f"the {title!r} section to open",
            lambda _driver: trigger.get_attribute("aria-expanded") == "true",
        )
        content_id = trigger.get_attribute("aria-controls")
        content = self._until(f"the {title!r} section content", self._visible(By.ID, str(content_id)))
        self._settled(f"the {title!r} section", content)

    def _settled(self, what: str, element: WebElement) -> None:
        """Wait until ``element`` stops moving (the accordion animates its height when it opens)."""
        last: list[dict[str, Any]] = []

        def still(_driver: WebDriver) -> bool:
            rect = dict(element.rect)
            steady = bool(last) and last[-1] == rect
            last.append(rect)
            return steady

        self._until(f"{what} to stop moving", still)

    def input(self, name: str) -> WebElement:

        return self._until(f"the form input {name!r}", self._visible(By.NAME, name))

    def inputs_named(self, name: str) -> list[WebElement]:

        return list(self.dialog.find_elements(By.NAME, name))

    def labels(self) -> list[str]:

        return [str(label.text).strip() for label in self.dialog.find_elements(By.TAG_NAME, "label")]

    def field(self, name: str) -> FormField:
        """The label, type, placeholder and help text of the input named ``name``."""

        element = self.input(name)
        root = element.find_element(By.XPATH, "./ancestor::*[@data-scope='field' and @data-part='root'][1]")
        label = root.find_element(By.TAG_NAME, "label").text
        helper = root.find_elements(By.CSS_SELECTOR, "[data-part='helper-text']")
        return FormField(
            label=str(label).strip(),
            input_type=element.get_attribute("type"),
            placeholder=str(element.get_attribute("placeholder") or ""),
            description=str(helper[0].text).strip() if helper else "",
        )

    def fill(self, name: str, value: str) -> None:
        """Replace the value of the input named ``name``, as a user typing would."""

        element = self.input(name)

        def clicked(_driver: WebDriver) -> bool:
            try:
                element.click()
            except ElementClickInterceptedException:  # still sliding into place
                return False
            return True

        self._until(f"{name!r} to take a click", clicked)
        # A number input re-renders on every keystroke; on a busy machine a "." typed mid-render can be
        # lost ("15" for "1.5"): type it again, a few times, before waiting for the value for good.
        for _attempt in range(3):
            element.send_keys(Keys.CONTROL, "a")
            element.send_keys(Keys.DELETE)
            element.send_keys(value)
            try:
                WebDriverWait(self.driver, 3).until(lambda _driver: element.get_attribute("value") == value)
            except TimeoutException:
                continue
            break
        self._until(
            f"{name!r} to hold the typed value",
            lambda _driver: element.get_attribute("value") == value,
        )

    def extra_json(self) -> str:
        """The text of the "Extra Fields JSON" editor (open that section first).

        Monaco renders only the lines in view, and the editor shows about ten: it is made taller first
        (it lays itself out again on a resize), so the rendered lines are the whole text.
        """

        lines = self.dialog.find_elements(By.CSS_SELECTOR, ".view-lines")
        if not lines:
            return ""
        self.driver.execute_script(
            "let box = arguments[0].closest('.monaco-editor');"
            "for (let i = 0; box && i < 3; i++, box = box.parentElement) { box.style.height = '640px'; }",
            lines[0],
        )

        def whole(_driver: WebDriver) -> str | None:
            text = str(lines[0].text)
            try:
                json.loads(text)
            except ValueError:
                return None
            return text

        try:
            return WebDriverWait(self.driver, 10).until(whole)
        except TimeoutException:
            return str(lines[0].text)  # what is in view: the caller's json.loads names the problem

    def save(self) -> None:
        """Click Save and wait for the dialog to close."""

        dialog = self.dialog
        dialog.find_element(By.XPATH, ".//footer//button[normalize-space()='Save']").click()
        self._until("the dialog to close after Save", ec.staleness_of(dialog))

    def close_dialog(self) -> None:

        dialog = self.dialog
        dialog.find_element(By.CSS_SELECTOR, "button[aria-label='Close']").click()
        self._until("the dialog to close", ec.staleness_of(dialog))

    def side_by_side(self, name: str, shots: list[Path]) -> Path:
        """Render screenshots next to each other in the browser itself and save that as one PNG."""

        images = "".join(
            f'<img src="data:image/png;base64,{base64.b64encode(shot.read_bytes()).decode()}">'
            for shot in shots
        )
        page = (
            "<!doctype html><html><body style='margin:0;background:#fff'>"
            "<div id='shots' style='display:inline-flex;gap:24px;padding:16px;align-items:flex-start'>"
            f"{images}"
            "</div></body></html>"
        )
        self.driver.get("data:text/html;base64," + base64.b64encode(page.encode()).decode())
        box = self._until("the composed screenshot", self._visible(By.ID, "shots"))
        size = box.size
        self.driver.set_window_size(int(size["width"]) + 40, int(size["height"]) + 200)
        try:
            return self.screenshot(
                name, self._until("the composed screenshot", self._visible(By.ID, "shots"))
            )
        finally:
            self.driver.set_window_size(*WINDOW)
