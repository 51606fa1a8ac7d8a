#pragma once
// Internal: the skeleton the reductions in ops/reduce/ share. Each op supplies its dtype
// rule, its kernel and its gradient; `reduction` does the plan, the symbolic path, the
// output mask and the recording. Masked entries are skipped when a masked axis is
// reduced, and a group with no valid entry gives 0.
#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

#include "core/attrs.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/core/tensor.hpp"
#include "ops/support/kernels.hpp"
#include "ops/support/reduce_plan.hpp"

namespace lamina::detail {

using Counts = std::vector<std::int64_t>;

// max/min/argmax/argmin have no value over nothing: a zero-size reduced axis is an error
// (raised on the spec, so a model with a known empty axis fails when it is built).
void require_nonempty(const TensorSpec& x, const ReducePlan& plan, const char* op);

// `gx` with exact zeros at x's masked entries (selected: whatever a masked entry holds,
// f'(NaN) or 0 * inf, stays out); `gx` itself when x is unmasked. Every reduction's
// gradient goes through it, over masked axes and feature axes alike.
Tensor zero_masked_gradient(const Tensor& gx, const Tensor& x);

// plan -> symbolic path -> kernel(plan) -> output mask -> gradient.
// grad(g, x, out, plan) returns x's gradient (x keeps its mask so grad can read it; out
// is mask-free); Grad = std::nullptr_t records the op as a cut.
template <class Kernel, class Grad>
Tensor reduction(const char* op, const Tensor& x, const Axes& axes, bool keepdims, DType out_dtype, bool needs_elements,
                 std::function<Tensor(const TensorList&)> replay, Kernel kernel, Grad grad,
                 nlohmann::json extra_attrs = nlohmann::json::object()) {
  ReducePlan plan = plan_reduce(x.spec(), axes, keepdims, op);
  if (needs_elements) require_nonempty(x.spec(), plan, op);
  if (x.is_symbolic()) {
    extra_attrs["axes"] = axes;  // what a saved graph needs to rebuild the op
    extra_attrs["keepdims"] = keepdims;
    return symbolic_op(op, {x}, TensorSpec{plan.out_shape, out_dtype, plan.out_mask_rank}, std::move(replay),
                       extra_attrs.dump());
  }
  Tensor out = kernel(plan);
  set_mask(out, reduced_mask(x, plan, keepdims));
  if constexpr (std::is_same_v<Grad, std::nullptr_t>) {
    record_cut(op, {x}, {out});
  } else {
    if (recording_active())
      record_gradient(op, {x}, {out}, [x, out, plan, grad](const TensorList& g, const std::vector<bool>&) {
        return TensorList{zero_masked_gradient(grad(g[0], x, out.without_mask(), plan), x)};
      });
  }
  return out;
}

// The output tensor from per-group accumulators: value(acc, count) where the group has
// valid entries, 0 where a masked reduction found none (an all-padding group).
template <class Acc, class Value>
Tensor finish(const std::vector<Acc>& acc, const Counts& counts, const ReducePlan& plan, DType dtype, Value value) {
  Tensor out = empty(plan.out_shape, dtype);
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = mutable_data<T>(out);
    for (std::size_t i = 0; i < acc.size(); ++i)
      p[i] = plan.over_masked_axis && counts[i] == 0 ? T{0} : static_cast<T>(value(acc[i], counts[i]));
  });
  return out;
}

// Runs f(i, o) for every element i of x and the group o (row-major in kept_shape) it
// reduces into.
template <class F>
void for_each_grouped(const Tensor& x, const ReducePlan& plan, F f) {
  const std::int64_t n = x.numel();
  if (n == 0) return;
  BroadcastPlan bp = make_broadcast_plan(x.shape(), {plan.kept_shape});
  for_each_run<1>(bp, 0, n,
                  [&](std::int64_t i0, const std::array<std::int64_t, 1>& off, std::int64_t cnt,
                      const std::array<std::int64_t, 1>& st) {
                    for (std::int64_t k = 0; k < cnt; ++k) f(i0 + k, off[0] + k * st[0]);
                  });
}

// Floats accumulate in double; integers wrap around like NumPy's (unsigned arithmetic,
// so an overflowing sum is not undefined behaviour).
template <class T>
using SumAcc = std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>;

// ---- gradient helpers ----------------------------------------------------------------------

// Broadcasts a reduction's output gradient back over the input (`reduction` then zeroes
// the masked entries).
Tensor spread_gradient(const Tensor& g, const Tensor& x, const ReducePlan& plan);

// `t` (x's shape) with the entries x's mask marks invalid replaced by `value`.
// Differentiable in t; the gradient is 0 at the replaced entries.
Tensor fill_invalid(const Tensor& t, const Tensor& x, double value);

// 1/(number of valid entries - ddof) per group, broadcastable against kept_shape; 0 for
// groups with no valid entry, NaN for groups with some but no more than ddof.
Tensor inverse_counts(const Tensor& x, const ReducePlan& plan, DType dtype, std::int64_t ddof = 0);

}  // namespace lamina::detail
