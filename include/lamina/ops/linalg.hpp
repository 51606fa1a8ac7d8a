#pragma once
// Matrix products on the BLAS (float32/float64; integers compute in Float32).
//
// dtypes: the operands promote; integer results are Float32; Bool operands are a
// DTypeError. Shape mismatches are ShapeErrors showing both shapes and the contracted dims.
//
// Masks (DESIGN.md section 5): masked entries contribute nothing, whatever they hold --
// zeros are selected in, so NaN or inf padding leaks into neither the output nor the
// gradients (and the output is 0 at its masked entries); the output's mask is the AND of
// what remains of each operand's mask on the axes that are not contracted (batch axes,
// rows of `a`, columns of `b`). An operand's
// mask that covers the contracted axis becomes "any valid" over it; one that covered only
// the contracted axis leaves nothing. The result is a prefix mask of the output, widened
// to the full rank when the columns of `b` are masked.
#include "lamina/core/tensor.hpp"

namespace lamina {

// NumPy matmul: (..., M, K) @ (..., K, N) -> (..., M, N) with broadcast batch axes;
// a 1-D operand is treated as a row (a) or column (b) vector and that axis is dropped.
Tensor matmul(const Tensor& a, const Tensor& b);

// Keras backend dot: contracts the last axis of `a` with the first axis of a 1-D or 2-D
// `b`, or with the second-to-last axis of a higher-rank `b`: K.dot((B,T,F), (F,)) is
// (B,T); K.dot((B,T,F), (F,U)) is (B,T,U).
Tensor dot(const Tensor& a, const Tensor& b);

// What `dense` applies to x . kernel + bias: nothing, or relu.
enum class DenseActivation { Linear, Relu };

// A Dense layer's arithmetic as one op: activation(dot(x, kernel) + bias), with the values,
// dtypes, masks and gradients of those three ops (bias may be undefined: no bias). The bias
// is the GEMM's starting value and relu is applied in place, so a step allocates one output
// and makes one pass less each way. x (..., F), kernel (F, U), bias (U,).
Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias,
             DenseActivation activation = DenseActivation::Linear);

}  // namespace lamina
