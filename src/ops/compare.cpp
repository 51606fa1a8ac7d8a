// Comparisons and logical ops. Comparisons compute in the promoted dtype and give Bool;
// logical ops take Bool only. None has a gradient: each records a cut (the tape's
// diagnostics name it). Shapes, masks and the symbolic path: support/elementwise_op.hpp.
#include "lamina/ops/compare.hpp"

#include <fmt/format.h>

#include "ops/support/elementwise_op.hpp"

namespace lamina {

using detail::promote;

// ---- comparisons -------------------------------------------------------------------------

#define LAMINA_COMPARISON(name, expr)                                               \
  Tensor name(const Tensor& a, const Tensor& b) {                                   \
    OpScope scope(#name);                                                           \
    detail::require_defined(a, #name, "first operand");                             \
    detail::require_defined(b, #name, "second operand");                            \
    DType dt = promote(a, b, #name);                                                \
    return detail::binary_op(                                                       \
        #name, name, a, b, dt, Bool, [](auto x, auto y) { return expr; }, nullptr); \
  }                                                                                 \
  Tensor name(const Tensor& a, Scalar b) {                                          \
    return detail::with_scalar(static_cast<detail::BinaryFn>(name), #name, a, b);   \
  }                                                                                 \
  Tensor name(Scalar a, const Tensor& b) {                                          \
    return detail::with_scalar(static_cast<detail::BinaryFn>(name), #name, a, b);   \
  }
LAMINA_COMPARISON(equal, x == y)
LAMINA_COMPARISON(not_equal, x != y)
LAMINA_COMPARISON(less, x < y)
LAMINA_COMPARISON(less_equal, x <= y)
LAMINA_COMPARISON(greater, x > y)
LAMINA_COMPARISON(greater_equal, x >= y)
#undef LAMINA_COMPARISON

// ---- logical -----------------------------------------------------------------------------

namespace {
void require_bool(const Tensor& x, const char* op, const char* what) {
  detail::require_defined(x, op, what);
  if (x.dtype() == Bool) return;
  throw DTypeError(
      {.op = op,
       .problem = fmt::format("logical ops take Bool tensors, but the {} is {}", what, dtype_name(x.dtype())),
       .expected = "bool",
       .found = fmt::format("{} {}", dtype_name(x.dtype()), x.shape().str()),
       .hint = "make the truth value explicit: (x != 0) or lm::cast(x, lm::Bool)"});
}
}  // namespace

Tensor logical_and(const Tensor& a, const Tensor& b) {
  OpScope scope("logical_and");
  require_bool(a, "logical_and", "first operand");
  require_bool(b, "logical_and", "second operand");
  return detail::binary_op(
      "logical_and", logical_and, a, b, Bool, Bool,
      [](auto x, auto y) { return static_cast<bool>(x) && static_cast<bool>(y); }, nullptr);
}

Tensor logical_or(const Tensor& a, const Tensor& b) {
  OpScope scope("logical_or");
  require_bool(a, "logical_or", "first operand");
  require_bool(b, "logical_or", "second operand");
  return detail::binary_op(
      "logical_or", logical_or, a, b, Bool, Bool,
      [](auto x, auto y) { return static_cast<bool>(x) || static_cast<bool>(y); }, nullptr);
}

Tensor logical_not(const Tensor& x) {
  OpScope scope("logical_not");
  require_bool(x, "logical_not", "operand");
  return detail::unary_op(
      "logical_not", logical_not, x, Bool, Bool, [](auto v) { return !static_cast<bool>(v); }, nullptr);
}

}  // namespace lamina
