// logsumexp: log(sum(exp(x))) without overflow, mask-aware.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/reduction.hpp"

namespace lamina {

using detail::Counts;
using detail::ReducePlan;

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
      [](const Tensor& g, const Tensor& x, const Tensor& out, const ReducePlan& plan) {
        // softmax over the valid entries of each group; exactly 0 at masked ones.
        Tensor shifted = x.without_mask() - reshape(out, plan.kept_shape);
        if (plan.over_masked_axis) shifted = detail::fill_invalid(shifted, x, -std::numeric_limits<double>::infinity());
        return exp(shifted) * reshape(g, plan.kept_shape);
      });
}

}  // namespace lamina
