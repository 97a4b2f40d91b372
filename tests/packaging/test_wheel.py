"""The release artefacts work on their own: the built wheel and sdist, not the editable source tree.

An editable install hides packaging bugs (a subpackage or ``py.typed`` left out of the wheel, an entry point
that only resolves from the source tree, a dependency only the dev extra brings). So this module:

1. copies the project files (what a fresh clone holds) to a temporary directory and runs
   ``python -m build`` there: a wheel and an sdist, checked with ``twine check --strict``;
2. builds the wheel again from the unpacked sdist alone and compares it with the direct one;
3. installs the wheel with ``apache-airflow==3.3.2`` into a fresh virtualenv and, from a directory outside
   the repository with ``PYTHONPATH`` and ``AIRFLOW_*`` unset: imports every module of the installed package,
   sees the provider in ``airflow providers list``, runs ``airflow connections test`` and
   ``airflow dags test example_gong_users`` against the emulator started from the installed package.
"""

from __future__ import annotations

import ast
import base64
import email.parser
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from airflow import __version__ as airflow_version
from airflow_home import pinned_constraints
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = [pytest.mark.airflow_run, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
DIST_NAME = "airflow-provider-gong"
PACKAGE = "airflow_provider_gong"
#: The wheel is installed with the Airflow under test, and that Airflow's pinned constraints.
AIRFLOW_VERSION = airflow_version
EMULATOR_USERS = 250
EMULATOR_KEY = "emulator-access-key"
EMULATOR_SECRET = "emulator-access-key-secret"

# Modules of the package that need a dependency the package does not declare, because only their own
# users need it: in the runtime-only virtualenv they may fail to import for that reason alone.
OPTIONAL_IMPORTS: dict[str, list[str]] = {f"{PACKAGE}.testing.pytest_plugin": ["pytest"]}
# Folders of a checkout that are not project files (gitignored); only used when git is unavailable.
_NOT_PROJECT = {
    ".git",
    ".venv",
    "build",
    "dist",
    "artifacts",
    ".airflow-demo",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}


def _source_version() -> str:
    """``__version__`` read from the source tree without importing it (the one version source)."""
    tree = ast.parse((REPO / PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise AssertionError(f"no __version__ in {PACKAGE}/__init__.py")


VERSION = _source_version()


# ---------------------------------------------------------------------------------------------- helpers


def _clean_env(venv: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a subprocess: no PYTHONPATH, no dev virtualenv on PATH, no Airflow settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "_AIRFLOW", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX"))
    }
    dev_bin = str(Path(sys.prefix) / "bin")
    path = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry and entry != dev_bin]
    if venv is not None:
        path.insert(0, str(venv / "bin"))
        env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join(path)
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


def _run(
    cmd: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in cmd],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _explain(proc: subprocess.CompletedProcess[str], limit: int = 6000) -> str:
    cmd = " ".join(str(part) for part in proc.args)
    return (
        f"`{cmd}` exited {proc.returncode}\n--- stdout (tail) ---\n{proc.stdout[-limit:]}"
        f"\n--- stderr (tail) ---\n{proc.stderr[-limit:]}"
    )


def _project_files() -> list[str]:
    """Relative paths of the project's files: tracked or new, minus what .gitignore excludes."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        names = [
            path.relative_to(REPO).as_posix()
            for path in REPO.rglob("*")
            if path.is_file()
            and not _NOT_PROJECT.intersection(path.relative_to(REPO).parts)
            and not any(part.endswith(".egg-info") for part in path.relative_to(REPO).parts)
            and path.suffix != ".pyc"
        ]
    return sorted(name for name in names if (REPO / name).is_file())


def _build(source: Path, outdir: Path, *kinds: str) -> subprocess.CompletedProcess[str]:
    return _run(
        [sys.executable, "-m", "build", *kinds, "--outdir", outdir, source],
        cwd=outdir.parent,
        env=_clean_env(),
        timeout=600,
    )


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {[p.name for p in found]}"
    return found[0]


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def _wheel_metadata(wheel: Path) -> email.message.Message:
    text = _wheel_files(wheel)[f"{PACKAGE}-{VERSION}.dist-info/METADATA"].decode()
    return email.parser.Parser().parsestr(text)


def _constraints(work: Path) -> list[str]:
    """``-c FILE`` with the pins for this Airflow and Python (minus this project's line), if any."""
    pinned = pinned_constraints()
    if not pinned.is_file():
        return []
    kept = []
    for line in pinned.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text.startswith("-e"):  # an editable line (pip freeze of a dev venv) is no constraint
            continue
        if text and not text.startswith("-") and canonicalize_name(Requirement(text).name) == DIST_NAME:
            continue  # the wheel under test is what gets installed
        kept.append(line)
    filtered = work / "constraints.txt"
    filtered.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return ["-c", str(filtered)]


def _get_json(url: str, *, auth: bool) -> object:
    request = urllib.request.Request(url)  # noqa: S310 - a loopback http:// URL of the emulator
    if auth:
        token = base64.b64encode(f"{EMULATOR_KEY}:{EMULATOR_SECRET}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback emulator
        return json.load(answer)


# ---------------------------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path
    wheel_from_sdist: Path
    package_files: list[str]


@dataclass(frozen=True)
class Venv:
    root: Path
    python: Path
    airflow: Path
    site_packages: Path


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """A scratch folder outside the repository (the fresh virtualenv is big: removed at the end)."""
    path = Path(tempfile.mkdtemp(prefix="gong-packaging-")).resolve()
    assert not path.is_relative_to(REPO), f"{path} lies inside the repository {REPO}"
    (path / "cwd").mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def dists(work: Path) -> Dists:
    """``python -m build`` on a copy of the project files, then the wheel again from the sdist alone.

    Building a copy keeps ``build/`` and ``*.egg-info`` out of the shared work tree and stale leftovers
    of earlier builds out of the wheel, as in CI's fresh clone.
    """
    files = _project_files()
    source = work / "source"
    for name in files:
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)

    direct = work / "dist"
    direct.mkdir()
    proc = _build(source, direct, "--sdist", "--wheel")
    assert proc.returncode == 0, _explain(proc)
    sdist = _one(direct, "*.tar.gz")
    wheel = _one(direct, "*.whl")

    unpacked = work / "unpacked"
    safe: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, **safe)  # noqa: S202 - the sdist just built
    again = work / "from-sdist"
    again.mkdir()
    proc = _build(_one(unpacked, f"{PACKAGE}-*"), again, "--wheel")
    assert proc.returncode == 0, _explain(proc)

    package_files = [
        name
        for name in files
        if name.startswith(f"{PACKAGE}/") and "__pycache__" not in name and not name.endswith(".pyc")
    ]
    return Dists(wheel, sdist, _one(again, "*.whl"), package_files)


@pytest.fixture(scope="module")
def venv(work: Path, dists: Dists) -> Venv:
    """A fresh virtualenv with the wheel (not the source tree) and Airflow installed."""
    root = work / "venv"
    proc = _run([sys.executable, "-m", "venv", root], cwd=work / "cwd", env=_clean_env())
    assert proc.returncode == 0, _explain(proc)
    python = root / "bin" / "python"
    # --no-compile: byte-compiling all of Airflow costs more than compiling what the checks import.
    cmd = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile"]
    # The emulator extra: Airflow 3 brings uvicorn anyway, Airflow 2 does not.
    cmd += [*_constraints(work), f"{dists.wheel}[emulator]", f"apache-airflow=={AIRFLOW_VERSION}"]
    proc = _run(cmd, cwd=work / "cwd", env=_clean_env(root), timeout=900)
    assert proc.returncode == 0, _explain(proc)
    purelib = _run(
        [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=work / "cwd",
        env=_clean_env(root),
    )
    assert purelib.returncode == 0, _explain(purelib)
    return Venv(root, python, root / "bin" / "airflow", Path(purelib.stdout.strip()).resolve())


@pytest.fixture(scope="module")
def emulator(work: Path, venv: Venv) -> Iterator[str]:
    """The Gong emulator started from the installed package; yields its URL, killed at the end."""
    log_path = work / "emulator.log"
    ready_prefix = "Gong emulator running at "
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                str(venv.python),
                "-m",
                f"{PACKAGE}.testing",
                "--port",
                "0",
                "--users",
                str(EMULATOR_USERS),
            ],
            cwd=work / "cwd",
            env=_clean_env(venv.root),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and proc.poll() is None and time.monotonic() < deadline:
            for line in log_path.read_text().splitlines():
                if line.startswith(ready_prefix):
                    url = line.removeprefix(ready_prefix).strip().rstrip("/")
            time.sleep(0.2)
        assert url is not None, f"the emulator did not start (exit {proc.poll()}):\n{log_path.read_text()}"
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def airflow_env(work: Path, venv: Venv, emulator: str) -> dict[str, str]:
    """A migrated Airflow in a temporary AIRFLOW_HOME, the example DAG, the pool and the connection."""
    home = work / "airflow-home"
    dags = work / "dags"
    dags.mkdir()
    shutil.copy2(REPO / "example_dags" / "example_gong_users.py", dags / "example_gong_users.py")
    connection = {"conn_type": "gong", "host": emulator, "login": EMULATOR_KEY, "password": EMULATOR_SECRET}
    env = _clean_env(
        venv.root,
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        AIRFLOW_CONN_GONG_DEFAULT=json.dumps(connection),
    )
    for cmd in (["db", "migrate"], ["pools", "set", "gong_api", "1", "Gong"]):
        proc = _run([venv.airflow, *cmd], cwd=work / "cwd", env=env, timeout=600)
        assert proc.returncode == 0, _explain(proc)
    return env


# ---------------------------------------------------------------------------------------------- the artefacts


def test_twine_check_passes(dists: Dists, work: Path) -> None:
    proc = _run(
        [sys.executable, "-m", "twine", "check", "--strict", dists.wheel, dists.sdist],
        cwd=work / "cwd",
        env=_clean_env(),
    )
    assert proc.returncode == 0, _explain(proc)
    assert proc.stdout.count("PASSED") == 2, _explain(proc)


def test_wheel_holds_the_whole_package_and_nothing_else(dists: Dists) -> None:
    assert dists.wheel.name == f"{PACKAGE}-{VERSION}-py3-none-any.whl"
    names = set(_wheel_files(dists.wheel))
    dist_info = f"{PACKAGE}-{VERSION}.dist-info/"
    outside = sorted(name for name in names if not name.startswith((f"{PACKAGE}/", dist_info)))
    assert outside == [], f"files outside the package in the wheel: {outside}"
    in_package = {name for name in names if name.startswith(f"{PACKAGE}/")}
    assert sorted(in_package) == sorted(dists.package_files), (
        f"missing from the wheel: {sorted(set(dists.package_files) - in_package)}; "
        f"in the wheel but not in the source: {sorted(in_package - set(dists.package_files))}"
    )
    assert f"{PACKAGE}/py.typed" in names
    assert f"{PACKAGE}/testing/__main__.py" in names
    assert f"{dist_info}licenses/LICENSE" in names
    entry_points = _wheel_files(dists.wheel)[f"{dist_info}entry_points.txt"].decode()
    assert "[apache_airflow_provider]" in entry_points
    assert "provider_info = airflow_provider_gong.get_provider_info:get_provider_info" in entry_points


def test_wheel_metadata(dists: Dists) -> None:
    meta = _wheel_metadata(dists.wheel)
    assert meta["Name"] == DIST_NAME
    assert meta["Version"] == VERSION
    assert meta["Summary"]
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().startswith("# airflow-provider-gong")
    classifiers = set(meta.get_all("Classifier") or [])
    expected = {
        "Framework :: Apache Airflow",
        "Framework :: Apache Airflow :: Provider",
        *(f"Programming Language :: Python :: 3.{minor}" for minor in range(11, 14)),
    }
    assert expected <= classifiers, f"missing classifiers: {sorted(expected - classifiers)}"
    keywords = {word.strip() for word in (meta["Keywords"] or "").split(",")}
    assert {"airflow", "gong"} <= keywords
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)

    requirements = [Requirement(text) for text in meta.get_all("Requires-Dist") or []]
    runtime = {canonicalize_name(req.name): req for req in requirements if req.marker is None}
    assert {"apache-airflow", "requests", "tenacity"} <= set(runtime)
    assert str(runtime["apache-airflow"].specifier) == ">=2.11"
    assert "apache-airflow-providers-common-compat" in runtime
    capped = {
        name: str(req.specifier)
        for name, req in runtime.items()
        if any(spec.operator in ("<", "<=", "==", "~=", "===") for spec in req.specifier)
    }
    assert capped == {}, f"runtime dependencies with upper pins: {capped}"
    dev_tools = {"pytest", "ruff", "mypy", "build", "twine", "pytest-httpserver", "pytest-timeout"}
    assert dev_tools.isdisjoint(runtime), f"dev tools among runtime dependencies: {dev_tools & set(runtime)}"


def test_sdist_holds_sources_and_examples_but_no_tests(dists: Dists) -> None:
    assert dists.sdist.name == f"{PACKAGE}-{VERSION}.tar.gz"
    top = f"{PACKAGE}-{VERSION}/"
    with tarfile.open(dists.sdist) as archive:
        names = {member.name.removeprefix(top) for member in archive.getmembers() if member.isfile()}
    for required in (
        "PKG-INFO",
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "example_dags/example_gong_users.py",
        f"{PACKAGE}/py.typed",
        f"{PACKAGE}/get_provider_info.py",
    ):
        assert required in names, f"{required} missing from the sdist"
    assert set(dists.package_files) <= names, sorted(set(dists.package_files) - names)
    unwanted = sorted(
        name
        for name in names
        if name.split("/", 1)[0] in {"tests", "bench", "scripts", ".ci", ".git", ".venv", "constraints"}
        or "__pycache__" in name
        or name.endswith(".pyc")
    )
    assert unwanted == [], f"files that do not belong in the sdist: {unwanted}"


def test_sdist_alone_builds_the_same_wheel(dists: Dists) -> None:
    direct = _wheel_files(dists.wheel)
    rebuilt = _wheel_files(dists.wheel_from_sdist)
    assert sorted(rebuilt) == sorted(direct)
    differing = sorted(name for name in direct if direct[name] != rebuilt[name])
    assert differing == [], f"files whose content differs between the two wheels: {differing}"


# ---------------------------------------------------------------------------------------------- installed


_IMPORT_CHECK = r"""
import importlib, importlib.metadata as md, json, sys, traceback
from pathlib import Path

out, optional = Path(sys.argv[1]), json.loads(sys.argv[2])
import airflow_provider_gong as package

root = Path(package.__file__).resolve().parent
modules = []
for path in sorted(root.rglob("*.py")):
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    modules.append(".".join(("airflow_provider_gong", *parts)))
imported, skipped, failed = [], {}, {}
for name in modules:
    if name.rsplit(".", 1)[-1] == "__main__":
        continue
    try:
        importlib.import_module(name)
        imported.append(name)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] in optional.get(name, []):
            skipped[name] = err.name
        else:
            failed[name] = traceback.format_exc()
    except Exception:
        failed[name] = traceback.format_exc()

dist = md.distribution("airflow-provider-gong")
entry_points = [ep for ep in dist.entry_points if ep.group == "apache_airflow_provider"]
info = entry_points[0].load()() if len(entry_points) == 1 else {}
unresolved = []
for kind in ("hooks", "operators", "sensors", "triggers"):
    for group in info.get(kind, []):
        for module in group.get("python-modules", []):
            try:
                importlib.import_module(module)
            except Exception as err:
                unresolved.append(f"{module}: {err!r}")
for conn_type in info.get("connection-types", []):
    module, _, cls = conn_type["hook-class-name"].rpartition(".")
    try:
        getattr(importlib.import_module(module), cls)
    except Exception as err:
        unresolved.append(f"{conn_type['hook-class-name']}: {err!r}")

from airflow.providers_manager import ProvidersManager

manager = ProvidersManager()
provider = manager.providers.get("airflow-provider-gong")
hook = manager.hooks.get("gong")
out.write_text(json.dumps({
    "file": package.__file__,
    "version": package.__version__,
    "dist_version": dist.version,
    "direct_url": json.loads(dist.read_text("direct_url.json") or "{}"),
    "sys_path": sys.path,
    "modules": modules,
    "imported": imported,
    "skipped": skipped,
    "failed": failed,
    "entry_points": len(entry_points),
    "package_name": info.get("package-name"),
    "info_versions": info.get("versions"),
    "unresolved": unresolved,
    "manager_version": provider.version if provider else None,
    "hook_class": hook.hook_class_name if hook else None,
}))
"""


def _import_check(work: Path, venv: Venv, optional: Mapping[str, list[str]]) -> dict[str, Any]:
    script = work / "import_check.py"
    script.write_text(_IMPORT_CHECK, encoding="utf-8")
    out = work / "import_check.json"
    env = _clean_env(venv.root, AIRFLOW_HOME=str(work / "airflow-home-imports"))
    proc = _run([venv.python, "-I", script, out, json.dumps(optional)], cwd=work / "cwd", env=env)
    assert proc.returncode == 0, _explain(proc)
    return dict(json.loads(out.read_text(encoding="utf-8")))


def test_installed_wheel_imports_every_module_and_registers_the_provider(
    work: Path, venv: Venv, dists: Dists
) -> None:
    result = _import_check(work, venv, OPTIONAL_IMPORTS)
    installed = Path(str(result["file"])).resolve()
    assert installed.is_relative_to(venv.site_packages), f"imported from {installed}, not the fresh venv"
    leaked = [entry for entry in result["sys_path"] if str(REPO) in entry]
    assert leaked == [], f"the repository is on sys.path: {leaked}"
    assert result["direct_url"].get("url", "").endswith(dists.wheel.name), result["direct_url"]
    assert result["version"] == result["dist_version"] == VERSION
    assert result["failed"] == {}, "\n".join(f"{name}:\n{tb}" for name, tb in result["failed"].items())
    # Only modules known to need an undeclared extra may be skipped, and only for that reason.
    assert set(result["skipped"]) <= set(OPTIONAL_IMPORTS), result["skipped"]
    modules = set(result["modules"])
    assert {
        PACKAGE,
        f"{PACKAGE}.get_provider_info",
        f"{PACKAGE}.hooks.gong",
        f"{PACKAGE}.operators.users",
        f"{PACKAGE}.testing",
        f"{PACKAGE}.testing.__main__",
    } <= modules
    assert result["entry_points"] == 1
    assert result["package_name"] == DIST_NAME
    assert result["info_versions"] == [VERSION]
    assert result["unresolved"] == []
    assert result["manager_version"] == VERSION
    assert result["hook_class"] == f"{PACKAGE}.hooks.gong.GongHook"


def test_airflow_providers_list_shows_the_provider(
    venv: Venv, airflow_env: dict[str, str], work: Path
) -> None:
    proc = _run([venv.airflow, "providers", "list", "-o", "json"], cwd=work / "cwd", env=airflow_env)
    assert proc.returncode == 0, _explain(proc)
    # Airflow 3.0 logs a line or two to stdout before the JSON list.
    [listing] = [line for line in proc.stdout.splitlines() if line.startswith("[{")]
    providers = {entry["package_name"]: entry for entry in json.loads(listing)}
    assert DIST_NAME in providers, sorted(providers)
    assert providers[DIST_NAME]["version"] == VERSION


def test_airflow_connections_test_against_the_emulator(
    venv: Venv, airflow_env: dict[str, str], work: Path
) -> None:
    proc = _run([venv.airflow, "connections", "test", "gong_default"], cwd=work / "cwd", env=airflow_env)
    assert proc.returncode == 0, _explain(proc)
    assert "Connection success!" in proc.stdout, _explain(proc)


def test_example_dag_runs_against_the_emulator(
    venv: Venv, airflow_env: dict[str, str], emulator: str, work: Path
) -> None:
    listing = _get_json(f"{emulator}/v2/users", auth=True)
    assert isinstance(listing, dict)
    chosen = [user["id"] for user in listing["users"][:3]]
    assert len(chosen) == 3
    before = _get_json(f"{emulator}/_emulator/stats", auth=False)
    assert isinstance(before, dict)

    conf = json.dumps({"user_ids": chosen})
    proc = _run(
        [venv.airflow, "dags", "test", "example_gong_users", "-c", conf],
        cwd=work / "cwd",
        env=airflow_env,
        timeout=600,
    )
    assert proc.returncode == 0, _explain(proc)
    output = proc.stdout + proc.stderr
    assert "Gong active-users report:" in output, _explain(proc)
    assert "chosen users fetched: 3" in output, _explain(proc)

    after = _get_json(f"{emulator}/_emulator/stats", auth=False)
    assert isinstance(after, dict)

    def answered(stats: dict[str, dict[str, dict[str, int]]], route: str) -> int:
        return stats["by_endpoint"].get(route, {}).get("200", 0)

    # Every user: one GET /v2/users per page of 100; the chosen ones: one POST /v2/users/extensive.
    pages = -(-int(listing["records"]["totalRecords"]) // 100)
    assert answered(after, "GET /v2/users") - answered(before, "GET /v2/users") >= pages, after
    assert answered(after, "POST /v2/users/extensive") - answered(before, "POST /v2/users/extensive") >= 1


def test_pytest_plugin_loads_once_pytest_is_installed(work: Path, venv: Venv) -> None:
    """Last: it adds pytest to the venv, which the runtime-only checks above must not see."""
    cmd = [venv.python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    cmd += [*_constraints(work), f"pytest=={metadata.version('pytest')}"]
    proc = _run(cmd, cwd=work / "cwd", env=_clean_env(venv.root), timeout=300)
    assert proc.returncode == 0, _explain(proc)
    result = _import_check(work, venv, {})
    assert result["failed"] == {}, result["failed"]
    assert result["skipped"] == {}
    plugin = f"{PACKAGE}.testing.pytest_plugin"
    proc = _run(
        [venv.python, "-m", "pytest", "-p", plugin, "--fixtures", "-q"],
        cwd=work / "cwd",
        env=_clean_env(venv.root),
    )
    assert proc.returncode == 0, _explain(proc)
    assert "gong_emulator" in proc.stdout, _explain(proc)
