// Joining and splitting along an axis: concat, stack, split. concat scatters each part into
// a view of the output, split gathers views of the input; each is the other's gradient.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

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

using detail::axis_view;
using detail::checked_size;
using detail::dims_clash;
using detail::insert_dim;
using detail::list_str;
using detail::merge_dim;
using detail::shapes_str;
using detail::StridedView;
using detail::with_dim;

// ---- split -------------------------------------------------------------------------------

TensorList split_parts(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t axis,
                       std::function<TensorList(const TensorList&)> replay) {
  std::vector<TensorSpec> specs;
  for (auto n : sizes) specs.push_back({with_dim(x.shape(), axis, n), x.dtype(), x.mask_rank()});
  if (x.is_symbolic())
    return symbolic_op("split", {x}, specs, std::move(replay), nlohmann::json{{"sizes", sizes}, {"axis", axis}}.dump());
  const bool masked_axis = axis < x.mask_rank();
  TensorList outs;
  std::vector<std::int64_t> start(static_cast<std::size_t>(x.rank()), 0), step(static_cast<std::size_t>(x.rank()), 1);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const Shape& part = specs[i].shape;
    Tensor out = detail::gather_view(x, axis_view(x.shape(), start, step, part));
    Tensor mask = x.mask();
    if (masked_axis) mask = detail::gather_view(mask, axis_view(mask.shape(), start, step, part.prefix(mask.rank())));
    detail::set_mask(out, mask);
    outs.push_back(out);
    start[static_cast<std::size_t>(axis)] += sizes[i];
  }
  if (recording_active()) {
    record_gradient("split", {x}, outs, [specs, axis](const TensorList& g, const std::vector<bool>&) {
      TensorList parts;
      for (std::size_t i = 0; i < specs.size(); ++i)
        parts.push_back(g[i].defined() ? g[i] : zeros(specs[i].shape, specs[i].dtype));
      return TensorList{concat(parts, axis)};
    });
  }
  return outs;
}

// ---- concat / stack ------------------------------------------------------------------------

void require_operands(const TensorList& xs, const char* op) {
  if (xs.empty())
    throw ValueError({.op = op,
                      .problem = "needs at least one tensor",
                      .expected = "a non-empty list of tensors",
                      .found = "an empty list",
                      .hint = "check the code that builds the list: it produced no tensors"});
  for (const auto& x : xs) detail::require_defined(x, op, "tensor in the list");
}

// Copies same-dtype, mask-free `parts` side by side along `axis` into a new tensor.
Tensor concat_values(const TensorList& parts, const Shape& out_shape, std::int64_t axis) {
  Tensor out = detail::empty(out_shape, parts[0].dtype());
  StridedView v = detail::contiguous_view(out_shape);
  for (const auto& p : parts) {
    v.shape = p.shape();
    detail::scatter_view(p, out, v);
    v.offset += p.shape()[axis] * v.strides[static_cast<std::size_t>(axis)];
  }
  return out;
}

// Masks of operands placed side by side along `axis` (out_shape's rank is the tensors'):
// along a masked axis the masks (widened to `rank`, all-valid where absent) are joined
// too; along an unmasked axis they are ANDed. `expand` (stack) first inserts a size-1
// axis at `axis` into each tensor, joining the mask when the axis is inside it.
Tensor joined_mask(const TensorList& xs, std::int64_t axis, std::int64_t rank, const Shape& out_shape, bool expand) {
  if (rank < 0) return {};
  TensorList masks;
  for (const auto& x : xs) masks.push_back(x.mask_rank() == rank ? x.mask() : detail::mask_to_rank(x, rank));
  if (axis < rank) {
    Shape target = out_shape.prefix(expand ? rank + 1 : rank);
    if (expand)
      for (auto& m : masks) m = detail::share(m, insert_dim(m.shape(), axis, 1), Tensor());
    return concat_values(masks, target, axis);
  }
  Tensor acc = masks[0];
  for (std::size_t i = 1; i < masks.size(); ++i) acc = detail::mask_and(acc, masks[i]);
  return acc;
}

