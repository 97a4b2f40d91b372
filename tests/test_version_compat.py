"""Product code reaches Airflow through ``version_compat`` only, and the client core not at all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from airflow_provider_gong import version_compat

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_provider_gong"
#: The emulator is a test tool, not product code: it never imports Airflow either.
PRODUCT = sorted(path for path in PACKAGE.rglob("*.py") if "testing" not in path.relative_to(PACKAGE).parts)


def _imports(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
    return modules


def _is_airflow(module: str) -> bool:
    return module == "airflow" or module.startswith("airflow.")


@pytest.mark.parametrize("path", PRODUCT, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_only_version_compat_imports_airflow(path: Path) -> None:
    airflow_imports = [module for module in _imports(path) if _is_airflow(module)]
    if path.name == "version_compat.py":
        assert airflow_imports
        assert not any(module.startswith("airflow.sdk.execution_time") for module in airflow_imports)
    else:
        assert airflow_imports == [], f"{path.name} imports {airflow_imports}: go through version_compat"


@pytest.mark.parametrize("path", PRODUCT, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_private_airflow_or_requests_members_are_used(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for private in ("_get_next_poke_interval", "._content", "execution_time"):
        assert private not in text, f"{path.name} uses {private}"


def test_the_client_core_imports_no_airflow_of_its_own() -> None:
    core = [*sorted((PACKAGE / "client").glob("*.py")), PACKAGE / "endpoints.py"]
    for path in core:
        own = [module for module in _imports(path) if module.startswith("airflow_provider_gong.")]
        assert not any(
            module.startswith(
                (
                    "airflow_provider_gong.hooks",
                    "airflow_provider_gong.operators",
                    "airflow_provider_gong.sensors",
                    "airflow_provider_gong.triggers",
                    "airflow_provider_gong.version_compat",
                )
            )
            for module in own
        ), path
        assert not any(_is_airflow(module) for module in _imports(path)), path


def test_the_airflow_version_is_read() -> None:
    assert version_compat.AIRFLOW_VERSION >= (2, 11, 0)
    assert version_compat._version("2.11.0rc1") == (2, 11, 0)
    assert version_compat._version("3.3") == (3, 3, 0)
