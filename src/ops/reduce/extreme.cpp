// max, min, argmax and argmin: the reductions that pick an element. NaN wins; a
// zero-size reduced axis is a ValueError (there is nothing to pick).
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
      detail::for_each_grouped(x, plan, [&](std::int64_t i, std::int64_t o) {
        bool hit = mv.valid(i) && xv[i] == ov[o];
        wv[i] = hit ? T{1} : T{0};
        if (hit) ++ties[static_cast<std::size_t>(o)];
      });
      detail::for_each_grouped(x, plan, [&](std::int64_t i, std::int64_t o) {
        if (wv[i] != T{0}) wv[i] = T{1} / static_cast<T>(ties[static_cast<std::size_t>(o)]);
      });
      return w;
    }
  });
}

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
  return detail::reduction(
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
              [](Acc a, Acc b) { return !b.any || (a.any && !better<kMax>(b.v, a.v)) ? a : b; }, &counts);
          return detail::finish(acc, counts, plan, x.dtype(), [](Acc a, std::int64_t) { return a.v; });
        });
      },
      [](const Tensor& g, const Tensor& x, const Tensor& out, const ReducePlan& plan) {
        return tie_weights(x, out, plan) * reshape(g, plan.kept_shape);
      });
}

template <bool kMax>
Tensor arg_extreme(const char* op, const Tensor& x, std::int64_t axis, bool keepdims,
                   std::function<Tensor(const TensorList&)> replay) {
  return detail::reduction(
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
