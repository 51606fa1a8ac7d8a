#pragma once
// Mask utilities for custom layers and losses.
#include <cstdint>
#include <optional>

#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

// x's mask broadcast to x's full shape (Bool, unmasked): true where x is valid. All true
// when x has no mask.
Tensor full_mask(const Tensor& x);

// x with `value` at masked positions (the mask stays attached). Differentiable in x; the
// gradient at masked positions is 0.
Tensor fill_masked(const Tensor& x, Scalar value = 0);

// The Bool mask of sequences with the given lengths (tf.sequence_mask): for integer
// `lengths` of shape S, a Bool tensor of shape S + (maxlen,) that is true at [..., t] when
// t < lengths[...]. Lengths above maxlen give all-true rows. Without `maxlen` it is the
// largest length (0 for no lengths); on a symbolic input that last dim is then None.
// Negative lengths or maxlen are ValueErrors. A masked length is padding: its row is all
// false, it is not checked and does not count for the default maxlen; the output keeps
// the lengths' mask. No gradient (the result is Bool).
Tensor sequence_mask(const Tensor& lengths, std::optional<std::int64_t> maxlen = std::nullopt);

}  // namespace lamina
