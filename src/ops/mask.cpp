// Mask utilities: full_mask and fill_masked.
#include "lamina/ops/mask.hpp"

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/index.hpp"
#include "ops/support/elementwise_op.hpp"

namespace lamina {

Tensor full_mask(const Tensor& x) {
  OpScope scope("full_mask");
  detail::require_defined(x, "full_mask");
  if (x.is_symbolic())
    return symbolic_op("full_mask", {x}, TensorSpec{x.shape(), Bool, -1},
                       [](const TensorList& in) { return full_mask(in[0]); });
  Tensor m = detail::mask_to_rank(x, x.rank());
  record_cut("full_mask", {x}, {m});
  return m;
}

Tensor fill_masked(const Tensor& x, Scalar value) {
  OpScope scope("fill_masked");
  if (!x.has_mask()) return x;
  // where() ANDs the operands' masks: full_mask(x) carries none, so x's mask is kept.
  return where(full_mask(x), x, value);
}

}  // namespace lamina
