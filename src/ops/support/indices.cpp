#include "ops/support/indices.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "lamina/core/error.hpp"

namespace lamina::detail {

void require_index_dtype(const Tensor& idx, const char* op, const char* what) {
  if (is_integer(idx.dtype())) return;
  throw DTypeError({.op = op,
                    .problem = fmt::format("{} must be an integer tensor", what),
                    .expected = "int32 or int64",
                    .found = fmt::format("{} {}", dtype_name(idx.dtype()), idx.shape().str()),
                    .hint = fmt::format("convert explicitly: lm::cast({}, lm::Int32)", what)});
}

std::string position(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> at(static_cast<std::size_t>(shape.rank()));
  for (std::int64_t d = shape.rank() - 1; d >= 0; --d) {
    at[static_cast<std::size_t>(d)] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  return fmt::format("[{}]", fmt::join(at, ", "));
}

void out_of_range(const char* op, std::int64_t value, std::int64_t flat, const Shape& idx_shape, std::int64_t limit,
                  const std::string& what) {
  throw ValueError(
      {.op = op,
       .problem = fmt::format("index {} is out of range", value),
       .expected = fmt::format("indices in [0, {}) ({})", limit, what),
       .found = fmt::format("{} at indices{} (indices shape {})", value, position(flat, idx_shape), idx_shape.str()),
       .hint = "indices are not wrapped: negative ones are invalid too; check the vocabulary "
               "size or clip the indices"});
}

}  // namespace lamina::detail