std::int64_t max_mask_rank(const TensorList& xs) {
  std::int64_t r = -1;
  for (const auto& x : xs) r = std::max(r, x.mask_rank());
  return r;
}

}  // namespace

// ---- concat / stack / split ----------------------------------------------------------------

Tensor concat(const TensorList& xs, std::int64_t axis) {
  OpScope scope("concat");
  require_operands(xs, "concat");
  const std::int64_t rank = xs[0].rank();
  for (const auto& x : xs)
    if (x.rank() != rank)
      throw ShapeError({.op = "concat",
                        .problem = "all tensors must have the same rank",
                        .expected = fmt::format("rank-{} tensors like the first", rank),
                        .found = fmt::format("shapes {} (axis {})", shapes_str(xs), axis),
                        .hint = "expand_dims or reshape the odd tensor to the common rank"});
  const std::int64_t a = normalize_axis(axis, rank, "concat");
  Shape out_shape = xs[0].shape();
  out_shape[a] = 0;
  for (const auto& x : xs) {
    for (std::int64_t i = 0; i < rank; ++i) {
      if (i == a) {
        out_shape[a] =
            out_shape[a] < 0 || x.shape()[a] < 0 ? -1 : checked_size(out_shape[a], x.shape()[a], false, "concat", [&] {
              return fmt::format("shapes {} joined along axis {}", shapes_str(xs), axis);
            });
      } else if (dims_clash(out_shape[i], x.shape()[i])) {
        throw ShapeError({.op = "concat",
                          .problem = "all dimensions except the concatenation axis must match",
                          .expected = fmt::format("shapes that agree on every axis but axis {}", a),
                          .found = fmt::format("shapes {} joined along axis {} (axis {}: {} vs {})", shapes_str(xs),
                                               axis, i, out_shape[i], x.shape()[i]),
                          .hint = "check which input has the odd shape; reshape or slice it to match"});
      } else {
        out_shape[i] = merge_dim(out_shape[i], x.shape()[i]);
      }
    }
  }
  DType dt = detail::promote(xs, "concat");
  std::int64_t mrank = max_mask_rank(xs);
  if (any_symbolic(xs))
    return symbolic_op("concat", xs, TensorSpec{out_shape, dt, mrank},
                       [axis](const TensorList& in) { return concat(in, axis); },
                       nlohmann::json{{"axis", axis}}.dump());
  TensorList parts;
  std::vector<std::int64_t> sizes;
  for (const auto& x : xs) {
    parts.push_back(cast(x, dt));
    sizes.push_back(x.shape()[a]);
  }
  Tensor out = concat_values(parts, out_shape, a);
  detail::set_mask(out, joined_mask(xs, a, mrank, out_shape, /*expand=*/false));
  if (recording_active())
    record_gradient("concat", parts, {out},
                    [sizes, a](const TensorList& g, const std::vector<bool>&) { return split(g[0], sizes, a); });
  return out;
}

