#pragma once
// Internal: per-line gathers and scatters along one axis (NumPy's take_along_axis and an
// adding put_along_axis), the kernels behind sort and top_k and each other's gradient.
#include <cstdint>

#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// out[..., j, ...] = x[..., idx[..., j, ...], ...] along `axis`. idx: Int32, mask-free, in
// range (the caller produced it), x's shape except along `axis`. x: mask-free, any dtype.
// Recorded under `op`; the gradient is put_along.
Tensor take_along(const char* op, const Tensor& x, const Tensor& idx, std::int64_t axis);

// Zeros of `shape` with g[..., j, ...] added at [..., idx[..., j, ...], ...] along `axis`
// (repeated indices add up). g: mask-free, numeric, idx's shape. Recorded under `op`; the
// gradient is take_along.
Tensor put_along(const char* op, const Tensor& g, const Tensor& idx, std::int64_t axis, const Shape& shape);

}  // namespace lamina::detail
