#!/usr/bin/env bash
# Builds Lamina and runs its unit tests.
#   bash scripts/test.sh              release build, all tests
#   bash scripts/test.sh --sanitize   the same under AddressSanitizer + UBSan, except the tests that
#                                     train to an accuracy (Learning.*, the CLI's word-order task):
#                                     minutes under ASan, and their code runs in other tests there
#   bash scripts/test.sh --tsan       the library and the concurrency tests (Concurrency.*)
#                                     under ThreadSanitizer, OpenMP at 1 thread
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
case "${1:-}" in
  --sanitize) preset=sanitize ;;
  --tsan) preset=tsan ;;
  "") ;;
  *) echo "usage: bash scripts/test.sh [--sanitize | --tsan]" >&2; exit 2 ;;
esac

bash scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
