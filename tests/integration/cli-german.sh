#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tributary-cli and tributary-node speak the user's language when run from a development build
# folder, before anything is installed: both find the catalogues meson compiled into the build
# folder's po/. Run under de_DE.UTF-8, their --help must be German. The locale is generated with
# localedef into a temporary folder when the machine lacks it: the test never skips for want of
# it.
#
#   tests/integration/cli-german.sh _build

set -euo pipefail

build=$(realpath "${1:-_build}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! locale -a | grep -qiE '^de_DE\.utf-?8$'; then
  # localedef warns about some locale sources and still writes a usable locale.
  localedef -i de_DE -f UTF-8 "$work/de_DE.UTF-8" >/dev/null 2>&1 || true
  [ -d "$work/de_DE.UTF-8" ] || { echo "localedef could not make de_DE.UTF-8"; exit 1; }
  export LOCPATH="$work"
fi
export LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 LANGUAGE=de

expect() {
  local program=$1 wanted=$2 out
  out=$("$build/src/$program" --help 2>&1 || true)
  if ! grep -qF "$wanted" <<<"$out"; then
    printf 'FAIL: %s --help under de_DE.UTF-8 does not say “%s”; it printed:\n%s\n' \
      "$(basename "$program")" "$wanted" "$out"
    exit 1
  fi
  printf 'ok: %s --help is German\n' "$(basename "$program")"
}

expect cli/tributary-cli "Mit „tributary-cli BEFEHL --help“ sehen Sie die Optionen eines Befehls."
expect node/tributary-node "Ein Netzwerk für föderiertes Lernen bereitstellen."
