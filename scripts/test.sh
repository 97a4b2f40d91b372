#!/usr/bin/env bash
# The whole test suite: set up the virtualenv of one Airflow version, then lint (ruff), type-check (mypy)
# and run every test (pytest). Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not ui"` for
# the suite without the headless-browser tests.
# AIRFLOW_VERSION selects another supported Airflow (default the newest), e.g.
# `AIRFLOW_VERSION=2.11.2 bash scripts/test.sh`; ruff and mypy run on the default one only (the code and
# its types are the same on every version; mypy checks them against the newest Airflow's).
source "$(dirname "$0")/_venv.sh"
install_project "[dev]"
cd "$ROOT"
if [ "$AIRFLOW_VERSION" = "$DEFAULT_AIRFLOW_VERSION" ]; then
  echo "==> ruff"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  echo "==> mypy"
  "$VENV/bin/mypy"
fi
# A fresh AIRFLOW_HOME for the run (unless one is given): Airflow writes its airflow.cfg there on first
# import, and another version's (~/airflow of an earlier leg) would not fit this one.
if [ -z "${AIRFLOW_HOME:-}" ]; then
  AIRFLOW_HOME="$(mktemp -d "${TMPDIR:-/tmp}/gong-tests-airflow.XXXXXX")"
  export AIRFLOW_HOME
  trap 'rm -rf "$AIRFLOW_HOME"' EXIT
fi
echo "==> pytest (Airflow $AIRFLOW_VERSION, $("$VENV/bin/python" -V), AIRFLOW_HOME=$AIRFLOW_HOME)"
# pytest exits 5 when it collected no test: that is a failure here too (set -e).
"$VENV/bin/python" -m pytest "$@"