Tensor stack(const TensorList& xs, std::int64_t axis) {
  OpScope scope("stack");
  require_operands(xs, "stack");
  Shape shape = xs[0].shape();
  for (const auto& x : xs) {
    bool same = x.rank() == shape.rank();
    for (std::int64_t i = 0; same && i < shape.rank(); ++i) {
      same = !dims_clash(shape[i], x.shape()[i]);
      shape[i] = merge_dim(shape[i], x.shape()[i]);
    }
    if (!same)
      throw ShapeError({.op = "stack",
                        .problem = "all tensors must have the same shape",
                        .expected = fmt::format("{} tensors of one shape", xs.size()),
                        .found = fmt::format("shapes {} (axis {})", shapes_str(xs), axis),
                        .hint = "pad or slice the odd ones to one shape, or use concat to join along an axis"});
  }
  const std::int64_t a = normalize_axis(axis, shape.rank() + 1, "stack");
  const auto n = static_cast<std::int64_t>(xs.size());
  Shape out_shape = insert_dim(shape, a, n);
  DType dt = detail::promote(xs, "stack");
  // A new axis inside the masked prefix is masked too (the masks are stacked); one after
  // it is not (the masks are ANDed), as for expand_dims.
  std::int64_t r = max_mask_rank(xs);
  std::int64_t mrank = r < 0 ? -1 : (a < r ? r + 1 : r);
  if (any_symbolic(xs))
    return symbolic_op("stack", xs, TensorSpec{out_shape, dt, mrank},
                       [axis](const TensorList& in) { return stack(in, axis); },
                       nlohmann::json{{"axis", axis}}.dump());
  TensorList parts, expanded;
  for (const auto& x : xs) {
    parts.push_back(cast(x, dt));
    expanded.push_back(detail::share(parts.back(), insert_dim(x.shape(), a, 1), Tensor()));
  }
  Tensor out = concat_values(expanded, out_shape, a);
  detail::set_mask(out, joined_mask(xs, a, r, out_shape, /*expand=*/true));
  if (recording_active())
    record_gradient("stack", parts, {out}, [n, a, shape](const TensorList& g, const std::vector<bool>&) {
      TensorList gs = split(g[0], n, a);
      for (auto& t : gs) t = reshape(t, shape);
      return gs;
    });
  return out;
}

TensorList split(const Tensor& x, std::int64_t sections, std::int64_t axis) {
  OpScope scope("split");
  detail::require_defined(x, "split");
  const std::int64_t a = normalize_axis(axis, x.rank(), "split");
  const std::int64_t len = x.shape()[a];
  if (sections <= 0)
    throw ValueError({.op = "split",
                      .problem = "the number of sections must be positive",
                      .expected = "sections >= 1",
                      .found = fmt::format("sections = {}", sections),
                      .hint = "pass how many equal parts to make (1 keeps the tensor whole)"});
  if (len >= 0 && len % sections != 0)
    throw ShapeError({.op = "split",
                      .problem = "the axis does not divide into equal sections",
                      .expected = fmt::format("a length divisible by {}", sections),
                      .found = fmt::format("axis {} has length {} in shape {}", a, len, x.shape().str()),
                      .hint = "pass the part sizes instead: split(x, {sizes...}, axis)"});
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(sections), len < 0 ? -1 : len / sections);
  return split_parts(x, sizes, a, [sections, axis](const TensorList& in) { return split(in[0], sections, axis); });
}

TensorList split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t axis) {
  OpScope scope("split");
  detail::require_defined(x, "split");
  const std::int64_t a = normalize_axis(axis, x.rank(), "split");
  const std::int64_t len = x.shape()[a];
  std::int64_t total = 0;
  bool negative = false;
  bool overflow = false;
  for (auto s : sizes) {
    negative = negative || s < 0;
    overflow = overflow || __builtin_add_overflow(total, s, &total);  // a wrapped sum could match
  }
  if (sizes.empty() || negative)
    throw ValueError({.op = "split",
                      .problem = "part sizes must be a non-empty list of sizes >= 0",
                      .expected = "sizes >= 0 adding up to the axis length",
                      .found = fmt::format("sizes {}", list_str(sizes)),
                      .hint = "pass one size >= 0 per part"});
  if (len >= 0 && (overflow || total != len))
    throw ShapeError({.op = "split",
                      .problem = "the part sizes do not add up to the axis length",
                      .expected = fmt::format("sizes adding up to {} (axis {} of shape {})", len, a, x.shape().str()),
                      .found = overflow ? fmt::format("sizes {} adding up to more than int64 holds", list_str(sizes))
                                        : fmt::format("sizes {} adding up to {}", list_str(sizes), total),
                      .hint = "pass one size per part; they must add up to the axis length"});
  return split_parts(x, sizes, a, [sizes, axis](const TensorList& in) { return split(in[0], sizes, axis); });
}

}  // namespace lamina
