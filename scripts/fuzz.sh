#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.cpp) with clang-14, ASan and UBSan in
# build/fuzz, then runs each for SECONDS (default 60) from its committed seed corpus
# (fuzz/corpus/<target>/; new inputs go to build/fuzz/corpus/<target>/, not into git).
# Findings land in build/fuzz/findings/<target>/ and make the script fail.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
jobs="${LAMINA_FUZZ_JOBS:-2}"

if [[ ! -f build/fuzz/build.ninja ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLAMINA_FUZZ=ON -DLAMINA_BUILD_TESTS=OFF -DLAMINA_BUILD_BENCH=OFF >/dev/null
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
cmake --build build/fuzz -j "$jobs" --target "${targets[@]}"

status=0
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/corpus/$t" "build/fuzz/findings/$t"
  seeds=()
  [[ -d "fuzz/corpus/$t" ]] && seeds+=("fuzz/corpus/$t")
  echo "== $t for ${seconds}s"
  # Leaks are not findings here (libhdf5 keeps caches); a crash, a sanitizer report, an
  # untyped exception (abort), a hang over 30 s or 2 GB of memory are.
  # LAMINA_HDF5_TIMEOUT: a libhdf5 reader child that hangs is killed after 10 s (a typed
  # error), well before libFuzzer's own -timeout.
  if ! LAMINA_HDF5_TIMEOUT=10 ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "build/fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=1048576 \
      -artifact_prefix="build/fuzz/findings/$t/" -print_final_stats=1 \
      "build/fuzz/corpus/$t" "${seeds[@]}" 2>"build/fuzz/$t.log"; then
    echo "!! $t: finding, see build/fuzz/$t.log and build/fuzz/findings/$t/"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build/fuzz/$t.log" || true
done
exit $status
