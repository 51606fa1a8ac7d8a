// Reductions. Each op: plan (axes, shapes, mask rule) -> kernel over valid entries ->
// output mask -> gradient. Masked entries are skipped when a masked axis is reduced, and a
// group with no valid entry gives 0. The shared skeleton is `reduction` below; each op
// supplies its dtype rule, its kernel and its gradient side by side.
#include "lamina/ops/reduce.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

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
      m, mp, std::uint8_t{0}, [](std::uint8_t a, bool v) { return static_cast<std::uint8_t>(a | v); }, nullptr);
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

}  // namespace detail

namespace {

using detail::ReducePlan;
using Counts = std::vector<std::int64_t>;

// ---- the skeleton ----------------------------------------------------------------------

// max/min/argmax/argmin have no value over nothing: a zero-size reduced axis is an error
// (raised on the spec, so a model with a known empty axis fails when it is built).
void require_nonempty(const TensorSpec& x, const ReducePlan& plan, const char* op) {
  for (auto a : plan.axes)
    if (x.shape[a] == 0)
      throw ValueError({.op = op,
                        .problem = "cannot reduce over a zero-size axis: there is no element to pick",
                        .expected = "every reduced axis to have at least one element",
                        .found = fmt::format("axis {} has size 0 in shape {}", a, x.shape.str()),
                        .hint = "check that the input is not empty (sum and mean give 0 over an empty axis)"});
}

// plan -> symbolic path -> kernel(plan) -> output mask -> gradient.
// grad(g, x, out, plan) returns x's gradient (x keeps its mask so grad can read it; out
// is mask-free); Grad = std::nullptr_t records the op as a cut.
template <class Kernel, class Grad>
Tensor reduction(const char* op, const Tensor& x, const Axes& axes, bool keepdims, DType out_dtype, bool needs_elements,
                 std::function<Tensor(const TensorList&)> replay, Kernel kernel, Grad grad) {
  ReducePlan plan = detail::plan_reduce(x.spec(), axes, keepdims, op);
  if (needs_elements) require_nonempty(x.spec(), plan, op);
  if (x.is_symbolic())
    return symbolic_op(op, {x}, TensorSpec{plan.out_shape, out_dtype, plan.out_mask_rank}, std::move(replay));
  Tensor out = kernel(plan);
  detail::set_mask(out, detail::reduced_mask(x, plan, keepdims));
  if constexpr (std::is_same_v<Grad, std::nullptr_t>) {
    record_cut(op, {x}, {out});
  } else {
    if (recording_active())
      record_gradient(op, {x}, {out}, [x, out, plan, grad](const TensorList& g, const std::vector<bool>&) {
        return TensorList{grad(g[0], x, out.without_mask(), plan)};
      });
  }
  return out;
}

// The output tensor from per-group accumulators: value(acc, count) where the group has
// valid entries, 0 where a masked reduction found none (an all-padding group).
template <class Acc, class Value>
Tensor finish(const std::vector<Acc>& acc, const Counts& counts, const ReducePlan& plan, DType dtype, Value value) {
  Tensor out = detail::empty(plan.out_shape, dtype);
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mutable_data<T>(out);
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
  detail::BroadcastPlan bp = detail::make_broadcast_plan(x.shape(), {plan.kept_shape});
  detail::for_each_run<1>(bp, 0, n,
                          [&](std::int64_t i0, const std::array<std::int64_t, 1>& off, std::int64_t cnt,
                              const std::array<std::int64_t, 1>& st) {
                            for (std::int64_t k = 0; k < cnt; ++k) f(i0 + k, off[0] + k * st[0]);
                          });
}

// ---- gradient helpers --------------------------------------------------------------------

// Broadcasts a reduction's output gradient back over the input; zero at masked entries
// when the reduction skipped them.
Tensor spread_gradient(const Tensor& g, const Tensor& x, const ReducePlan& plan) {
  Tensor out = broadcast_to(reshape(g, plan.kept_shape), x.shape());
  return plan.over_masked_axis ? out * detail::mask_weights(x, out.dtype()) : out;
}

// `t` (x's shape) with the entries x's mask marks invalid replaced by `value`.
// Differentiable in t; the gradient is 0 at the replaced entries.
Tensor fill_invalid(const Tensor& t, const Tensor& x, double value) {
  Tensor out = detail::empty(t.shape(), t.dtype());
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* src = t.data<T>();
      T* dst = detail::mutable_data<T>(out);
      const detail::MaskView mv = detail::mask_view(x);
      const auto fill = static_cast<T>(value);
      detail::parallel_for(out.numel(), detail::kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) dst[i] = mv.valid(i) ? src[i] : fill;
      });
    }
  });
  if (recording_active())
    record_gradient("fill_invalid", {t}, {out}, [x](const TensorList& g, const std::vector<bool>&) {
      return TensorList{g[0] * detail::mask_weights(x, g[0].dtype())};
    });
  return out;
}

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

