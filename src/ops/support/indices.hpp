#pragma once
// Internal: checks and access for integer index arguments (gather, gather_nd, scatter).
#include <cstdint>
#include <string>

#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// DTypeError naming `op` and `what` unless idx is Int32/Int64.
void require_index_dtype(const Tensor& idx, const char* op, const char* what);

// Calls f(pointer) with the indices' data as int32_t* or int64_t*.
template <class F>
decltype(auto) with_indices(const Tensor& idx, F&& f) {
  if (idx.dtype() == Int32) return f(idx.data<std::int32_t>());
  return f(idx.data<std::int64_t>());
}

// "[1, 0]": the multi-index of flat position `flat` in `shape`.
std::string position(std::int64_t flat, const Shape& shape);

// ValueError: index `value` at flat position `flat` of indices of `idx_shape` is outside
// [0, limit); `what` says what it indexes.
[[noreturn]] void out_of_range(const char* op, std::int64_t value, std::int64_t flat, const Shape& idx_shape,
                               std::int64_t limit, const std::string& what);

}  // namespace lamina::detail
