#pragma once
// Helpers shared by the elementwise, compare, nn and promotion tests.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace lamina::testing {

// Float64 values k * 0.1 + offset with random integers k in [-10, 10): two grids with
// different offsets never come within |offset_a - offset_b| of each other, and a grid with
// offset 0.05 stays 0.05 away from every multiple of 0.1 -- inputs kept away from the kinks
// of relu, abs, clip, maximum and minimum for gradient checks.
inline Tensor grid(const Shape& shape, std::uint64_t seed, double offset) {
  Tensor k = random_uniform(shape, {.minval = -10, .maxval = 10, .dtype = Int32, .seed = seed});
  std::vector<double> v = k.to_vector<double>();
  for (auto& x : v) x = x * 0.1 + offset;
  return tensor(v, shape, Float64);
}

// Float64 normal values (for smooth ops).
inline Tensor randn(const Shape& shape, std::uint64_t seed) {
  return random_normal(shape, {.dtype = Float64, .seed = seed});
}

// Float64 uniform values in [lo, hi).
inline Tensor randu(const Shape& shape, std::uint64_t seed, double lo, double hi) {
  return random_uniform(shape, {.minval = lo, .maxval = hi, .dtype = Float64, .seed = seed});
}

// The standard masked operands of the mask-propagation tests.
inline Tensor mask_2x4() {  // (2, 4)
  return tensor({{true, true, false, false}, {true, true, true, false}});
}

// Like EXPECT_VALUES, but equal infinities match too (and NaN matches NaN).
inline ::testing::AssertionResult values_ieee(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
  std::vector<double> got = t.to_vector<double>();
  if (got.size() != expected.size())
    return ::testing::AssertionFailure() << "has " << got.size() << " values, expected " << expected.size();
  for (std::size_t i = 0; i < got.size(); ++i) {
    double g = got[i], e = expected[i];
    bool ok = std::isnan(e) ? std::isnan(g) : std::isinf(e) ? g == e : std::fabs(g - e) <= tol;
    if (!ok) return ::testing::AssertionFailure() << "value " << i << " is " << g << ", expected " << e << "\n" << t;
  }
  return ::testing::AssertionSuccess();
}

using UnaryFn = std::function<Tensor(const Tensor&)>;
using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// What the tape says about a source reached only through non-differentiable ops.
inline std::string cut_description(const std::function<Tensor(const Tensor&)>& f, const Tensor& x) {
  GradientTape tape;
  tape.watch(x);
  Tensor y = sum(cast(f(x), Float32));
  auto cuts = tape.cuts(y, TensorList{x});
  return cuts.empty() ? std::string("connected") : cuts[0].describe();
}

}  // namespace lamina::testing

#define EXPECT_VALUES_IEEE(t, ...) EXPECT_TRUE(::lamina::testing::values_ieee((t), __VA_ARGS__))