// Per element of x: 1/ties where it is a valid entry equal to its group's result, else 0
// (the max/min gradient is shared equally among tied entries).
Tensor tie_weights(const Tensor& x, const Tensor& out, const ReducePlan& plan) {
  return visit_dtype(x.dtype(), [&](auto tag) -> Tensor {
    using T = decltype(tag);
    if constexpr (!std::is_floating_point_v<T>) {
      return Tensor();
    } else {
      const T* xv = x.data<T>();
      const T* ov = out.data<T>();
      const detail::MaskView mv = plan.over_masked_axis ? detail::mask_view(x) : detail::MaskView{};
      Counts ties(static_cast<std::size_t>(plan.kept_shape.numel()), 0);
      Tensor w = detail::empty(x.shape(), x.dtype());
      T* wv = detail::mutable_data<T>(w);
      for_each_grouped(x, plan, [&](std::int64_t i, std::int64_t o) {
        bool hit = mv.valid(i) && xv[i] == ov[o];
        wv[i] = hit ? T{1} : T{0};
        if (hit) ++ties[static_cast<std::size_t>(o)];
      });
      for_each_grouped(x, plan, [&](std::int64_t i, std::int64_t o) {
        if (wv[i] != T{0}) wv[i] = T{1} / static_cast<T>(ties[static_cast<std::size_t>(o)]);
      });
      return w;
    }
  });
}

// 1/(number of valid entries) per group, broadcastable against kept_shape; 0 for groups
// with none.
Tensor inverse_counts(const Tensor& x, const ReducePlan& plan, DType dtype) {
  std::int64_t unmasked = 1;  // elements per group along reduced axes outside the mask
  const std::int64_t mrank = plan.over_masked_axis ? x.mask_rank() : 0;
  for (auto a : plan.axes)
    if (a >= mrank) unmasked *= x.shape()[a];
  if (!plan.over_masked_axis) return full(Shape{}, unmasked == 0 ? 0.0 : 1.0 / static_cast<double>(unmasked), dtype);
  Tensor m = x.mask();
  Axes mask_axes;
  for (auto a : plan.axes)
    if (a < mrank) mask_axes.push_back(a);
  ReducePlan mp = detail::plan_reduce(m.spec(), mask_axes, /*keepdims=*/true, "mask");
  Counts c = detail::reduce_values<bool, std::int64_t>(
      m, mp, 0, [](std::int64_t a, bool v) { return a + (v ? 1 : 0); }, nullptr);
  std::vector<double> inv(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    std::int64_t n = c[i] * unmasked;
    inv[i] = n == 0 ? 0.0 : 1.0 / static_cast<double>(n);
  }
  std::vector<std::int64_t> dims(mp.kept_shape.begin(), mp.kept_shape.end());
  dims.resize(static_cast<std::size_t>(x.rank()), 1);
  return tensor(inv, Shape(dims), dtype);
}

// Floats accumulate in double; integers wrap around like NumPy's (unsigned arithmetic,
// so an overflowing sum is not undefined behaviour).
template <class T>
using SumAcc = std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>;

// NaN-propagating comparisons for max/min/argmax/argmin: a NaN wins and stays.
template <bool kMax, class T>
bool better(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(best)) return false;
    if (std::isnan(v)) return true;
  }
  if constexpr (kMax)
    return v > best;
  else
    return v < best;
}

