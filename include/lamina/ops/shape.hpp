#pragma once
// Shape ops. Masks are transformed with their tensor (DESIGN.md section 5):
//  - reshape keeps a mask when the masked leading axes map to leading axes of the new
//    shape (merging or splitting masked axes among themselves is fine); a reshape that
//    mixes masked with unmasked axes raises MaskError.
//  - transpose permutes the mask; if the masked axes would no longer lead, the mask is
//    first broadcast to the full shape (nothing is lost).
//  - expand_dims/squeeze/slice/flip/tile/split/concat/stack/broadcast_to transform the
//    mask along masked axes and leave it alone otherwise; concat/stack along an unmasked
//    axis AND the operands' masks; pad marks padded positions of masked axes invalid.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"
#include "lamina/ops/reduce.hpp"

namespace lamina {

// One dimension may be -1 (inferred). ShapeError when the sizes disagree.
Tensor reshape(const Tensor& x, const Shape& shape);
// Reverses the axes when `perm` is empty.
Tensor transpose(const Tensor& x, const Axes& perm = {});
inline Tensor permute(const Tensor& x, const Axes& perm) { return transpose(x, perm); }
Tensor expand_dims(const Tensor& x, std::int64_t axis);
// Removes the given size-1 axes (all size-1 axes when empty; an unknown (None) dim is
// then kept, since its size is not known when the model is built).
Tensor squeeze(const Tensor& x, const Axes& axes = {});
Tensor concat(const TensorList& xs, std::int64_t axis);
Tensor stack(const TensorList& xs, std::int64_t axis = 0);
// Splits into `sections` equal parts along `axis` (ShapeError when it does not divide).
TensorList split(const Tensor& x, std::int64_t sections, std::int64_t axis = 0);
// Splits into parts of the given sizes (they must add up to the axis length).
TensorList split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t axis);

// Python-style slice of one axis: start/stop may be negative or omitted; step != 0.
struct Range {
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> stop;
  std::int64_t step = 1;
};
// One Range per leading axis; axes not given are taken whole.
Tensor slice(const Tensor& x, const std::vector<Range>& ranges);
Tensor slice(const Tensor& x, std::int64_t axis, Range range);

// (before, after) per axis (one pair per axis, >= 0), filled with `value`, which must
// fit the tensor's dtype.
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, Scalar value = 0);
// reps >= 1; when reps and the shape differ in length the shorter gets leading 1s (NumPy).
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps);
// Reverses the given axes (every axis when empty).
Tensor flip(const Tensor& x, const Axes& axes);
// A None dim in `shape` keeps the input's aligned dim (so a symbolic graph can broadcast
// to (None, 4)); new leading dims must be known.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

}  // namespace lamina
