#!/usr/bin/env bash
# The whole test suite: set up .venv, then lint (ruff), type-check (mypy) and run every test (pytest).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not ui"` for the fast suite.
source "$(dirname "$0")/_venv.sh"
install_project "[dev]"
cd "$ROOT"
echo "==> ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "==> mypy"
"$VENV/bin/mypy"
echo "==> pytest"
# pytest exits 5 when it collected no test: that is a failure here too (set -e).
"$VENV/bin/python" -m pytest "$@"
