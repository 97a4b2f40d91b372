#!/usr/bin/env bash
# The demo: set up .venv, then run example_dags/example_gong_users.py in a real Airflow 3.3.2
# (`airflow db migrate` in a temporary AIRFLOW_HOME, then `airflow dags test`) against the bundled
# Gong emulator, and print the report of the DAG's last task.
# With AIRFLOW_CONN_GONG_DEFAULT set, it talks to that Gong instead (ids to fetch: GONG_DEMO_USER_IDS="1,2").
source "$(dirname "$0")/_venv.sh"
install_project ""

AIRFLOW_HOME="$(mktemp -d "${TMPDIR:-/tmp}/gong-demo-airflow.XXXXXX")"
export AIRFLOW_HOME
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/example_dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
EMULATOR_PID=""
cleanup() {
  [ -n "$EMULATOR_PID" ] && kill "$EMULATOR_PID" 2>/dev/null && wait "$EMULATOR_PID" 2>/dev/null
  rm -rf "$AIRFLOW_HOME"
}
trap cleanup EXIT

if [ -z "${AIRFLOW_CONN_GONG_DEFAULT:-}" ]; then
  echo "==> starting the Gong emulator (250 users, Gong's 3 calls/s limit)"
  "$VENV/bin/python" -m airflow_provider_gong.testing --port 0 --users 250 >"$AIRFLOW_HOME/emulator.log" 2>&1 &
  EMULATOR_PID=$!
  for _ in $(seq 1 150); do
    grep -q "Gong emulator running at " "$AIRFLOW_HOME/emulator.log" && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$AIRFLOW_HOME/emulator.log" >&2; exit 1; }
    sleep 0.2
  done
  EMULATOR_URL="$(sed -n 's/^Gong emulator running at //p' "$AIRFLOW_HOME/emulator.log" | head -1)"
  [ -n "$EMULATOR_URL" ] || { echo "the emulator did not start" >&2; cat "$AIRFLOW_HOME/emulator.log" >&2; exit 1; }
  echo "    emulator at $EMULATOR_URL"
  # The connection the DAG uses, and a few of the emulator's user ids for the DAG's params.
  eval "$("$VENV/bin/python" - "$EMULATOR_URL" <<'PY'
import json, shlex, sys
import requests
from airflow_provider_gong.testing.config import DEFAULT_ACCESS_KEY, DEFAULT_SECRET
url = sys.argv[1]
conn = {"conn_type": "gong", "host": url, "login": DEFAULT_ACCESS_KEY, "password": DEFAULT_SECRET}
users = requests.get(f"{url}/v2/users", auth=(DEFAULT_ACCESS_KEY, DEFAULT_SECRET), timeout=10).json()["users"]
print("export AIRFLOW_CONN_GONG_DEFAULT=" + shlex.quote(json.dumps(conn)))
print("DEMO_IDS=" + shlex.quote(",".join(user["id"] for user in users[:5])))
PY
)"
  GONG_DEMO_USER_IDS="${GONG_DEMO_USER_IDS:-$DEMO_IDS}"
else
  echo "==> using the Gong connection from AIRFLOW_CONN_GONG_DEFAULT"
fi
CONF="$("$VENV/bin/python" -c 'import json, re, sys; print(json.dumps({"user_ids": [i for i in re.split(r"[,\s]+", sys.argv[1]) if i]}))' "${GONG_DEMO_USER_IDS:-}")"

echo "==> airflow db migrate (AIRFLOW_HOME=$AIRFLOW_HOME)"
"$VENV/bin/airflow" db migrate >"$AIRFLOW_HOME/migrate.log" 2>&1 || { tail -50 "$AIRFLOW_HOME/migrate.log" >&2; exit 1; }
"$VENV/bin/airflow" pools set gong_api 1 "Gong API: 3 calls/s and 10,000 calls/day per company" >/dev/null

echo "==> airflow dags test example_gong_users -c '$CONF'"
set +e
"$VENV/bin/airflow" dags test example_gong_users -c "$CONF" >"$AIRFLOW_HOME/dags-test.log" 2>&1
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ] || ! grep -q "Gong active-users report:" "$AIRFLOW_HOME/dags-test.log"; then
  tail -80 "$AIRFLOW_HOME/dags-test.log" >&2
  echo "==> the DAG run failed (exit $STATUS); full log above" >&2
  exit 1
fi
echo "==> the DAG run succeeded; the report of its last task:"
grep -A4 "Gong active-users report:" "$AIRFLOW_HOME/dags-test.log" | sed -E 's/^.*\] //; s/^/    /'
