#pragma once
// Internal: split a loop over [0, n) across Lamina's threads (OpenMP, sized by set_num_threads).
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "lamina/core/config.hpp"

namespace lamina::detail {

// Makes the calling thread's OpenMP count Lamina's process-wide count and returns it.
// OpenMP keeps that count per thread, so a std::thread a server starts would otherwise
// see the machine's cores, and OpenBLAS's OpenMP build reads it on every call (and
// resizes its shared buffers when it changes). Called by every parallel op and before
// every BLAS call; cheap: two thread-local reads, and a call only when the count differs.
inline int sync_threads() {
  const int n = num_threads();
  if (!omp_in_parallel() && omp_get_max_threads() != n) omp_set_num_threads(n);
  return n;
}

// Calls f(begin, end) on disjoint chunks covering [0, n). Runs inline when the work is
// smaller than `grain` elements, so small tensors pay no threading cost.
template <class F>
void parallel_for(std::int64_t n, std::int64_t grain, F&& f) {
  int threads = sync_threads();
  if (n <= grain || threads <= 1 || omp_in_parallel()) {
    if (n > 0) f(std::int64_t{0}, n);
    return;
  }
  std::int64_t chunks = std::min<std::int64_t>(threads, (n + grain - 1) / grain);
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    std::int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
    if (begin < end) f(begin, end);
  }
}

}  // namespace lamina::detail
