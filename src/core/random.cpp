#include "lamina/core/random.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <numbers>

#include "lamina/core/error.hpp"

namespace lamina {

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (spare_normal_) {
    double v = *spare_normal_;
    spare_normal_.reset();
    return v;
  }
  double u1 = 0.0;
  while (u1 <= 0.0) u1 = uniform();
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  spare_normal_ = r * std::sin(2.0 * std::numbers::pi * u2);
  return r * std::cos(2.0 * std::numbers::pi * u2);
}

namespace {

// The global generator is one stream per thread, split from the global seed: a thread
// draws only from its own stream, so draws need no lock and never race, and streams of
// different threads never repeat each other's values. Stream 0 is Generator(seed) itself:
// the thread that calls set_seed (or, before any call, the first thread that draws --
// normally main) gets exactly the sequence a single global generator gave; every other
// thread takes the next stream number when it first draws after a set_seed.
struct SeedState {
  std::mutex mu;
  std::uint64_t seed = 0;               // guarded by mu
  std::uint64_t next_stream = 0;        // guarded by mu
  std::atomic<std::uint64_t> epoch{1};  // bumped by set_seed: streams drawn before are stale
};
SeedState& seed_state() {
  static SeedState s;
  return s;
}

// SplitMix64's finaliser: well-spread 64-bit seeds from (seed, stream number).
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  return stream == 0 ? seed : mix(seed ^ mix(stream * 0x9e3779b97f4a7c15ULL));
}

struct ThreadStream {
  Generator gen;
  std::uint64_t epoch = 0;  // 0: not drawn yet
};
ThreadStream& thread_stream() {
  thread_local ThreadStream t;
  return t;
}

}  // namespace

Generator& global_generator() {
  ThreadStream& t = thread_stream();
  SeedState& s = seed_state();
  if (t.epoch != s.epoch.load(std::memory_order_acquire)) {
    std::lock_guard lock(s.mu);
    t.gen = Generator(stream_seed(s.seed, s.next_stream++));
    t.epoch = s.epoch.load(std::memory_order_relaxed);
  }
  return t.gen;
}

void set_seed(std::uint64_t seed) {
  SeedState& s = seed_state();
  ThreadStream& t = thread_stream();
  std::lock_guard lock(s.mu);
  s.seed = seed;
  s.next_stream = 1;  // stream 0 is this thread's
  t.gen = Generator(seed);
  t.epoch = s.epoch.fetch_add(1, std::memory_order_acq_rel) + 1;
}

namespace {
template <class Draw>
Tensor fill_random(const Shape& shape, DType dtype, const char* op, Draw draw) {
  OpScope scope(op);
  Tensor out = detail::empty(shape, dtype);
  auto n = static_cast<std::size_t>(out.numel());
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mutable_data<T>(out);
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(draw());
  });
  return out;
}
}  // namespace

Tensor random_normal(const Shape& shape, const NormalOptions& o, Generator& gen) {
  if (!is_floating(o.dtype))
    throw DTypeError({.op = "random_normal",
                      .problem = "normal samples need a floating dtype",
                      .expected = "float32 or float64",
                      .found = std::string(dtype_name(o.dtype)),
                      .hint = "use random_uniform for integers"});
  if (!(o.stddev >= 0.0))
    throw ValueError({.op = "random_normal",
                      .problem = "stddev must be >= 0",
                      .expected = "stddev >= 0",
                      .found = fmt::format("{}", o.stddev),
                      .hint = "pass a non-negative stddev (the standard deviation)"});
  return fill_random(shape, o.dtype, "random_normal", [&] { return o.mean + o.stddev * gen.normal(); });
}

Tensor random_uniform(const Shape& shape, const UniformOptions& o, Generator& gen) {
  if (!(o.maxval > o.minval))
    throw ValueError({.op = "random_uniform",
                      .problem = "empty range",
                      .expected = "minval < maxval",
                      .found = fmt::format("minval={}, maxval={}", o.minval, o.maxval),
                      .hint = "give minval < maxval, e.g. {.minval = -1, .maxval = 1}"});
  if (o.dtype == Bool)
    throw DTypeError({.op = "random_uniform",
                      .problem = "Bool samples are not supported",
                      .expected = "a numeric dtype",
                      .found = "bool",
                      .hint = "draw floats and compare: lm::random_uniform(shape) < p"});
  if (is_integer(o.dtype)) {
    double lo = std::ceil(o.minval), span = std::ceil(o.maxval) - lo;
    return fill_random(shape, o.dtype, "random_uniform", [&] { return lo + std::floor(gen.uniform() * span); });
  }
  return fill_random(shape, o.dtype, "random_uniform",
                     [&] { return o.minval + (o.maxval - o.minval) * gen.uniform(); });
}

Tensor random_normal(const Shape& shape, const NormalOptions& o) {
  if (o.seed) {
    Generator gen(*o.seed);
    return random_normal(shape, o, gen);
  }
  return random_normal(shape, o, global_generator());
}

Tensor random_uniform(const Shape& shape, const UniformOptions& o) {
  if (o.seed) {
    Generator gen(*o.seed);
    return random_uniform(shape, o, gen);
  }
  return random_uniform(shape, o, global_generator());
}

}  // namespace lamina
