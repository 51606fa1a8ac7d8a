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

// Per group (kept_shape), the max of the valid entries, or 0 where that is not finite or
// there is none. The softmax is the same for every shift, so this is a constant: no
// gradient flows through it.
Tensor group_shift(const Tensor& x, const ReducePlan& plan, DType dt) {
  return visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    constexpr double kInf = std::numeric_limits<double>::infinity();
    auto m = detail::reduce_values<T, double>(
        x, plan, -kInf,
        [](double a, T v) {
          const auto d = static_cast<double>(v);
          return d > a ? d : a;  // NaN never wins here; it reaches the gradient through x
        },
        nullptr);
    for (auto& v : m) v = std::isfinite(v) ? v : 0.0;
    return tensor(m, plan.kept_shape, dt);
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
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          // One pass, stable: log(s) + m with s = sum exp(v - m) for the running max m.
          struct Acc {
            double m, s;
          };
          constexpr double kInf = std::numeric_limits<double>::infinity();
          Counts counts;
          auto acc = detail::reduce_values<T, Acc>(
              x, plan, Acc{-kInf, 0.0},
              [](Acc a, T tv) {
                const auto v = static_cast<double>(tv);
                if (std::isnan(v)) return Acc{v, v};
                if (v > a.m) return Acc{v, a.s * std::exp(a.m - v) + 1.0};
                if (v == a.m) return v == -kInf ? a : Acc{a.m, a.s + 1.0};
                return Acc{a.m, a.s + std::exp(v - a.m)};
              },
              &counts);
          // An empty (unmasked) axis gives log(0) = -inf, like NumPy; all padding gives 0.
          return detail::finish(acc, counts, plan, dt, [](Acc a, std::int64_t) { return a.m + std::log(a.s); });
        });
      },
      [dt](const Tensor& g, const Tensor& x, const Tensor&, const ReducePlan& plan) {
        // The max-shifted softmax over the valid entries, exactly 0 at masked ones. Not
        // exp(x - out): out is rounded to an ulp of its own size (0.06 at 1e6 in float32),
        // and exp turns that absolute error into a relative one of the same size.
        Tensor shifted = x.without_mask() - group_shift(x, plan, dt);
        if (plan.over_masked_axis) shifted = detail::fill_invalid(shifted, x, -std::numeric_limits<double>::infinity());
        Tensor e = exp(shifted);
        Tensor s = sum(e, plan.axes, /*keepdims=*/true);
        // A group with nothing to weigh (all -inf) has s = 0: its gradient is 0, not 0/0.
        return e / where(s == 0, 1, s) * reshape(g, plan.kept_shape);
      });
}

}  // namespace lamina
