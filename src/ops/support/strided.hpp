#pragma once
// Internal: copies between contiguous tensors and strided views of them, the one kernel
// behind transpose, slice, flip, tile, pad, concat and split. Dimensions are coalesced
// first, contiguous runs are copied with memcpy, and big copies are split across threads.
#include <cstdint>
#include <vector>

#include "lamina/core/shape.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// Element (i_0, ..., i_{r-1}) of a view of `shape` sits at element
// offset + sum_k i_k * strides[k] of a contiguous buffer. Strides may be 0 or negative.
struct StridedView {
  Shape shape;
  std::vector<std::int64_t> strides;
  std::int64_t offset = 0;
};

// The identity view of a contiguous tensor of `shape`.
StridedView contiguous_view(const Shape& shape);

// A fresh contiguous tensor of view.shape (src's dtype) holding src's elements at the
// view positions. The view must stay inside src.
Tensor gather_view(const Tensor& src, const StridedView& view);

// Writes the contiguous `src` (shape == view.shape) into `dst` at the view positions.
// `dst` must have src's dtype and be a tensor the caller just created; the view must
// stay inside it and must not hit one position twice (no 0 strides on dims > 1).
void scatter_view(const Tensor& src, const Tensor& dst, const StridedView& view);

}  // namespace lamina::detail
