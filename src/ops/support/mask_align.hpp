#pragma once
// Internal: moving masks between axis layouts, for ops whose output axes come from
// several operands in a non-elementwise way (gather, boolean_mask, matmul, dot).
#include <cstdint>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// Mask `m` (Bool) re-laid-out for an output mask of shape `target`: axis i of m lands on
// target axis axes[i] (strictly increasing); every other target axis broadcasts (size 1
// in m's view). m's dims must equal, or be 1 against, the target dims they land on.
Tensor place_mask(const Tensor& m, const std::vector<std::int64_t>& axes, const Shape& target);

// "Any valid" over one axis of a Bool mask; the axis is removed.
Tensor mask_any(const Tensor& m, std::int64_t axis);

// AND of `acc` and `m` (same shape); an undefined `acc` counts as all-valid.
Tensor mask_and_into(const Tensor& acc, const Tensor& m);

}  // namespace lamina::detail
