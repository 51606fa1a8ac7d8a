#!/usr/bin/env bash
# Builds Lamina and runs its unit tests.
#   bash scripts/test.sh              release build, all tests
#   bash scripts/test.sh --sanitize   the same under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
[ "${1:-}" = "--sanitize" ] && preset=sanitize

bash scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
