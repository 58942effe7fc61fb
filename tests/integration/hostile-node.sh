#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tributary-cli against a dishonest node: a real tributary-node on 127.0.0.1 whose data folder is
# edited between runs, as an attacker with the node's files would: (a) an entry edited with the
# tree's stored hashes left alone, (b) the newest entry dropped with the tree rebuilt and the
# smaller checkpoint re-signed, (c) the ledger key swapped. Three participants verified the
# ledger before; after each edit, each of them runs one of `ledger verify`, `history` and
# `contribute` first (so that each path finds the tampering on its own), then the two others.
# Every command must exit with status 3 and name what was found in the same plain words, and the
# evidence must be in the participant's store. Run it from a build folder inside a throw-away
# session bus (the integration suite does):
#
#   dbus-run-session -- tests/integration/hostile-node.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
cli="$build/src/cli/tributary-cli"
node_bin="$build/src/node/tributary-node"
work=$(mktemp -d)
trap 'kill "${node_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

export HOME="$work/home" GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy
mkdir -p "$HOME"
keyring_env=$(printf 'hostile' | gnome-keyring-daemon --unlock --components=secrets)
eval "$(printf '%s\n' "$keyring_env" | sed -n 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/p')"

wait_for_url () {
  for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "the node did not start" >&2
  return 1
}

stop_node () {
  kill "$node_pid"
  wait "$node_pid" 2>/dev/null || true
}

"$node_bin" demo --data "$work/node" --url-file "$work/url" --round-seconds 600 \
  --min-updates 5 --max-updates 5 &
node_pid=$!
wait_for_url "$work/url"
url=$(cat "$work/url")
port=${url##*:}
port=${port%/}

start_node () {
  rm -f "$work/url-again"
  "$node_bin" serve --data "$work/node" --listen "127.0.0.1:$port" --url-file "$work/url-again" &
  node_pid=$!
  wait_for_url "$work/url-again"
}

# Three participants who verified the ledger, and a fourth whose joining entry is edited in (a).
for who in 1 2 3 4; do
  export XDG_DATA_HOME="$work/participant-$who"
  "$cli" wallet create --label "participant-$who" >/dev/null
  "$cli" join "$url" >/dev/null
done
# Round 1 asks those who joined at the node's next tick, in a round_opened entry of its own:
# written before the participants verify, so that the newest entry is one they have all seen.
sleep 1
for who in 1 2 3; do
  XDG_DATA_HOME="$work/participant-$who" "$cli" ledger verify >/dev/null
done
stop_node

# The honest state, restored before each attack.
cp -a "$work/node" "$work/node-honest"
for who in 1 2 3; do cp -a "$work/participant-$who" "$work/participant-$who-honest"; done
restore () {
  rm -rf "$work/node"
  cp -a "$work/node-honest" "$work/node"
  for who in 1 2 3; do
    rm -rf "$work/participant-$who"
    cp -a "$work/participant-$who-honest" "$work/participant-$who"
  done
}

run () {
  local who=$1; shift
  XDG_DATA_HOME="$work/participant-$who" timeout 120 "$cli" "$@" \
    >"$work/out" 2>&1 && status=0 || status=$?
}

# Each command, in each participant's order, exits 3 with @words; the evidence of @kind is kept.
expect_caught () {
  local kind=$1 words=$2
  local -a orders=("verify history contribute" "history contribute verify"
                   "contribute verify history")
  for who in 1 2 3; do
    for command in ${orders[$((who - 1))]}; do
      case $command in
        verify) run "$who" ledger verify ;;
        history) run "$who" history ;;
        contribute) run "$who" contribute --dataset /usr/share/datasets/fashion-mnist \
                      --max-samples 100 --rounds 1 --timeout 30 ;;
      esac
      if [ "$status" -ne 3 ] || ! grep -qF "$words" "$work/out"; then
        echo "$kind: participant $who, $command: status $status, expected 3 and “$words”:" >&2
        cat "$work/out" >&2
        exit 1
      fi
    done
    store=$(find "$work/participant-$who" -name '*.db' | head -n 1)
    count=$(sqlite3 "$store" "SELECT count(*) FROM ledger_evidence WHERE kind = '$kind' AND \
      dismissed_at IS NULL AND length(verified_note) > 0 AND ( \
        (kind = 'edited-entry' AND length(entry) > 0 AND length(proof) > 0) OR \
        (kind = 'shrunk' AND length(conflicting_note) > 0) OR \
        (kind = 'key-changed' AND length(conflicting_note) > 0 AND verified_key IS NOT NULL \
         AND conflicting_key IS NOT NULL AND verified_key != conflicting_key))")
    if [ "$count" -lt 1 ]; then
      echo "$kind: participant $who kept no evidence" >&2
      sqlite3 "$store" "SELECT * FROM ledger_evidence" >&2
      exit 1
    fi
  done
  echo "hostile node: $kind caught by ledger verify, history and contribute; evidence kept"
}

# (a) An entry edited, the tree untouched: participant 4's joining now names another wallet.
restore
/usr/bin/python3 - "$work/node/node.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
idx, data = db.execute("SELECT idx, data FROM ledger_log_entries WHERE CAST(data AS TEXT) "
                       "LIKE '%participant_joined%' ORDER BY idx DESC").fetchone()
entry = json.loads(bytes(data))
entry["participant"] = "f" * len(entry["participant"])
edited = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode()
assert edited != bytes(data)
db.execute("UPDATE ledger_log_entries SET data = ? WHERE idx = ?", (edited, idx))
db.commit()
PY
start_node
expect_caught edited-entry "was changed after it was signed"
stop_node

# (b) The newest entry dropped, the tree rebuilt, the smaller checkpoint signed by the node.
restore
/usr/bin/python3 - "$work/node/node.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(size,) = db.execute("SELECT count(*) FROM ledger_log_entries").fetchone()
last = size - 1
db.execute("DELETE FROM ledger_log_entries WHERE idx >= ?", (last,))
db.execute("DELETE FROM ledger_log_nodes WHERE ((idx + 1) << level) > ?", (last,))
db.execute("DELETE FROM checkpoints WHERE tree_size > ?", (last,))
db.commit()
PY
start_node
expect_caught shrunk "lost entries that it had signed before"
stop_node

# (c) The ledger key swapped for another.
restore
rm -f "$work/node/ledger.key"
(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/node/ledger.key")
start_node
expect_caught key-changed "changed its ledger key"
stop_node
