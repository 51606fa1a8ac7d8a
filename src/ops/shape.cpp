// Shape ops: each infers the new shape, transforms the mask the same way, and routes the
// gradient back through the inverse transformation. Copies go through strided views
// (support/strided.hpp): transpose, slice, flip, tile and split gather from a view of the
// input; pad and concat scatter into a view of the output.
#include "lamina/ops/shape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/strided.hpp"

namespace lamina {

namespace {

using detail::StridedView;

// ---- helpers ---------------------------------------------------------------------------

std::string list_str(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string shapes_str(const TensorList& xs) {
  std::string s;
  for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + xs[i].shape().str();
  return s;
}

Shape with_dim(const Shape& s, std::int64_t axis, std::int64_t d) {
  Shape out = s;
  out[axis] = d;
  return out;
}

Shape insert_dim(const Shape& s, std::int64_t axis, std::int64_t d) {
  std::vector<std::int64_t> dims(s.begin(), s.end());
  dims.insert(dims.begin() + axis, d);
  return Shape(dims);
}

// Distinct, normalised axes; ShapeError naming `op` for out-of-range or repeated ones.
std::vector<bool> axis_flags(const Axes& axes, std::int64_t rank, const char* op) {
  std::vector<bool> flags(static_cast<std::size_t>(rank), false);
  for (auto a : axes) {
    std::int64_t n = normalize_axis(a, rank, op);
    if (flags[static_cast<std::size_t>(n)])
      throw ShapeError({.op = op,
                        .problem = "an axis is listed twice",
                        .expected = "distinct axes",
                        .found = fmt::format("axes {} (axis {} repeated)", list_str(axes), a),
                        .hint = "a negative axis counts from the end: -1 and rank - 1 are the same axis"});
    flags[static_cast<std::size_t>(n)] = true;
  }
  return flags;
}

// The view of a contiguous tensor of `in` reading axis i at start[i] + k * step[i] for
// k < count[i]; only the first count.rank() axes of `in` are used (so the same
// per-axis description applies to a tensor's mask).
StridedView axis_view(const Shape& in, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& step,
                      const Shape& count) {
  StridedView v{count, std::vector<std::int64_t>(static_cast<std::size_t>(count.rank())), 0};
  // A view of nothing reads nothing: no offsets to compute (they could overflow when the
  // other dims are huge, e.g. flipping (2^40, 2^40, 0)).
  if (std::find(count.begin(), count.end(), 0) != count.end()) return v;
  std::vector<std::int64_t> st = contiguous_strides(in);
  for (std::int64_t i = 0; i < count.rank(); ++i) {
    auto k = static_cast<std::size_t>(i);
    // With at most one element read the stride is never used; a huge step (slice step
    // INT64_MAX) would overflow st * step.
    v.strides[k] = count[i] > 1 ? st[k] * step[k] : 0;
    if (count[i] > 0) v.offset += start[k] * st[k];
  }
  return v;
}

// a + b or a * b of sizes, ShapeError naming `op` when it overflows int64 (a wrapped size
// would describe a tensor other than the one asked for). `what()` describes the arguments.
template <class What>
std::int64_t checked_size(std::int64_t a, std::int64_t b, bool multiply, const char* op, What what) {
  std::int64_t r = 0;
  if (multiply ? __builtin_mul_overflow(a, b, &r) : __builtin_add_overflow(a, b, &r))
    throw ShapeError({.op = op,
                      .problem = "a resulting size overflows a 64-bit integer",
                      .expected = "sizes whose result fits int64",
                      .found = what(),
                      .hint = "check the arguments: they are far larger than any tensor can be"});
  return r;
}

// Unknown dims: None combined with a known dim is that dim.
std::int64_t merge_dim(std::int64_t a, std::int64_t b) { return a < 0 ? b : a; }
bool dims_clash(std::int64_t a, std::int64_t b) { return a >= 0 && b >= 0 && a != b; }

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

// ---- transpose ---------------------------------------------------------------------------

Axes resolve_perm(const Axes& perm, std::int64_t rank, const Shape& shape) {
  Axes p;
  if (perm.empty()) {
    for (std::int64_t i = rank - 1; i >= 0; --i) p.push_back(i);
    return p;
  }
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  bool ok = static_cast<std::int64_t>(perm.size()) == rank;
  for (std::size_t i = 0; ok && i < perm.size(); ++i) {
    std::int64_t a = perm[i] < 0 ? perm[i] + rank : perm[i];
    ok = a >= 0 && a < rank && !seen[static_cast<std::size_t>(a)];
    if (ok) seen[static_cast<std::size_t>(a)] = true;
    p.push_back(a);
  }
  if (!ok)
    throw ShapeError({.op = "transpose",
                      .problem = "the permutation must list every axis exactly once",
                      .expected = fmt::format("a permutation of the {} axes 0..{} (negative axes count from the end)",
                                              rank, rank - 1),
                      .found = fmt::format("perm {} for a tensor of shape {}", list_str(perm), shape.str()),
                      .hint = "e.g. {1, 0, 2} swaps the first two axes of a rank-3 tensor"});
  return p;
}

// The mask of a transposed tensor covers its first K axes, for the least K >= mask_rank
// whose axes come from input axes 0..K-1 (then the mask, widened to K axes, is permuted
// with them). K = rank when the masked axes would otherwise no longer lead.
std::int64_t transposed_mask_rank(const Axes& perm, std::int64_t mask_rank) {
  if (mask_rank < 0) return -1;
  std::int64_t highest = -1;
  for (std::int64_t k = 0;; ++k) {
    if (k >= mask_rank && highest == k - 1) return k;
    highest = std::max(highest, perm[static_cast<std::size_t>(k)]);
  }
}

StridedView permuted_view(const Shape& in, const Axes& perm, std::int64_t n) {
  std::vector<std::int64_t> st = contiguous_strides(in);
  StridedView v;
  std::vector<std::int64_t> dims;
  for (std::int64_t i = 0; i < n; ++i) {
    dims.push_back(in[perm[static_cast<std::size_t>(i)]]);
    v.strides.push_back(st[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])]);
  }
  v.shape = Shape(dims);
  return v;
}

// ---- slice -------------------------------------------------------------------------------

struct AxisSlice {
  std::int64_t start = 0, step = 1, count = 0;  // count -1: unknown (symbolic length)
};

// Python's slice.indices(len) and the resulting length.
AxisSlice resolve_range(const Range& r, std::int64_t len) {
  AxisSlice s{0, r.step, -1};
  if (len < 0) return s;
  auto clamp = [&](std::int64_t v, std::int64_t lo, std::int64_t hi) {
    if (v < 0) v += len;
    return std::clamp(v, lo, hi);
  };
  if (r.step > 0) {
    std::int64_t start = r.start ? clamp(*r.start, 0, len) : 0;
    std::int64_t stop = r.stop ? clamp(*r.stop, 0, len) : len;
    s.start = start;
    s.count = stop > start ? (stop - start - 1) / r.step + 1 : 0;
  } else {
    std::int64_t start = r.start ? clamp(*r.start, -1, len - 1) : len - 1;
    std::int64_t stop = r.stop ? clamp(*r.stop, -1, len - 1) : -1;
    s.start = start;
    s.count = start > stop ? (stop - start + 1) / r.step + 1 : 0;
  }
  return s;
}

std::string range_str(const Range& r) {
  return fmt::format("{}:{}:{}", r.start ? std::to_string(*r.start) : "", r.stop ? std::to_string(*r.stop) : "",
                     r.step);
}

std::vector<AxisSlice> resolve_ranges(const Shape& shape, const std::vector<Range>& ranges) {
  if (static_cast<std::int64_t>(ranges.size()) > shape.rank())
    throw ShapeError({.op = "slice",
                      .problem = "more ranges than axes",
                      .expected = fmt::format("at most {} ranges for shape {}", shape.rank(), shape.str()),
                      .found = fmt::format("{} ranges", ranges.size()),
                      .hint = "give one Range per leading axis; axes not given are taken whole"});
  std::vector<AxisSlice> out;
  for (std::int64_t i = 0; i < shape.rank(); ++i) {
    Range r = i < static_cast<std::int64_t>(ranges.size()) ? ranges[static_cast<std::size_t>(i)] : Range{};
    if (r.step == 0)
      throw ValueError({.op = "slice",
                        .problem = "a slice step cannot be zero",
                        .expected = "step != 0 (negative steps walk backwards)",
                        .found = fmt::format("range {} on axis {} of shape {}", range_str(r), i, shape.str()),
                        .hint = "use step 1 to take every element, -1 to walk the axis backwards"});
    out.push_back(resolve_range(r, shape[i]));
  }
  return out;
}

StridedView slice_view(const Shape& in, const std::vector<AxisSlice>& s, std::int64_t n) {
  std::vector<std::int64_t> start, step, count;
  for (std::int64_t i = 0; i < n; ++i) {
    start.push_back(s[static_cast<std::size_t>(i)].start);
    step.push_back(s[static_cast<std::size_t>(i)].step);
    count.push_back(s[static_cast<std::size_t>(i)].count);
  }
  return axis_view(in, start, step, Shape(count));
}

// The gradient of slice: g scattered into zeros of the input's shape. Its own gradient
// is the slice again.
Tensor slice_backward(const Tensor& g, const Shape& in_shape, const std::vector<Range>& ranges) {
  Tensor out = zeros(in_shape, g.dtype());
  detail::scatter_view(g, out, slice_view(in_shape, resolve_ranges(in_shape, ranges), in_shape.rank()));
  if (recording_active())
    record_gradient("slice_backward", {g}, {out}, [ranges](const TensorList& gg, const std::vector<bool>&) {
      return TensorList{slice(gg[0], ranges)};
    });
  return out;
}

// ---- split -------------------------------------------------------------------------------

TensorList split_parts(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t axis,
                       std::function<TensorList(const TensorList&)> replay) {
  std::vector<TensorSpec> specs;
  for (auto n : sizes) specs.push_back({with_dim(x.shape(), axis, n), x.dtype(), x.mask_rank()});
  if (x.is_symbolic()) return symbolic_op("split", {x}, specs, std::move(replay));
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

// ---- reshape / expand_dims / squeeze / broadcast_to (no copies) -------------------------------

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
  Shape out_shape = insert_dim(x.shape(), a, 1);
  // A new axis inside the masked prefix joins the mask; one after it does not.
  bool joins_mask = a < x.mask_rank();
  std::int64_t mrank = x.mask_rank() < 0 ? -1 : x.mask_rank() + (joins_mask ? 1 : 0);
  if (x.is_symbolic())
    return symbolic_op("expand_dims", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [axis](const TensorList& in) { return expand_dims(in[0], axis); });
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
                       [dropped](const TensorList& in) { return dropped.empty() ? in[0] : squeeze(in[0], dropped); });
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
                       [requested](const TensorList& in) { return broadcast_to(in[0], requested); });
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

