// Reductions. Each op: plan (axes, shapes, mask rule) -> kernel over valid entries ->
// output mask -> gradient. Masked entries are skipped when a masked axis is reduced.
#include "lamina/ops/reduce.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/reduce_plan.hpp"

namespace lamina {

namespace detail {

ReducePlan plan_reduce(const TensorSpec& x, const Axes& axes, bool keepdims, const char* op) {
  ReducePlan p;
  const std::int64_t r = x.shape.rank();
  p.reduced.assign(static_cast<std::size_t>(r), axes.empty());
  for (auto a : axes) {
    std::int64_t n = normalize_axis(a, r, op);
    if (p.reduced[static_cast<std::size_t>(n)])
      throw ShapeError({.op = op,
                        .problem = "an axis is listed twice",
                        .expected = "distinct axes",
                        .found = fmt::format("axis {} repeated in the axis list", a)});
    p.reduced[static_cast<std::size_t>(n)] = true;
  }
  std::vector<std::int64_t> out, kept;
  std::int64_t masked_reduced = 0;
  for (std::int64_t i = 0; i < r; ++i) {
    bool red = p.reduced[static_cast<std::size_t>(i)];
    if (red) {
      p.axes.push_back(i);
      if (i < x.mask_rank) ++masked_reduced;
    }
    kept.push_back(red ? 1 : x.shape[i]);
    if (!red || keepdims) out.push_back(red ? 1 : x.shape[i]);
  }
  p.out_shape = Shape(out);
  p.kept_shape = Shape(kept);
  p.over_masked_axis = masked_reduced > 0;
  if (!x.has_mask()) p.out_mask_rank = -1;
  else if (!p.over_masked_axis) p.out_mask_rank = x.mask_rank;
  else if (masked_reduced == x.mask_rank) p.out_mask_rank = -1;  // no mask axis left
  else p.out_mask_rank = keepdims ? x.mask_rank : x.mask_rank - masked_reduced;
  return p;
}

MaskView mask_view(const Tensor& x) {
  if (!x.has_mask()) return {};
  Tensor m = x.mask();
  std::int64_t mn = m.numel();
  return {m.data<bool>(), mn == 0 ? 1 : x.numel() / mn};
}

Tensor reduced_mask(const Tensor& x, const ReducePlan& plan, bool keepdims) {
  if (plan.out_mask_rank < 0) return {};
  Tensor m = x.mask();
  if (!plan.over_masked_axis) return m;
  Axes mask_axes;
  for (auto a : plan.axes)
    if (a < m.rank()) mask_axes.push_back(a);
  ReducePlan mp = plan_reduce(m.spec(), mask_axes, keepdims, "mask");
  std::vector<bool> any = reduce_values<bool, bool>(m, mp, false, [](bool a, bool v) { return a || v; }, nullptr);
  return tensor(any, mp.out_shape, Bool);
}

Tensor mask_weights(const Tensor& x, DType dtype) {
  Tensor m = x.mask();
  std::vector<std::int64_t> dims(m.shape().begin(), m.shape().end());
  dims.resize(static_cast<std::size_t>(x.rank()), 1);
  return cast(share(m, Shape(dims), Tensor()), dtype);
}

}  // namespace detail

namespace {

// Broadcasts a reduction's output gradient back over the input; zero at masked entries
// when the reduction skipped them.
Tensor spread_gradient(const Tensor& g, const Tensor& x, const detail::ReducePlan& plan) {
  Tensor out = broadcast_to(reshape(g, plan.kept_shape), x.shape());
  return plan.over_masked_axis ? out * detail::mask_weights(x, out.dtype()) : out;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("sum");
  detail::require_defined(x, "sum");
  auto plan = detail::plan_reduce(x.spec(), axes, keepdims, "sum");
  DType dt = detail::arithmetic(x.dtype());
  if (x.is_symbolic())
    return symbolic_op("sum", {x}, TensorSpec{plan.out_shape, dt, plan.out_mask_rank},
                       [axes, keepdims](const TensorList& in) { return sum(in[0], axes, keepdims); });
  Tensor out = visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
    auto acc = detail::reduce_values<T, Acc>(x, plan, Acc{0}, [](Acc a, T v) { return a + static_cast<Acc>(v); },
                                             nullptr);
    return tensor(acc, plan.out_shape, dt);
  });
  detail::set_mask(out, detail::reduced_mask(x, plan, keepdims));
  if (recording_active())
    record_gradient("sum", {x}, {out}, [x, plan](const TensorList& g, const std::vector<bool>&) {
      return TensorList{spread_gradient(g[0], x, plan)};
    });
  return out;
}

}  // namespace lamina
