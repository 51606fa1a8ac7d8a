#pragma once
// Seeded, deterministic random numbers: the same seed gives the same values on every
// run and every thread count (generation is sequential; it is never the bottleneck).
#include <cstdint>
#include <optional>
#include <random>

#include "lamina/core/tensor.hpp"

namespace lamina {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}
  std::uint64_t next_u64() { return engine_(); }
  double uniform();  // [0, 1), 53 random bits
  double normal();   // standard normal (Box-Muller, our own so it is identical everywhere)
  // A fresh generator seeded from this one (per-layer streams, dropout masks).
  Generator split() { return Generator(next_u64()); }

 private:
  std::mt19937_64 engine_;
  std::optional<double> spare_normal_;
};

// The generator used when no seed is given: one stream per thread, split from the global
// seed (0 at start-up), so threads draw without locks and never repeat each other's
// values. The thread that calls set_seed -- or, before any call, the first thread that
// draws -- gets Generator(seed) itself, so single-threaded seeded runs are reproducible
// bit for bit; other threads get further streams in the order they first draw after it.
// The reference is the calling thread's own generator: do not hand it to other threads.
Generator& global_generator();
void set_seed(std::uint64_t seed);

struct NormalOptions {
  double mean = 0.0;
  double stddev = 1.0;
  DType dtype = Float32;
  std::optional<std::uint64_t> seed;  // none: draw from the global generator
};
struct UniformOptions {
  double minval = 0.0;
  double maxval = 1.0;  // exclusive; integer dtypes draw integers in [minval, maxval)
  DType dtype = Float32;
  std::optional<std::uint64_t> seed;
};

Tensor random_normal(const Shape& shape, const NormalOptions& options = {});
Tensor random_uniform(const Shape& shape, const UniformOptions& options = {});
Tensor random_normal(const Shape& shape, const NormalOptions& options, Generator& gen);
Tensor random_uniform(const Shape& shape, const UniformOptions& options, Generator& gen);

}  // namespace lamina
