#include "lamina/core/config.hpp"

#include <cblas.h>
#include <fmt/format.h>
#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "lamina/core/error.hpp"

namespace lamina {

Config& config() {
  static Config cfg;
  return cfg;
}

extern "C" {
// OpenBLAS's DYNAMIC_ARCH entry points (Debian builds it so); weak, so another BLAS links too.
__attribute__((weak)) void gotoblas_dynamic_init(void);
__attribute__((weak)) void gotoblas_dynamic_quit(void);
}

namespace {

// OpenBLAS picks its kernels from the CPU model at load time. A model newer than the
// library (Debian 12's 0.3.21 on Sapphire Rapids, or a VM that hides the model) falls back
// to "Prescott", the SSE3 kernels, 4-8x slower. The CPU's features decide instead: the
// AVX-512 kernels where AVX-512 is there, the AVX2 ones where AVX2 and FMA are. A user's
// OPENBLAS_CORETYPE is left alone. Runs once, before any BLAS call.
void select_blas_kernels() {
  if (std::getenv("OPENBLAS_CORETYPE") || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
  if (std::string_view(openblas_get_corename()) != "Prescott") return;
  const char* core = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    core = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    core = "Haswell";
  if (!core) return;
  ::setenv("OPENBLAS_CORETYPE", core, 0);  // child processes (tests, tools) choose the same
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
}

// Process-wide: every thread reads it (parallel ops and BLAS calls apply it to the thread
// they run in, see detail::sync_threads), so it is atomic.
std::atomic<int>& thread_count() {
  static std::atomic<int> n = [] {
    select_blas_kernels();
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
