"""The Gong connection form of Airflow 2's Flask UI (``airflow webserver``), driven in headless Chromium.

Airflow 2.11 shows custom connection fields only through ``GongHook.get_connection_form_widgets()`` and
``get_ui_field_behaviour()`` (built from the provider info by ``hooks/form.py``). Covers: the form after
choosing the Gong type (relabelled, pre-described standard fields, port and schema hidden, every extra
field with its label and help), a round trip of its values into the stored connection and out through
``GongHook`` to the Gong emulator, the form's range checks, and the Test button's answers (success; a
wrong secret named as the problem, with no secret on the page).

One webserver for the module, logged in once; skipped on Airflow >= 3 (no Flask UI there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_ui_harness import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    DOCS_SCREENSHOT_FLASK,
    Alert,
    FlaskConnectionsPage,
    Webserver,
)
from gong_ui_harness import (
    EMULATOR_ACCESS_KEY,
    EMULATOR_SECRET,
    EMULATOR_USERS,
    STANDARD_FIELDS,
    Emulator,
    assert_no_secret_shown,
)

from airflow_provider_gong.get_provider_info import get_provider_info
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.version_compat import AIRFLOW_VERSION

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(
        AIRFLOW_VERSION >= (3, 0, 0),
        reason=f"Airflow {'.'.join(map(str, AIRFLOW_VERSION))} has no Flask UI (the React form of Airflow "
        ">= 3.2 is tested in test_connection_form.py)",
    ),
]

WRONG_SECRET = "wrong-secret-Fk4w27PzRt"
FORM_CONN_ID = "gong_flask_form"

(GONG,) = (entry for entry in get_provider_info()["connection-types"] if entry["connection-type"] == "gong")

EXTRA_FIELDS = {
    # input id: (label, description, input type)
    f"extra__gong__{name}": (
        definition["label"],
        definition["description"],
        "password" if definition["schema"].get("format") == "password" else "text",
    )
    for name, definition in GONG["conn-fields"].items()
}


@pytest.fixture(scope="module")
def page(browser: Any, webserver: Webserver, artifacts_dir: Path) -> Iterator[FlaskConnectionsPage]:
    """Admin -> Connections of the running webserver, logged in as the admin the fixture created."""
    flask_page = FlaskConnectionsPage(browser, webserver.url, artifacts_dir)
    flask_page.login(ADMIN_USER, ADMIN_PASSWORD)
    yield flask_page
    browser.delete_all_cookies()


def _fill(page: FlaskConnectionsPage, emulator: Emulator, conn_id: str, secret: str) -> None:
    """The add form, type Gong, filled to reach the emulator with the access key and ``secret``."""
    page.open_add_form()
    page.fill("conn_id", conn_id)
    page.choose_type("Gong", "gong")
    page.fill("host", emulator.url)
    page.fill("login", EMULATOR_ACCESS_KEY)
    page.fill("password", secret)
    page.fill("extra__gong__timeout", "12.5")
    page.fill("extra__gong__max_retries", "2")
    page.fill("extra__gong__calls_per_second", "1.5")


def _stored_extra(stored: dict[str, Any]) -> dict[str, Any]:
    """The extra of a connection as ``airflow connections get -o json`` printed it, with its JSON types.

    Airflow 2.11 prints ``extra_dejson`` with every value turned into a string; its ``get_uri`` carries
    the stored JSON (``__extra__``) as it is.
    """
    query = parse_qs(urlsplit(stored["get_uri"]).query)
    return dict(json.loads(query["__extra__"][0]))


def test_add_form_shows_the_gong_fields(page: FlaskConnectionsPage) -> None:
    """Admin -> Connections -> +: "Gong" is offered, and its form is the relabelled one."""
    page.open_add_form()
    page.choose_type("Gong", "gong")

    for field_id, (label, placeholder, kind) in STANDARD_FIELDS.items():
        field = page.field(field_id)
        assert (field.label, field.placeholder, field.input_type) == (label, placeholder, kind), field_id
    assert not page.is_shown("port")
    assert not page.is_shown("schema")
    labels = [str(label.text).strip() for label in page.form.find_elements("tag name", "label")]
    for generic in ("Host", "Login", "Password", "Port", "Schema"):
        assert generic not in [label for label in labels if label], generic

    for field_id, (label, description, kind) in EXTRA_FIELDS.items():
        field = page.field(field_id)
        assert (field.label, field.description, field.input_type) == (label, description, kind), field_id
    assert page.value("extra__gong__calls_per_second") == "3"

    # A filled form with example values, for the README (the real round trip is tested below).
    page.fill("conn_id", "gong_default")
    page.fill("host", "https://us-12345.api.gong.io")
    page.fill("login", "EXAMPLEACCESSKEY7Q2M")
    page.fill("password", "example-secret-not-real")
    page.fill("extra__gong__timeout", "30")
    page.fill("extra__gong__max_retries", "5")
    shot = page.screenshot("flask-form-example", page.form)
    if not DOCS_SCREENSHOT_FLASK.exists() or os.environ.get("GONG_UI_UPDATE_DOCS") == "1":
        DOCS_SCREENSHOT_FLASK.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT_FLASK)


def test_test_button_reports_success(page: FlaskConnectionsPage, gong_emulator: Emulator) -> None:
    """The form's Test button sends the typed values to the webserver, whose GongHook reaches Gong."""
    _fill(page, gong_emulator, "gong_flask_test_ok", EMULATOR_SECRET)
    alert = page.test()
    page.screenshot("flask-test-button-success")
    assert alert.kind == "success", alert
    assert alert.text == (
        f"Connected to Gong at {gong_emulator.url} with basic auth; {EMULATOR_USERS} users visible"
    )


