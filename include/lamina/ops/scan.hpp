#pragma once
// Cumulative sums and products along one axis (tf.math.cumsum / tf.math.cumprod).
//
//   exclusive: position k combines the entries before it (the first gets the identity:
//              0 for cumsum, 1 for cumprod); otherwise the entries up to and including k.
//   reverse:   the scan runs from the end of the axis to its start.
//
// dtypes: Bool computes as Int32; integers stay integers (overflow wraps around, as in
// NumPy); floats accumulate in their own type.
//
// Masks (DESIGN.md section 5): every masked entry contributes the identity element, so
// the running value carries over a masked step unchanged, whatever the entry holds
// (NaN, inf). The output keeps the input's mask. Gradients are exactly zero at masked
// entries; cumprod's gradient is computed without dividing by x, so zeros in the input
// are fine (and higher-order gradients work).
#include <cstdint>

#include "lamina/core/tensor.hpp"

namespace lamina {

Tensor cumsum(const Tensor& x, std::int64_t axis, bool exclusive = false, bool reverse = false);
Tensor cumprod(const Tensor& x, std::int64_t axis, bool exclusive = false, bool reverse = false);

}  // namespace lamina
