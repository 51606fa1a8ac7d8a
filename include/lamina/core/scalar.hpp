#pragma once
// A weak scalar: a C++ literal taking part in a tensor op (x * 2, x + 0.5f).
#include <climits>
#include <concepts>
#include <cstdint>
#include <string>

#include "lamina/core/dtype.hpp"

namespace lamina {

class Scalar {
 public:
  Scalar(bool v) : kind_(ScalarKind::Bool), i_(v), f_(v) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) Scalar(T v)
      : kind_(ScalarKind::Int), i_(static_cast<std::int64_t>(v)), f_(static_cast<double>(v)) {}
  template <std::floating_point T>
  Scalar(T v) : kind_(ScalarKind::Float), i_(saturate(static_cast<double>(v))), f_(static_cast<double>(v)) {}

  ScalarKind kind() const { return kind_; }
  double as_double() const { return f_; }
  std::int64_t as_int() const { return i_; }
  std::string str() const;

 private:
  // Float -> int64 without undefined behaviour for NaN, infinities and huge values.
  static std::int64_t saturate(double v) {
    if (!(v == v)) return 0;
    if (v >= 9.2233720368547758e18) return INT64_MAX;
    if (v <= -9.2233720368547758e18) return INT64_MIN;
    return static_cast<std::int64_t>(v);
  }
  ScalarKind kind_;
  std::int64_t i_;
  double f_;
};

}  // namespace lamina
