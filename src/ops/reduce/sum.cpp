// sum, mean and prod: the accumulating reductions (the reference example of
// docs/writing-ops.md is `sum`).
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

namespace {

using detail::Counts;
using detail::ReducePlan;

// For each row of x2 (N, R), the product of the other entries of the row: prefix and
// suffix products, so a zero costs no division. Differentiable to any order: the
// backward builds, per row, the R x R matrix M[i][j] = x[j] (j != i), 1 (j == i) and
// takes products of the others of its rows again.
Tensor prod_others(const Tensor& x2) {
  const std::int64_t n = x2.shape()[0], r = x2.shape()[1];
  Tensor out = detail::empty(x2.shape(), x2.dtype());
  visit_dtype(x2.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* src = x2.data<T>();
      T* dst = detail::mutable_data<T>(out);
      detail::parallel_for(n, std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(r, 1)),
                           [&](std::int64_t b, std::int64_t e) {
                             for (std::int64_t row = b; row < e; ++row) {
                               const T* x = src + row * r;
                               T* y = dst + row * r;
                               T acc = 1;
                               for (std::int64_t k = 0; k < r; ++k) {
                                 y[k] = acc;
                                 acc *= x[k];
                               }
                               acc = 1;
                               for (std::int64_t k = r - 1; k >= 0; --k) {
                                 y[k] *= acc;
                                 acc *= x[k];
                               }
                             }
                           });
    }
  });
  if (recording_active())
    record_gradient("prod", {x2}, {out}, [x2, n, r](const TensorList& g, const std::vector<bool>&) {
      Tensor x = x2.without_mask();
      Tensor eye = detail::empty(Shape{r, r}, x.dtype());
      visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* p = detail::mutable_data<T>(eye);
        for (std::int64_t i = 0; i < r * r; ++i) p[i] = static_cast<T>(i % (r + 1) == 0);
      });
      Tensor off_diag = 1 - eye;
      Tensor m = reshape(x, Shape{n, 1, r}) * off_diag + eye;  // (n, r, r)
      Tensor p = reshape(prod_others(reshape(m, Shape{n * r, r})), Shape{n, r, r});
      return TensorList{sum(reshape(g[0], Shape{n, r, 1}) * p * off_diag, Axes{1})};
    });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("sum");
  detail::require_defined(x, "sum");
  DType dt = detail::arithmetic(x.dtype());  // Bool sums count: Int32
  return detail::reduction(
      "sum", x, axes, keepdims, dt, false,
      [axes, keepdims](const TensorList& in) { return sum(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          using Acc = detail::SumAcc<T>;
          Counts counts;
          auto acc = detail::reduce_values<T, Acc>(
              x, plan, Acc{0},
              [](Acc a, T v) {
                if constexpr (std::is_floating_point_v<T>)
                  return a + static_cast<double>(v);
                else
                  return a + static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
              },
              [](Acc a, Acc b) { return a + b; }, &counts);
          return detail::finish(acc, counts, plan, dt, [](Acc a, std::int64_t) {
            if constexpr (std::is_floating_point_v<T>)
              return a;
            else
              return static_cast<std::int64_t>(a);
          });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor&, const ReducePlan& plan) {
        return detail::spread_gradient(g, x, plan);
      });
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("mean");
  detail::require_defined(x, "mean");
  DType dt = detail::floating(x.dtype());  // integers give Float32
  return detail::reduction(
      "mean", x, axes, keepdims, dt, false,
      [axes, keepdims](const TensorList& in) { return mean(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          Counts counts;
          auto acc = detail::reduce_values<T, double>(
              x, plan, 0.0, [](double a, T v) { return a + static_cast<double>(v); },
              [](double a, double b) { return a + b; }, &counts);
          // An empty or all-padding group has mean 0, never NaN.
          return detail::finish(acc, counts, plan, dt,
                                [](double a, std::int64_t c) { return c == 0 ? 0.0 : a / static_cast<double>(c); });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor&, const ReducePlan& plan) {
        Tensor gk = reshape(g, plan.kept_shape) * detail::inverse_counts(x, plan, g.dtype());
        return broadcast_to(gk, x.shape());  // zero at masked entries: `reduction` selects
      });
}

Tensor prod(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("prod");
  detail::require_defined(x, "prod");
  DType dt = detail::arithmetic(x.dtype());
  return detail::reduction(
      "prod", x, axes, keepdims, dt, false,
      [axes, keepdims](const TensorList& in) { return prod(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          // Integers wrap around like NumPy's (unsigned arithmetic: no signed overflow).
          using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>;
          Counts counts;
          auto acc = detail::reduce_values<T, Acc>(
              x, plan, Acc{1},
              [](Acc a, T v) {
                if constexpr (std::is_floating_point_v<T>)
                  return a * static_cast<double>(v);
                else
                  return a * static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
              },
              [](Acc a, Acc b) { return a * b; }, &counts);
          return detail::finish(acc, counts, plan, dt, [](Acc a, std::int64_t) {
            if constexpr (std::is_floating_point_v<T>)
              return a;
            else
              return static_cast<std::int64_t>(a);
          });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor&, const ReducePlan& plan) {
        // d prod / d x_i = product of the other entries of its group (masked ones count as
        // 1), computed without dividing: move the reduced axes last, flatten to (N, R).
        Tensor xv = x.without_mask();
        if (plan.over_masked_axis) xv = detail::fill_invalid(xv, x, 1.0);
        Axes perm, inverse(static_cast<std::size_t>(x.rank()));
        std::int64_t n = 1, r = 1;
        for (std::int64_t i = 0; i < x.rank(); ++i)
          if (!plan.reduced[static_cast<std::size_t>(i)]) {
            perm.push_back(i);
            n *= x.shape()[i];
          }
        for (auto a : plan.axes) {
          perm.push_back(a);
          r *= x.shape()[a];
        }
        for (std::size_t i = 0; i < perm.size(); ++i)
          inverse[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
        Tensor xt = transpose(xv, perm);
        Tensor others = prod_others(reshape(xt, Shape{n, r}));
        Tensor gx = transpose(reshape(others * reshape(g, Shape{n, 1}), xt.shape()), inverse);
        return gx;  // zero at masked entries: `reduction` selects
      });
}

}  // namespace lamina
