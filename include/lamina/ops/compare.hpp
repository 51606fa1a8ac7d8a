#pragma once
// Comparisons (Bool results, computed in the promoted dtype) and logical ops (Bool
// operands only: DTypeError otherwise, with the fix). None of them has a gradient.
// Masks: AND of operand masks, as for every elementwise op. Broadcasting as NumPy.
#include "lamina/core/scalar.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
#define LAMINA_SCALAR_OVERLOADS(name)     \
  Tensor name(const Tensor& a, Scalar b); \
  Tensor name(Scalar a, const Tensor& b);
LAMINA_SCALAR_OVERLOADS(equal)
LAMINA_SCALAR_OVERLOADS(not_equal)
LAMINA_SCALAR_OVERLOADS(less)
LAMINA_SCALAR_OVERLOADS(less_equal)
LAMINA_SCALAR_OVERLOADS(greater)
LAMINA_SCALAR_OVERLOADS(greater_equal)
#undef LAMINA_SCALAR_OVERLOADS

Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);

inline Tensor operator==(const Tensor& a, const Tensor& b) { return equal(a, b); }
inline Tensor operator!=(const Tensor& a, const Tensor& b) { return not_equal(a, b); }
inline Tensor operator<(const Tensor& a, const Tensor& b) { return less(a, b); }
inline Tensor operator<=(const Tensor& a, const Tensor& b) { return less_equal(a, b); }
inline Tensor operator>(const Tensor& a, const Tensor& b) { return greater(a, b); }
inline Tensor operator>=(const Tensor& a, const Tensor& b) { return greater_equal(a, b); }
inline Tensor operator==(const Tensor& a, Scalar b) { return equal(a, b); }
inline Tensor operator!=(const Tensor& a, Scalar b) { return not_equal(a, b); }
inline Tensor operator<(const Tensor& a, Scalar b) { return less(a, b); }
inline Tensor operator<=(const Tensor& a, Scalar b) { return less_equal(a, b); }
inline Tensor operator>(const Tensor& a, Scalar b) { return greater(a, b); }
inline Tensor operator>=(const Tensor& a, Scalar b) { return greater_equal(a, b); }
inline Tensor operator==(Scalar a, const Tensor& b) { return equal(a, b); }
inline Tensor operator!=(Scalar a, const Tensor& b) { return not_equal(a, b); }
inline Tensor operator<(Scalar a, const Tensor& b) { return less(a, b); }
inline Tensor operator<=(Scalar a, const Tensor& b) { return less_equal(a, b); }
inline Tensor operator>(Scalar a, const Tensor& b) { return greater(a, b); }
inline Tensor operator>=(Scalar a, const Tensor& b) { return greater_equal(a, b); }
inline Tensor operator&(const Tensor& a, const Tensor& b) { return logical_and(a, b); }
inline Tensor operator|(const Tensor& a, const Tensor& b) { return logical_or(a, b); }
inline Tensor operator!(const Tensor& x) { return logical_not(x); }

}  // namespace lamina
