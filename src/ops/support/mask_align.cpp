#include "ops/support/mask_align.hpp"

#include "lamina/core/creation.hpp"
#include "ops/support/kernels.hpp"
#include "ops/support/masks.hpp"
#include "ops/support/reduce_plan.hpp"

namespace lamina::detail {

Tensor place_mask(const Tensor& m, const std::vector<std::int64_t>& axes, const Shape& target) {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(target.rank()), 1);
  for (std::size_t i = 0; i < axes.size(); ++i)
    dims[static_cast<std::size_t>(axes[i])] = m.shape()[static_cast<std::int64_t>(i)];
  Tensor view = share(m, Shape(dims), Tensor());
  if (view.shape() == target) return view;
  Tensor all_true = full(Shape{}, true, Bool);
  return map_binary<bool, bool>(view, all_true, target, Bool, [](bool a, bool b) { return a && b; });
}

Tensor mask_any(const Tensor& m, std::int64_t axis) {
  ReducePlan plan = plan_reduce(m.without_mask().spec(), Axes{axis}, /*keepdims=*/false, "mask");
  // Bytes, not std::vector<bool>: threads write neighbouring entries.
  std::vector<std::uint8_t> any = reduce_values<bool, std::uint8_t>(
      m.without_mask(), plan, 0, [](std::uint8_t a, bool v) -> std::uint8_t { return a || v; },
      [](std::uint8_t a, std::uint8_t b) -> std::uint8_t { return a || b; }, nullptr);
  return tensor(any, plan.out_shape, Bool);
}

Tensor mask_and_into(const Tensor& acc, const Tensor& m) { return acc.defined() ? mask_and(acc, m) : m; }

}  // namespace lamina::detail
