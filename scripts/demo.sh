#!/usr/bin/env bash
# The demo: set up .venv, then run example_dags/example_gong_users.py, example_gong_calls.py and
# example_gong_fetch.py in a real Airflow 3.3.2 (another supported one with AIRFLOW_VERSION, e.g.
# AIRFLOW_VERSION=2.11.2, in .venv-airflow-<version>) (`airflow db migrate` in a temporary AIRFLOW_HOME,
# then `airflow dags test`) against the bundled Gong emulator, and print the report of each DAG's last
# task, where the data came from and how many Gong calls the run made (the emulator counts them:
# GET /_emulator/stats).
# The calls DAG runs for two days in a row, the emulator's clock moving on between them, and the script shows
# the calls and transcripts Gong finished late that the second day's lookback caught, and the lake it wrote.
# The fetch DAG loads workspaces, trackers and daily activity by the company's dates (GONG_COMPANY_TIMEZONE,
# default America/New_York).
# With AIRFLOW_CONN_GONG_DEFAULT set, it talks to that Gong instead (ids to fetch: GONG_DEMO_USER_IDS="1,2";
# the calls and fetch DAGs then load yesterday, once).
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
  echo "==> starting the Gong emulator (250 users, 300 calls in November 2026, 30% processed late, 3 calls/s)"
  "$VENV/bin/python" -m airflow_provider_gong.testing --port 0 --users 250 --calls 300 --late-share 0.3 \
    >"$AIRFLOW_HOME/emulator.log" 2>&1 &
  EMULATOR_PID=$!
  for _ in $(seq 1 150); do
    grep -q "Gong emulator running at " "$AIRFLOW_HOME/emulator.log" && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$AIRFLOW_HOME/emulator.log" >&2; exit 1; }
    sleep 0.2
  done
  EMULATOR_URL="$(sed -n 's/^Gong emulator running at //p' "$AIRFLOW_HOME/emulator.log" | head -1)"
  [ -n "$EMULATOR_URL" ] || { echo "the emulator did not start" >&2; cat "$AIRFLOW_HOME/emulator.log" >&2; exit 1; }
  # The connection the DAG uses, and a few of the emulator's user ids for the DAG's params (read from
  # its control endpoint: no Gong call, so the count after the run is the DAG's alone).
  eval "$("$VENV/bin/python" - "$EMULATOR_URL" <<'PY'
import json, shlex, sys
import requests
from airflow_provider_gong.testing.config import DEFAULT_ACCESS_KEY, DEFAULT_SECRET
url = sys.argv[1]
conn = {"conn_type": "gong", "host": url, "login": DEFAULT_ACCESS_KEY, "password": DEFAULT_SECRET}
data = requests.get(f"{url}/_emulator/users", params={"includeAvatars": "true"}, timeout=10).json()
avatars = set(data["avatarIds"])
visible = [user["id"] for user in data["users"] if user["id"] not in avatars]
print("export AIRFLOW_CONN_GONG_DEFAULT=" + shlex.quote(json.dumps(conn)))
print("DEMO_IDS=" + shlex.quote(",".join(visible[:5])))
print(f"EMULATOR_USERS={len(data['users'])} EMULATOR_AVATARS={len(avatars)}")
PY
)"
  echo "    emulator at $EMULATOR_URL: $EMULATOR_USERS users, $EMULATOR_AVATARS of them avatars (Gong's synthetic"
  echo "    users, which listings hide unless include_avatars=True)"
  GONG_DEMO_USER_IDS="${GONG_DEMO_USER_IDS:-$DEMO_IDS}"
else
  echo "==> using the Gong connection from AIRFLOW_CONN_GONG_DEFAULT (the report names its base URL)"
  [ -n "${GONG_DEMO_USER_IDS:-}" ] || echo "    no GONG_DEMO_USER_IDS given: no chosen users are fetched"
fi
CONF="$("$VENV/bin/python" -c 'import json, re, sys; print(json.dumps({"user_ids": [i for i in re.split(r"[,\s]+", sys.argv[1]) if i]}))' "${GONG_DEMO_USER_IDS:-}")"

