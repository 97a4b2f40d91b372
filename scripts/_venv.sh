# Sourced by the demo, test and constraints scripts: pick the Airflow version (AIRFLOW_VERSION, default the
# newest supported), make its virtualenv (Python >= 3.11) and install the project into it with the versions
# CI pins for that Airflow (constraints/airflow-<version>/python-<x.y>.txt), so a run today equals a run
# next week.
#   AIRFLOW_VERSION  3.3.2 (default), 3.2.2, 3.1.8, 3.0.6 or 2.11.2 (pinned and tested); "2.11" picks the
#                    pinned 2.11 release; another exact release >= 2.11.0 (e.g. 2.11.0) installs unpinned.
#   GONG_VENV        the virtualenv (default .venv for the newest Airflow, .venv-airflow-<version> else).
#   PYTHON           the Python that makes the virtualenv (default python3).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
source "$ROOT/scripts/_versions.sh"
"$PYTHON" - <<'PY' || { echo "Python >= 3.11 is needed (set PYTHON=/path/to/python3.x)" >&2; exit 2; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

AIRFLOW_VERSION="$(resolve_airflow_version "${AIRFLOW_VERSION:-}")"
export AIRFLOW_VERSION
if [ "$AIRFLOW_VERSION" = "$DEFAULT_AIRFLOW_VERSION" ]; then
  VENV="${GONG_VENV:-$ROOT/.venv}"
else
  VENV="${GONG_VENV:-$ROOT/.venv-airflow-$AIRFLOW_VERSION}"
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
# A virtualenv holds one Airflow: installing another over it leaves the first one's parts behind.
INSTALLED_AIRFLOW="$("$VENV/bin/python" -c 'import importlib.metadata as m
try:
    print(m.version("apache-airflow"))
except m.PackageNotFoundError:
    pass' 2>/dev/null || true)"
if [ -n "$INSTALLED_AIRFLOW" ] && [ "$INSTALLED_AIRFLOW" != "$AIRFLOW_VERSION" ]; then
  echo "$VENV holds apache-airflow $INSTALLED_AIRFLOW, not $AIRFLOW_VERSION: remove it, or set GONG_VENV to another" \
    "virtualenv" >&2
  exit 2
fi
PY_TAG="$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
CONSTRAINTS="$ROOT/constraints/airflow-$AIRFLOW_VERSION/python-$PY_TAG.txt"

pip_install() {  # pip install "$@" into $VENV, pinned; its output goes to $VENV/pip-install.log
  local args=(-q --disable-pip-version-check "apache-airflow==$AIRFLOW_VERSION")
  if [ -f "$CONSTRAINTS" ]; then
    args+=(-c "$CONSTRAINTS")
  else
    echo "==> no pinned constraints for Airflow $AIRFLOW_VERSION on Python $PY_TAG (untested); installing current releases" >&2
  fi
  if ! "$VENV/bin/python" -m pip install "${args[@]}" "$@" >"$VENV/pip-install.log" 2>&1; then
    tail -40 "$VENV/pip-install.log" >&2
    echo "pip install failed (full log: $VENV/pip-install.log)" >&2
    exit 1
  fi
}

install_airflow() {  # Airflow alone (what takes long); safe to run for several virtualenvs at once
  echo "==> installing Airflow $AIRFLOW_VERSION into $VENV"
  pip_install
}

install_project() {  # $1: extras, e.g. "[dev]" or "": the project, editable (it writes into $ROOT)
  echo "==> installing airflow-provider-gong$1 with Airflow $AIRFLOW_VERSION into $VENV"
  # The editable build writes its metadata into $ROOT: one build at a time (CI runs two legs at once).
  if command -v flock >/dev/null; then
    (flock 9 && pip_install -e "$ROOT$1") 9>"$ROOT/.install.lock"
  else
    pip_install -e "$ROOT$1"
  fi
}
