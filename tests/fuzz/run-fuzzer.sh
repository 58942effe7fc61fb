#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds one libFuzzer target with clang (the project itself builds with gcc) and runs it for a
# bounded time on a copy of its seed corpus.
#
#   run-fuzzer.sh NAME SECONDS SOURCE_ROOT BUILD_ROOT LIBRARY SOURCE...
#
# The sources are the target's harness and the library files it exercises; they are compiled
# with AddressSanitizer and UndefinedBehaviorSanitizer against the libraries below. LIBRARY is
# "-" or a static libtributary that provides whatever else those files call: only the files
# named here are instrumented for coverage, so name every file whose parsing code is fuzzed.

set -eu

name=$1
seconds=${TRB_FUZZ_SECONDS:-$2}
source_root=$3
build_root=$4
library=$5
shift 5

packages="glib-2.0 gio-2.0 gio-unix-2.0 gdk-pixbuf-2.0 json-glib-1.0 libsodium sqlite3 zlib"
extra=""
if [ "$library" != "-" ]; then
  packages="$packages libsoup-3.0 libsecret-1 vulkan openblas"
  extra="$library"
fi
out="$build_root/tests/fuzz"
binary="$out/fuzz-$name"
corpus="$out/corpus-$name"
seeds="$source_root/tests/fuzz/corpus/$name"
dictionary="$source_root/tests/fuzz/$name.dict"

mkdir -p "$out" "$corpus"

# shellcheck disable=SC2046
clang -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DHAVE_CONFIG_H -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
  -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
  -I"$build_root" -I"$source_root/src" \
  $(pkg-config --cflags $packages) \
  "$@" $extra \
  $(pkg-config --libs $packages) -lm -lpthread \
  -o "$binary"

if [ -d "$seeds" ]; then
  cp -f "$seeds"/* "$corpus"/ 2>/dev/null || true
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
# Leaks in libraries the target cannot change are named in NAME.lsan.supp; matching them needs
# whole allocation stacks, which the system libraries (no frame pointers) only give with the
# slower unwinder.
suppressions="$source_root/tests/fuzz/$name.lsan.supp"
if [ -f "$suppressions" ]; then
  export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
  export LSAN_OPTIONS="${LSAN_OPTIONS:-}${LSAN_OPTIONS:+:}suppressions=$suppressions"
fi
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# A dictionary of the target's tokens (header names, paths), when there is one.
set --
if [ -f "$dictionary" ]; then
  set -- -dict="$dictionary"
fi

exec "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 \
  -timeout=10 -max_len=65536 -print_final_stats=1 "$@" "$corpus"
