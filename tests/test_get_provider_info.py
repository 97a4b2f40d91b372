"""The provider's face: cheap import, entry point, and Airflow's own ProvidersManager."""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Any

import pytest
from airflow_home import run_python

import airflow_provider_gong
from airflow_provider_gong.get_provider_info import get_provider_info
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_2_PLUS

DISTRIBUTION = "airflow-provider-gong"


def test_import_pulls_in_neither_airflow_nor_requests() -> None:
    loaded = run_python(
        """
        import json, sys
        import airflow_provider_gong
        import airflow_provider_gong.get_provider_info
        airflow_provider_gong.get_provider_info.get_provider_info()
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("airflow", "requests"))
        print(json.dumps(heavy))
        """
    )

    assert loaded == []


def test_entry_point_resolves_to_get_provider_info() -> None:
    (entry_point,) = [
        ep
        for ep in importlib.metadata.entry_points(group="apache_airflow_provider")
        if ep.value.startswith("airflow_provider_gong")
    ]

    assert entry_point.value == "airflow_provider_gong.get_provider_info:get_provider_info"
    assert entry_point.load() is get_provider_info
    assert entry_point.dist is not None
    assert entry_point.dist.name == DISTRIBUTION


def test_versions_and_package_name() -> None:
    info = get_provider_info()

    assert info["versions"][0] == airflow_provider_gong.__version__
    assert info["package-name"] == DISTRIBUTION
    assert importlib.metadata.version(DISTRIBUTION) == airflow_provider_gong.__version__


def test_connection_type_matches_the_hook() -> None:
    from airflow_provider_gong.hooks.gong import GongHook

    (conn_type,) = get_provider_info()["connection-types"]
    module_name, _, class_name = conn_type["hook-class-name"].rpartition(".")

    assert getattr(importlib.import_module(module_name), class_name) is GongHook
    assert conn_type["connection-type"] == GongHook.conn_type
    assert conn_type["hook-name"] == GongHook.hook_name


def test_listed_hook_modules_import() -> None:
    for entry in get_provider_info()["hooks"]:
        for module in entry["python-modules"]:
            importlib.import_module(module)


