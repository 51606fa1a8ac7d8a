#pragma once
// Creating tensors: from C++ values, filled, ranges, and *_like.
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

namespace detail {
// The element type a C++ value is stored as: int -> int32, long -> int64, float, double, bool.
template <class T>
struct canonical {
  using type = T;
};
template <std::integral T>
requires(!std::same_as<T, bool>) struct canonical<T> {
  using type = std::conditional_t<(sizeof(T) <= 4), std::int32_t, std::int64_t>;
};
template <class T>
using canonical_t = typename canonical<T>::type;

Tensor from_buffer(DType source, const void* values, const Shape& shape, std::optional<DType> dtype);

template <class T>
void flatten(std::initializer_list<T> v, std::vector<canonical_t<T>>& out) {
  for (const auto& x : v) out.push_back(static_cast<canonical_t<T>>(x));
}
template <class T>
void flatten(std::initializer_list<std::initializer_list<T>> v, std::vector<canonical_t<T>>& out) {
  for (const auto& x : v) flatten(x, out);
}
template <class T>
void flatten(std::initializer_list<std::initializer_list<std::initializer_list<T>>> v,
             std::vector<canonical_t<T>>& out) {
  for (const auto& x : v) flatten(x, out);
}
// Shape of a nested list; throws ValueError when it is ragged.
void check_ragged(bool ragged, const char* what);
// ShapeError naming `what` (a literal) for an unknown/negative dim or an element count
// that overflows int64.
void check_dims(const Shape& shape, const char* what);
template <class L>
void nested_shape(const L& v, std::vector<std::int64_t>& dims, std::size_t depth, std::size_t max_depth) {
  if (dims.size() <= depth)
    dims.push_back(static_cast<std::int64_t>(v.size()));
  else
    check_ragged(dims[depth] != static_cast<std::int64_t>(v.size()), "tensor");
  if constexpr (requires { v.begin()->begin(); })
    for (const auto& x : v) nested_shape(x, dims, depth + 1, max_depth);
}
template <class T, class L>
Tensor from_nested(const L& v, std::optional<DType> dtype) {
  std::vector<std::int64_t> dims;
  nested_shape(v, dims, 0, 0);
  std::vector<canonical_t<T>> flat;
  flatten(v, flat);
  check_ragged(static_cast<std::int64_t>(flat.size()) != Shape(dims).numel(), "tensor");
  if constexpr (std::same_as<canonical_t<T>, bool>) {
    std::vector<char> bytes(flat.begin(), flat.end());
    return from_buffer(Bool, bytes.data(), Shape(dims), dtype);
  } else {
    return from_buffer(dtype_of_v<canonical_t<T>>, flat.data(), Shape(dims), dtype);
  }
}
}  // namespace detail

// lm::tensor({10.f, 20.f}), lm::tensor({{1, 2}, {3, 4}}, lm::Float32). The dtype is that of
// the C++ values (int -> Int32, long -> Int64, float -> Float32, double -> Float64) unless given.
template <class T>
Tensor tensor(std::initializer_list<T> v, std::optional<DType> dtype = {}) {
  return detail::from_nested<T>(v, dtype);
}
template <class T>
Tensor tensor(std::initializer_list<std::initializer_list<T>> v, std::optional<DType> dtype = {}) {
  return detail::from_nested<T>(v, dtype);
}
template <class T>
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> v,
              std::optional<DType> dtype = {}) {
  return detail::from_nested<T>(v, dtype);
}

// From a flat row-major vector and a shape (ValueError when the sizes disagree).
template <class T>
Tensor tensor(const std::vector<T>& values, const Shape& shape, std::optional<DType> dtype = {}) {
  using C = detail::canonical_t<T>;
  detail::check_dims(shape, "tensor(vector, shape)");
  if constexpr (std::same_as<C, bool>) {
    std::vector<char> bytes(values.begin(), values.end());
    detail::check_ragged(static_cast<std::int64_t>(bytes.size()) != shape.numel(), "tensor(vector, shape)");
    return detail::from_buffer(Bool, bytes.data(), shape, dtype);
  } else {
    std::vector<C> flat(values.begin(), values.end());
    detail::check_ragged(static_cast<std::int64_t>(flat.size()) != shape.numel(), "tensor(vector, shape)");
    return detail::from_buffer(dtype_of_v<C>, flat.data(), shape, dtype);
  }
}
template <class T>
Tensor tensor(const std::vector<T>& values, std::optional<DType> dtype = {}) {
  return tensor(values, Shape{static_cast<std::int64_t>(values.size())}, dtype);
}

// A 0-d tensor.
Tensor scalar(Scalar value, std::optional<DType> dtype = {});

Tensor zeros(const Shape& shape, DType dtype = Float32);
Tensor ones(const Shape& shape, DType dtype = Float32);
Tensor full(const Shape& shape, Scalar value, std::optional<DType> dtype = {});
// [start, stop) by step; the dtype follows the arguments (Int32 for ints) unless given.
Tensor arange(Scalar start, Scalar stop, Scalar step = 1, std::optional<DType> dtype = {});
Tensor arange(Scalar stop);

// Same shape (and mask) as `like`; dtype defaults to like's. Work on symbolic tensors too.
Tensor zeros_like(const Tensor& like, std::optional<DType> dtype = {});
Tensor ones_like(const Tensor& like, std::optional<DType> dtype = {});
Tensor full_like(const Tensor& like, Scalar value, std::optional<DType> dtype = {});

// A symbolic tensor with no data: a placeholder for model inputs (see layers' Input).
Tensor placeholder(const TensorSpec& spec);

}  // namespace lamina
