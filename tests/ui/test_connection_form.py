"""The Gong connection in Airflow's own api-server and React UI, driven in headless Chromium.

Covers: the connection type's form (labels, placeholders, hidden fields, extra fields with their help),
a round trip of the form's values into the stored connection and back out through ``GongHook`` to the
Gong emulator, and the Test Connection button's answers (success; failure with Gong's requestId and no
secret on the page).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from gong_ui_harness import (
    DOCS_SCREENSHOT,
    EMULATOR_ACCESS_KEY,
    EMULATOR_SECRET,
    EMULATOR_USERS,
    STANDARD_FIELDS,
    WINDOW,
    ApiServer,
    ConnectionsPage,
    Emulator,
    assert_no_secret_shown,
)

from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.version_compat import AIRFLOW_VERSION

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(
        AIRFLOW_VERSION < (3, 2, 0),
        reason=f"Airflow {'.'.join(map(str, AIRFLOW_VERSION))}: the React UI reads conn-fields from the "
        "provider info only since 3.2 (Airflow 2's Flask form is tested in test_connection_form_flask.py)",
    ),
]

WRONG_SECRET = "wrong-secret-Zq7x93LmPw"
FORM_CONN_ID = "gong_ui_form"

EXTRA_FIELDS = {
    # input name: (label, start of the description, input type)
    "element_client_id": ("OAuth client id", "Client id of a Gong OAuth app", "text"),
    "element_client_secret": ("OAuth client secret", "Client secret of the Gong OAuth app", "password"),
    "element_refresh_token": ("OAuth refresh token", "The first refresh token of the app's", "password"),
    "element_access_token": ("OAuth access token", "Bearer token of a Gong OAuth app", "password"),
    "element_token_url": ("OAuth token URL", "Gong's token endpoint", "text"),
    "element_timeout": ("Timeout (seconds)", "How long to wait for Gong", "text"),
    "element_max_retries": ("Max retries", "Retries of a call that failed", "text"),
    "element_calls_per_second": ("Calls per second", "Client-side pace, shared by the threads", "text"),
    "element_shared_state_url": ("Shared state URL (Redis)", "redis:// or rediss:// URL", "password"),
    "element_calls_per_day": ("Calls per day", "The company's daily budget", "text"),
}


def _airflow_has_port_fix() -> bool:
    """Whether this Airflow accepts the UI's ``port: 0`` for a connection stored without a port.

    Airflow 3.3.2's list-row Test button sends ``port: Number(null) == 0``, and its api-server then answers
    400 "The host or port to test differs from the stored connection" for every connection without a
    port. apache/airflow#73298 (merged upstream, not in 3.3.2) normalises 0 like a blank port.
    """
    try:
        from airflow.api_fastapi.core_api.routes.public import connections

        return bool(connections._same_endpoint(0, None))
    except (ImportError, AttributeError):  # reworked since: expect the journey to work
        return True


def _hook_from(connection: dict[str, Any], monkeypatch: pytest.MonkeyPatch, conn_id: str) -> GongHook:
    """A GongHook reading ``connection`` (as ``airflow connections get -o json`` printed it) from the env."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", connection["get_uri"])
    return GongHook(conn_id)


def test_hook_meta_describes_the_gong_form(api_server: ApiServer) -> None:
    """What the React UI is told about the ``gong`` type (``GET /ui/connections/hook_meta``)."""
    answer = api_server.api("GET", "/ui/connections/hook_meta")
    assert answer.status_code == 200, answer.text
    gong = [item for item in answer.json() if item["connection_type"] == "gong"]
    assert len(gong) == 1, [item["connection_type"] for item in answer.json()]
    meta = gong[0]
    assert meta["hook_name"] == "Gong"
    assert meta["hook_class_name"] == "airflow_provider_gong.hooks.gong.GongHook"
    standard = meta["standard_fields"]
    assert standard["port"]["hidden"] is True
    assert standard["url_schema"]["hidden"] is True
    for field, (label, placeholder, _kind) in STANDARD_FIELDS.items():
        assert standard[field]["hidden"] is False
        assert (standard[field]["title"], standard[field]["placeholder"]) == (label, placeholder)
    extras = meta["extra_fields"]
    assert set(extras) == {
        "client_id",
        "client_secret",
        "refresh_token",
        "access_token",
        "token_url",
        "timeout",
        "max_retries",
        "calls_per_second",
        "shared_state_url",
        "calls_per_day",
    }
    for name in ("client_secret", "refresh_token", "access_token", "shared_state_url"):
        assert extras[name]["schema"]["format"] == "password", name
    for name in ("client_id", "token_url"):
        assert "format" not in extras[name]["schema"], name


