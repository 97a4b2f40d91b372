"""The Flask-UI connection form (``hooks/form.py``) mirrors the provider info, its single source.

The field tests need WTForms, Flask-AppBuilder and Flask-Babel (Airflow 2's webserver brings them;
Airflow 3 does not): they are skipped where those are missing. The field behaviour, and what the running
Airflow's providers manager makes of the hook's two methods, are checked on every Airflow.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from airflow_home import run_python

from airflow_provider_gong.get_provider_info import get_provider_info
from airflow_provider_gong.hooks import form
from airflow_provider_gong.hooks.gong import GongHook
from airflow_provider_gong.version_compat import AIRFLOW_VERSION

(GONG,) = (entry for entry in get_provider_info()["connection-types"] if entry["connection-type"] == "gong")
CONN_FIELDS: dict[str, Any] = GONG["conn-fields"]
BEHAVIOUR: dict[str, Any] = GONG["ui-field-behaviour"]


@pytest.fixture(scope="module")
def wtforms() -> Any:
    """WTForms, with Flask-AppBuilder and Flask-Babel, or a skip where Airflow did not bring them."""
    reason = "the Flask-UI form needs {} (Airflow 2's webserver or the FAB provider installs it)"
    pytest.importorskip("flask_appbuilder", reason=reason.format("Flask-AppBuilder"))
    pytest.importorskip("flask_babel", reason=reason.format("Flask-Babel"))
    return pytest.importorskip("wtforms", reason=reason.format("WTForms"))


@pytest.fixture
def widgets(wtforms: Any) -> dict[str, Any]:
    return form.connection_form_widgets()


def _bound_form(widgets: dict[str, Any], data: dict[str, str] | None = None) -> Any:
    """The widgets bound in a WTForms form, processed from ``data`` as a browser would post it."""
    from werkzeug.datastructures import MultiDict
    from wtforms import Form

    class GongForm(Form):
        pass

    for name, unbound in widgets.items():
        setattr(GongForm, name, unbound)
    return GongForm(MultiDict(data) if data is not None else None)


# ------------------------------------------------------------------------------------ extra fields


def test_every_conn_field_has_a_widget_with_its_label_and_description(widgets: dict[str, Any]) -> None:
    assert list(widgets) == list(CONN_FIELDS)
    bound = _bound_form(widgets)
    for name, definition in CONN_FIELDS.items():
        field = bound[name]
        assert str(field.label.text) == definition["label"], name
        assert field.description == definition["description"], name


def test_only_field_classes_airflow_accepts(widgets: dict[str, Any], wtforms: Any) -> None:
    """Airflow's providers manager drops the whole hook for any other class (e.g. a DecimalField)."""
    allowed = {wtforms.IntegerField, wtforms.PasswordField, wtforms.StringField, wtforms.BooleanField}
    for name, unbound in widgets.items():
        assert unbound.field_class in allowed, name


def test_password_conn_fields_are_password_widgets(widgets: dict[str, Any], wtforms: Any) -> None:
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget

    secret = {name for name, definition in CONN_FIELDS.items() if definition["schema"].get("format")}
    # The OAuth app's secret, its refresh and access tokens; the Redis URL may hold a password.
    assert secret == {"client_secret", "refresh_token", "access_token", "shared_state_url"}
    for name, unbound in widgets.items():
        is_password = unbound.field_class is wtforms.PasswordField
        assert is_password == (name in secret), name
        assert isinstance(unbound.kwargs["widget"], BS3PasswordFieldWidget) == is_password, name
    for name in ("access_token", "client_secret", "refresh_token"):
        rendered = str(_bound_form(widgets)[name]())
        assert 'type="password"' in rendered, name
        assert 'class="form-control"' in rendered, name


def test_number_fields_are_text_integers_are_integer_fields(widgets: dict[str, Any], wtforms: Any) -> None:
    assert widgets["max_retries"].field_class is wtforms.IntegerField
    assert widgets["timeout"].field_class is wtforms.StringField
    assert widgets["calls_per_second"].field_class is wtforms.StringField


