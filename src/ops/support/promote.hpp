#pragma once
// Internal: dtype promotion for ops (DESIGN.md section 3), with strict mode.
#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina::detail {

// Least upper bound of two tensors' dtypes; DTypeError in strict mode when they differ.
DType promote(const Tensor& a, const Tensor& b, const char* op);
DType promote(const TensorList& xs, const char* op);
// A tensor with a weak scalar.
inline DType promote(const Tensor& a, Scalar s) { return result_type(a.dtype(), s.kind()); }
// Arithmetic never computes in Bool: Bool promotes to Int32.
inline DType arithmetic(DType dt) { return dt == Bool ? Int32 : dt; }
// Float math (exp, /, ...) on integers computes in Float32.
inline DType floating(DType dt) { return is_floating(dt) ? dt : Float32; }

// The scalar as a 0-d tensor of `dtype`.
Tensor scalar_tensor(Scalar s, DType dtype);

}  // namespace lamina::detail
