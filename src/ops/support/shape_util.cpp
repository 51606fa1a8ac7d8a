#include "ops/support/shape_util.hpp"

#include <algorithm>

namespace lamina::detail {

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

}  // namespace lamina::detail
