#pragma once
// Internal: "select, don't multiply" -- the one way mask-aware ops neutralise masked
// entries, so that whatever a masked position holds (NaN, inf, garbage) cannot reach a
// result or a gradient (0 * NaN is NaN; a select is not).
#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// x without its mask and with `fill` at every masked position (a recorded `where`, so the
// gradient at masked positions is exactly zero). x itself when it has no mask.
Tensor select_valid(const Tensor& x, Scalar fill);

}  // namespace lamina::detail
