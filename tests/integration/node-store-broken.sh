#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A node whose store does not hold the tables this version expects (a statement that does not
# compile) refuses to start with a message, rather than aborting. Run it from a build folder:
#
#   tests/integration/node-store-broken.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'kill "${node_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

export HOME="$work/home" GSETTINGS_BACKEND=memory
mkdir -p "$HOME"
node="$build/src/node/tributary-node"

"$node" demo --data "$work/node" --listen 127.0.0.1:0 --url-file "$work/url" >/dev/null &
node_pid=$!
for _ in $(seq 1 300); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ]
kill "$node_pid"
wait "$node_pid" || true
node_pid=

python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("ALTER TABLE network RENAME TO network_gone")
db.commit()' "$work/node/node.db"

status=0
timeout 30 "$node" serve --data "$work/node" --listen 127.0.0.1:0 >/dev/null 2>"$work/err" \
  || status=$?
if [ "$status" -eq 0 ] || [ "$status" -ge 124 ]; then
  echo "a node with a broken store exited with status $status, not with a refusal" >&2
  cat "$work/err" >&2
  exit 1
fi
grep -q "store" "$work/err"
echo "refused with status $status: $(cat "$work/err")"
