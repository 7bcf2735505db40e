#!/usr/bin/env bash
# Builds logship out of tree in build/ (the source tree stays unconfigured,
# so sanitizer builds in their own directories keep working):
#   scripts/build.sh [configure options...]     e.g. --enable-werror
set -euo pipefail
cd "$(dirname "$0")/.."
./autogen.sh >/dev/null
mkdir -p build
cd build
../configure --quiet "$@"
make -j"$(nproc 2>/dev/null || echo 2)"
echo "built: build/logship"
