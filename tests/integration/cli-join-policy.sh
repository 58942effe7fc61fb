#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `tributary-cli join` against the join policies: a network by invitation refuses a join without
# a code, admits one with `--invite CODE`, and refuses the same code from another wallet; a code
# revoked with `tributary-node invite --revoke` while the node serves is refused in plain words,
# one revoked after it was used leaves its wallet a member, and `invite --list` shows both; a
# network asking a proof of work (the default difficulty) is joined with the puzzle solved by
# the CLI, which says so first. Prints how long that join took. Run it from a build folder
# inside a throw-away session bus (the integration suite does):
#
#   dbus-run-session -- tests/integration/cli-join-policy.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'kill "${node_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

export HOME="$work/home" GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy
mkdir -p "$HOME"
keyring_env=$(printf 'demo' | gnome-keyring-daemon --unlock --components=secrets)
eval "$(printf '%s\n' "$keyring_env" | sed -n 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/p')"

node="$build/src/node/tributary-node"
cli="$build/src/cli/tributary-cli"

serve() {
  rm -f "$work/url"
  "$node" "$@" --data "$work/node" --listen 127.0.0.1:0 --url-file "$work/url" >/dev/null &
  node_pid=$!
  for _ in $(seq 1 300); do [ -s "$work/url" ] && break; sleep 0.1; done
  url=$(cat "$work/url")
}
stop() {
  kill "$node_pid"
  wait "$node_pid" || true
}
wallet() {
  export XDG_DATA_HOME="$work/participant-$1"
  "$cli" wallet create --label "participant-$1" >/dev/null 2>&1
}

serve demo
stop
serve serve --join-policy invitation
code=$("$node" invite --data "$work/node")

wallet a
if "$cli" join "$url" 2>"$work/err"; then
  echo "joined without an invitation" >&2
  exit 1
fi
grep -q "by invitation only" "$work/err"
"$cli" join "$url" --invite "$code"

wallet b
if "$cli" join "$url" --invite "$code" 2>"$work/err"; then
  echo "a second wallet joined with the same invitation" >&2
  exit 1
fi
grep -q "already used by someone else" "$work/err"

# Revoked while the node serves: refused at once, in plain words; revoking again is harmless.
spare=$("$node" invite --data "$work/node")
"$node" invite --data "$work/node" --revoke "$spare" | grep -q "is revoked"
"$node" invite --data "$work/node" --revoke "$spare" | grep -q "already revoked"
if "$cli" join "$url" --invite "$spare" 2>"$work/err"; then
  echo "a wallet joined with a revoked invitation" >&2
  exit 1
fi
grep -q "taken back by the person who runs the network" "$work/err"

# The code wallet a used, revoked: a stays a member, and the command says so.
"$node" invite --data "$work/node" --revoke "$code" >"$work/out"
grep -q "stays a member" "$work/out"
"$node" invite --data "$work/node" --list >"$work/list"
grep -q "^$code .*used by .*, revoked on " "$work/list"
grep -q "^$spare .*revoked on .*, unused$" "$work/list"
export XDG_DATA_HOME="$work/participant-a"
"$cli" join "$url" --invite "$code"
stop

serve serve --join-policy proof-of-work
wallet c
start=$(date +%s.%N)
"$cli" join "$url" | tee "$work/out"
end=$(date +%s.%N)
grep -q "Solving the network’s joining puzzle" "$work/out"
grep -q "Joined" "$work/out"
echo "proof of work (default difficulty): joined in $(echo "$end - $start" | bc) s"
echo "cli: invitation and proof of work joins behave"
