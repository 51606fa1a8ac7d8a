#include "ops/support/promote.hpp"

#include <fmt/format.h>

#include "lamina/core/config.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"

namespace lamina::detail {

DType promote(const TensorList& xs, const char* op) {
  DType out = xs.at(0).dtype();
  for (const auto& x : xs) {
    if (x.dtype() != out && config().strict_dtypes) {
      throw DTypeError(
          {.op = op,
           .problem = "implicit dtype promotion between tensors is disabled (strict_dtypes)",
           .expected = fmt::format("operands of one dtype ({})", dtype_name(out)),
           .found = fmt::format("{} and {}", dtype_name(out), dtype_name(x.dtype())),
           .hint = fmt::format("cast explicitly, e.g. lm::cast(x, {})", dtype_constant(result_type(out, x.dtype())))});
    }
    out = result_type(out, x.dtype());
  }
  return out;
}

DType promote(const Tensor& a, const Tensor& b, const char* op) { return promote(TensorList{a, b}, op); }

Tensor scalar_tensor(Scalar s, DType dtype) { return full(Shape{}, s, dtype); }

}  // namespace lamina::detail