def test_test_button_names_a_wrong_secret_and_shows_no_secret(
    page: FlaskConnectionsPage, gong_emulator: Emulator
) -> None:
    """A wrong secret: Gong's 401 with its requestId, and no secret in the page.

    Airflow 2.11's form shows every answer of ``/api/v1/connections/test`` in a green box (its script
    ignores the ``status`` field), so the message itself must say that the test failed and why.
    """
    _fill(page, gong_emulator, "gong_flask_test_bad", WRONG_SECRET)
    alert = page.test()
    page.screenshot("flask-test-button-failure")
    assert alert.text.startswith(f"Gong at {gong_emulator.url} refused the test: "), alert
    assert "Gong API 401 on GET /v2/users: Invalid access key or access key secret" in alert.text
    assert re.search(r"\(requestId [0-9a-z]+\)", alert.text), alert.text
    source, text = page.driver.page_source, page.text()
    assert_no_secret_shown(WRONG_SECRET, source, text, alert.text)


def test_save_refuses_numbers_out_of_range(
    page: FlaskConnectionsPage, webserver: Webserver, gong_emulator: Emulator
) -> None:
    """The schema's ranges are checked on Save: the form comes back, the two fields marked, nothing stored.

    (The messages themselves, "Enter an integer >= 0." and so on, are checked in
    tests/hooks/test_gong_form.py: Airflow 2.11's form script overwrites the text of field errors.)
    """
    _fill(page, gong_emulator, "gong_flask_bad_number", EMULATOR_SECRET)
    page.fill("extra__gong__max_retries", "-1")
    page.fill("extra__gong__timeout", "soon")
    alerts = page.save()
    page.screenshot("flask-form-range-errors")
    assert page.driver.current_url.rstrip("/").endswith("/connection/add")
    assert not any(alert.text == "Added Row" for alert in alerts), alerts
    assert page.value("extra__gong__max_retries") == "-1"
    assert page.has_error("extra__gong__max_retries")
    assert page.has_error("extra__gong__timeout")
    assert not page.has_error("extra__gong__calls_per_second")
    assert not page.has_error("host")
    assert webserver.airflow.cli("connections", "get", "gong_flask_bad_number", "-o", "json").returncode != 0


def test_form_values_reach_the_hook(
    page: FlaskConnectionsPage,
    webserver: Webserver,
    gong_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Save stores bare-named extras with JSON numbers; GongHook reads them; the edit form shows them."""
    webserver.airflow.cli("connections", "delete", FORM_CONN_ID)
    _fill(page, gong_emulator, FORM_CONN_ID, EMULATOR_SECRET)
    page.screenshot("flask-form-filled", page.form)
    alerts = page.save()
    page.screenshot("flask-connection-list-after-save")
    assert Alert(kind="success", text="Added Row") in alerts, alerts

    stored = webserver.airflow.connection_json(FORM_CONN_ID)
    assert stored["conn_type"] == "gong"
    assert stored["host"] == gong_emulator.url
    assert stored["login"] == EMULATOR_ACCESS_KEY
    assert stored["password"] == EMULATOR_SECRET
    assert stored["port"] is None
    assert stored["schema"] in (None, "")
    # The untouched OAuth token field is left out (Airflow 2 stores every custom field but blank ones).
    assert _stored_extra(stored) == {
        "timeout": 12.5,
        "max_retries": 2,
        "calls_per_second": 1.5,
        "calls_per_day": 10000,  # the schema's default, prefilled by the form
    }

    # Through a URI, as Airflow hands a connection to a task.
    monkeypatch.setenv("AIRFLOW_CONN_GONG_FLASK_ROUND_TRIP", stored["get_uri"])
    hook = GongHook("gong_flask_round_trip")
    try:
        settings = hook.settings
        users = hook.get_users()
    finally:
        hook.close()
    assert settings.base_url == gong_emulator.url
    assert settings.auth_mode == "basic"
    assert (settings.timeout, settings.max_retries, settings.calls_per_second) == (12.5, 2, 1.5)
    assert len(users) == EMULATOR_USERS

    # The edit form shows the stored values again (the secret not: the field stays empty).
    page.open_edit_form(str(stored["id"]))
    assert page.value("conn_id") == FORM_CONN_ID
    assert page.value("host") == gong_emulator.url
    assert page.value("password") == ""
    for name, shown in (("timeout", "12.5"), ("max_retries", "2"), ("calls_per_second", "1.5")):
        assert page.is_shown(f"extra__gong__{name}"), name
        assert page.value(f"extra__gong__{name}") == shown, name
    page.screenshot("flask-edit-form", page.form)
