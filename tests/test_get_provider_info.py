"""The provider's face: cheap import, entry point, and Airflow's own ProvidersManager."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import airflow_provider_gong
from airflow_provider_gong.get_provider_info import get_provider_info

DISTRIBUTION = "airflow-provider-gong"


def run_python(code: str) -> Any:
    """Run ``code`` in a fresh interpreter; return the JSON it printed on its last line."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


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

    assert set(fields) == {"access_token", "timeout", "max_retries", "calls_per_second"}
    assert fields["access_token"]["schema"]["format"] == "password"
    assert "api:users:read" in fields["access_token"]["description"]
    assert fields["calls_per_second"]["schema"]["default"] == 3
    for name in ("timeout", "max_retries", "calls_per_second"):
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
        widgets = {
            key: {"field_name": w.field_name, "is_sensitive": w.is_sensitive, "field": w.field,
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


def test_providers_manager_form_widgets(providers_manager: dict[str, Any]) -> None:
    widgets = providers_manager["widgets"]

    assert set(widgets) == {
        "extra__gong__access_token",
        "extra__gong__timeout",
        "extra__gong__max_retries",
        "extra__gong__calls_per_second",
    }
    assert widgets["extra__gong__access_token"]["is_sensitive"] is True
    for name in ("timeout", "max_retries", "calls_per_second"):
        assert widgets[f"extra__gong__{name}"]["is_sensitive"] is False
        assert widgets[f"extra__gong__{name}"]["field_name"] == name
    assert widgets["extra__gong__calls_per_second"]["field"]["value"] == 3
    assert widgets["extra__gong__access_token"]["field"]["schema"]["title"] == "OAuth access token"
    assert all(w["hook_class_name"] == "airflow_provider_gong.hooks.gong.GongHook" for w in widgets.values())
