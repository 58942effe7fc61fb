#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A running node whose store cannot be read for a while (a table moved away under it, as a
# damaged or replaced file would) says so instead of answering "nothing there":
#   - a request whose read fails gets a 500 problem, logged once, and the same request is
#     answered again once the store reads;
#   - a round whose updates cannot be read is neither closed nor rewarded: it waits, tries again
#     at every tick (logged once), and closes with its update and its reward once they read.
# Run it from a build folder inside a throw-away session bus (the integration suite does):
#
#   dbus-run-session -- tests/integration/node-store-read-fails.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'kill "${node_pid:-}" 2>/dev/null || true; wait "${contribute_pid:-}" 2>/dev/null || true
      rm -rf "$work"' EXIT

export HOME="$work/home" GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy
mkdir -p "$HOME"
keyring_env=$(printf 'demo' | gnome-keyring-daemon --unlock --components=secrets)
eval "$(printf '%s\n' "$keyring_env" | sed -n 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/p')"

node="$build/src/node/tributary-node"
cli="$build/src/cli/tributary-cli"
db="$work/node/node.db"

# The demo network, set up once: a round closes with its first update.
"$node" demo --data "$work/node" --listen 127.0.0.1:0 --url-file "$work/url" \
  --round-seconds 600 --min-updates 1 --max-updates 1 >/dev/null &
node_pid=$!
for _ in $(seq 1 300); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ]
kill "$node_pid"
wait "$node_pid" || true
rm -f "$work/url"

# Served again with an aggregation that takes 6 s, so that the store can fail between the start
# of the aggregation and the closing of the round.
"$node" serve --data "$work/node" --listen 127.0.0.1:0 --url-file "$work/url" \
  --aggregation-delay 6000 >"$work/out" 2>"$work/log" &
node_pid=$!
for _ in $(seq 1 300); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url")

# GET $1: prints "<status> <problem type or content type>"; with $2, the body's JSON member $2.
get() {
  python3 - "$url$1" "${2:-}" <<'EOF'
import json, sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=30) as r:
        status, ctype, body = r.status, r.headers.get("Content-Type", ""), r.read()
except urllib.error.HTTPError as e:
    status, ctype, body = e.code, e.headers.get("Content-Type", ""), e.read()
if sys.argv[2]:
    print(json.loads(body)[sys.argv[2]])
elif ctype.startswith("application/problem+json"):
    print(status, json.loads(body)["type"].rsplit("/", 1)[-1])
else:
    print(status, ctype)
EOF
}

# Renames table $1 of the node's store to $2 while the node runs.
rename_table() {
  python3 - "$db" "$1" "$2" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute(f"ALTER TABLE {sys.argv[2]} RENAME TO {sys.argv[3]}")
db.commit()
EOF
}

task=$(get /v1/network tasks | tr -d "[]'")
model=$(get "/v1/tasks/$task/round" model)

# ---- a request while the store cannot be read ----------------------------------------------
test "$(get "/v1/blobs/$model")" = "200 application/vnd.safetensors"
rename_table blobs blobs_away
answer=$(get "/v1/blobs/$model")
if [ "$answer" != "500 internal" ]; then
  echo "a model that cannot be read was answered \"$answer\", not a 500 problem" >&2
  exit 1
fi
test "$(grep -c "Request failed" "$work/log")" -eq 1
rename_table blobs_away blobs
test "$(get "/v1/blobs/$model")" = "200 application/vnd.safetensors"
echo "request: 500 internal while the store failed, 200 once it read again"

# ---- a round whose updates cannot be read ----------------------------------------------------
export XDG_DATA_HOME="$work/participant"
"$cli" wallet create --label participant >/dev/null
"$cli" join "$url" >/dev/null
"$cli" contribute --dataset /usr/share/datasets/fashion-mnist --max-samples 300 --rounds 1 \
  --timeout 60 >"$work/contribute" 2>&1 &
contribute_pid=$!

state=
for _ in $(seq 1 1200); do
  state=$(get "/v1/tasks/$task/round" state)
  [ "$state" = aggregating ] && break
  sleep 0.05
done
if [ "$state" != aggregating ]; then
  echo "round 1 never started its aggregation" >&2
  cat "$work/contribute" "$work/log" >&2
  exit 1
fi
# The aggregation runs (6 s); the updates are gone from the store before it ends.
rename_table updates updates_away
wait "$contribute_pid" || { cat "$work/contribute" >&2; exit 1; }
contribute_pid=
# The aggregation ends, cannot read the updates to close the round, and the ticks that follow
# cannot read them to start again: wait for that, then for a few more ticks.
for _ in $(seq 1 600); do
  grep -q "waits: the store could not be read" "$work/log" && break
  sleep 0.1
done
sleep 3

round=$(get "/v1/tasks/$task/round" round)
state=$(get "/v1/tasks/$task/round" state)
if [ "$round" != 1 ] || [ "$state" != aggregating ]; then
  echo "with its updates unreadable, round 1 went on: now round $round, $state" >&2
  exit 1
fi
entries=$(get "/v1/ledger/entries?start=0&end=100" entries)
if grep -q "round_closed\|\"reward\"" <<<"$entries"; then
  echo "a round was closed or rewarded from a failed read: $entries" >&2
  exit 1
fi
waits=$(grep -c "waits: the store could not be read" "$work/log" || true)
if [ "$waits" -ne 1 ]; then
  echo "the waiting round was logged $waits times, not once" >&2
  exit 1
fi

rename_table updates_away updates
for _ in $(seq 1 600); do
  [ "$(get "/v1/tasks/$task/round" round)" = 2 ] && break
  sleep 0.1
done
test "$(get "/v1/tasks/$task/round" round)" = 2
entries=$(get "/v1/ledger/entries?start=0&end=100" entries)
grep -q "round_closed" <<<"$entries"
grep -q '"reward"' <<<"$entries"
echo "round: waited while its updates could not be read, closed and rewarded once they could"
