#pragma once
// Internal: the shared mask rules of DESIGN.md section 5 that several op families use.
#include <cstdint>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// Elementwise rule, on specs: each operand's mask covers the output axes its own leading
// axes map to (operands are right-aligned); the output mask covers up to the furthest of
// them. -1 when no operand is masked.
std::int64_t elementwise_mask_rank(const std::vector<TensorSpec>& operands, std::int64_t out_rank);

// Elementwise rule, on values: AND of the operands' masks aligned to the output and
// broadcast to out_shape's leading elementwise_mask_rank dims (unmasked operands count
// as all-valid). Undefined when no operand is masked.
Tensor elementwise_mask(const TensorList& operands, const Shape& out_shape);

// x's mask broadcast to the leading `rank` dims of x (all-true where x has no mask or
// the mask is shorter). rank >= x.mask_rank().
Tensor mask_to_rank(const Tensor& x, std::int64_t rank);

// Bool AND of two masks of the same shape (no recording; masks carry no gradient).
Tensor mask_and(const Tensor& a, const Tensor& b);

}  // namespace lamina::detail
