// Shape ops: each infers the new shape, transforms the mask the same way, and routes the
// gradient back through the inverse transformation.
#include "lamina/ops/shape.hpp"

#include <fmt/format.h>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "ops/support/elementwise_op.hpp"

namespace lamina {

namespace {

// Product of dims as (known part, number of unknown dims), so symbolic shapes compare.
struct SymbolicSize {
  std::int64_t known = 1;
  int unknown = 0;
  friend bool operator==(const SymbolicSize&, const SymbolicSize&) = default;
};
SymbolicSize size_of(const Shape& s, std::int64_t begin, std::int64_t end) {
  SymbolicSize z;
  for (std::int64_t i = begin; i < end; ++i) {
    if (s[i] < 0) ++z.unknown;
    else z.known *= s[i];
  }
  return z;
}

Shape resolve_reshape(const Shape& from, const Shape& to) {
  std::int64_t infer_at = -1;
  for (std::int64_t i = 0; i < to.rank(); ++i) {
    if (to[i] == -1) {
      if (infer_at >= 0)
        throw ShapeError({.op = "reshape", .problem = "only one dimension can be -1",
                          .expected = "at most one -1", .found = to.str()});
      infer_at = i;
    } else if (to[i] < -1) {
      throw ShapeError({.op = "reshape", .problem = "negative dimension", .expected = "dimensions >= 0 (or one -1)",
                        .found = to.str()});
    }
  }
  Shape out = to;
  SymbolicSize have = size_of(from, 0, from.rank());
  if (have.unknown > 0) return out;  // symbolic input: -1 stays unknown (None)
  if (infer_at >= 0) {
    std::int64_t others = 1;
    for (std::int64_t i = 0; i < to.rank(); ++i)
      if (i != infer_at) others *= to[i];
    if (others == 0 || have.known % others != 0)
      throw ShapeError({.op = "reshape",
                        .problem = "cannot infer the -1 dimension",
                        .expected = fmt::format("the other dimensions to divide {} elements", have.known),
                        .found = fmt::format("reshape {} to {}", from.str(), to.str())});
    out[infer_at] = have.known / others;
  }
  if (out.numel() != have.known)
    throw ShapeError({.op = "reshape",
                      .problem = "the new shape has a different number of elements",
                      .expected = fmt::format("{} elements (from {})", have.known, from.str()),
                      .found = fmt::format("{} elements in {}", out.numel(), out.str()),
                      .hint = "use -1 for one dimension to let Lamina infer it"});
  return out;
}

// Leading dims of `to` that hold exactly the masked dims of `from`; MaskError otherwise.
std::int64_t reshaped_mask_rank(const Shape& from, std::int64_t mask_rank, const Shape& to) {
  if (mask_rank < 0) return -1;
  if (to.rank() >= mask_rank && to.prefix(mask_rank) == from.prefix(mask_rank)) return mask_rank;
  SymbolicSize masked = size_of(from, 0, mask_rank);
  for (std::int64_t k = 1; k <= to.rank(); ++k)
    if (size_of(to, 0, k) == masked) return k;
  throw MaskError({.op = "reshape",
                   .problem = "this reshape mixes masked axes with unmasked ones",
                   .expected = fmt::format("the masked leading axes {} to map onto leading axes of the new shape",
                                           from.prefix(mask_rank).str()),
                   .found = fmt::format("reshape {} (mask {}) to {}", from.str(), from.prefix(mask_rank).str(),
                                        to.str()),
                   .hint = "reshape only the feature axes, or drop the mask explicitly with x.without_mask()"});
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  OpScope scope("reshape");
  detail::require_defined(x, "reshape");
  Shape out_shape = resolve_reshape(x.shape(), shape);
  std::int64_t mrank = reshaped_mask_rank(x.shape(), x.mask_rank(), out_shape);
  if (x.is_symbolic())
    return symbolic_op("reshape", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [shape](const TensorList& in) { return reshape(in[0], shape); });
  if (out_shape == x.shape()) return x;
  Tensor mask = mrank < 0 ? Tensor() : detail::share(x.mask(), out_shape.prefix(mrank), Tensor());
  Tensor out = detail::share(x, out_shape, mask);
  if (recording_active()) {
    Shape in_shape = x.shape();
    record_gradient("reshape", {x}, {out}, [in_shape](const TensorList& g, const std::vector<bool>&) {
      return TensorList{reshape(g[0], in_shape)};
    });
  }
  return out;
}

Tensor expand_dims(const Tensor& x, std::int64_t axis) {
  OpScope scope("expand_dims");
  detail::require_defined(x, "expand_dims");
  std::int64_t a = normalize_axis(axis, x.rank() + 1, "expand_dims");
  auto insert_one = [a](const Shape& s) {
    std::vector<std::int64_t> dims(s.begin(), s.end());
    dims.insert(dims.begin() + a, 1);
    return Shape(dims);
  };
  Shape out_shape = insert_one(x.shape());
  // A new axis inside the masked prefix joins the mask; one after it does not.
  bool joins_mask = a < x.mask_rank();
  std::int64_t mrank = x.mask_rank() < 0 ? -1 : x.mask_rank() + (joins_mask ? 1 : 0);
  if (x.is_symbolic())
    return symbolic_op("expand_dims", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [axis](const TensorList& in) { return expand_dims(in[0], axis); });
  Tensor mask = x.mask();
  if (joins_mask) mask = detail::share(mask, insert_one(mask.shape()), Tensor());
  Tensor out = detail::share(x, out_shape, mask);
  if (recording_active()) {
    Shape in_shape = x.shape();
    record_gradient("expand_dims", {x}, {out}, [in_shape](const TensorList& g, const std::vector<bool>&) {
      return TensorList{reshape(g[0], in_shape)};
    });
  }
  return out;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  OpScope scope("broadcast_to");
  detail::require_defined(x, "broadcast_to");
  bool ok = shape.rank() >= x.rank();
  for (std::int64_t i = 0; ok && i < x.rank(); ++i) {
    std::int64_t d = x.shape()[i], t = shape[shape.rank() - x.rank() + i];
    ok = d == t || d == 1 || d < 0 || t < 0;
  }
  if (!ok)
    throw ShapeError({.op = "broadcast_to",
                      .problem = "the tensor cannot be broadcast to the requested shape",
                      .expected = fmt::format("dims of {} equal to, or 1 against, the trailing dims of {}",
                                              x.shape().str(), shape.str()),
                      .found = fmt::format("{} -> {}", x.shape().str(), shape.str())});
  std::int64_t mrank = detail::elementwise_mask_rank({x.spec()}, shape.rank());
  if (x.is_symbolic())
    return symbolic_op("broadcast_to", {x}, TensorSpec{shape, x.dtype(), mrank},
                       [shape](const TensorList& in) { return broadcast_to(in[0], shape); });
  if (x.shape() == shape) return x;
  Tensor out = visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor y = detail::empty(shape, x.dtype());
    const T* src = x.data<T>();
    T* dst = detail::mutable_data<T>(y);
    detail::BroadcastPlan plan = detail::make_broadcast_plan(shape, {x.shape()});
    detail::parallel_for(plan.numel, detail::kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
      detail::for_each_run<1>(plan, b, e, [&](std::int64_t o, const std::array<std::int64_t, 1>& off,
                                              std::int64_t n, const std::array<std::int64_t, 1>& st) {
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

}  // namespace lamina
