// Shape ops that only relabel the dims (no copies): reshape, expand_dims, squeeze. The
// mask is reshaped with the tensor when its axes still lead; the gradient is the reshape back.
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

namespace {

using detail::axis_flags;
using detail::checked_size;
using detail::insert_dim;

// ---- reshape ---------------------------------------------------------------------------

// Product of dims as (known part, number of unknown dims), so symbolic shapes compare.
struct SymbolicSize {
  std::int64_t known = 1;
  int unknown = 0;
  friend bool operator==(const SymbolicSize&, const SymbolicSize&) = default;
  SymbolicSize& operator*=(const SymbolicSize& o) {
    known = checked_size(known, o.known, true, "reshape", [] { return std::string("the product of the dimensions"); });
    unknown += o.unknown;
    return *this;
  }
};
SymbolicSize size_of(const Shape& s, std::int64_t begin, std::int64_t end) {
  SymbolicSize z;
  const bool empty = std::find(s.begin() + begin, s.begin() + end, 0) != s.begin() + end;
  for (std::int64_t i = begin; i < end; ++i) {
    if (s[i] < 0)
      ++z.unknown;
    else if (!empty)  // a zero dim makes the product 0 whatever the others are
      z.known = checked_size(z.known, s[i], true, "reshape",
                             [&] { return fmt::format("the product of the dims of {}", s.str()); });
  }
  if (empty) z.known = 0;
  return z;
}

Shape resolve_reshape(const Shape& from, const Shape& to) {
  // On a symbolic input, -1 and None are the same thing, and several dims may be unknown
  // (TimeDistributed unfolds (None * None, F) into (None, None, F)).
  const bool symbolic = !from.is_fully_known();
  std::int64_t infer_at = -1;
  for (std::int64_t i = 0; i < to.rank(); ++i) {
    if (to[i] == -1) {
      if (infer_at >= 0 && !symbolic)
        throw ShapeError({.op = "reshape",
                          .problem = "only one dimension can be -1",
                          .expected = "at most one -1",
                          .found = to.str(),
                          .hint = "give every dimension but one explicitly"});
      infer_at = i;
    } else if (to[i] < -1) {
      throw ShapeError({.op = "reshape",
                        .problem = "negative dimension",
                        .expected = "dimensions >= 0 (or one -1)",
                        .found = to.str(),
                        .hint = "use -1 (not another negative number) for the one dimension to infer"});
    }
  }
  Shape out = to;
  SymbolicSize have = size_of(from, 0, from.rank());
  // The target's known dims must multiply within int64 (else the count would wrap and a
  // wrong shape could pass the element-count check below).
  const std::int64_t others = size_of(to, 0, to.rank()).known;
  if (have.unknown > 0) return out;  // symbolic input: -1 stays unknown (None)
  if (infer_at >= 0) {
    if (others == 0 || have.known % others != 0)
      throw ShapeError({.op = "reshape",
                        .problem = "cannot infer the -1 dimension",
                        .expected = fmt::format("the other dimensions to divide {} elements", have.known),
                        .found = fmt::format("reshape {} to {}", from.str(), to.str()),
                        .hint = "give every dimension explicitly, or fix the sizes so they divide"});
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

// Sizes of the dims of `to`. On a symbolic input the one unknown dim of `to` is the
// inferred -1: it stands for the elements the other dims leave over, e.g. reshaping
// (None, 4, 3) to (-1, 3) gives a first dim of size 4 * None.
std::vector<SymbolicSize> target_sizes(const Shape& from, const Shape& to) {
  std::vector<SymbolicSize> sizes;
  SymbolicSize total = size_of(from, 0, from.rank()), others;
  for (auto d : to)
    if (d >= 0) others.known *= d;
  const auto unknown_dims = std::count(to.begin(), to.end(), None);
  for (auto d : to) {
    if (d >= 0)
      sizes.push_back({d, 0});
    else if (unknown_dims == 1 && others.known != 0 && total.known % others.known == 0)
      sizes.push_back({total.known / others.known, total.unknown});
    else
      sizes.push_back({1, 1});
  }
  return sizes;
}

// Leading dims of `to` that hold exactly the masked dims of `from`; MaskError otherwise.
std::int64_t reshaped_mask_rank(const Shape& from, std::int64_t mask_rank, const Shape& to) {
  if (mask_rank < 0) return -1;
  if (to.rank() >= mask_rank && to.prefix(mask_rank) == from.prefix(mask_rank)) return mask_rank;
  SymbolicSize masked = size_of(from, 0, mask_rank), lead;
  std::vector<SymbolicSize> sizes = target_sizes(from, to);
  for (std::int64_t k = 1; k <= to.rank(); ++k) {
    lead *= sizes[static_cast<std::size_t>(k - 1)];
    if (lead == masked) return k;
  }
  throw MaskError(
      {.op = "reshape",
       .problem = "this reshape mixes masked axes with unmasked ones",
       .expected = fmt::format("the masked leading axes {} to map onto leading axes of the new shape",
                               from.prefix(mask_rank).str()),
       .found = fmt::format("reshape {} (mask {}) to {}", from.str(), from.prefix(mask_rank).str(), to.str()),
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
                       [shape](const TensorList& in) { return reshape(in[0], shape); },
                       nlohmann::json{{"shape", shape.dims()}}.dump());
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
  Shape out_shape = insert_dim(x.shape(), a, 1);
  // A new axis inside the masked prefix joins the mask; one after it does not.
  bool joins_mask = a < x.mask_rank();
  std::int64_t mrank = x.mask_rank() < 0 ? -1 : x.mask_rank() + (joins_mask ? 1 : 0);
  if (x.is_symbolic())
    return symbolic_op("expand_dims", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [axis](const TensorList& in) { return expand_dims(in[0], axis); },
                       nlohmann::json{{"axis", axis}}.dump());
  Tensor mask = x.mask();
  if (joins_mask) mask = detail::share(mask, insert_dim(mask.shape(), a, 1), Tensor());
  Tensor out = detail::share(x, out_shape, mask);
  if (recording_active()) {
    Shape in_shape = x.shape();
    record_gradient("expand_dims", {x}, {out}, [in_shape](const TensorList& g, const std::vector<bool>&) {
      return TensorList{reshape(g[0], in_shape)};
    });
  }
  return out;
}

Tensor squeeze(const Tensor& x, const Axes& axes) {
  OpScope scope("squeeze");
  detail::require_defined(x, "squeeze");
  const Shape& s = x.shape();
  std::vector<bool> drop = axis_flags(axes, x.rank(), "squeeze");
  if (axes.empty())  // every axis known to be 1 (a None axis stays: its size is not known)
    for (std::int64_t i = 0; i < x.rank(); ++i) drop[static_cast<std::size_t>(i)] = s[i] == 1;
  for (std::int64_t i = 0; i < x.rank(); ++i)
    if (drop[static_cast<std::size_t>(i)] && s[i] >= 0 && s[i] != 1)
      throw ShapeError({.op = "squeeze",
                        .problem = "only axes of size 1 can be squeezed",
                        .expected = fmt::format("axis {} to have size 1", i),
                        .found = fmt::format("size {} in shape {}", s[i], s.str()),
                        .hint = "use reshape to merge axes, or slice to pick one entry"});
  std::vector<std::int64_t> dims, mask_dims;
  Axes dropped;
  std::int64_t mrank = x.mask_rank();
  for (std::int64_t i = 0; i < x.rank(); ++i) {
    if (drop[static_cast<std::size_t>(i)]) {
      dropped.push_back(i);
      if (i < x.mask_rank()) --mrank;
    } else {
      dims.push_back(s[i]);
      if (i < x.mask_rank()) mask_dims.push_back(s[i]);
    }
  }
  Shape out_shape(dims);
  if (x.is_symbolic())  // replay the axes chosen now, so a None axis that is 1 at run time stays
    return symbolic_op("squeeze", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [dropped](const TensorList& in) { return dropped.empty() ? in[0] : squeeze(in[0], dropped); },
                       nlohmann::json{{"axes", dropped}}.dump());
  if (dropped.empty()) return x;
  Tensor mask = mrank < 0 ? Tensor() : detail::share(x.mask(), Shape(mask_dims), Tensor());
  Tensor out = detail::share(x, out_shape, mask);
  if (recording_active()) {
    Shape in_shape = x.shape();
    record_gradient("squeeze", {x}, {out}, [in_shape](const TensorList& g, const std::vector<bool>&) {
      return TensorList{reshape(g[0], in_shape)};
    });
  }
  return out;
}

}  // namespace lamina
