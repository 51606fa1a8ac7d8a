#pragma once
// Internal: the skeleton every elementwise op shares -- checks, dtype and shape inference,
// the mask rule, the symbolic path, the kernel and the gradient record -- so that each
// op in ops/elementwise.cpp and ops/compare.cpp is only its kernel and its derivative.
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/cast.hpp"
#include "ops/support/broadcast.hpp"
#include "ops/support/kernels.hpp"
#include "ops/support/masks.hpp"
#include "ops/support/promote.hpp"

namespace lamina::detail {

void require_defined(const Tensor& x, const char* op, const char* what = "input");

// `g` (a gradient at the shape of `out`, or broadcasting to it) with exact zeros at the
// masked positions of `out`; `g` itself when `out` is unmasked. A masked entry is ignored
// whatever it holds, so nothing computed from it -- f'(NaN), 0 * inf -- may reach a valid
// gradient: select, don't multiply (DESIGN.md section 5).
Tensor select_valid(const Tensor& g, const Tensor& out);

// g where x > 0, else 0 (NaN in x gives 0): relu's gradient in one pass, without a Bool
// tensor. g and x concrete, of one shape and floating dtype. Differentiable in g (the same
// gate again), not in x, so higher-order gradients through relu work.
Tensor relu_gate(const Tensor& g, const Tensor& x);

// Sums a gradient over the axes along which an input of `shape` was broadcast.
Tensor unbroadcast(const Tensor& grad, const Shape& shape);

using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);

// The scalar forms of a binary op: the scalar becomes a 0-d tensor of the weakly promoted
// dtype and the tensor is cast to that dtype first (a no-op unless the scalar raised its
// kind, as in int_tensor * 2.5f), so the tensor-tensor op sees one dtype and strict mode,
// which forbids only tensor-tensor promotion, lets weak scalars pass.
Tensor with_scalar(BinaryFn op, const char* name, const Tensor& a, Scalar b);
Tensor with_scalar(BinaryFn op, const char* name, Scalar a, const Tensor& b);
using UnaryFn = Tensor (*)(const Tensor&);

// Gradient of a binary op: given mask-free a, b (in the compute dtype), the output and
// the output's gradient, returns the gradients for a and b at the broadcast shape
// (unbroadcast is applied afterwards). Return undefined tensors for inputs not needed.
// The gradients are zero at the output's masked positions before they are summed over
// broadcast axes, so garbage at padded steps never reaches a weight's gradient.
template <class Grad>
BackwardFn binary_backward(const Tensor& a, const Tensor& b, const Tensor& out, Grad grad) {
  return [a, b, out, grad](const TensorList& g, const std::vector<bool>& needs) {
    auto [ga, gb] = grad(a.without_mask(), b.without_mask(), out.without_mask(), g[0], needs);
    return TensorList{needs[0] && ga.defined() ? unbroadcast(select_valid(ga, out), a.shape()) : Tensor(),
                      needs[1] && gb.defined() ? unbroadcast(select_valid(gb, out), b.shape()) : Tensor()};
  };
}

// A binary elementwise op computing in `compute` dtype and producing `out_dtype`
// (either `compute` itself or Bool).
// `kernel` is a generic functor (x, y) -> value; `grad` may be nullptr-like (std::nullptr_t)
// for ops without a gradient, which are recorded as cuts.
template <class Kernel, class Grad>
Tensor binary_op(const char* op, BinaryFn self, const Tensor& a, const Tensor& b, DType compute, DType out_dtype,
                 Kernel kernel, Grad grad) {
  require_defined(a, op, "first operand");
  require_defined(b, op, "second operand");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  std::int64_t mask_rank = elementwise_mask_rank({a.spec(), b.spec()}, shape.rank());
  if (any_symbolic({a, b}))
    return symbolic_op(op, {a, b}, TensorSpec{shape, out_dtype, mask_rank},
                       [self](const TensorList& in) { return self(in[0], in[1]); });
  Tensor ca = cast(a, compute), cb = cast(b, compute);
  Tensor out = visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if (out_dtype == Bool)
      return map_binary<T, bool>(ca, cb, shape, Bool, [&](T x, T y) { return static_cast<bool>(kernel(x, y)); });
    return map_binary<T, T>(ca, cb, shape, compute, [&](T x, T y) { return static_cast<T>(kernel(x, y)); });
  });
  set_mask(out, elementwise_mask({a, b}, shape));
  if constexpr (std::is_same_v<Grad, std::nullptr_t>) {
    record_cut(op, {ca, cb}, {out});
  } else {
    if (recording_active()) record_gradient(op, {ca, cb}, {out}, binary_backward(ca, cb, out, grad));
  }
  return out;
}

// A unary elementwise op: same shape, mask passes through; out_dtype is compute or Bool.
// grad(x, out, g) -> gradient of x (x and out mask-free); std::nullptr_t: a cut.
template <class Kernel, class Grad>
Tensor unary_op(const char* op, UnaryFn self, const Tensor& x, DType compute, DType out_dtype, Kernel kernel,
                Grad grad) {
  require_defined(x, op);
  if (x.is_symbolic())
    return symbolic_op(op, {x}, TensorSpec{x.shape(), out_dtype, x.mask_rank()},
                       [self](const TensorList& in) { return self(in[0]); });
  Tensor cx = cast(x, compute);
  Tensor out = visit_dtype(compute, [&](auto tag) {
    using T = decltype(tag);
    if (out_dtype == Bool) return map_unary<T, bool>(cx, Bool, [&](T v) { return static_cast<bool>(kernel(v)); });
    return map_unary<T, T>(cx, compute, [&](T v) { return static_cast<T>(kernel(v)); });
  });
  set_mask(out, x.mask());
  if constexpr (std::is_same_v<Grad, std::nullptr_t>) {
    record_cut(op, {cx}, {out});
  } else {
    if (recording_active())
      record_gradient(op, {cx}, {out}, [cx, out, grad](const TensorList& g, const std::vector<bool>&) {
        return TensorList{select_valid(grad(cx.without_mask(), out.without_mask(), g[0]), out)};
      });
  }
  return out;
}

}  // namespace lamina::detail
