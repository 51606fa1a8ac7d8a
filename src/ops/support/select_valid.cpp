#include "ops/support/select_valid.hpp"

#include "lamina/ops/index.hpp"
#include "lamina/ops/mask.hpp"

namespace lamina::detail {

Tensor select_valid(const Tensor& x, Scalar fill) {
  if (!x.has_mask()) return x;
  return where(full_mask(x), x.without_mask(), fill);
}

}  // namespace lamina::detail
