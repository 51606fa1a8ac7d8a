#include "ops/support/along_axis.hpp"

#include <type_traits>

#include "lamina/core/creation.hpp"
#include "lamina/core/recording.hpp"
#include "ops/support/dims.hpp"
#include "ops/support/kernels.hpp"

namespace lamina::detail {

namespace {

// Calls f(o) for every outer index of (outer, ., inner) layouts, split across threads;
// `work` is the number of elements each outer index touches.
template <class F>
void for_outer(std::int64_t outer, std::int64_t work, F f) {
  parallel_for(outer, std::max<std::int64_t>(1, kElementwiseGrain / std::max<std::int64_t>(work, 1)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t o = b; o < e; ++o) f(o);
               });
}

}  // namespace

Tensor take_along(const char* op, const Tensor& x, const Tensor& idx, std::int64_t axis) {
  const Shape& xs = x.shape();
  const std::int64_t outer = product(xs, 0, axis), n = xs[axis], inner = product(xs, axis + 1, xs.rank());
  const std::int64_t k = idx.shape()[axis];
  Tensor out = empty(idx.shape(), x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = x.data<T>();
    const std::int32_t* ip = idx.data<std::int32_t>();
    T* dst = mutable_data<T>(out);
    for_outer(outer, k * inner, [&](std::int64_t o) {
      for (std::int64_t j = 0; j < k; ++j)
        for (std::int64_t i = 0; i < inner; ++i) {
          const std::int64_t at = (o * k + j) * inner + i;
          dst[at] = src[(o * n + ip[at]) * inner + i];
        }
    });
  });
  if (recording_active())
    record_gradient(op, {x}, {out}, [op, idx, axis, shape = xs](const TensorList& g, const std::vector<bool>&) {
      return TensorList{put_along(op, g[0], idx, axis, shape)};
    });
  return out;
}

Tensor put_along(const char* op, const Tensor& g, const Tensor& idx, std::int64_t axis, const Shape& shape) {
  const std::int64_t outer = product(shape, 0, axis), n = shape[axis], inner = product(shape, axis + 1, shape.rank());
  const std::int64_t k = idx.shape()[axis];
  Tensor out = zeros(shape, g.dtype());
  visit_dtype(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* src = g.data<T>();
      const std::int32_t* ip = idx.data<std::int32_t>();
      T* dst = mutable_data<T>(out);
      // Each outer index owns its slab of the output, so threads never share an element.
      for_outer(outer, k * inner, [&](std::int64_t o) {
        for (std::int64_t j = 0; j < k; ++j)
          for (std::int64_t i = 0; i < inner; ++i) {
            const std::int64_t at = (o * k + j) * inner + i;
            dst[(o * n + ip[at]) * inner + i] += src[at];
          }
      });
    }
  });
  if (recording_active())
    record_gradient(op, {g}, {out}, [op, idx, axis](const TensorList& gg, const std::vector<bool>&) {
      return TensorList{take_along(op, gg[0], idx, axis)};
    });
  return out;
}

}  // namespace lamina::detail
