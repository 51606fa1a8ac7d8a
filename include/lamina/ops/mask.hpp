#pragma once
// Mask utilities for custom layers and losses.
#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

// x's mask broadcast to x's full shape (Bool, unmasked): true where x is valid. All true
// when x has no mask.
Tensor full_mask(const Tensor& x);

// x with `value` at masked positions (the mask stays attached). Differentiable in x; the
// gradient at masked positions is 0.
Tensor fill_masked(const Tensor& x, Scalar value = 0);

}  // namespace lamina
