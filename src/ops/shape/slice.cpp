// Windows of axes: slice (Python semantics), pad, flip. slice and flip gather from a view
// of the input; pad scatters the input into a view of the output; the gradient of each
// is the opposite copy (slice <-> pad-with-zeros, flip <-> flip).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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
// A slice's ranges for a saved graph: [start, stop, step] per axis, null where open.
std::string ranges_attrs(const std::vector<Range>& ranges) {
  nlohmann::json r = nlohmann::json::array();
  for (const auto& x : ranges)
    r.push_back({x.start ? nlohmann::json(*x.start) : nlohmann::json(nullptr),
                 x.stop ? nlohmann::json(*x.stop) : nlohmann::json(nullptr), x.step});
  return nlohmann::json{{"ranges", r}}.dump();
}
}  // namespace

namespace {

using detail::axis_flags;
using detail::axis_view;
using detail::checked_size;
using detail::StridedView;

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

}  // namespace

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
                       [ranges](const TensorList& in) { return slice(in[0], ranges); },
                       ranges_attrs(ranges));
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
                       [paddings, value](const TensorList& in) { return pad(in[0], paddings, value); },
                       nlohmann::json{{"paddings", paddings}, {"value", detail::scalar_json(value)}}.dump());
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

Tensor flip(const Tensor& x, const Axes& axes) {
  OpScope scope("flip");
  detail::require_defined(x, "flip");
  std::vector<bool> flags = axis_flags(axes, x.rank(), "flip");
  if (axes.empty()) flags.assign(flags.size(), true);  // like NumPy: every axis
  if (x.is_symbolic())
    return symbolic_op(
        "flip", {x}, x.spec(), [axes](const TensorList& in) { return flip(in[0], axes); },
        nlohmann::json{{"axes", axes}}.dump());
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
