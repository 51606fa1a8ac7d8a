// Shape, axis and mask bookkeeping shared by the reductions (see reduce_plan.hpp).
#include "ops/support/reduce_plan.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "ops/support/elementwise_op.hpp"

namespace lamina::detail {

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
                        .found = fmt::format("axis {} repeated in the axis list", a),
                        .hint = "a negative axis counts from the end: -1 and rank - 1 are the same axis"});
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
  if (!x.has_mask())
    p.out_mask_rank = -1;
  else if (!p.over_masked_axis)
    p.out_mask_rank = x.mask_rank;
  else if (masked_reduced == x.mask_rank)
    p.out_mask_rank = -1;  // no mask axis left
  else
    p.out_mask_rank = keepdims ? x.mask_rank : x.mask_rank - masked_reduced;
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
  // Accumulate in bytes: std::vector<bool> packs bits, so threads writing neighbouring
  // groups would race.
  auto any = reduce_values<bool, std::uint8_t>(
      m, mp, std::uint8_t{0}, [](std::uint8_t a, bool v) { return static_cast<std::uint8_t>(a | v); },
      [](std::uint8_t a, std::uint8_t b) { return static_cast<std::uint8_t>(a | b); }, nullptr);
  Tensor out = empty(mp.out_shape, Bool);
  bool* p = mutable_data<bool>(out);
  for (std::size_t i = 0; i < any.size(); ++i) p[i] = any[i] != 0;
  return out;
}

Tensor mask_weights(const Tensor& x, DType dtype) {
  Tensor m = x.mask();
  std::vector<std::int64_t> dims(m.shape().begin(), m.shape().end());
  dims.resize(static_cast<std::size_t>(x.rank()), 1);
  return cast(share(m, Shape(dims), Tensor()), dtype);
}

}  // namespace lamina::detail
