#!/usr/bin/env bash
# Regenerate the pinned constraints of one Airflow version (AIRFLOW_VERSION, default the newest):
# install apache-airflow==<version> and the project with its dev extra into a fresh virtualenv, letting pip
# resolve current releases, then write `pip freeze` to constraints/airflow-<version>/python-<x.y>.txt.
# Run it after changing dependencies, then run that version's tests before committing the file.
#   AIRFLOW_VERSION=2.11.2 bash scripts/constraints.sh
# A version not pinned yet is added the same way, by its exact release: AIRFLOW_VERSION=3.3.3 ...
# Arguments are further requirements for pip, where the newest release breaks that Airflow, e.g. Airflow
# 3.0's ObjectStoragePath fails with universal-pathlib 0.3 (its own constraints pin 0.2):
#   AIRFLOW_VERSION=3.0.6 bash scripts/constraints.sh "universal-pathlib<0.3"
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
source "$ROOT/scripts/_versions.sh"
VERSION="$(resolve_airflow_version "${AIRFLOW_VERSION:-}")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gong-constraints.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m venv "$WORK/venv"
PY_TAG="$("$WORK/venv/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
echo "==> resolving apache-airflow==$VERSION and airflow-provider-gong[dev] on Python $PY_TAG"
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check "apache-airflow==$VERSION" -e "$ROOT[dev]" "$@"
OUT="$ROOT/constraints/airflow-$VERSION/python-$PY_TAG.txt"
mkdir -p "$(dirname "$OUT")"
{
  echo "# Versions CI and the README's commands install with Airflow $VERSION on Python $PY_TAG (pip install -c)."
  echo "# Regenerate: AIRFLOW_VERSION=$VERSION bash scripts/constraints.sh${*:+ $(printf '"%s" ' "$@")}(after changing dependencies)."
  "$WORK/venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check
} >"$OUT"
echo "==> wrote $OUT ($(grep -vc '^#' "$OUT") packages)"
