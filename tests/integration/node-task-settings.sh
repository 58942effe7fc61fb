#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The node checks a task's training settings as participants read them: a mistake is refused
# when the operator creates the network, with the participants' own sentence, the full settings
# (SGD with momentum, weight decay, FedProx) are accepted, and a stored task whose settings were
# edited since is refused when the node loads it. Run it from a build folder:
#
#   tests/integration/node-task-settings.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export HOME="$work/home" GSETTINGS_BACKEND=memory LANGUAGE=C LC_ALL=C.UTF-8
mkdir -p "$HOME"
node="$build/src/node/tributary-node"

task () {
  cat >"$work/task.json" <<JSON
{
  "id": "settings",
  "model": {"format": "tributary-model", "version": 1,
            "input": {"shape": [784], "dtype": "u8", "scale": 0.00392156862745098},
            "layers": [{"type": "dense", "name": "fc1", "units": 10}],
            "loss": "softmax_cross_entropy"},
  "hyper_parameters": $1,${2:-}
  "initial_weights": {"seed": 1}
}
JSON
}

refused () {
  local settings=$1 sentence=$2 extra=${3:-} status=0

  rm -rf "$work/node"
  task "$settings" "$extra"
  "$node" init --data "$work/node" --name Settings --task "$work/task.json" \
    >/dev/null 2>"$work/err" || status=$?
  if [ "$status" -eq 0 ]; then
    echo "the node accepted the training settings $settings" >&2
    exit 1
  fi
  if ! grep -qF "$sentence" "$work/err"; then
    echo "the node refused $settings without saying: $sentence" >&2
    cat "$work/err" >&2
    exit 1
  fi
  echo "refused $settings: $(cat "$work/err")"
}

refused '{"optimizer": "rmsprop"}' 'The task’s “optimizer” must be “sgd” or “adam”.'
refused '{"momentum": 1.5}' 'The task’s “momentum” must be a number from 0 to less than 1.'
refused '{"optimizer": "adam", "momentum": 0.9}' \
  'The task’s “momentum” is a setting of the “sgd” optimizer, but the task trains with “adam”.'
refused '{"learnig_rate": 0.01}' 'The task’s training settings name “learnig_rate”'
refused '{}' 'Task “settings”: “publish_updates” must be true or false.' '"publish_updates": "yes",'

rm -rf "$work/node"
task '{"optimizer": "sgd", "momentum": 0.9, "weight_decay": 0.0005, "fedprox_mu": 0.01,
       "learning_rate": 0.01, "batch_size": 64, "local_epochs": 2}'
"$node" init --data "$work/node" --name Settings --task "$work/task.json" >/dev/null
echo "accepted SGD with momentum, weight decay and FedProx"

# The task as stored, edited behind the node's back: the node refuses to serve it.
python3 -c 'import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
task = json.loads(db.execute("SELECT json FROM tasks").fetchone()[0])
task["hyper_parameters"]["optimizer"] = "adam"
db.execute("UPDATE tasks SET json = ?", (json.dumps(task),))
db.commit()' "$work/node/node.db"
status=0
timeout 30 "$node" serve --data "$work/node" --listen 127.0.0.1:0 >/dev/null 2>"$work/err" \
  || status=$?
if [ "$status" -eq 0 ] || [ "$status" -ge 124 ]; then
  echo "a node whose stored task trains Adam with momentum exited with status $status" >&2
  cat "$work/err" >&2
  exit 1
fi
grep -qF 'The task’s “momentum” is a setting of the “sgd” optimizer' "$work/err"
echo "refused to load: $(cat "$work/err")"
