#pragma once
// Global settings: dtype strictness and the number of threads.
#include <string>

namespace lamina {

struct Config {
  // When true, an op on two tensors of different dtypes raises DTypeError instead of
  // promoting implicitly. Weak C++ scalars still adopt the tensor's dtype.
  bool strict_dtypes = false;
};

// The process-wide configuration (set it before starting worker threads).
Config& config();

// Threads used by the BLAS and by Lamina's own kernels (default: the machine's cores, or
// the LAMINA_NUM_THREADS environment variable). Process-wide: every Lamina call honours
// it in whatever thread it runs, and sets that thread's OpenMP count to it (OpenMP keeps
// the count per thread, and OpenBLAS reads it on every call). Set it while no other thread
// runs Lamina ops (OpenBLAS resizes its buffers); see docs/threading.md.
void set_num_threads(int n);
int num_threads();

// Which BLAS is linked and how it is configured, e.g. "OpenBLAS 0.3.21 ... (OpenMP)".
std::string blas_info();

}  // namespace lamina
