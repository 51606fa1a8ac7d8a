#pragma once
// Internal: NumPy broadcasting of shapes (unknown dims allowed) and strided iteration.
#include <cstdint>
#include <vector>

#include "lamina/core/shape.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// Broadcast result of two shapes; ShapeError naming `op` and both shapes when they clash.
// Unknown dims: None with 1 or None is None; None with n > 1 is n.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
Shape broadcast_shapes(const std::vector<Shape>& shapes, const char* op);

// Element strides of `in` (contiguous) when read as the broadcast `out` shape: 0 on
// broadcast axes. `in` is right-aligned with `out`.
std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Iterates a broadcast op over `out` in row-major order, calling
// inner(out_offset, in_offsets..., inner_count, inner_strides...) for each innermost run.
// Dimensions are coalesced first so the common cases become one long run.
struct BroadcastPlan {
  std::vector<std::int64_t> dims;                  // coalesced output dims
  std::vector<std::vector<std::int64_t>> strides;  // per input, per coalesced dim
  std::int64_t numel = 0;
};
BroadcastPlan make_broadcast_plan(const Shape& out, const std::vector<Shape>& inputs);

// For each input, the axes of `out` along which it was broadcast (to sum gradients over).
std::vector<std::int64_t> broadcast_reduction_axes(const Shape& in, const Shape& out);

}  // namespace lamina::detail