echo "==> airflow db migrate (AIRFLOW_HOME=$AIRFLOW_HOME)"
"$VENV/bin/airflow" db migrate >"$AIRFLOW_HOME/migrate.log" 2>&1 || { tail -50 "$AIRFLOW_HOME/migrate.log" >&2; exit 1; }
"$VENV/bin/airflow" pools set gong_api 1 "Gong API: 3 calls/s and 10,000 calls/day per company" >/dev/null
# The DAG processor's record of the DAGs and their Assets (the calls' folder is an outlet): Airflow 3.0's
# `dags test` fails a task whose outlet Asset is not recorded yet; later versions record it themselves.
"$VENV/bin/airflow" dags reserialize >"$AIRFLOW_HOME/reserialize.log" 2>&1 || { tail -50 "$AIRFLOW_HOME/reserialize.log" >&2; exit 1; }

echo "==> airflow dags test example_gong_users -c '$CONF'"
set +e
"$VENV/bin/airflow" dags test example_gong_users -c "$CONF" >"$AIRFLOW_HOME/dags-test.log" 2>&1
STATUS=$?
set -e
# Airflow 3.0's `dags test` prints each masking request of its own, the secret in it, whatever the log level
# (`Sending request msg=MaskSecret(value=...)`): never shown here.
unmasked_lines() { grep -v 'MaskSecret(value=' "$AIRFLOW_HOME/dags-test.log" || true; }
if [ "$STATUS" -ne 0 ] || ! grep -q "Gong active-users report:" "$AIRFLOW_HOME/dags-test.log"; then
  unmasked_lines | tail -80 >&2
  echo "==> the DAG run failed (exit $STATUS); full log above" >&2
  exit 1
fi
echo "==> the DAG run succeeded; the report of its last task:"
# Log prefixes: Airflow 3's "<time> [info     ] ", Airflow 2's "[<time>] {file.py:12} INFO - ".
unmasked_lines | sed -n '/Gong active-users report:/,/Gong calls:/p' |
  sed -E 's/^.*\] //; s/^\{[^}]*\} [A-Z]+ - //; s/^/    /'
emulator_stats() {  # what the emulator counted since its last reset, then reset it
  "$VENV/bin/python" - "$EMULATOR_URL" <<'PY'
import sys
import requests
stats = requests.get(f"{sys.argv[1]}/_emulator/stats", timeout=10).json()
routes = ", ".join(
    f"{route} {'/'.join(f'{count} x {status}' for status, count in sorted(statuses.items()))}"
    for route, statuses in stats["by_endpoint"].items()
)
print(
    f"==> the emulator counted {stats['gong_calls']} Gong API calls (GET /_emulator/stats): {routes}; "
    f"{stats['responses_429']} answered 429"
)
requests.post(f"{sys.argv[1]}/_emulator/reset", timeout=10).raise_for_status()
PY
}
if [ -n "$EMULATOR_PID" ]; then
  emulator_stats
else
  echo "==> Gong calls: Gong exposes no call counter; the users report's figure is what the run needed (chunks"
  echo "    of 100 ids, the probe, pages of 100), without retries (WARNING lines in the log); the calls report's"
  echo "    figures are the calls the loads' hooks sent, retries included"
fi

