#pragma once
// Element types and the promotion lattice Bool < Int32 < Int64 < Float32 < Float64.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace lamina {

enum class DType : std::uint8_t { Bool, Int32, Int64, Float32, Float64 };

inline constexpr DType Bool = DType::Bool;
inline constexpr DType Int32 = DType::Int32;
inline constexpr DType Int64 = DType::Int64;
inline constexpr DType Float32 = DType::Float32;
inline constexpr DType Float64 = DType::Float64;

inline constexpr DType kAllDTypes[] = {Bool, Int32, Int64, Float32, Float64};

std::string_view dtype_name(DType dt);      // "float32"
// The dtype named `name` ("float32", ...), or nullopt.
std::optional<DType> dtype_from_name(std::string_view name);
std::string_view dtype_constant(DType dt);  // "lm::Float32", for hints that show code
std::size_t itemsize(DType dt);
inline bool is_floating(DType dt) { return dt == Float32 || dt == Float64; }
inline bool is_integer(DType dt) { return dt == Int32 || dt == Int64; }

// Least upper bound on the lattice: the dtype both operands promote to.
inline DType result_type(DType a, DType b) { return a < b ? b : a; }

// The kind of a weak (C++ literal) scalar. Weak scalars adopt the tensor's dtype
// unless they need a higher kind: int_tensor * 2.5f is Float32, float64_tensor * 2 is Float64.
enum class ScalarKind : std::uint8_t { Bool, Int, Float };
DType result_type(DType tensor, ScalarKind weak);
DType default_dtype(ScalarKind kind);  // Bool, Int32, Float32

// C++ element type <-> DType.
template <class T>
struct dtype_of;
template <>
struct dtype_of<bool> {
  static constexpr DType value = Bool;
};
template <>
struct dtype_of<std::int32_t> {
  static constexpr DType value = Int32;
};
template <>
struct dtype_of<std::int64_t> {
  static constexpr DType value = Int64;
};
template <>
struct dtype_of<float> {
  static constexpr DType value = Float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = Float64;
};
template <class T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

// Calls f(T{}) with the C++ type of `dt` (bool, int32_t, int64_t, float, double).
template <class F>
decltype(auto) visit_dtype(DType dt, F&& f) {
  switch (dt) {
    case DType::Bool:
      return f(bool{});
    case DType::Int32:
      return f(std::int32_t{});
    case DType::Int64:
      return f(std::int64_t{});
    case DType::Float32:
      return f(float{});
    case DType::Float64:
      break;
  }
  return f(double{});
}

}  // namespace lamina
