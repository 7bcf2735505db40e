#!/usr/bin/env bash
# The whole test suite, as the README and CI run it:
#   1. a normal build with -Werror: unit tests, golden cases, format check;
#   2. make distcheck (the tarball builds and passes on its own);
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build: the same tests;
#   4. integration tests against a real OpenSearch node (started from Maven
#      Central artifacts) or the cluster named by ES_URL.
# Build directories are out of tree (build/, build-asan/), so the source
# tree stays unconfigured. Exits non-zero on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==> %s\n' "$*"; }
show_logs() {
    # Print the logs of failed tests so CI output explains the failure.
    local dir=$1
    for f in "$dir"/tests/unit/*.log "$dir"/tests/*.log; do
        [ -f "$f" ] || continue
        if grep -qE '^(FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null; then
            echo "---- $f"; tail -n 60 "$f"
        fi
    done
}

step "autogen"
./autogen.sh >/dev/null

step "build with -Werror and run make check"
mkdir -p build
(cd build && ../configure --quiet --enable-werror --with-isal=yes)
make -C build -j"$jobs" >/dev/null
make -C build -j"$jobs" check || { show_logs build; exit 1; }

step "make distcheck"
make -C build distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >build/distcheck.log 2>&1 \
    || { tail -n 80 build/distcheck.log; exit 1; }
grep -E '^(=+|logship-.*archives ready for distribution)' build/distcheck.log | tail -n 3

step "AddressSanitizer + UndefinedBehaviorSanitizer build and make check"
mkdir -p build-asan
(cd build-asan && ../configure --quiet --enable-werror --enable-sanitizers --with-isal=yes)
make -C build-asan -j"$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    make -C build-asan -j"$jobs" check || { show_logs build-asan; exit 1; }

step "integration tests (real OpenSearch, or ES_URL=${ES_URL:-unset})"
make -C build check-integration

step "all tests passed"
