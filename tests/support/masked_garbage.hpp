#pragma once
// "A masked entry is ignored whatever it holds" (DESIGN.md section 5, issue 8 bug 2):
// runs a function with NaN, +inf and -inf at every masked entry of its inputs and checks
// that the output at its valid positions and every gradient equal those with zeros there.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "lamina/lamina.hpp"

namespace lamina::testing {

using TensorFn = std::function<Tensor(const TensorList&)>;

// For each garbage value g in {NaN, +inf, -inf}: every masked entry of every masked
// floating input becomes g (masks kept). Then, against the run with zeros there:
//   - the output has the same shape, dtype and mask, and equal values at its valid
//     positions (all positions when unmasked);
//   - the gradients of loss = sum(output * R) (R fixed coefficients; the sum is
//     mask-aware, so it covers the valid positions) with respect to every floating input
//     and every variable in `vars` are equal everywhere, masked positions included.
// `tol` is relative to max(1, |reference|).
::testing::AssertionResult garbage_is_ignored(const TensorFn& f, const TensorList& inputs,
                                              const std::vector<Variable>& vars = {}, double tol = 1e-5);

}  // namespace lamina::testing

#define EXPECT_GARBAGE_IGNORED(f, ...) EXPECT_TRUE(::lamina::testing::garbage_is_ignored((f), __VA_ARGS__))