def test_conn_fields() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    fields = conn_type["conn-fields"]

    assert set(fields) == {
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
    assert fields["access_token"]["schema"]["format"] == "password"
    assert "api:users:read" in fields["access_token"]["description"]
    # An OAuth app: the client secret and the single-use refresh token are masked, the client id and the
    # token endpoint are not secrets.
    for name in ("client_secret", "refresh_token"):
        assert fields[name]["schema"] == {"type": ["string", "null"], "format": "password"}, name
    for name in ("client_id", "token_url"):
        assert fields[name]["schema"] == {"type": ["string", "null"]}, name
    assert "shared state" in fields["refresh_token"]["description"].lower()
    assert "https://app.gong.io/oauth2/generate-customer-token" in fields["token_url"]["description"]
    assert fields["calls_per_second"]["schema"]["default"] == 3
    # The Redis URL may hold Redis's password: a masked field, a sensitive value to Airflow.
    assert fields["shared_state_url"]["schema"]["format"] == "password"
    assert fields["calls_per_day"]["schema"] == {"type": ["integer", "null"], "minimum": 1, "default": 10000}
    for name in ("timeout", "max_retries", "calls_per_second", "calls_per_day"):
        assert "null" in fields[name]["schema"]["type"], name
        assert "format" not in fields[name]["schema"], name


@pytest.fixture(scope="module")
def providers_manager() -> dict[str, Any]:
    """What Airflow's ProvidersManager learns about us, read in a fresh interpreter (it caches globally)."""
    return run_python(
        """
        import json, warnings
        warnings.simplefilter("ignore")
        from airflow.providers_manager import ProvidersManager
        pm = ProvidersManager()
        provider = pm.providers["airflow-provider-gong"]
        hook = pm.hooks["gong"]
        def field(value):  # Airflow >= 3.2: a conn-field dict; Airflow 2.11: an unbound WTForms field
            if isinstance(value, dict):
                return value
            return {"class": value.field_class.__name__, "label": str(value.args[0]),
                    "description": str(value.kwargs.get("description")),
                    "default": value.kwargs.get("default"),
                    "widget": type(value.kwargs.get("widget")).__name__}
        widgets = {
            key: {"field_name": w.field_name, "is_sensitive": w.is_sensitive, "field": field(w.field),
                  "hook_class_name": w.hook_class_name}
            for key, w in pm.connection_form_widgets.items() if key.startswith("extra__gong__")
        }
        print(json.dumps({
            "version": provider.version,
            "package_name": provider.data["package-name"],
            "hook": {
                "hook_class_name": hook.hook_class_name,
                "connection_id_attribute_name": hook.connection_id_attribute_name,
                "hook_name": hook.hook_name,
                "connection_type": hook.connection_type,
                "connection_testable": hook.connection_testable,
            },
            "field_behaviours": pm.field_behaviours.get("gong"),
            "widgets": widgets,
        }))
        """
    )


def test_providers_manager_knows_the_provider(providers_manager: dict[str, Any]) -> None:
    assert providers_manager["version"] == airflow_provider_gong.__version__
    assert providers_manager["package_name"] == DISTRIBUTION


def test_providers_manager_knows_the_hook(providers_manager: dict[str, Any]) -> None:
    assert providers_manager["hook"] == {
        "hook_class_name": "airflow_provider_gong.hooks.gong.GongHook",
        "connection_id_attribute_name": "gong_conn_id",
        "hook_name": "Gong",
        "connection_type": "gong",
        "connection_testable": True,
    }


#: Airflow 3.0 and 3.1 read the hook's WTForms methods only inside their api-server, with stand-ins for
#: WTForms (not installed there): a plain ProvidersManager has neither widgets nor behaviours of ours.
ui_metadata_in_providers_manager = pytest.mark.skipif(
    AIRFLOW_V_3_0_PLUS and not AIRFLOW_V_3_2_PLUS,
    reason="Airflow 3.0/3.1 build the form in the api-server only: "
    "tests/hooks/test_gong_form.py::test_hook_meta_of_airflow_3_0_and_3_1 checks what it shows",
)


@ui_metadata_in_providers_manager
def test_providers_manager_field_behaviours(providers_manager: dict[str, Any]) -> None:
    behaviour = providers_manager["field_behaviours"]

    assert sorted(behaviour["hidden_fields"]) == ["port", "schema"]
    assert behaviour["relabeling"] == {
        "host": "Gong API base URL",
        "login": "Access key",
        "password": "Access key secret",
    }
    assert set(behaviour["placeholders"]) == {"host", "login", "password"}
    assert behaviour["placeholders"]["host"] == "https://us-12345.api.gong.io"


@ui_metadata_in_providers_manager
def test_providers_manager_form_widgets(providers_manager: dict[str, Any]) -> None:
    widgets = providers_manager["widgets"]

    assert set(widgets) == {
        "extra__gong__client_id",
        "extra__gong__client_secret",
        "extra__gong__refresh_token",
        "extra__gong__access_token",
        "extra__gong__token_url",
        "extra__gong__timeout",
        "extra__gong__max_retries",
        "extra__gong__calls_per_second",
        "extra__gong__shared_state_url",
        "extra__gong__calls_per_day",
    }
    assert widgets["extra__gong__access_token"]["is_sensitive"] is True
    # Airflow masks a sensitive extra in the UI, the API and its logs: the Redis URL may hold a password.
    assert widgets["extra__gong__shared_state_url"]["is_sensitive"] is True
    # The OAuth app's client secret and refresh token are sensitive; its client id and token URL are not.
    for name in ("client_secret", "refresh_token"):
        assert widgets[f"extra__gong__{name}"]["is_sensitive"] is True, name
    for name in ("client_id", "token_url"):
        assert widgets[f"extra__gong__{name}"]["is_sensitive"] is False, name
    for name in ("timeout", "max_retries", "calls_per_second", "calls_per_day"):
        assert widgets[f"extra__gong__{name}"]["is_sensitive"] is False
        assert widgets[f"extra__gong__{name}"]["field_name"] == name
    if AIRFLOW_V_3_2_PLUS:  # conn-fields
        assert widgets["extra__gong__calls_per_second"]["field"]["value"] == 3
        assert widgets["extra__gong__access_token"]["field"]["schema"]["title"] == "OAuth access token"
    else:  # Airflow 2.11's Flask form: the hook's WTForms widgets
        assert str(widgets["extra__gong__calls_per_second"]["field"]["default"]) == "3"  # a text field
        assert widgets["extra__gong__access_token"]["field"]["label"] == "OAuth access token"
        assert widgets["extra__gong__access_token"]["field"]["widget"] == "BS3PasswordFieldWidget"
        assert widgets["extra__gong__access_token"]["field"]["description"].startswith("Bearer token")
    # Airflow 2.11 records the hook's class name alone, Airflow 3 its dotted path.
    hook_class = "airflow_provider_gong.hooks.gong.GongHook" if AIRFLOW_V_3_0_PLUS else "GongHook"
    assert all(w["hook_class_name"] == hook_class for w in widgets.values())


@pytest.mark.parametrize("key", ["asset-uris", "dataset-uris"])
def test_the_gong_uri_scheme_is_registered_with_importable_handlers(key: str) -> None:
    (entry,) = get_provider_info()[key]
    assert entry["schemes"] == ["gong"]
    assert set(entry) == {"schemes", "handler", "factory", "to_openlineage_converter"}
    for role in ("handler", "factory", "to_openlineage_converter"):
        module, _, name = entry[role].rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), entry[role]


def test_providers_manager_sanitises_gong_uris_with_our_handler(tmp_path: Any) -> None:
    found = run_python(
        """
        import json
        from airflow.providers_manager import ProvidersManager
        manager = ProvidersManager()
        handlers = getattr(manager, "asset_uri_handlers", None) or manager.dataset_uri_handlers
        handler = handlers["gong"]
        print(json.dumps(f"{handler.__module__}.{handler.__name__}"))
        """,
        home=tmp_path,
    )
    assert found == "airflow_provider_gong.assets.sanitize_uri"
