#pragma once
// Helpers shared by the tests of the scan, sort, scatter, einsum and sequence_mask ops.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "test_util.hpp"

// The message names the op ("op 'cumsum'"), says what was expected and found, and hints at
// a fix (the same requirement as tests/ops/adversarial_test.cpp).
#ifndef EXPECT_OP_ERROR
#define EXPECT_OP_ERROR(stmt, ErrorType, op)               \
  EXPECT_LAMINA_ERROR(stmt, ErrorType, {                   \
    EXPECT_THAT(msg, ::testing::HasSubstr("op '" op "'")); \
    EXPECT_THAT(msg, ::testing::HasSubstr("expected:"));   \
    EXPECT_THAT(msg, ::testing::HasSubstr("found:"));      \
    EXPECT_THAT(msg, ::testing::HasSubstr("hint:"));       \
  })
#endif

namespace lamina::testing {

// What padding may hold: the masked-position tests run with each and expect the result
// they give with zeros there.
inline const std::vector<double>& padding_fills() {
  static const std::vector<double> fills{0.0, std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::infinity(),
                                         -std::numeric_limits<double>::infinity()};
  return fills;
}

// `values` (row-major, shape `shape`) with `fill` written at every position whose entry of
// the prefix mask `mask` is false, carrying that mask.
inline Tensor filled_at_masked(std::vector<double> values, const Shape& shape, const std::vector<bool>& mask,
                               const Shape& mask_shape, double fill, DType dtype = Float64) {
  const auto inner = static_cast<std::int64_t>(values.size()) / static_cast<std::int64_t>(mask.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!mask[i / static_cast<std::size_t>(inner)]) values[i] = fill;
  return tensor(values, shape, dtype).with_mask(tensor(mask, mask_shape, Bool));
}

// d sum(f(x) * w) / dx computed by the tape (w = ones unless given; no mask on w).
inline Tensor grad_of(const std::function<Tensor(const Tensor&)>& f, const Tensor& x, const Tensor& w = {}) {
  GradientTape tape;
  tape.watch(x);
  Tensor y = f(x).without_mask();
  Tensor target = w.defined() ? sum(y * w) : sum(y);
  return *tape.gradient(target, x, {.unconnected = Unconnected::Zero});
}

// Exactly equal, element by element (NaN only equals NaN): outputs with garbage at masked
// positions must be bit-for-bit those with zeros there.
inline ::testing::AssertionResult same_values(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << "spec " << a.spec().str() << " vs " << b.spec().str();
  std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  for (std::size_t i = 0; i < va.size(); ++i)
    if (!(va[i] == vb[i]) && !(std::isnan(va[i]) && std::isnan(vb[i])))
      return ::testing::AssertionFailure() << "element " << i << ": " << va[i] << " vs " << vb[i];
  if (a.has_mask() != b.has_mask()) return ::testing::AssertionFailure() << "one has a mask, the other not";
  if (a.has_mask()) return same_values(a.mask(), b.mask());
  return ::testing::AssertionSuccess();
}

// The symbolic spec of f on `sym` agrees with the concrete result on `data`, and the
// symbolic node replays to that result.
inline ::testing::AssertionResult symbolic_agrees(const std::function<Tensor(const Tensor&)>& f, const Tensor& sym,
                                                  const Tensor& data) {
  Tensor y = f(sym);
  if (!y.is_symbolic()) return ::testing::AssertionFailure() << "not symbolic";
  Tensor z = f(data);
  if (y.dtype() != z.dtype() || y.mask_rank() != z.mask_rank() || y.rank() != z.rank())
    return ::testing::AssertionFailure() << "symbolic " << y.spec().str() << " vs concrete " << z.spec().str();
  for (std::int64_t d = 0; d < y.rank(); ++d)
    if (y.shape()[d] >= 0 && y.shape()[d] != z.shape()[d])
      return ::testing::AssertionFailure() << "symbolic " << y.spec().str() << " vs concrete " << z.spec().str();
  TensorList fed;
  for (const auto& in : y.node()->inputs) fed.push_back(in.id() == sym.id() ? data : in);
  Tensor r = y.node()->replay(fed)[static_cast<std::size_t>(y.output_index())];
  if (r.spec() != z.spec())
    return ::testing::AssertionFailure() << "replay " << r.spec().str() << " vs " << z.spec().str();
  return same_values(r, z);
}

}  // namespace lamina::testing

#define EXPECT_SAME(a, b) EXPECT_TRUE(::lamina::testing::same_values((a), (b)))
#define EXPECT_SYMBOLIC_AGREES(f, sym, data) EXPECT_TRUE(::lamina::testing::symbolic_agrees((f), (sym), (data)))
