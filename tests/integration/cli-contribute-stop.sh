#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `tributary-cli contribute` stops as a person asks and as the protocol says: Ctrl-C (SIGINT)
# while it waits for a round, or while it trains, makes it exit within a second with a plain
# message and a store that still verifies (nothing sent for the round it trained for); a network that refuses every update for good (here a norm bound no update
# meets) is tried three times in a row, then the command stops and says why. Run it from a build
# folder inside a throw-away session bus (the integration suite does):
#
#   dbus-run-session -- tests/integration/cli-contribute-stop.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'kill "${node_pid:-}" "${cli_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

export HOME="$work/home" GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy LANGUAGE=C
mkdir -p "$HOME"
keyring_env=$(printf 'demo' | gnome-keyring-daemon --unlock --components=secrets)
eval "$(printf '%s\n' "$keyring_env" | sed -n 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/p')"

node="$build/src/node/tributary-node"
cli="$build/src/cli/tributary-cli"

# A node serving a task whose rounds wait for two updates (one participant leaves round 1 open),
# trained for 20 epochs (minutes on the whole data set), and whose aggregation is $1.
start_node () {
  cat >"$work/task.json" <<JSON
{"id": "clothing", "title": "Clothing",
 "model": {"format": "tributary-model", "version": 1,
           "input": {"shape": [784], "dtype": "u8", "scale": 0.00392156862745098},
           "layers": [{"type": "dense", "units": 256}, {"type": "relu"},
                      {"type": "dense", "units": 10}], "loss": "softmax_cross_entropy"},
 "data_schema": {"kind": "image-classification", "width": 28, "height": 28, "channels": 1,
                 "classes": 10},
 "hyper_parameters": {"local_epochs": 20, "batch_size": 16, "learning_rate": 0.1},
 "round_policy": {"duration_seconds": 600, "min_updates": 2, "max_updates": 2},
 "reward_policy": {"points_per_sample_epoch": 0.01, "cap_per_round": 5},
 "aggregation": $1,
 "initial_weights": {"seed": 7}}
JSON
  rm -rf "$work/node" "$work/url"
  "$node" init --data "$work/node" --name Stop --task "$work/task.json" >/dev/null
  "$node" serve --data "$work/node" --listen 127.0.0.1:0 --url-file "$work/url" >/dev/null &
  node_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
  url=$(cat "$work/url")
}

stop_node () {
  kill "$node_pid"
  wait "$node_pid" 2>/dev/null || true
  node_pid=
}

# Ctrl-C to the running command ($cli_pid): it ends within a second, says so, exit status 130.
interrupt () {
  local start elapsed_ms status=0

  start=$(date +%s%N)
  kill -INT "$cli_pid"
  for _ in $(seq 1 30); do kill -0 "$cli_pid" 2>/dev/null || break; sleep 0.05; done
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if kill -0 "$cli_pid" 2>/dev/null; then
    echo "tributary-cli contribute still runs 1.5 s after Ctrl-C" >&2
    exit 1
  fi
  wait "$cli_pid" || status=$?
  cli_pid=
  cat "$work/err"
  echo "exited with status $status ${elapsed_ms} ms after Ctrl-C"
  test "$elapsed_ms" -le 1000
  test "$status" -eq 130
  grep -q "^tributary-cli: Stopped" "$work/err"
}

contribute=("$cli" contribute --dataset /usr/share/datasets/fashion-mnist --max-samples 300
            --timeout 120)

# ---- Ctrl-C while waiting for a round ----
start_node '{}'
export XDG_DATA_HOME="$work/ctrl-c"
"$cli" wallet create --label participant >/dev/null
"$cli" join "$url" >/dev/null
"${contribute[@]}" --rounds 2 >"$work/out" 2>"$work/err" &
cli_pid=$!
for _ in $(seq 1 600); do
  grep -q "Round 1: update accepted" "$work/out" && break
  kill -0 "$cli_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q "Round 1: update accepted" "$work/out"
sleep 1  # waiting for round 2, which one participant never opens
interrupt
# Nothing half-written: the one receipt is there and verifies.
"$cli" ledger verify | tee "$work/verify"
grep -q "1 of 1 verified" "$work/verify"

# ---- Ctrl-C while training on the whole data set, 20 epochs ----
export XDG_DATA_HOME="$work/training"
"$cli" wallet create --label participant >/dev/null
"$cli" join "$url" >/dev/null
"$cli" contribute --dataset /usr/share/datasets/fashion-mnist --rounds 1 --timeout 120 \
  >"$work/out" 2>"$work/err" &
cli_pid=$!
for _ in $(seq 1 600); do
  grep -q "Training on" "$work/out" && break
  kill -0 "$cli_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q "Training on" "$work/out"
sleep 2  # joined, the ledger checked, the model downloaded: training
cat "$work/out"
interrupt
# Nothing was sent for the round: round 1 still holds the first participant's update alone.
python3 -c 'import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
round = json.load(opener.open(sys.argv[1] + "/v1/tasks/clothing/round"))
print("round", round["round"], round["state"], round["updates"], "update(s)")
assert (round["round"], round["state"], round["updates"]) == (1, "collecting", 1), round' "$url"
stop_node

# ---- three permanent refusals in a row ----
start_node '{"max_update_norm": 1e-9, "norm_bound": "refuse", "refuse_factor": 1}'
export XDG_DATA_HOME="$work/refused"
"$cli" wallet create --label participant >/dev/null
"$cli" join "$url" >/dev/null
status=0
"${contribute[@]}" --rounds 1 >"$work/out" 2>"$work/err" || status=$?
cat "$work/out" "$work/err"
test "$status" -eq 1
test "$(grep -c "trying once more" "$work/out")" -eq 2
grep -q "refused this computer’s update 3 times in a row" "$work/err"
stop_node
echo "cli: Ctrl-C stops within a second, waiting or training; three refusals in a row stop contributing"
