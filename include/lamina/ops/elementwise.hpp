#pragma once
// Elementwise arithmetic and math with NumPy broadcasting and dtype promotion.
//
// Rules (DESIGN.md sections 3-5):
//  - dtype: two tensors promote to their least upper bound (strict mode: DTypeError);
//    a C++ scalar is weak and adopts the tensor's dtype unless it needs a higher kind.
//    Arithmetic on Bool operands computes in Int32. Float math (exp, log, sqrt, tanh,
//    sigmoid, softplus, `/`, pow with a float) on integers computes in Float32.
//  - mask: AND of the operands' masks, each aligned to the output like its tensor; an
//    unmasked operand counts as all-valid.
//  - shape: NumPy broadcasting; a mismatch is a ShapeError showing both shapes and the op.
#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

// ---- binary ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: integers give Float32
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // gradient goes to `a` on ties
Tensor minimum(const Tensor& a, const Tensor& b);

#define LAMINA_SCALAR_OVERLOADS(name)     \
  Tensor name(const Tensor& a, Scalar b); \
  Tensor name(Scalar a, const Tensor& b);
LAMINA_SCALAR_OVERLOADS(add)
LAMINA_SCALAR_OVERLOADS(sub)
LAMINA_SCALAR_OVERLOADS(mul)
LAMINA_SCALAR_OVERLOADS(div)
LAMINA_SCALAR_OVERLOADS(pow)
LAMINA_SCALAR_OVERLOADS(maximum)
LAMINA_SCALAR_OVERLOADS(minimum)
#undef LAMINA_SCALAR_OVERLOADS

// ---- unary ----
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor softplus(const Tensor& x);                    // log(1 + exp(x)), computed stably
Tensor erf(const Tensor& x);                         // the error function (for exact gelu)
Tensor round(const Tensor& x);                       // half to even; no gradient (cuts the path)
Tensor floor(const Tensor& x);                       // no gradient (cuts the path)
Tensor sign(const Tensor& x);                        // no gradient (cuts the path)
Tensor clip(const Tensor& x, Scalar lo, Scalar hi);  // gradient 1 strictly inside [lo, hi]

// ---- operators ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }
inline Tensor operator+(Scalar a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(Scalar a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(Scalar a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(Scalar a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
// Compound assignment rebinds the handle to a new tensor; values are never mutated,
// so `x *= 2` inside a Lambda cannot corrupt its input or its gradient.
inline Tensor& operator+=(Tensor& a, const Tensor& b) { return a = add(a, b); }
inline Tensor& operator-=(Tensor& a, const Tensor& b) { return a = sub(a, b); }
inline Tensor& operator*=(Tensor& a, const Tensor& b) { return a = mul(a, b); }
inline Tensor& operator/=(Tensor& a, const Tensor& b) { return a = div(a, b); }
inline Tensor& operator+=(Tensor& a, Scalar b) { return a = add(a, b); }
inline Tensor& operator-=(Tensor& a, Scalar b) { return a = sub(a, b); }
inline Tensor& operator*=(Tensor& a, Scalar b) { return a = mul(a, b); }
inline Tensor& operator/=(Tensor& a, Scalar b) { return a = div(a, b); }

}  // namespace lamina
