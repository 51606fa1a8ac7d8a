// cast: dtype conversion. Shape and mask pass through; float->float is differentiable
// (the gradient is cast back), anything ending in an integer/Bool dtype cuts the path.
#include "lamina/ops/cast.hpp"

#include <cmath>

#include "core/attrs.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "ops/support/kernels.hpp"

namespace lamina {

Tensor cast(const Tensor& x, DType dtype) {
  OpScope scope("cast");
  if (x.dtype() == dtype) return x;
  if (x.is_symbolic()) {
    TensorSpec spec{x.shape(), dtype, x.mask_rank()};
    return symbolic_op(
        "cast", {x}, spec, [dtype](const TensorList& in) { return cast(in[0], dtype); },
        nlohmann::json{{"dtype", detail::dtype_attr(dtype)}}.dump());
  }
  Tensor out = visit_dtype(x.dtype(), [&](auto stag) {
    using S = decltype(stag);
    return visit_dtype(dtype, [&](auto dtag) {
      using D = decltype(dtag);
      return detail::map_unary<S, D>(x, dtype, [](S v) -> D {
        if constexpr (std::is_same_v<D, bool>) {
          return v != S{};
        } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
          // Out-of-range and NaN conversions are undefined behaviour in C++: saturate.
          if (std::isnan(v)) return D{0};
          if (v >= static_cast<S>(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
          if (v <= static_cast<S>(std::numeric_limits<D>::min())) return std::numeric_limits<D>::min();
          return static_cast<D>(v);
        } else {
          return static_cast<D>(v);
        }
      });
    });
  });
  detail::set_mask(out, x.mask());
  DType from = x.dtype();
  if (is_floating(from) && is_floating(dtype)) {
    record_gradient("cast", {x}, {out},
                    [from](const TensorList& g, const std::vector<bool>&) { return TensorList{cast(g[0], from)}; });
  } else {
    record_cut("cast", {x}, {out});
  }
  return out;
}

}  // namespace lamina
