#include "ops/support/elementwise_op.hpp"

#include "lamina/core/error.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::detail {

void require_defined(const Tensor& x, const char* op, const char* what) {
  if (!x.defined())
    throw ValueError({.op = op,
                      .problem = std::string("the ") + what + " is an undefined Tensor (holds nothing)",
                      .expected = "a tensor",
                      .found = "an undefined Tensor (like Python's None)",
                      .hint = "a function or branch returned lm::Tensor{} instead of a tensor"});
}

Tensor with_scalar(BinaryFn op, const char* name, const Tensor& a, Scalar b) {
  OpScope scope(name);  // the scalar's conversion can fail (it does not fit): name the op
  require_defined(a, name);
  DType dt = promote(a, b);
  return op(cast(a, dt), scalar_tensor(b, dt));
}

Tensor with_scalar(BinaryFn op, const char* name, Scalar a, const Tensor& b) {
  OpScope scope(name);
  require_defined(b, name);
  DType dt = promote(b, a);
  return op(scalar_tensor(a, dt), cast(b, dt));
}

Tensor select_valid(const Tensor& g, const Tensor& out) {
  if (!g.defined() || !out.has_mask()) return g;
  return where(mask_to_rank(out, out.rank()), g, 0);
}

Tensor unbroadcast(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  Axes axes = broadcast_reduction_axes(shape, grad.shape());
  Tensor g = axes.empty() ? grad : sum(grad, axes, /*keepdims=*/true);
  return g.shape() == shape ? g : reshape(g, shape);
}

}  // namespace lamina::detail