template <bool kMax>
Tensor extreme(const char* op, const Tensor& x, const Axes& axes, bool keepdims,
               std::function<Tensor(const TensorList&)> replay) {
  return reduction(
      op, x, axes, keepdims, x.dtype(), /*needs_elements=*/true, std::move(replay),
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T init = kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
          struct Acc {
            T v;
            bool any;
          };
          Counts counts;
          auto acc = detail::reduce_values<T, Acc>(
              x, plan, Acc{init, false},
              [](Acc a, T v) {
                return !a.any || better<kMax>(v, a.v) ? Acc{v, true} : a;
              },
              &counts);
          return finish(acc, counts, plan, x.dtype(), [](Acc a, std::int64_t) { return a.v; });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor& out, const ReducePlan& plan) {
        return tie_weights(x, out, plan) * reshape(g, plan.kept_shape);
      });
}

template <bool kMax>
Tensor arg_extreme(const char* op, const Tensor& x, std::int64_t axis, bool keepdims,
                   std::function<Tensor(const TensorList&)> replay) {
  return reduction(
      op, x, Axes{axis}, keepdims, Int64, /*needs_elements=*/true, std::move(replay),
      [&](const ReducePlan& plan) {
        const std::int64_t a = plan.axes[0];
        std::int64_t outer = 1, inner = 1;
        for (std::int64_t i = 0; i < a; ++i) outer *= x.shape()[i];
        for (std::int64_t i = a + 1; i < x.rank(); ++i) inner *= x.shape()[i];
        const std::int64_t len = x.shape()[a];
        const detail::MaskView mv = plan.over_masked_axis ? detail::mask_view(x) : detail::MaskView{};
        Tensor out = detail::empty(plan.out_shape, Int64);
        std::int64_t* dst = detail::mutable_data<std::int64_t>(out);
        // Work items: (outer index, a chunk of up to kChunk inner positions); each scans
        // the axis row by row, so the reads are contiguous whatever the axis.
        constexpr std::int64_t kChunk = 64;
        const std::int64_t chunks = (inner + kChunk - 1) / kChunk;
        visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = x.data<T>();
          detail::parallel_for(
              outer * chunks,
              std::max<std::int64_t>(1, detail::kElementwiseGrain / (std::max<std::int64_t>(len, 1) * kChunk)),
              [&](std::int64_t b, std::int64_t e) {
                std::int64_t best[kChunk];
                T best_value[kChunk];
                for (std::int64_t t = b; t < e; ++t) {
                  const std::int64_t o = t / chunks, j0 = (t % chunks) * kChunk;
                  const std::int64_t n = std::min(kChunk, inner - j0);
                  std::fill_n(best, n, std::int64_t{-1});
                  for (std::int64_t k = 0; k < len; ++k) {
                    const std::int64_t row = (o * len + k) * inner + j0;
                    for (std::int64_t j = 0; j < n; ++j) {
                      if (!mv.valid(row + j)) continue;
                      const T v = src[row + j];
                      if (best[j] < 0 || better<kMax>(v, best_value[j])) {
                        best[j] = k;
                        best_value[j] = v;
                      }
                    }
                  }
                  for (std::int64_t j = 0; j < n; ++j)
                    dst[o * inner + j0 + j] = best[j] < 0 ? 0 : best[j];  // all padding: 0
                }
              });
        });
        return out;
      },
      nullptr);
}

}  // namespace

