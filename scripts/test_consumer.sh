#!/usr/bin/env bash
# Installs Lamina from the release build into a fresh prefix and builds tests/consumer -- a
# project outside the tree -- against it with find_package(lamina), then runs it (it trains a
# small text model).
#   bash scripts/test_consumer.sh
# It does not build Lamina a second time: it installs the library of build/release, which must
# be configured and built first, as `bash scripts/test.sh` leaves it (CI runs that just before). It installs only the install
# component "Development" (library, headers, CMake package files), nothing of the tests,
# benchmarks, examples or tools.
# Directories (recreated each run):
#   build/install-prefix   where Lamina is installed
#   build/consumer         the consumer project's build
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
release=$src/build/release
prefix=$src/build/install-prefix
consumer=$src/build/consumer

if [[ ! -f $release/CMakeCache.txt || ! -f $release/liblamina.a ]]; then
  echo "test_consumer.sh: no built library in $release" >&2
  echo "  build it first: bash scripts/test.sh (or: cmake --preset release && cmake --build --preset release --target lamina)" >&2
  exit 1
fi
# Installing a stale library would test old code. After scripts/test.sh this is a no-op (it
# only re-checks the source globs); it builds nothing but the library target otherwise.
cmake --build "$release" --target lamina -j 2 | grep -v 'no work to do\|Re-checking globbed' || true

echo "== installing Lamina from $release into $prefix"
rm -rf "$prefix" "$consumer"
cmake --install "$release" --prefix "$prefix" --component Development >/dev/null
unexpected=$(find "$prefix" -type f ! -path "$prefix/include/lamina/*" ! -path "$prefix/lib/liblamina.a" \
  ! -path "$prefix/lib/cmake/lamina/*")
if [[ -n $unexpected ]]; then
  echo "test_consumer.sh: the install holds more than the library, headers and package files:" >&2
  echo "$unexpected" >&2
  exit 1
fi

echo "== building tests/consumer with find_package(lamina) from $prefix"
cmake -S "$src/tests/consumer" -B "$consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$consumer" -j 2

# The consumer must load the OpenMP build of OpenBLAS, as Lamina's own programs do.
libs=$(ldd "$consumer/consumer")
if [[ $libs != *openblas-openmp/libopenblas* ]]; then
  echo "test_consumer.sh: the consumer does not load OpenBLAS from openblas-openmp:" >&2
  grep -i blas <<<"$libs" >&2 || true
  exit 1
fi

echo "== running it"
"$consumer/consumer"
