#pragma once
// Neural-network functions: numerically stable softmax and log_softmax.
//
// Masks: when `axis` is masked, masked entries are excluded (as if -inf): they get 0
// probability and 0 log-probability, and a fully masked row is all zeros, never NaN.
// The output keeps the input's mask.
#include <cstdint>

#include "lamina/core/tensor.hpp"

namespace lamina {

Tensor softmax(const Tensor& x, std::int64_t axis = -1);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

}  // namespace lamina