// ---- the reductions ------------------------------------------------------------------------

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("sum");
  detail::require_defined(x, "sum");
  DType dt = detail::arithmetic(x.dtype());  // Bool sums count: Int32
  return reduction(
      "sum", x, axes, keepdims, dt, false,
      [axes, keepdims](const TensorList& in) { return sum(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          using Acc = SumAcc<T>;
          Counts counts;
          auto acc = detail::reduce_values<T, Acc>(
              x, plan, Acc{0},
              [](Acc a, T v) {
                if constexpr (std::is_floating_point_v<T>)
                  return a + static_cast<double>(v);
                else
                  return a + static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
              },
              &counts);
          return finish(acc, counts, plan, dt, [](Acc a, std::int64_t) {
            if constexpr (std::is_floating_point_v<T>)
              return a;
            else
              return static_cast<std::int64_t>(a);
          });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor&, const ReducePlan& plan) {
        return spread_gradient(g, x, plan);
      });
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("mean");
  detail::require_defined(x, "mean");
  DType dt = detail::floating(x.dtype());  // integers give Float32
  return reduction(
      "mean", x, axes, keepdims, dt, false,
      [axes, keepdims](const TensorList& in) { return mean(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          Counts counts;
          auto acc = detail::reduce_values<T, double>(
              x, plan, 0.0, [](double a, T v) { return a + static_cast<double>(v); }, &counts);
          // An empty or all-padding group has mean 0, never NaN.
          return finish(acc, counts, plan, dt,
                        [](double a, std::int64_t c) { return c == 0 ? 0.0 : a / static_cast<double>(c); });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor&, const ReducePlan& plan) {
        Tensor gk = reshape(g, plan.kept_shape) * inverse_counts(x, plan, g.dtype());
        Tensor out = broadcast_to(gk, x.shape());
        return plan.over_masked_axis ? out * detail::mask_weights(x, out.dtype()) : out;
      });
}

Tensor max(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("max");
  detail::require_defined(x, "max");
  return extreme<true>("max", x, axes, keepdims,
                       [axes, keepdims](const TensorList& in) { return max(in[0], axes, keepdims); });
}

Tensor min(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("min");
  detail::require_defined(x, "min");
  return extreme<false>("min", x, axes, keepdims,
                        [axes, keepdims](const TensorList& in) { return min(in[0], axes, keepdims); });
}

Tensor prod(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("prod");
  detail::require_defined(x, "prod");
  DType dt = detail::arithmetic(x.dtype());
  return reduction(
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
              &counts);
          return finish(acc, counts, plan, dt, [](Acc a, std::int64_t) {
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
        if (plan.over_masked_axis) xv = fill_invalid(xv, x, 1.0);
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
        return plan.over_masked_axis ? gx * detail::mask_weights(x, gx.dtype()) : gx;
      });
}

Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("logsumexp");
  detail::require_defined(x, "logsumexp");
  DType dt = detail::floating(x.dtype());
  return reduction(
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
          return finish(acc, counts, plan, dt, [](Acc a, std::int64_t) { return a.m + std::log(a.s); });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor& out, const ReducePlan& plan) {
        // softmax over the valid entries of each group; exactly 0 at masked ones.
        Tensor shifted = x.without_mask() - reshape(out, plan.kept_shape);
        if (plan.over_masked_axis) shifted = fill_invalid(shifted, x, -std::numeric_limits<double>::infinity());
        return exp(shifted) * reshape(g, plan.kept_shape);
      });
}

Tensor any(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("any");
  detail::require_defined(x, "any");
  return reduction(
      "any", x, axes, keepdims, Bool, false,
      [axes, keepdims](const TensorList& in) { return any(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          Counts counts;
          auto acc = detail::reduce_values<T, std::uint8_t>(
              x, plan, std::uint8_t{0}, [](std::uint8_t a, T v) { return static_cast<std::uint8_t>(a | (v != T{})); },
              &counts);
          return finish(acc, counts, plan, Bool, [](std::uint8_t a, std::int64_t) { return a != 0; });
        });
      },
      nullptr);
}

Tensor all(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("all");
  detail::require_defined(x, "all");
  return reduction(
      "all", x, axes, keepdims, Bool, false,
      [axes, keepdims](const TensorList& in) { return all(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          Counts counts;
          // An empty (unmasked) axis is vacuously true; an all-padding group is false.
          auto acc = detail::reduce_values<T, std::uint8_t>(
              x, plan, std::uint8_t{1}, [](std::uint8_t a, T v) { return static_cast<std::uint8_t>(a & (v != T{})); },
              &counts);
          return finish(acc, counts, plan, Bool, [](std::uint8_t a, std::int64_t) { return a != 0; });
        });
      },
      nullptr);
}

Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims) {
  OpScope scope("argmax");
  detail::require_defined(x, "argmax");
  return arg_extreme<true>("argmax", x, axis, keepdims,
                           [axis, keepdims](const TensorList& in) { return argmax(in[0], axis, keepdims); });
}

Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdims) {
  OpScope scope("argmin");
  detail::require_defined(x, "argmin");
  return arg_extreme<false>("argmin", x, axis, keepdims,
                            [axis, keepdims](const TensorList& in) { return argmin(in[0], axis, keepdims); });
}

}  // namespace lamina
