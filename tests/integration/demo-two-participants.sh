#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the Fashion-MNIST demo network and two headless participants (tributary-cli contribute)
# on loopback, then shows the first participant's verified history, and fails unless both
# completed three rounds, every update is verified in the ledger and the history shows the three
# closed rounds. Run it from a build folder inside a throw-away session bus (the integration
# suite does):
#
#   dbus-run-session -- tests/integration/demo-two-participants.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'kill "${node_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

# Rounds close as soon as both updates are in; the long deadline only matters on a slow or busy
# machine, where a short one could close a round with one update late and leave the other
# participant waiting for a partner that has already finished.

# A private home with an unlocked keyring for the two wallets.
export HOME="$work/home" GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy
mkdir -p "$HOME"
keyring_env=$(printf 'demo' | gnome-keyring-daemon --unlock --components=secrets)
eval "$(printf '%s\n' "$keyring_env" | sed -n 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/p')"

"$build/src/node/tributary-node" demo --data "$work/node" --url-file "$work/url" \
  --round-seconds 120 --min-updates 2 --max-updates 2 &
node_pid=$!
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url")

for who in 1 2; do
  export XDG_DATA_HOME="$work/participant-$who"
  "$build/src/cli/tributary-cli" wallet create --label "participant-$who" >/dev/null
  "$build/src/cli/tributary-cli" join "$url"
done

pids=()
for who in 1 2; do
  XDG_DATA_HOME="$work/participant-$who" timeout 200 "$build/src/cli/tributary-cli" contribute \
    --dataset /usr/share/datasets/fashion-mnist --share "$who/2" --max-samples 1500 --rounds 3 &
  pids+=($!)
done
wait "${pids[@]}"

for who in 1 2; do
  export XDG_DATA_HOME="$work/participant-$who"
  "$build/src/cli/tributary-cli" status
  "$build/src/cli/tributary-cli" ledger verify | tee "$work/verify-$who"
  grep -q "3 of 3 verified" "$work/verify-$who"
done

export XDG_DATA_HOME="$work/participant-1"
"$build/src/cli/tributary-cli" history | tee "$work/history"
test "$(grep -c "closed: model" "$work/history")" -eq 3
test "$(grep -c "your update" "$work/history")" -eq 3
grep -q "all verified" "$work/history"
echo "demo: two participants completed three rounds; history verified"

# A node that edits an entry of its ledger and leaves the tree's stored hashes alone: the
# participant's `ledger verify` hashes every entry it is served and calls it tampering.
kill "$node_pid"
wait "$node_pid" 2>/dev/null || true
/usr/bin/python3 - "$work/node/node.db" <<'PY'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
idx, data = next((i, bytes(d)) for i, d in db.execute(
    "SELECT idx, data FROM ledger_log_entries ORDER BY idx")
    if b'"type":"reward"' in bytes(d))
edited = re.sub(rb'"points":\d+', b'"points":999999', data)
assert edited != data
db.execute("UPDATE ledger_log_entries SET data = ? WHERE idx = ?", (edited, idx))
db.commit()
PY
port=${url##*:}
"$build/src/node/tributary-node" serve --data "$work/node" --listen "127.0.0.1:${port%/}" \
  --url-file "$work/url-again" &
node_pid=$!
for _ in $(seq 1 100); do [ -s "$work/url-again" ] && break; sleep 0.1; done
status=0
"$build/src/cli/tributary-cli" ledger verify >"$work/verify-edited" 2>&1 || status=$?
cat "$work/verify-edited"
test "$status" -eq 3
grep -q "was changed after it was signed" "$work/verify-edited"
echo "demo: an entry edited on the node is caught by ledger verify"
