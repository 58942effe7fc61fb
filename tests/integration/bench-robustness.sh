#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `tributary-bench robustness` runs end to end on a tiny setting: a node, three participants of
# which one attacker, one round; it prints the honest-only line and the attack's line beside it,
# and leaves neither a node nor a run's folder behind; the NIID-Bench setting (its CNN, SGD with
# momentum) reaches the node's task, and a setting no run can have is refused. Its figures are
# not checked: that is what the program is for. Run it from a build folder:
#
#   tests/integration/bench-robustness.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export HOME="$work/home" TMPDIR="$work/tmp" GSETTINGS_BACKEND=memory LANGUAGE=C LC_ALL=C.UTF-8
mkdir -p "$HOME" "$TMPDIR"

"$build/src/bench/tributary-bench" robustness --node "$build/src/node/tributary-node" \
  --rounds 1 --participants 3 --attackers 1 --samples 200 --eval-samples 300 \
  --strategy median --attack samples >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
cat "$work/out"

grep -Eq '^median +none \(honest\) +0\.[0-9]{3} ' "$work/out"
row='^median +samples 10\^9 +0\.[0-9]{3} \(0\.[0-9]{3}\) .*H1 [0-9.]+, H2 [0-9.]+, A3 [0-9.]+$'
grep -Eq "$row" "$work/out"
# Every run's folder is gone, and with it every node it started.
test -z "$(ls -A "$TMPDIR")"

# The NIID-Bench setting: its CNN, SGD with momentum, batch 64; the task the node ran says so.
"$build/src/bench/tributary-bench" robustness --node "$build/src/node/tributary-node" \
  --rounds 1 --participants 2 --attackers 0 --samples 100 --eval-samples 100 --strategy fedavg \
  --model niid-cnn --learning-rate 0.01 --momentum 0.9 --batch-size 64 --keep \
  >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
cat "$work/out"
grep -q 'Fashion-MNIST NIID-Bench CNN,' "$work/out"
grep -Eq '^fedavg +none \(honest\) +0\.[0-9]{3} ' "$work/out"
task=$(find "$TMPDIR" -name task.json)
grep -q '"momentum": 0.9,' "$task"
grep -q '"batch_size": 64,' "$task"
grep -q '"filters":16' "$task"
rm -rf "${TMPDIR:?}"/*

# A setting no run can have is refused before anything starts.
for bad in '--momentum 1' '--model resnet' '--batch-size 0' '--learning-rate 0'; do
  status=0
  # shellcheck disable=SC2086
  "$build/src/bench/tributary-bench" robustness $bad >"$work/out" 2>&1 || status=$?
  test "$status" -eq 2
  test -z "$(ls -A "$TMPDIR")"
done
