#pragma once
// Internal: small helpers for building shapes from pieces of other shapes.
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "lamina/core/shape.hpp"

namespace lamina::detail {

// Product of dims [begin, end) of a known shape.
inline std::int64_t product(const Shape& s, std::int64_t begin, std::int64_t end) {
  std::int64_t n = 1;
  for (std::int64_t i = begin; i < end; ++i) n *= s[i];
  return n;
}

// Dims [begin, end) of s.
inline std::vector<std::int64_t> dims_of(const Shape& s, std::int64_t begin, std::int64_t end) {
  return {s.begin() + begin, s.begin() + end};
}

// The dims of several pieces, one after another.
inline Shape concat_dims(std::initializer_list<std::vector<std::int64_t>> parts) {
  std::vector<std::int64_t> dims;
  for (const auto& p : parts) dims.insert(dims.end(), p.begin(), p.end());
  return Shape(std::move(dims));
}

}  // namespace lamina::detail
