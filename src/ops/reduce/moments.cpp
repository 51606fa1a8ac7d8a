// var and std: two passes over each group -- the mean, then the deviations from it, both
// summed pairwise -- with the corrected two-pass formula (Chan, Golub and LeVeque):
// sum(d^2) - sum(d)^2 / n, whose second term removes what rounding left in the mean. A
// large common offset (1e9 + small values) then costs no accuracy, unlike E[x^2] - E[x]^2.
#include <fmt/format.h>
#include <fmt/ranges.h>

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

namespace {

using detail::Counts;
using detail::ReducePlan;

// Per group: the sum of squared deviations from the group mean (valid entries only), and
// the number of valid entries in `counts`.
template <class T>
std::vector<double> squared_deviations(const Tensor& x, const ReducePlan& plan, Counts& counts) {
  auto plus = [](double a, double b) { return a + b; };
  std::vector<double> mean = detail::reduce_values<T, double>(
      x, plan, 0.0, [](double a, T v) { return a + static_cast<double>(v); }, plus, &counts);
  for (std::size_t i = 0; i < mean.size(); ++i)
    mean[i] = counts[i] == 0 ? 0.0 : mean[i] / static_cast<double>(counts[i]);
  struct Dev {
    double d, d2;  // sum of (v - mean) and of its square
  };
  const double* m = mean.data();
  auto dev = detail::reduce_values<T, Dev>(
      x, plan, Dev{0.0, 0.0},
      [m](Dev a, T v, std::int64_t o) {
        const double d = static_cast<double>(v) - m[o];
        return Dev{a.d + d, a.d2 + d * d};
      },
      [](Dev a, Dev b) {
        return Dev{a.d + b.d, a.d2 + b.d2};
      },
      nullptr);
  std::vector<double> ss(dev.size());
  for (std::size_t i = 0; i < ss.size(); ++i) {
    const double n = static_cast<double>(counts[i]);
    const double v = counts[i] == 0 ? 0.0 : dev[i].d2 - dev[i].d * dev[i].d / n;
    ss[i] = v > 0.0 || std::isnan(v) ? v : 0.0;  // rounding can leave -tiny; NaN (inf input) stays
  }
  return ss;
}

// d var / d x = 2 (x - mean) / (count - ddof) at valid entries, exactly 0 at masked ones
// (selected, so NaN or inf there cannot leak); `gv` is the gradient of the variance.
// Written with public ops (the mean included), so second-order gradients work.
Tensor var_gradient(const Tensor& gv, const Tensor& x, const ReducePlan& plan, std::int64_t ddof) {
  const Tensor xv = x.without_mask();
  Tensor d = xv - mean(x, plan.axes, /*keepdims=*/true).without_mask();
  if (plan.over_masked_axis) d = detail::fill_invalid(d, x, 0.0);
  return d * (detail::inverse_counts(x, plan, d.dtype(), ddof) * 2) * reshape(gv, plan.kept_shape);
}

// The body of var (root = false) and std (root = true).
Tensor moments(const char* op, const Tensor& x, const Axes& axes, bool keepdims, std::int64_t ddof, bool root) {
  detail::require_defined(x, op);
  if (ddof < 0)
    throw ValueError({.op = op,
                      .problem = "ddof must not be negative",
                      .expected = "ddof >= 0 (0: population variance, 1: sample variance)",
                      .found = fmt::format("ddof = {}", ddof),
                      .hint = "the result is divided by (number of entries - ddof)"});
  const DType dt = detail::floating(x.dtype());  // integers give Float32, like mean
  {
    // Known from the shapes: every group has n entries, and n <= ddof leaves nothing to
    // divide by (NumPy gives NaN with a warning; Lamina says so before any data).
    const ReducePlan plan = detail::plan_reduce(x.spec(), axes, keepdims, op);
    std::int64_t n = 1;
    for (auto a : plan.axes) n = x.shape()[a] < 0 || n < 0 ? -1 : n * x.shape()[a];
    if (!plan.over_masked_axis && n > 0 && n <= ddof)
      throw ValueError({.op = op,
                        .problem = "too few entries per group for this ddof",
                        .expected = fmt::format("more than ddof = {} entries in each reduced group", ddof),
                        .found = fmt::format("{} entr{} per group: input {}, reduced axes {}", n, n == 1 ? "y" : "ies",
                                             x.shape().str(), fmt::join(plan.axes, ", ")),
                        .hint = "use ddof = 0 (population variance), or reduce over more entries"});
  }
  auto replay = [axes, keepdims, ddof, root](const TensorList& in) {
    return root ? lamina::std(in[0], axes, keepdims, ddof) : var(in[0], axes, keepdims, ddof);
  };
  return detail::reduction(
      op, x, axes, keepdims, dt, false, replay,
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          Counts counts;
          std::vector<double> ss = squared_deviations<T>(x, plan, counts);
          // No valid entry: 0 (the mean rule); some, but no more than ddof: NaN, as NumPy.
          return detail::finish(ss, counts, plan, dt, [ddof, root](double s, std::int64_t c) {
            if (c == 0) return 0.0;
            if (c <= ddof) return std::numeric_limits<double>::quiet_NaN();
            const double v = s / static_cast<double>(c - ddof);
            return root ? std::sqrt(v) : v;
          });
        });
      },
      [ddof, root](const Tensor& g, const Tensor& x, const Tensor& out, const ReducePlan& plan) {
        if (!root) return var_gradient(g, x, plan, ddof);
        // d std = d var / (2 std); where std is 0 (a constant or all-padding group) the
        // gradient is taken as 0. Both wheres keep 1/0 out of every branch, so second-order
        // gradients stay finite too.
        const Tensor positive = out > 0;
        const Tensor gv = where(positive, g / (where(positive, out, 1) * 2), 0);
        return var_gradient(gv, x, plan, ddof);
      },
      nlohmann::json{{"ddof", ddof}});
}

}  // namespace

Tensor var(const Tensor& x, const Axes& axes, bool keepdims, std::int64_t ddof) {
  OpScope scope("var");
  return moments("var", x, axes, keepdims, ddof, /*root=*/false);
}

Tensor std(const Tensor& x, const Axes& axes, bool keepdims, std::int64_t ddof) {
  OpScope scope("std");
  return moments("std", x, axes, keepdims, ddof, /*root=*/true);
}

}  // namespace lamina
