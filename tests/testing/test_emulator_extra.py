"""The emulator's own dependencies: declared as the ``emulator`` extra, imported only when it runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from airflow_home import pinned_constraints
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from airflow_provider_gong.testing import EmulatorConfig, GongEmulator

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "pip install 'airflow-provider-gong[emulator]'"


def test_importing_the_emulator_loads_the_standard_library_only() -> None:
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import airflow_provider_gong.testing, airflow_provider_gong.testing.launch\n"
        "import airflow_provider_gong.testing.tls, airflow_provider_gong.testing.routes\n"
        "import airflow_provider_gong.testing.__main__\n"
        "new = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        # zoneinfo reads sysconfig, whose build data module is stdlib yet not in stdlib_module_names.
        "stdlib = set(sys.stdlib_module_names) | {n for n in new if n.startswith('_sysconfigdata')}\n"
        "print(json.dumps(sorted(new - stdlib)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(result.stdout) == ["airflow_provider_gong"]


def test_extra_is_declared_with_what_the_emulator_imports() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = {
        name: [Requirement(text) for text in texts]
        for name, texts in project["optional-dependencies"].items()
    }
    emulator = {canonicalize_name(req.name) for req in extras["emulator"]}
    assert emulator == {"uvicorn", "httptools", "cryptography"}
    assert all(req.specifier for req in extras["emulator"])
    assert not any(spec.operator in ("<", "<=", "==") for req in extras["emulator"] for spec in req.specifier)
    # dev brings the emulator: through the extra itself, or by naming every package of it.
    dev = {canonicalize_name(req.name): req for req in extras["dev"]}
    own = dev.get(canonicalize_name(project["name"]))
    assert (own is not None and "emulator" in own.extras) or emulator <= set(dev)
    pinned = {
        canonicalize_name(line.split("==", 1)[0])
        for line in pinned_constraints().read_text().splitlines()
        if "==" in line
    }
    assert emulator <= pinned


def test_without_uvicorn_starting_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    emulator = GongEmulator(EmulatorConfig())
    with pytest.raises(ImportError, match=r"pip install 'airflow-provider-gong\[emulator\]'") as missing:
        emulator.start()
    assert missing.value.name == "uvicorn"
    assert not emulator.running


def test_without_uvicorn_the_cli_says_what_to_install() -> None:
    script = (
        "import sys\n"
        "sys.modules['uvicorn'] = None\n"
        "from airflow_provider_gong.testing.__main__ import main\n"
        "sys.exit(main(['--port', '0']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert INSTALL in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
