#pragma once
// Internal: fused ops the losses use where the composition of public ops costs more than the
// arithmetic (a training step's framework time). Same values and gradients as the
// composition they replace; tests/train/loss_fused_test.cpp checks both against each other.
#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// -log_softmax(logits, -1) picked at each row's integer label: (..., classes) logits and
// (...) integer labels in [0, classes) (out-of-range ones are a ValueError) give (...) losses. The class axis must
// not be covered by logits' mask; the result keeps logits' mask. Gradient (logits only):
// g * (softmax(logits) - one_hot(labels)), zero at masked rows.
Tensor sparse_softmax_crossentropy(const Tensor& logits, const Tensor& labels);

}  // namespace lamina::detail
