// any and all: Bool reductions over every dtype (nonzero is true). No gradient.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/reduction.hpp"

namespace lamina {

using detail::Counts;
using detail::ReducePlan;

Tensor any(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("any");
  detail::require_defined(x, "any");
  return detail::reduction(
      "any", x, axes, keepdims, Bool, false,
      [axes, keepdims](const TensorList& in) { return any(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          Counts counts;
          auto acc = detail::reduce_values<T, std::uint8_t>(
              x, plan, std::uint8_t{0}, [](std::uint8_t a, T v) { return static_cast<std::uint8_t>(a | (v != T{})); },
              [](std::uint8_t a, std::uint8_t b) { return static_cast<std::uint8_t>(a | b); }, &counts);
          return detail::finish(acc, counts, plan, Bool, [](std::uint8_t a, std::int64_t) { return a != 0; });
        });
      },
      nullptr);
}

Tensor all(const Tensor& x, const Axes& axes, bool keepdims) {
  OpScope scope("all");
  detail::require_defined(x, "all");
  return detail::reduction(
      "all", x, axes, keepdims, Bool, false,
      [axes, keepdims](const TensorList& in) { return all(in[0], axes, keepdims); },
      [&](const ReducePlan& plan) {
        return visit_dtype(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          Counts counts;
          // An empty (unmasked) axis is vacuously true; an all-padding group is false.
          auto acc = detail::reduce_values<T, std::uint8_t>(
              x, plan, std::uint8_t{1}, [](std::uint8_t a, T v) { return static_cast<std::uint8_t>(a & (v != T{})); },
              [](std::uint8_t a, std::uint8_t b) { return static_cast<std::uint8_t>(a & b); }, &counts);
          return detail::finish(acc, counts, plan, Bool, [](std::uint8_t a, std::int64_t) { return a != 0; });
        });
      },
      nullptr);
}

}  // namespace lamina
