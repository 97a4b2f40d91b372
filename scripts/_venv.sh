# Sourced by the demo and test scripts: make .venv (Python >= 3.10) and install the project into it,
# with the versions CI pins (constraints.txt), so a run today equals a run next week.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${GONG_VENV:-$ROOT/.venv}"
"$PYTHON" - <<'PY' || { echo "Python >= 3.10 is needed (set PYTHON=/path/to/python3.x)" >&2; exit 2; }
import sys
sys.exit(0 if sys.version_info >= (3, 10) else 1)
PY
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY_TAG="$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
CONSTRAINTS="$ROOT/constraints/python-$PY_TAG.txt"
install_project() {  # $1: extras, e.g. "[dev]" or ""
  local args=(-q --disable-pip-version-check)
  if [ -f "$CONSTRAINTS" ]; then
    args+=(-c "$CONSTRAINTS")
  else
    echo "==> no pinned constraints for Python $PY_TAG; installing apache-airflow==3.3.2 with current releases" >&2
    args+=("apache-airflow==3.3.2")
  fi
  echo "==> installing airflow-provider-gong$1 into $VENV"
  if ! "$VENV/bin/python" -m pip install "${args[@]}" -e "$ROOT$1" >"$VENV/pip-install.log" 2>&1; then
    tail -40 "$VENV/pip-install.log" >&2
    echo "pip install failed (full log: $VENV/pip-install.log)" >&2
    exit 1
  fi
}
