#pragma once
// Scatters: the inverse of gather_nd, and its gradient, as public ops (Keras ops.scatter,
// tf.scatter_nd and tf.tensor_scatter_nd_add).
//
// indices (..., K), Int32/Int64, index the first K axes of the output: each index row
// names one entry (K = rank) or one slice (K < rank) that receives the matching row of
// `updates`, whose shape must be indices.shape[:-1] + shape[K:]. Repeated index rows add
// up. An index outside [0, dim) is a ValueError naming the index and where it sits
// (negative indices are not wrapped, as in gather).
//
// dtype: updates' (Bool computes as Int32); scatter_add promotes x and updates.
//
// Masks (DESIGN.md section 5): a row of `indices` that is masked (any of its K
// coordinates), or whose `updates` row is masked, contributes nothing and its index is
// not checked (padding may hold any index). Masked entries of `updates` within a row
// contribute nothing either. scatter's output has no mask (every entry is defined: 0
// where nothing landed); scatter_add's keeps x's mask, with x's masked entries read as 0.
// Gradients: updates get the output gradient gathered at their rows (zero for masked
// rows and entries); scatter_add's x gets the output gradient (zero at masked entries);
// indices get none.
#include "lamina/core/shape.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

// Zeros of `shape` (fully known) with `updates` added at `indices`.
Tensor scatter(const Tensor& indices, const Tensor& updates, const Shape& shape);
// x with `updates` added at `indices` (x + scatter(indices, updates, x.shape())).
Tensor scatter_add(const Tensor& x, const Tensor& indices, const Tensor& updates);

}  // namespace lamina