// ---- transpose -----------------------------------------------------------------------------

Tensor transpose(const Tensor& x, const Axes& perm) {
  OpScope scope("transpose");
  detail::require_defined(x, "transpose");
  Axes p = resolve_perm(perm, x.rank(), x.shape());
  std::vector<std::int64_t> dims;
  for (auto a : p) dims.push_back(x.shape()[a]);
  Shape out_shape(dims);
  std::int64_t mrank = transposed_mask_rank(p, x.mask_rank());
  if (x.is_symbolic())
    return symbolic_op("transpose", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [p](const TensorList& in) { return transpose(in[0], p); });
  bool identity = true;
  for (std::size_t i = 0; i < p.size(); ++i) identity = identity && p[i] == static_cast<std::int64_t>(i);
  if (identity) return x;
  Tensor out = detail::gather_view(x, permuted_view(x.shape(), p, x.rank()));
  if (mrank >= 0) {
    Tensor m = mrank == x.mask_rank() ? x.mask() : detail::mask_to_rank(x, mrank);
    detail::set_mask(out, detail::gather_view(m, permuted_view(m.shape(), p, mrank)));
  }
  if (recording_active()) {
    Axes inverse(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) inverse[static_cast<std::size_t>(p[i])] = static_cast<std::int64_t>(i);
    record_gradient("transpose", {x}, {out}, [inverse](const TensorList& g, const std::vector<bool>&) {
      return TensorList{transpose(g[0], inverse)};
    });
  }
  return out;
}

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
                       [axis](const TensorList& in) { return concat(in, axis); });
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
                       [axis](const TensorList& in) { return stack(in, axis); });
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

