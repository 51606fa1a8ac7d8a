#!/usr/bin/env bash
# Installs Lamina into a fresh prefix and builds tests/consumer -- a project outside the tree --
# against it with find_package(lamina), then runs it (it trains a small model).
#   bash scripts/test_consumer.sh
# Directories (all under build/, recreated each run except the library build):
#   build/install-check    Lamina configured as release without tests, benchmarks or examples;
#                          at the same depth as build/release, so ccache reuses its objects
#   build/install-prefix   where it is installed
#   build/consumer         the consumer project's build
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
lib=$src/build/install-check
prefix=$src/build/install-prefix
consumer=$src/build/consumer

echo "== building Lamina (release; tests, benchmarks and examples off) and installing it into $prefix"
cmake -S "$src" -B "$lib" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLAMINA_BUILD_TESTS=OFF -DLAMINA_BUILD_BENCH=OFF -DLAMINA_BUILD_EXAMPLES=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$lib" -j 2
rm -rf "$prefix" "$consumer"
cmake --install "$lib" >/dev/null

echo "== building tests/consumer with find_package(lamina) from $prefix"
cmake -S "$src/tests/consumer" -B "$consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$consumer"

# The consumer must load the OpenMP build of OpenBLAS, as Lamina's own programs do.
if ! ldd "$consumer/consumer" | grep -q 'openblas-openmp/libopenblas'; then
  echo "test_consumer.sh: the consumer does not load OpenBLAS from openblas-openmp:" >&2
  ldd "$consumer/consumer" | grep -i blas >&2 || true
  exit 1
fi

echo "== running it"
"$consumer/consumer"