def test_schema_default_prefills_the_field(widgets: dict[str, Any]) -> None:
    bound = _bound_form(widgets)
    assert bound["calls_per_second"].data == str(CONN_FIELDS["calls_per_second"]["schema"]["default"]) == "3"
    assert bound["timeout"].data is None
    assert bound["max_retries"].data is None


def test_blank_numbers_are_unset(widgets: dict[str, Any]) -> None:
    bound = _bound_form(
        widgets, {"access_token": "", "timeout": "", "max_retries": "", "calls_per_second": " "}
    )
    assert bound.validate(), bound.errors
    # Airflow 2's form stores every value but "" (so None is stored as null); the hook reads both as unset.
    assert bound["timeout"].data == ""
    assert bound["max_retries"].data is None


def test_numbers_are_stored_as_json_numbers(widgets: dict[str, Any]) -> None:
    bound = _bound_form(
        widgets, {"access_token": "", "timeout": "12.5", "max_retries": "2", "calls_per_second": "0"}
    )
    assert bound.validate(), bound.errors
    assert bound.data == {
        "client_id": None,
        "client_secret": None,
        "refresh_token": None,
        "access_token": "",
        "token_url": None,
        "timeout": 12.5,
        "max_retries": 2,
        "calls_per_second": 0,
        "shared_state_url": None,
        "calls_per_day": 10000,  # the schema's default, prefilled
    }
    assert isinstance(bound.data["calls_per_second"], int)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("timeout", "0", "Enter a number > 0."),  # exclusiveMinimum 0
        ("timeout", "soon", "Enter a number > 0."),
        ("timeout", "inf", "Enter a number > 0."),
        ("calls_per_second", "-1", "Enter a number >= 0."),
        ("calls_per_second", "nan", "Enter a number >= 0."),
        ("max_retries", "-1", "Enter an integer >= 0."),
    ],
)
def test_numbers_out_of_the_schema_range_are_refused(
    widgets: dict[str, Any], name: str, text: str, message: str
) -> None:
    bound = _bound_form(widgets, {name: text})
    assert not bound.validate()
    assert bound.errors == {name: [message]}


def test_a_fraction_is_not_an_integer(widgets: dict[str, Any]) -> None:
    bound = _bound_form(widgets, {"max_retries": "1.5"})
    assert not bound.validate()
    assert list(bound.errors) == ["max_retries"]


def test_the_hook_method_returns_the_form_widgets(widgets: dict[str, Any]) -> None:
    # Airflow looks in the class's own __dict__, not in inherited attributes.
    assert "get_connection_form_widgets" in GongHook.__dict__
    from_hook = GongHook.get_connection_form_widgets()
    assert list(from_hook) == list(widgets)
    for name, unbound in from_hook.items():
        assert unbound.field_class is widgets[name].field_class, name
        assert unbound.kwargs["description"] == widgets[name].kwargs["description"], name