// ---- slice / pad / tile / flip -------------------------------------------------------------

Tensor slice(const Tensor& x, const std::vector<Range>& ranges) {
  OpScope scope("slice");
  detail::require_defined(x, "slice");
  std::vector<AxisSlice> s = resolve_ranges(x.shape(), ranges);
  std::vector<std::int64_t> dims;
  bool whole = true;
  for (std::int64_t i = 0; i < x.rank(); ++i) {
    const AxisSlice& a = s[static_cast<std::size_t>(i)];
    dims.push_back(a.count);
    whole = whole && a.count == x.shape()[i] && a.start == 0 && a.step == 1;
  }
  Shape out_shape(dims);
  if (x.is_symbolic())
    return symbolic_op("slice", {x}, TensorSpec{out_shape, x.dtype(), x.mask_rank()},
                       [ranges](const TensorList& in) { return slice(in[0], ranges); });
  if (whole) return x;
  Tensor out = detail::gather_view(x, slice_view(x.shape(), s, x.rank()));
  if (x.has_mask())
    detail::set_mask(out, detail::gather_view(x.mask(), slice_view(x.mask().shape(), s, x.mask_rank())));
  if (recording_active()) {
    Shape in_shape = x.shape();
    record_gradient("slice", {x}, {out}, [in_shape, ranges](const TensorList& g, const std::vector<bool>&) {
      return TensorList{slice_backward(g[0], in_shape, ranges)};
    });
  }
  return out;
}