# ---------------------------------------------------------------------------------------- calls and transcripts
LAKE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/gong-demo-lake.XXXXXX")"
export GONG_EXAMPLE_LAKE="file://$LAKE_DIR"
run_example_dag() {  # $1: DAG id; $2: logical date; $3: log file; $4, $5: its report's first and last lines
  set +e
  "$VENV/bin/airflow" dags test "$1" "$2" >"$3" 2>&1
  STATUS=$?
  set -e
  if [ "$STATUS" -ne 0 ] || ! grep -q "$4" "$3"; then
    grep -v 'MaskSecret(value=' "$3" | tail -80 >&2
    echo "==> the run of $1 failed (exit $STATUS); full log above" >&2
    exit 1
  fi
  grep -v 'MaskSecret(value=' "$3" | sed -n "/$4/,/$5/p" | sed -E 's/^.*\] //; s/^\{[^}]*\} [A-Z]+ - //; s/^/    /'
}
run_calls_dag() {  # $1: the run's logical date (the day after the day it loads); $2: a title
  echo "==> $2: airflow dags test example_gong_calls $1"
  run_example_dag example_gong_calls "$1" "$AIRFLOW_HOME/calls-$1.log" "Gong calls load report:" "Gong calls: [0-9]"
}
lake_counts() {  # per partition of the lake: each record's id and a digest of its content, as JSON
  "$VENV/bin/python" - "$LAKE_DIR" <<'PY'
import hashlib, json, pathlib, sys
lake = pathlib.Path(sys.argv[1])
def record_id(record):
    return str(record.get("callId") or (record.get("metaData") or {}).get("id") or record.get("id"))
state = {}
for path in sorted(lake.glob("*/date=*/*.jsonl")):
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    state[f"{path.parent.parent.name}/{path.parent.name}"] = {
        record_id(r): hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest() for r in records
    }
print(json.dumps(state))
PY
}
set_clock() {
  "$VENV/bin/python" -c 'import json, sys, requests; requests.patch(sys.argv[1] + "/_emulator/config", data=json.dumps({"clock": sys.argv[2]}), timeout=10).raise_for_status()' "$EMULATOR_URL" "$1"
}
if [ -n "$EMULATOR_PID" ]; then
  set_clock "2026-11-20T01:00:00Z"
  run_calls_dag 2026-11-20 "day 1, the emulator's clock at 2026-11-20 01:00 UTC (loads Nov 19 and the 7 days before)"
  emulator_stats
  BEFORE="$(lake_counts)"
  set_clock "2026-11-21T01:00:00Z"
  run_calls_dag 2026-11-21 "day 2, the clock at 2026-11-21 01:00 UTC (loads Nov 20 and the 7 days before)"
  emulator_stats
  AFTER="$(lake_counts)"
  "$VENV/bin/python" - "$BEFORE" "$AFTER" <<'PY'
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("==> late data the second day's lookback caught (Gong listed or finished it after day 1 ran):")
caught = 0
for key in sorted(before):
    old, new = before[key], after.get(key, {})
    added = [uid for uid in new if uid not in old]
    updated = [uid for uid in new if uid in old and new[uid] != old[uid]]
    if added or updated:
        caught += 1
        print(f"    {key}: {len(old)} -> {len(new)} records ({len(added)} new, {len(updated)} completed since)")
if not caught:
    print("    none")
duplicates = {}
for key, records in after.items():
    for uid in records:
        duplicates.setdefault((key.split("/")[0], uid), []).append(key)
twice = [uid for uid, keys in duplicates.items() if len(keys) > 1]
print(f"==> every record once across the partitions: {'yes' if not twice else f'NO: {twice[:5]}'}")
sys.exit(1 if twice else 0)
PY
else
  TODAY="$("$VENV/bin/python" -c 'import datetime; print(datetime.datetime.now(datetime.UTC).date().isoformat())')"
  run_calls_dag "$TODAY" "yesterday's calls and transcripts from your Gong"
fi
# ---------------------------------------------------------------------------------------- any endpoint
# Workspaces and trackers whole, and daily activity statistics by the company's dates (New York here).
export GONG_COMPANY_TIMEZONE="${GONG_COMPANY_TIMEZONE:-America/New_York}"
if [ -n "$EMULATOR_PID" ]; then FETCH_DATE=2026-11-21; else FETCH_DATE="$TODAY"; fi
echo "==> any Gong endpoint: airflow dags test example_gong_fetch $FETCH_DATE (workspaces, trackers, and daily"
echo "    activity by the dates of the company's time zone, $GONG_COMPANY_TIMEZONE)"
run_example_dag example_gong_fetch "$FETCH_DATE" "$AIRFLOW_HOME/fetch.log" "Gong fetch report:" \
  "Gong calls for activity:"
[ -z "$EMULATOR_PID" ] || emulator_stats
echo "==> what landed where: $LAKE_DIR (kept; delete it when done)"
(cd "$LAKE_DIR" && find . -name '*.jsonl' | sort | sed 's|^\./|    |' | head -40)
