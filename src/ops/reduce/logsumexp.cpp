// logsumexp: log(sum(exp(x))) without overflow, mask-aware.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/reduction.hpp"

namespace lamina {

using detail::Counts;
using detail::ReducePlan;

namespace {

// Per group (kept_shape order), the max of the valid entries, or 0 where that is not
// finite or there is none: the shift both passes use. NaN entries never win here; they
// reach the result through exp(v - shift).
std::vector<double> group_shift(const Tensor& x, const ReducePlan& plan) {
  return visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    constexpr double kInf = std::numeric_limits<double>::infinity();
    auto m = detail::reduce_values<T, double>(
        x, plan, -kInf,
        [](double a, T v) {
          const auto d = static_cast<double>(v);
          return d > a ? d : a;
        },
        [](double a, double b) { return b > a ? b : a; }, nullptr);
    for (auto& v : m) v = std::isfinite(v) ? v : 0.0;
    return m;
  });
}

}  // namespace

Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("logsumexp");
  detail::require_defined(x, "logsumexp");
  DType dt = detail::floating(x.dtype());
  return detail::reduction(
      "logsumexp", x, axes, keepdims, dt, false,
      [axes, keepdims](const TensorList& in) { return logsumexp(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        // Two passes, stable: the group max m, then m + log(sum exp(v - m)) with the sum
        // pairwise. A -inf max (all -inf, or an empty axis) shifts by 0 and gives log(0) =
        // -inf, like NumPy; +inf gives +inf, NaN gives NaN; all padding gives 0.
        const std::vector<double> m = group_shift(x, plan);
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const double* shift = m.data();
          Counts counts;
          auto acc = detail::reduce_values<T, double>(
              x, plan, 0.0,
              [shift](double a, T v, std::int64_t o) { return a + std::exp(static_cast<double>(v) - shift[o]); },
              [](double a, double b) { return a + b; }, &counts);
          for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = m[i] + std::log(acc[i]);
          return detail::finish(acc, counts, plan, dt, [](double a, std::int64_t) { return a; });
        });
      },
      [dt](const Tensor& g, const Tensor& x, const Tensor&, const ReducePlan& plan) {
        // The max-shifted softmax over the valid entries, exactly 0 at masked ones. Not
        // exp(x - out): out is rounded to an ulp of its own size (0.06 at 1e6 in float32),
        // and exp turns that absolute error into a relative one of the same size.
        Tensor shifted = x.without_mask() - tensor(group_shift(x, plan), plan.kept_shape, dt);
        if (plan.over_masked_axis) shifted = detail::fill_invalid(shifted, x, -std::numeric_limits<double>::infinity());
        Tensor e = exp(shifted);
        Tensor s = sum(e, plan.axes, /*keepdims=*/true);
        // A group with nothing to weigh (all -inf) has s = 0: its gradient is 0, not 0/0.
        return e / where(s == 0, 1, s) * reshape(g, plan.kept_shape);
      });
}

}  // namespace lamina