Tensor slice(const Tensor& x, std::int64_t axis, Range range) {
  OpScope scope("slice");
  detail::require_defined(x, "slice");
  std::vector<Range> ranges(static_cast<std::size_t>(normalize_axis(axis, x.rank(), "slice")) + 1);
  ranges.back() = range;
  return slice(x, ranges);
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, Scalar value) {
  OpScope scope("pad");
  detail::require_defined(x, "pad");
  const Shape& s = x.shape();
  auto pads_str = [&] {
    std::string t = "[";
    for (std::size_t i = 0; i < paddings.size(); ++i)
      t += fmt::format("{}({}, {})", i ? ", " : "", paddings[i].first, paddings[i].second);
    return t + "]";
  };
  if (static_cast<std::int64_t>(paddings.size()) != x.rank())
    throw ShapeError({.op = "pad",
                      .problem = "needs one (before, after) pair per axis",
                      .expected = fmt::format("{} pairs for shape {}", x.rank(), s.str()),
                      .found = fmt::format("{} pairs: {}", paddings.size(), pads_str()),
                      .hint = "use (0, 0) for axes that are not padded"});
  for (const auto& [before, after] : paddings)
    if (before < 0 || after < 0)
      throw ValueError({.op = "pad",
                        .problem = "paddings cannot be negative",
                        .expected = "(before, after) pairs >= 0",
                        .found = fmt::format("paddings {} for shape {}", pads_str(), s.str()),
                        .hint = "to cut entries off, use slice"});
  if (!is_floating(x.dtype()) && value.kind() == ScalarKind::Float &&
      value.as_double() != std::trunc(value.as_double()))
    throw DTypeError({.op = "pad",
                      .problem = "the fill value does not fit the tensor's dtype",
                      .expected = fmt::format("a value representable as {}", dtype_name(x.dtype())),
                      .found = fmt::format("{} for a {} tensor", value.str(), dtype_name(x.dtype())),
                      .hint = "cast the tensor to a float dtype first, or pad with a whole number"});
  std::vector<std::int64_t> dims, start, step(static_cast<std::size_t>(x.rank()), 1);
  for (std::int64_t i = 0; i < x.rank(); ++i) {
    const auto& [before, after] = paddings[static_cast<std::size_t>(i)];
    dims.push_back(
        s[i] < 0 ? -1
                 : checked_size(checked_size(s[i], before, false, "pad", pads_str), after, false, "pad", pads_str));
    start.push_back(before);
  }
  Shape out_shape(dims);
  if (x.is_symbolic())
    return symbolic_op("pad", {x}, TensorSpec{out_shape, x.dtype(), x.mask_rank()},
                       [paddings, value](const TensorList& in) { return pad(in[0], paddings, value); });
  Tensor out = full(out_shape, value, x.dtype());
  detail::scatter_view(x, out, axis_view(out_shape, start, step, s));
  if (x.has_mask()) {  // padded positions of masked axes are invalid
    Shape ms = out_shape.prefix(x.mask_rank());
    Tensor m = full(ms, false, Bool);
    detail::scatter_view(x.mask(), m, axis_view(ms, start, step, x.mask().shape()));
    detail::set_mask(out, m);
  }
  if (recording_active()) {
    std::vector<Range> ranges;
    for (std::int64_t i = 0; i < x.rank(); ++i)
      ranges.push_back({start[static_cast<std::size_t>(i)], start[static_cast<std::size_t>(i)] + s[i], 1});
    record_gradient("pad", {x}, {out}, [ranges](const TensorList& g, const std::vector<bool>&) {
      return TensorList{slice(g[0], ranges)};
    });
  }
  return out;
}

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
                       [reps](const TensorList& in) { return tile(in[0], reps); });
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

Tensor flip(const Tensor& x, const Axes& axes) {
  OpScope scope("flip");
  detail::require_defined(x, "flip");
  std::vector<bool> flags = axis_flags(axes, x.rank(), "flip");
  if (axes.empty()) flags.assign(flags.size(), true);  // like NumPy: every axis
  if (x.is_symbolic())
    return symbolic_op("flip", {x}, x.spec(), [axes](const TensorList& in) { return flip(in[0], axes); });
  std::vector<std::int64_t> start, step;
  bool any = false;
  for (std::int64_t i = 0; i < x.rank(); ++i) {
    bool f = flags[static_cast<std::size_t>(i)] && x.shape()[i] > 1;
    any = any || f;
    start.push_back(f ? x.shape()[i] - 1 : 0);
    step.push_back(f ? -1 : 1);
  }
  if (!any) return x;
  Tensor out = detail::gather_view(x, axis_view(x.shape(), start, step, x.shape()));
  if (x.has_mask()) {
    Tensor m = x.mask();
    detail::set_mask(out, detail::gather_view(m, axis_view(m.shape(), start, step, m.shape())));
  }
  if (recording_active())
    record_gradient("flip", {x}, {out},
                    [axes](const TensorList& g, const std::vector<bool>&) { return TensorList{flip(g[0], axes)}; });
  return out;
}

}  // namespace lamina
