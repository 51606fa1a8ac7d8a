// Non-template parts of the reduction skeleton (see reduction.hpp).
#include "ops/support/reduction.hpp"

#include <fmt/format.h>

#include <limits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"

namespace lamina::detail {

void require_nonempty(const TensorSpec& x, const ReducePlan& plan, const char* op) {
  for (auto a : plan.axes)
    if (x.shape[a] == 0)
      throw ValueError({.op = op,
                        .problem = "cannot reduce over a zero-size axis: there is no element to pick",
                        .expected = "every reduced axis to have at least one element",
                        .found = fmt::format("axis {} has size 0 in shape {}", a, x.shape.str()),
                        .hint = "check that the input is not empty (sum and mean give 0 over an empty axis)"});
}

Tensor zero_masked_gradient(const Tensor& gx, const Tensor& x) { return select_valid(gx, x); }

Tensor spread_gradient(const Tensor& g, const Tensor& x, const ReducePlan& plan) {
  return broadcast_to(reshape(g, plan.kept_shape), x.shape());
}

Tensor fill_invalid(const Tensor& t, const Tensor& x, double value) {
  Tensor out = empty(t.shape(), t.dtype());
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* src = t.data<T>();
      T* dst = mutable_data<T>(out);
      const MaskView mv = mask_view(x);
      const auto fill = static_cast<T>(value);
      parallel_for(out.numel(), kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) dst[i] = mv.valid(i) ? src[i] : fill;
      });
    }
  });
  if (recording_active())
    record_gradient("fill_invalid", {t}, {out}, [x](const TensorList& g, const std::vector<bool>&) {
      return TensorList{select_valid(g[0], x)};  // select: g may hold NaN at masked entries
    });
  return out;
}

Tensor inverse_counts(const Tensor& x, const ReducePlan& plan, DType dtype, std::int64_t ddof) {
  auto inverse = [ddof](std::int64_t n) {
    if (n == 0) return 0.0;
    if (n <= ddof) return std::numeric_limits<double>::quiet_NaN();
    return 1.0 / static_cast<double>(n - ddof);
  };
  std::int64_t unmasked = 1;  // elements per group along reduced axes outside the mask
  const std::int64_t mrank = plan.over_masked_axis ? x.mask_rank() : 0;
  for (auto a : plan.axes)
    if (a >= mrank) unmasked *= x.shape()[a];
  if (!plan.over_masked_axis) return full(Shape{}, inverse(unmasked), dtype);
  Tensor m = x.mask();
  Axes mask_axes;
  for (auto a : plan.axes)
    if (a < mrank) mask_axes.push_back(a);
  ReducePlan mp = plan_reduce(m.spec(), mask_axes, /*keepdims=*/true, "mask");
  Counts c = reduce_values<bool, std::int64_t>(
      m, mp, 0, [](std::int64_t a, bool v) { return a + (v ? 1 : 0); },
      [](std::int64_t a, std::int64_t b) { return a + b; }, nullptr);
  std::vector<double> inv(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) inv[i] = inverse(c[i] * unmasked);
  std::vector<std::int64_t> dims(mp.kept_shape.begin(), mp.kept_shape.end());
  dims.resize(static_cast<std::size_t>(x.rank()), 1);
  return tensor(inv, Shape(dims), dtype);
}

}  // namespace lamina::detail
