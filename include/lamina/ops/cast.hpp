#pragma once
// Dtype conversion. The mask passes through. Float -> float casts are differentiable;
// a cast to an integer or Bool dtype cuts the gradient path (the tape reports it).
#include "lamina/core/tensor.hpp"

namespace lamina {

// Float -> integer truncates toward zero; anything -> Bool is (x != 0).
Tensor cast(const Tensor& x, DType dtype);

}  // namespace lamina
