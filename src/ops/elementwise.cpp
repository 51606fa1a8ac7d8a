// Elementwise arithmetic and math. Each op: dtype rule, kernel, derivative; the shared
// skeleton (shapes, masks, symbolic graphs, recording) is in support/elementwise_op.hpp.
#include "lamina/ops/elementwise.hpp"

#include <cmath>

#include "lamina/ops/cast.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/index.hpp"
#include "ops/support/elementwise_op.hpp"

namespace lamina {

using detail::arithmetic;
using detail::floating;
using detail::promote;

namespace {
using Needs = std::vector<bool>;
}  // namespace

// ---- binary ------------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  OpScope scope("add");
  DType dt = arithmetic(promote(a, b, "add"));
  return detail::binary_op("add", add, a, b, dt, dt, [](auto x, auto y) { return x + y; },
                           [](const Tensor&, const Tensor&, const Tensor&, const Tensor& g, const Needs&) {
                             return std::pair{g, g};
                           });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  OpScope scope("sub");
  DType dt = arithmetic(promote(a, b, "sub"));
  return detail::binary_op("sub", sub, a, b, dt, dt, [](auto x, auto y) { return x - y; },
                           [](const Tensor&, const Tensor&, const Tensor&, const Tensor& g, const Needs& n) {
                             return std::pair{g, n[1] ? neg(g) : Tensor()};
                           });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  OpScope scope("mul");
  DType dt = arithmetic(promote(a, b, "mul"));
  return detail::binary_op("mul", mul, a, b, dt, dt, [](auto x, auto y) { return x * y; },
                           [](const Tensor& x, const Tensor& y, const Tensor&, const Tensor& g, const Needs& n) {
                             return std::pair{n[0] ? g * y : Tensor(), n[1] ? g * x : Tensor()};
                           });
}

Tensor div(const Tensor& a, const Tensor& b) {
  OpScope scope("div");
  DType dt = floating(promote(a, b, "div"));
  return detail::binary_op("div", div, a, b, dt, dt, [](auto x, auto y) { return x / y; },
                           [](const Tensor&, const Tensor& y, const Tensor& out, const Tensor& g, const Needs& n) {
                             return std::pair{n[0] ? g / y : Tensor(), n[1] ? neg(g * out / y) : Tensor()};
                           });
}

// Scalar forms: the scalar becomes a 0-d tensor of the weakly promoted dtype, so they
// share the tensor kernels. The tensor is cast to that dtype first (a no-op unless the
// scalar raised its kind, as in int_tensor * 2.5f), so that the tensor-tensor op sees one
// dtype and strict mode, which forbids only tensor-tensor promotion, lets it pass.
#define LAMINA_SCALAR_FORMS(name)                                              \
  Tensor name(const Tensor& a, Scalar b) {                                     \
    detail::require_defined(a, #name);                                         \
    DType dt = promote(a, b);                                                  \
    return name(cast(a, dt), detail::scalar_tensor(b, dt));                    \
  }                                                                            \
  Tensor name(Scalar a, const Tensor& b) {                                     \
    detail::require_defined(b, #name);                                         \
    DType dt = promote(b, a);                                                  \
    return name(detail::scalar_tensor(a, dt), cast(b, dt));                    \
  }
LAMINA_SCALAR_FORMS(add)
LAMINA_SCALAR_FORMS(sub)
LAMINA_SCALAR_FORMS(mul)
LAMINA_SCALAR_FORMS(div)
#undef LAMINA_SCALAR_FORMS

// ---- unary -------------------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  OpScope scope("neg");
  DType dt = arithmetic(x.dtype());
  return detail::unary_op("neg", neg, x, dt, dt, [](auto v) { return -v; },
                          [](const Tensor&, const Tensor&, const Tensor& g) { return neg(g); });
}

Tensor exp(const Tensor& x) {
  OpScope scope("exp");
  DType dt = floating(x.dtype());
  return detail::unary_op("exp", exp, x, dt, dt, [](auto v) { return std::exp(v); },
                          [](const Tensor&, const Tensor& out, const Tensor& g) { return g * out; });
}

Tensor tanh(const Tensor& x) {
  OpScope scope("tanh");
  DType dt = floating(x.dtype());
  return detail::unary_op("tanh", tanh, x, dt, dt, [](auto v) { return std::tanh(v); },
                          [](const Tensor&, const Tensor& out, const Tensor& g) { return g * (1 - out * out); });
}

}  // namespace lamina
