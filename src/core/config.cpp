#include "lamina/core/config.hpp"

#include <cblas.h>
#include <fmt/format.h>
#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "lamina/core/error.hpp"

namespace lamina {

Config& config() {
  static Config cfg;
  return cfg;
}

namespace {
// Process-wide: every thread reads it (parallel ops and BLAS calls apply it to the thread
// they run in, see detail::sync_threads), so it is atomic.
std::atomic<int>& thread_count() {
  static std::atomic<int> n = [] {
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    int initial = cores > 0 ? cores : 1;
    // LAMINA_NUM_THREADS overrides the default, like OMP_NUM_THREADS for OpenMP programs.
    if (const char* env = std::getenv("LAMINA_NUM_THREADS")) {
      char* end = nullptr;
      long v = std::strtol(env, &end, 10);
      if (end != env && *end == '\0' && v >= 1 && v <= 4096) initial = static_cast<int>(v);
    }
    omp_set_num_threads(initial);
    openblas_set_num_threads(initial);
    return initial;
  }();
  return n;
}
// Apply the default (and LAMINA_NUM_THREADS) at start-up, before any BLAS call.
const int kInitialThreads = thread_count();

}  // namespace

void set_num_threads(int n) {
  if (n < 1)
    throw ValueError({.op = "set_num_threads",
                      .problem = "the thread count must be positive",
                      .expected = "n >= 1",
                      .found = std::to_string(n),
                      .hint = "use 1 for single-threaded runs"});
  thread_count().store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);  // this thread now; other threads at their next Lamina call
  openblas_set_num_threads(n);
}

int num_threads() { return thread_count().load(std::memory_order_relaxed); }

std::string blas_info() {
  const char* parallel = "unknown";
  switch (openblas_get_parallel()) {
    case 0:
      parallel = "sequential";
      break;
    case 1:
      parallel = "pthreads";
      break;
    case 2:
      parallel = "OpenMP";
      break;
  }
  return fmt::format("{} core={} threading={} threads={}", openblas_get_config(), openblas_get_corename(), parallel,
                     openblas_get_num_threads());
}

}  // namespace lamina
