#pragma once
// Internal: argument checks, shape arithmetic and axis views shared by the shape ops
// (src/ops/shape/*.cpp) and the op families built on them (scan, sort, scatter, einsum).
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lamina/core/error.hpp"
#include "lamina/core/tensor.hpp"
#include "lamina/ops/reduce.hpp"
#include "ops/support/strided.hpp"

namespace lamina::detail {

// "[1, 2, 3]".
std::string list_str(const std::vector<std::int64_t>& v);
// "(2, 3), (4,)": the shapes of a list of tensors.
std::string shapes_str(const TensorList& xs);

// s with dim `axis` replaced by d, or with d inserted before `axis`.
Shape with_dim(const Shape& s, std::int64_t axis, std::int64_t d);
Shape insert_dim(const Shape& s, std::int64_t axis, std::int64_t d);

// Distinct, normalised axes; ShapeError naming `op` for out-of-range or repeated ones.
std::vector<bool> axis_flags(const Axes& axes, std::int64_t rank, const char* op);

// The view of a contiguous tensor of `in` reading axis i at start[i] + k * step[i] for
// k < count[i]; only the first count.rank() axes of `in` are used (so the same
// per-axis description applies to a tensor's mask).
StridedView axis_view(const Shape& in, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& step,
                      const Shape& count);

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
inline std::int64_t merge_dim(std::int64_t a, std::int64_t b) { return a < 0 ? b : a; }
inline bool dims_clash(std::int64_t a, std::int64_t b) { return a >= 0 && b >= 0 && a != b; }

}  // namespace lamina::detail
