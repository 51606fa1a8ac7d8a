#include "lamina/core/random.hpp"

#include <fmt/format.h>

#include <cmath>
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

Generator& global_generator() {
  static Generator gen(0);
  return gen;
}

void set_seed(std::uint64_t seed) { global_generator() = Generator(seed); }

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