def test_widgets_need_wtforms(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without WTForms the import fails with its name, which Airflow's providers manager takes as optional."""
    monkeypatch.setitem(sys.modules, "wtforms", None)
    monkeypatch.setitem(sys.modules, "flask_appbuilder", None)
    monkeypatch.setitem(sys.modules, "flask_appbuilder.fieldwidgets", None)
    with pytest.raises(ImportError) as raised:
        form.connection_form_widgets()
    assert raised.value.name in ("wtforms", "flask_appbuilder", "flask_appbuilder.fieldwidgets")


# ------------------------------------------------------------------------------------ standard fields


def test_field_behaviour_mirrors_the_provider_info() -> None:
    behaviour = form.ui_field_behaviour()
    assert behaviour == {
        "hidden_fields": BEHAVIOUR["hidden-fields"],
        "relabeling": BEHAVIOUR["relabeling"],
        "placeholders": BEHAVIOUR["placeholders"],
    }
    assert sorted(behaviour["hidden_fields"]) == ["port", "schema"]
    assert behaviour["relabeling"] == {
        "host": "Gong API base URL",
        "login": "Access key",
        "password": "Access key secret",
    }
    assert behaviour["placeholders"]["host"] == "https://us-12345.api.gong.io"
    assert set(behaviour["placeholders"]) == {"host", "login", "password"}


def test_field_behaviour_is_a_copy() -> None:
    form.ui_field_behaviour()["relabeling"]["host"] = "changed"
    form.ui_field_behaviour()["hidden_fields"].append("login")
    assert form.ui_field_behaviour()["relabeling"]["host"] == "Gong API base URL"
    assert "login" not in form.ui_field_behaviour()["hidden_fields"]


def test_the_hook_method_returns_the_field_behaviour() -> None:
    assert "get_ui_field_behaviour" in GongHook.__dict__
    assert GongHook.get_ui_field_behaviour() == form.ui_field_behaviour()


# ------------------------------------------------------------------------------------ the running Airflow


def test_providers_manager_warns_about_nothing_of_ours(tmp_path: Path) -> None:
    """Airflow >= 3.2 deprecates the two methods, but skips them (no warning) when conn-fields exist."""
    seen = run_python(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from airflow.providers_manager import ProvidersManager
            pm = ProvidersManager()
            hook = pm.hooks["gong"]
            behaviour = pm.field_behaviours.get("gong")
            widgets = sorted(key for key in pm.connection_form_widgets if key.startswith("extra__gong__"))
        ours = [str(w.message) for w in caught if "gong" in str(w.message).lower()]
        print(json.dumps({"hook": hook.hook_class_name, "behaviour": behaviour, "widgets": widgets,
                          "warnings": ours}))
        """,
        tmp_path,
    )
    assert seen["warnings"] == []
    assert seen["hook"] == "airflow_provider_gong.hooks.gong.GongHook"
    try:
        import wtforms  # noqa: F401
    except ImportError:
        has_wtforms = False
    else:
        has_wtforms = True
    if AIRFLOW_VERSION >= (3, 2, 0) or has_wtforms:  # 3.2+ from the provider info, older from the hook
        assert seen["behaviour"] == form.ui_field_behaviour()
        assert seen["widgets"] == sorted(f"extra__gong__{name}" for name in CONN_FIELDS)
    else:  # Airflow 3.0/3.1 without WTForms: only their hook_meta builds the form (see below)
        assert (seen["behaviour"], seen["widgets"]) == (None, [])


@pytest.mark.skipif(
    not (3, 0, 0) <= AIRFLOW_VERSION < (3, 2, 0),
    reason="only Airflow 3.0 and 3.1 feed their React UI from the hook's WTForms methods",
)
def test_hook_meta_of_airflow_3_0_and_3_1(tmp_path: Path) -> None:
    """What 3.0/3.1's ``GET /ui/connections/hook_meta`` serves: WTForms stand-ins call our methods."""
    meta = run_python(
        """
        import json
        from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
        (gong,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "gong"]
        print(json.dumps(gong.model_dump(mode="json")))
        """,
        tmp_path,
    )
    if meta["extra_fields"] is None:
        # Airflow 3.0 patches WTForms only where it is installed (3.1 stands in for it when it is not).
        assert AIRFLOW_VERSION < (3, 1, 0)
        pytest.skip("Airflow 3.0 without WTForms/Flask-AppBuilder shows no custom fields for any provider")
    standard = meta["standard_fields"]
    assert standard["port"]["hidden"] is True
    assert standard["url_schema"]["hidden"] is True
    for name, label in BEHAVIOUR["relabeling"].items():
        assert standard[name] == {
            "hidden": False,
            "title": label,
            "placeholder": BEHAVIOUR["placeholders"][name],
        }
    extras = meta["extra_fields"]
    assert list(extras) == list(CONN_FIELDS)
    for name, definition in CONN_FIELDS.items():
        assert extras[name]["schema"]["title"] == definition["label"], name
        assert extras[name]["description"] == definition["description"], name
    for name in ("access_token", "client_secret", "refresh_token"):
        assert extras[name]["schema"]["format"] == "password", name
    for name in ("client_id", "token_url"):
        assert "format" not in extras[name]["schema"], name
    assert extras["max_retries"]["schema"]["type"] == ["integer", "null"]
    # No decimal field in those stand-ins: numbers are text there, which the hook reads as well.
    assert extras["timeout"]["schema"]["type"] == ["string", "null"]
    assert extras["calls_per_second"]["value"] == "3"
