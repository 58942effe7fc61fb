#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One attacker of four cannot hijack a network run with a robust strategy: for each attack
# (scaled ×1000, sign-flipped, 10⁹ samples claimed, random, zero) and each robust strategy
# (median, trimmed mean, Multi-Krum), a real node on 127.0.0.1 and four participants training
# the 2NN on Fashion-MNIST for three rounds, with seeded training so that every run repeats
# exactly (`tributary-bench robustness --seed`). After three rounds the model's hold-out accuracy
# is within 3 points of the honest-only run of the same strategy, and the attacker earns nothing:
# reward rule 2 pays only the updates the aggregate used, and these strategies set the attacker's
# aside (docs/ledger-format.md). Run it from a build folder:
#
#   tests/integration/robustness.sh _build [STRATEGIES]

set -euo pipefail

build=$(realpath "${1:-_build}")
strategies=${2:-median,trimmed_mean,multi_krum}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export HOME="$work/home" TMPDIR="$work/tmp" GSETTINGS_BACKEND=memory LANGUAGE=C LC_ALL=C.UTF-8
mkdir -p "$HOME" "$TMPDIR"

"$build/src/bench/tributary-bench" robustness --node "$build/src/node/tributary-node" \
  --rounds 3 --participants 4 --attackers 1 --samples 2000 --eval-samples 2000 --seed 1 \
  --strategy "$strategies" --attack all >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
cat "$work/out"

# The table's rows: strategy, attack (its label), three accuracies, each but the baseline's
# with the honest-only run's in parentheses, the attackers' share, the time, the points.
awk -v strategies="$strategies" '
  BEGIN { n = split (strategies, want, ","); for (i = 1; i <= n; i++) expected[want[i]] = 5 }
  $1 in expected && $2 == "none" { baseline[$1] = $6; next }
  $1 in expected {
    attack = $2; for (i = 3; $i !~ /^[0-9.-]+$/; i++) attack = attack " " $i
    accuracy = $(i + 4); honest = $(i + 5); gsub (/[()]/, "", honest)
    points = $NF
    if (accuracy == "-" || accuracy + 0.03 < honest + 0) {
      printf "%s, %s: accuracy %s after three rounds, honest-only %s\n", $1, attack, accuracy, honest
      failed = 1
    }
    if (points + 0 != 0) {
      printf "%s, %s: the attacker earned %s points\n", $1, attack, points
      failed = 1
    }
    if (baseline[$1] == "" || honest != baseline[$1]) {
      printf "%s, %s: no honest-only run beside it\n", $1, attack
      failed = 1
    }
    expected[$1]--
  }
  END {
    for (s in expected)
      if (expected[s] != 0) { printf "%s: %d attack rows missing\n", s, expected[s]; failed = 1 }
    exit failed
  }' "$work/out"
echo "robustness: every attack within 3 points of the honest-only run, and unpaid"
