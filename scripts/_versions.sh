# Sourced by the scripts: the Airflow versions the project pins (constraints/airflow-<version>/), and the
# default one.
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
#: The newest Airflow the project supports: the default leg, and the only one lint and mypy run on.
DEFAULT_AIRFLOW_VERSION=3.3.2
pinned_airflow_versions() {  # every Airflow version with committed constraints, newest first
  (cd "$ROOT/constraints" && ls -d airflow-*/ 2>/dev/null | sed 's|^airflow-||; s|/$||' | sort -t. -k1,1nr -k2,2nr -k3,3nr)
}

#: The oldest Airflow the provider supports (pyproject.toml's floor).
MIN_AIRFLOW_VERSION=2.11.0

resolve_airflow_version() {  # $1: "3.3.2", "3.3" or "" -> a pinned version, an exact unpinned one, or exit 2
  local wanted="${1:-$DEFAULT_AIRFLOW_VERSION}" version
  for version in $(pinned_airflow_versions); do
    if [ "$version" = "$wanted" ] || [[ "$version" == "$wanted".* ]]; then
      echo "$version"
      return
    fi
  done
  # An exact release the matrix does not pin (e.g. 2.11.0): allowed, without pins (untested).
  if [[ "$wanted" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] &&
    [ "$(printf '%s\n' "$MIN_AIRFLOW_VERSION" "$wanted" | sort -V | head -1)" = "$MIN_AIRFLOW_VERSION" ]; then
    echo "$wanted"
    return
  fi
  echo "AIRFLOW_VERSION=$wanted: not a supported Airflow (>= $MIN_AIRFLOW_VERSION; pinned and tested:" \
    "$(pinned_airflow_versions | tr '\n' ' ' | sed 's/ $//'))" >&2
  exit 2
}
