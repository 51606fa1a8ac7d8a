#pragma once
// Indexing: gather, gather_nd, boolean_mask, where, one_hot.
//
// Index tensors must be Int32/Int64 and conditions/masks Bool: anything else is a
// DTypeError naming the op, the dtype found and the fix (`mask != 0`, lm::cast).
// Out-of-range indices raise ValueError (negative indices are not wrapped).
// Gradients flow to `params`/`a`/`b`, never through indices or conditions.
#include <cstdint>

#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

// params.shape[:axis] + indices.shape + params.shape[axis+1:]. Masks: params' mask is
// gathered along masked axes; the indices' mask (e.g. token ids) is ANDed in.
Tensor gather(const Tensor& params, const Tensor& indices, std::int64_t axis = 0);
// indices (..., K) index the first K axes of params: result indices.shape[:-1] + params.shape[K:].
Tensor gather_nd(const Tensor& params, const Tensor& indices);
// Keeps the entries (or sub-tensors) of x where `mask` (Bool, shape = leading dims of x)
// is true, flattened in row-major order: result (count, *x.shape[mask.rank:]).
Tensor boolean_mask(const Tensor& x, const Tensor& mask);
// Elementwise choice with broadcasting; `cond` must be Bool. Masks: AND of all three.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, Scalar b);
Tensor where(const Tensor& cond, Scalar a, const Tensor& b);
// indices (...) -> (..., depth); out-of-range indices give all-zero rows (like Keras).
Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype = Float32);

}  // namespace lamina