def test_add_form_shows_the_gong_fields(connections_page: ConnectionsPage) -> None:
    """Admin -> Connections -> Add: "Gong" is offered, and its form is the relabelled one."""
    page = connections_page
    page.open_add_form()
    page.choose_type("Gong")

    page.open_section("Standard Fields")
    for name, (label, placeholder, kind) in STANDARD_FIELDS.items():
        field = page.field(name)
        assert (field.label, field.placeholder, field.input_type) == (label, placeholder, kind), name
    labels = page.labels()
    assert "Port" not in labels
    assert "Schema" not in labels
    assert "Host" not in labels
    assert "Login" not in labels
    assert page.inputs_named("port") == []
    assert page.inputs_named("schema") == []

    page.open_section("Extra Fields")
    for name, (label, description, kind) in EXTRA_FIELDS.items():
        field = page.field(name)
        assert field.label == label, name
        assert field.description.startswith(description), (name, field.description)
        # Airflow 3.2's React UI renders every extra field as text: ``"format": "password"`` (a masked input)
        # arrived in 3.3. The README's compatibility table says so.
        expected = "text" if kind == "password" and AIRFLOW_VERSION < (3, 3, 0) else kind
        assert field.input_type == expected, name
    assert page.input("element_calls_per_second").get_attribute("value") == "3"

    # A filled form with example values, for the README (the real round trip is the next test).
    page.fill("connection_id", "gong_default")
    page.open_section("Standard Fields")
    page.fill("host", "https://us-12345.api.gong.io")
    page.fill("login", "EXAMPLEACCESSKEY7Q2M")
    page.fill("password", "example-secret-not-real")
    standard = page.screenshot("form-example-standard-fields", page.dialog)
    page.open_section("Extra Fields")
    page.fill("element_timeout", "30")
    page.fill("element_max_retries", "5")
    # The OAuth app's fields make the Extra Fields taller than the window: a taller one shows them all.
    page.driver.set_window_size(WINDOW[0], 2400)
    try:
        extra = page.screenshot("form-example-extra-fields", page.dialog)
    finally:
        page.driver.set_window_size(*WINDOW)
    page.close_dialog()
    composed = page.side_by_side("form-example", [standard, extra])
    if not DOCS_SCREENSHOT.exists() or os.environ.get("GONG_UI_UPDATE_DOCS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(composed, DOCS_SCREENSHOT)


@pytest.fixture(scope="module")
def form_connection(browser: Any, api_server: ApiServer, gong_emulator: Emulator, artifacts_dir: Path) -> str:
    """A Gong connection added through the UI form, pointing at the emulator; returns its id."""
    page = ConnectionsPage(browser, api_server.url, artifacts_dir)
    api_server.api("DELETE", f"/api/v2/connections/{FORM_CONN_ID}")
    page.open_add_form()
    page.fill("connection_id", FORM_CONN_ID)
    page.choose_type("Gong")
    page.open_section("Standard Fields")
    page.fill("host", gong_emulator.url)
    page.fill("login", EMULATOR_ACCESS_KEY)
    page.fill("password", EMULATOR_SECRET)
    page.screenshot("form-filled-standard-fields", page.dialog)
    page.open_section("Extra Fields")
    page.fill("element_timeout", "12.5")
    page.fill("element_max_retries", "2")
    page.fill("element_calls_per_second", "1.5")
    page.screenshot("form-filled-extra-fields", page.dialog)
    page.open_section("Extra Fields JSON")
    editor = page.extra_json()
    page.screenshot("form-filled-extra-json", page.dialog)
    assert json.loads(editor) == {
        "client_id": None,
        "client_secret": None,
        "refresh_token": None,
        "access_token": None,
        "token_url": None,
        "timeout": 12.5,
        "max_retries": 2,
        "calls_per_second": 1.5,
        "shared_state_url": None,
        "calls_per_day": 10000,  # the schema's default, prefilled by the form
    }, editor
    page.save()
    page.row(FORM_CONN_ID)
    page.screenshot("connection-list-after-save")
    return FORM_CONN_ID


def test_form_values_reach_the_hook(
    form_connection: str, api_server: ApiServer, gong_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored extras are bare names with JSON numbers, and GongHook reads them and calls Gong."""
    stored = api_server.get_connection(form_connection)
    assert stored["conn_type"] == "gong"
    assert stored["host"] == gong_emulator.url
    assert stored["login"] == EMULATOR_ACCESS_KEY
    assert stored["password"] == "***"
    assert stored["port"] is None
    assert stored["schema"] is None
    # The React UI stores extras under their bare names, numbers as JSON numbers, and an untouched
    # secret extra as null (not "extra__gong__timeout", not numeric strings).
    assert json.loads(stored["extra"]) == {
        "client_id": None,
        "client_secret": None,
        "refresh_token": None,
        "access_token": None,
        "token_url": None,
        "timeout": 12.5,
        "max_retries": 2,
        "calls_per_second": 1.5,
        "shared_state_url": None,
        "calls_per_day": 10000,  # the schema's default, prefilled by the form
    }

    # Through a URI, as the api-server's Test button hands it to the hook.
    full = api_server.airflow.connection_json(form_connection)
    assert full["password"] == EMULATOR_SECRET
    hook = _hook_from(full, monkeypatch, "gong_ui_round_trip")
    settings = hook.settings
    assert settings.base_url == gong_emulator.url
    assert settings.auth_mode == "basic"
    assert settings.timeout == 12.5
    assert settings.max_retries == 2
    assert settings.calls_per_second == 1.5
    try:
        users = hook.get_users()
        ok, message = hook.test_connection()
    finally:
        hook.close()
    assert len(users) == EMULATOR_USERS
    assert ok, message
    assert f"{EMULATOR_USERS} users visible" in message


def test_hook_accepts_prefixed_and_string_extras(
    gong_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extras as older UIs or URIs store them (``extra__gong__`` prefix, numeric strings) read the same."""
    conn = {
        "conn_type": "gong",
        "host": gong_emulator.url,
        "login": EMULATOR_ACCESS_KEY,
        "password": EMULATOR_SECRET,
        "extra": {
            "extra__gong__timeout": "12.5",
            "extra__gong__max_retries": "2",
            "calls_per_second": "1.5",
            "extra__gong__access_token": "",
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_GONG_UI_PREFIXED", json.dumps(conn))
    hook = GongHook("gong_ui_prefixed")
    try:
        settings = hook.settings
        ok, message = hook.test_connection()
    finally:
        hook.close()
    assert (settings.timeout, settings.max_retries, settings.calls_per_second) == (12.5, 2, 1.5)
    assert settings.auth_mode == "basic"
    assert ok, message


def _connection_with_port(conn_id: str, emulator: Emulator, secret: str) -> dict[str, Any]:
    """A Gong connection whose port is stored (host without it); see ``_airflow_has_port_fix``."""
    return {
        "connection_id": conn_id,
        "conn_type": "gong",
        "host": "http://127.0.0.1",
        "port": emulator.port,
        "login": EMULATOR_ACCESS_KEY,
        "password": secret,
        "extra": json.dumps({"timeout": 10, "max_retries": 0, "calls_per_second": 0}),
    }


def test_test_button_reports_success(
    connections_page: ConnectionsPage, api_server: ApiServer, gong_emulator: Emulator
) -> None:
    """The Test Connection button answers "Test Connection Successful" with the hook's message."""
    api_server.create_connection(_connection_with_port("gong_ui_test_ok", gong_emulator, EMULATOR_SECRET))
    page = connections_page
    page.open()
    toast = page.test_connection("gong_ui_test_ok")
    page.screenshot("test-button-success")
    assert (toast.kind, toast.title) == ("success", "Test Connection Successful"), toast
    assert toast.description == (
        f"Connected to Gong at {gong_emulator.url} with basic auth; {EMULATOR_USERS} users visible"
    )


def test_test_button_reports_failure_with_request_id_and_no_secret(
    connections_page: ConnectionsPage, api_server: ApiServer, gong_emulator: Emulator
) -> None:
    """A wrong secret: "Test Connection Failed", Gong's 401 with its requestId, and no secret anywhere."""
    api_server.create_connection(_connection_with_port("gong_ui_test_bad", gong_emulator, WRONG_SECRET))
    page = connections_page
    page.open()
    toast = page.test_connection("gong_ui_test_bad")
    page.screenshot("test-button-failure")
    source, text = page.driver.page_source, page.text()
    assert (toast.kind, toast.title) == ("error", "Test Connection Failed"), toast
    assert "Gong API 401 on GET /v2/users: Invalid access key or access key secret" in toast.description
    assert re.search(r"\(requestId [0-9a-z]+\)", toast.description), toast.description
    assert_no_secret_shown(WRONG_SECRET, source, text, toast.description)


@pytest.mark.xfail(
    not _airflow_has_port_fix(),
    reason="Airflow 3.3.2's Test button sends port 0 for a connection without a port and its api-server "
    "answers 400 'Bad Request' (apache/airflow#73298, merged upstream after 3.3.2)",
    raises=AssertionError,
    strict=True,
)
def test_test_button_on_the_connection_saved_by_the_form(
    connections_page: ConnectionsPage, form_connection: str, gong_emulator: Emulator
) -> None:
    """The whole user journey: fill the form, save, press Test; succeeds once Airflow has the fix."""
    page = connections_page
    page.open()
    toast = page.test_connection(form_connection)
    page.screenshot("test-button-form-connection")
    assert (toast.kind, toast.title) == ("success", "Test Connection Successful"), toast
    assert toast.description.startswith(f"Connected to Gong at {gong_emulator.url} with basic auth")


def test_test_endpoint_with_the_form_connection(form_connection: str, api_server: ApiServer) -> None:
    """What the Test button sends once the port bug is fixed (port left out) succeeds on 3.3.2 too."""
    stored = api_server.get_connection(form_connection)
    body = {key: stored[key] for key in ("connection_id", "conn_type", "host", "login", "password", "extra")}
    answer = api_server.api("POST", "/api/v2/connections/test", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] is True, result
    assert result["message"].startswith("Connected to Gong at")
