#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A tributary-cli participant whose update the node stored but whose receipt it never saved (as
# when it is stopped between the two) runs `contribute` again for the same round: the node
# answers `duplicate`, the CLI fetches the receipt of the update it holds, records it, verifies
# it in the ledger and exits 0. Run it from a build folder inside a throw-away session bus (the
# integration suite does):
#
#   dbus-run-session -- tests/integration/cli-receipt-recovered.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'kill "${node_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

export HOME="$work/home" GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy
mkdir -p "$HOME"
keyring_env=$(printf 'demo' | gnome-keyring-daemon --unlock --components=secrets)
eval "$(printf '%s\n' "$keyring_env" | sed -n 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/p')"

# Round 1 waits for two updates, so it stays open to the same participant's second try.
"$build/src/node/tributary-node" demo --data "$work/node" --url-file "$work/url" \
  --round-seconds 600 --min-updates 2 --max-updates 2 >/dev/null &
node_pid=$!
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url")

cli="$build/src/cli/tributary-cli"
export XDG_DATA_HOME="$work/participant"
"$cli" wallet create --label participant >/dev/null
"$cli" join "$url" >/dev/null
contribute=("$cli" contribute --dataset /usr/share/datasets/fashion-mnist --max-samples 300
            --rounds 1 --timeout 60)
"${contribute[@]}"

store="$XDG_DATA_HOME/tributary/tributary.db"
receipts() {
  python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM net_receipts").fetchone()[0])' \
    "$store"
}
test "$(receipts)" -eq 1
# The receipt is lost: the node holds the update, the participant has no record of it.
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute("DELETE FROM net_receipts"); db.commit()' "$store"
test "$(receipts)" -eq 0

# Trained again for round 1: `duplicate`, and the receipt of the stored update is recovered.
"${contribute[@]}" | tee "$work/out"
grep -q "Round 1: update accepted and verified" "$work/out"
test "$(receipts)" -eq 1
"$cli" ledger verify | tee "$work/verify"
grep -q "1 of 1 verified" "$work/verify"
echo "cli: a lost receipt was recovered after duplicate"
