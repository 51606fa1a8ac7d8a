#pragma once
// Helpers for the optimizer tests: run a few steps on small vectors and compare with
// reference values the tests compute by hand (scalar double-precision transcriptions of
// Keras 3's update rules, written independently of the library).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lamina/lamina.hpp"
#include "test_util.hpp"

namespace lamina::testing {

using Vec = std::vector<double>;
using Steps = std::vector<Vec>;  // one gradient vector per step

// Tolerances: float32 relative 1e-6 (as the task asks), float64 tight enough to catch any
// change in the formula.
inline double tolerance(DType dtype) { return dtype == Float32 ? 1e-6 : 1e-12; }

inline ::testing::AssertionResult close_to(const std::vector<double>& got, const Vec& expected, double rel,
                                           const std::string& what) {
  if (got.size() != expected.size())
    return ::testing::AssertionFailure() << what << ": " << got.size() << " values, expected " << expected.size();
  for (std::size_t i = 0; i < got.size(); ++i) {
    // The floor covers results that are exactly 0 by cancellation of O(0.1..1) terms, which
    // float32 rounding leaves at a few 1e-9 (the rounding depends on how the loop vectorises).
    double tol = rel * std::max(std::fabs(expected[i]), 1e-2);
    if (!(std::fabs(got[i] - expected[i]) <= tol))
      return ::testing::AssertionFailure() << what << "[" << i << "] = " << got[i] << ", expected " << expected[i]
                                           << " (diff " << got[i] - expected[i] << ", tol " << tol << ")";
  }
  return ::testing::AssertionSuccess();
}

inline Tensor vec_tensor(const Vec& v, DType dtype) {
  return tensor(v, Shape{static_cast<std::int64_t>(v.size())}, dtype);
}

// Applies `grads` (one step each) to a variable named `name` starting at w0; returns the variable.
inline Variable run_steps(optimizers::Optimizer& opt, const Vec& w0, const Steps& grads, DType dtype = Float32,
                          const std::string& name = "dense/kernel") {
  Variable w(name, vec_tensor(w0, dtype));
  for (const auto& g : grads) opt.apply_gradients(TensorList{vec_tensor(g, dtype)}, {w});
  return w;
}

inline std::vector<double> values_of(const Variable& v) { return v.value().to_vector<double>(); }

// The optimizer variable called `name`, or a failed test.
inline Variable find_variable(const optimizers::Optimizer& opt, const std::string& name) {
  for (const auto& v : opt.variables())
    if (v.name() == name) return v;
  ADD_FAILURE() << "no optimizer variable '" << name << "'";
  return Variable(name, zeros({1}));
}

inline std::vector<std::string> variable_names(const optimizers::Optimizer& opt) {
  std::vector<std::string> out;
  for (const auto& v : opt.variables()) out.push_back(v.name());
  return out;
}

// Keras stores a numeric learning rate as a float32 variable: the rate the update uses.
inline double f32(double v) { return static_cast<double>(static_cast<float>(v)); }

}  // namespace lamina::testing

#define EXPECT_CLOSE(got, expected, dtype, what) \
  EXPECT_TRUE(::lamina::testing::close_to((got), (expected), ::lamina::testing::tolerance(dtype), (what)))
