// Repeating data: broadcast_to (stretching size-1 axes) and tile (whole copies along
// axes). Both read the input with stride 0 along repeated axes; their gradients sum the
// copies back.
#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/shape_util.hpp"
#include "ops/support/strided.hpp"
#include "core/attrs.hpp"

namespace lamina {

using detail::checked_size;
using detail::list_str;
using detail::StridedView;

// ---- broadcast_to ---------------------------------------------------------------------------

Tensor broadcast_to(const Tensor& x, const Shape& requested) {
  OpScope scope("broadcast_to");
  detail::require_defined(x, "broadcast_to");
  // A None (-1) in the target keeps the input's aligned dim (so a symbolic graph that
  // broadcasts to (None, 4) replays on data); a new leading axis must have a known size.
  Shape shape = requested;
  const std::int64_t lead = shape.rank() - x.rank();
  bool ok = lead >= 0;
  for (std::int64_t i = 0; ok && i < shape.rank(); ++i) {
    if (shape[i] == -1 && i >= lead) shape[i] = x.shape()[i - lead];
    ok = shape[i] >= 0 || (shape[i] == -1 && i >= lead);
  }
  for (std::int64_t i = 0; ok && i < x.rank(); ++i) {
    std::int64_t d = x.shape()[i], t = shape[lead + i];
    ok = d == t || d == 1 || d < 0 || t < 0;
  }
  if (!ok)
    throw ShapeError({.op = "broadcast_to",
                      .problem = "the tensor cannot be broadcast to the requested shape",
                      .expected = fmt::format("dims of {} equal to, or 1 against, the trailing dims of the target "
                                              "(new leading dims known and >= 0)",
                                              x.shape().str()),
                      .found = fmt::format("{} -> {}", x.shape().str(), requested.str()),
                      .hint = "only size-1 axes stretch; reshape or expand_dims the tensor so its axes line up"});
  std::int64_t mrank = detail::elementwise_mask_rank({x.spec()}, shape.rank());
  if (x.is_symbolic())
    return symbolic_op("broadcast_to", {x}, TensorSpec{shape, x.dtype(), mrank},
                       [requested](const TensorList& in) { return broadcast_to(in[0], requested); },
                       nlohmann::json{{"shape", requested.dims()}}.dump());
  if (x.shape() == shape) return x;
  Tensor out = visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor y = detail::empty(shape, x.dtype());
    const T* src = x.data<T>();
    T* dst = detail::mutable_data<T>(y);
    detail::BroadcastPlan plan = detail::make_broadcast_plan(shape, {x.shape()});
    detail::parallel_for(plan.numel, detail::kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
      detail::for_each_run<1>(plan, b, e,
                              [&](std::int64_t o, const std::array<std::int64_t, 1>& off, std::int64_t n,
                                  const std::array<std::int64_t, 1>& st) {
                                for (std::int64_t i = 0; i < n; ++i) dst[o + i] = src[off[0] + i * st[0]];
                              });
    });
    return y;
  });
  detail::set_mask(out, detail::elementwise_mask({x}, shape));
  if (recording_active()) {
    Shape in_shape = x.shape();
    record_gradient("broadcast_to", {x}, {out}, [in_shape](const TensorList& g, const std::vector<bool>&) {
      return TensorList{detail::unbroadcast(g[0], in_shape)};
    });
  }
  return out;
}

// ---- tile -----------------------------------------------------------------------------------

Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps) {
  OpScope scope("tile");
  detail::require_defined(x, "tile");
  for (auto r : reps)
    if (r <= 0)
      throw ValueError({.op = "tile",
                        .problem = "repetition counts must be positive",
                        .expected = "reps >= 1 per axis",
                        .found = fmt::format("reps {} for shape {}", list_str(reps), x.shape().str()),
                        .hint = "use 1 to keep an axis as it is"});
  // Like NumPy: the shorter of reps and the shape is padded with leading 1s.
  const std::int64_t rank = std::max<std::int64_t>(x.rank(), static_cast<std::int64_t>(reps.size()));
  const std::int64_t lead = rank - x.rank();
  std::vector<std::int64_t> r(static_cast<std::size_t>(rank - static_cast<std::int64_t>(reps.size())), 1);
  r.insert(r.end(), reps.begin(), reps.end());
  std::vector<std::int64_t> in_dims(static_cast<std::size_t>(lead), 1);
  in_dims.insert(in_dims.end(), x.shape().begin(), x.shape().end());
  std::vector<std::int64_t> dims;
  for (std::int64_t i = 0; i < rank; ++i) {
    auto k = static_cast<std::size_t>(i);
    dims.push_back(in_dims[k] < 0 ? -1 : checked_size(in_dims[k], r[k], true, "tile", [&] {
      return fmt::format("reps {} for shape {}", list_str(reps), x.shape().str());
    }));
  }
  Shape out_shape(dims), in_shape(in_dims);
  // The new leading axes lead the mask: the mask (when there is one) covers them too.
  std::int64_t mrank = x.mask_rank() < 0 ? -1 : x.mask_rank() + lead;
  if (x.is_symbolic())
    return symbolic_op("tile", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [reps](const TensorList& in) { return tile(in[0], reps); },
                       nlohmann::json{{"reps", reps}}.dump());
  if (out_shape == x.shape()) return x;
  // Read (r0, d0, r1, d1, ...) with stride 0 along the repetitions.
  auto tiled = [&](const Tensor& t, const Shape& ts, std::int64_t n) {
    std::vector<std::int64_t> st = contiguous_strides(ts), vd, vs;
    for (std::int64_t i = 0; i < n; ++i) {
      auto k = static_cast<std::size_t>(i);
      vd.insert(vd.end(), {r[k], ts[i]});
      vs.insert(vs.end(), {0, st[k]});
    }
    Tensor flat = detail::gather_view(detail::share(t, ts, Tensor()), StridedView{Shape(vd), vs, 0});
    return detail::share(flat, out_shape.prefix(n), Tensor());
  };
  Tensor out = tiled(x, in_shape, rank);
  if (mrank >= 0) detail::set_mask(out, tiled(x.mask(), in_shape.prefix(mrank), mrank));
  if (recording_active()) {
    Shape x_shape = x.shape();
    record_gradient("tile", {x}, {out}, [r, in_shape, x_shape](const TensorList& g, const std::vector<bool>&) {
      std::vector<std::int64_t> pairs;
      Axes rep_axes;
      for (std::int64_t i = 0; i < in_shape.rank(); ++i) {
        pairs.insert(pairs.end(), {r[static_cast<std::size_t>(i)], in_shape[i]});
        rep_axes.push_back(2 * i);
      }
      return TensorList{reshape(sum(reshape(g[0], Shape(pairs)), rep_axes), x_shape)};
    });
  }
  return out;
}

}  // namespace lamina
