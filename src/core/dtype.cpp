#include "lamina/core/dtype.hpp"

#include <fmt/format.h>

#include "lamina/core/scalar.hpp"

namespace lamina {

std::optional<DType> dtype_from_name(std::string_view name) {
  for (DType dt : kAllDTypes)
    if (dtype_name(dt) == name) return dt;
  return std::nullopt;
}

std::string_view dtype_name(DType dt) {
  switch (dt) {
    case DType::Bool:
      return "bool";
    case DType::Int32:
      return "int32";
    case DType::Int64:
      return "int64";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
  }
  return "?";
}

std::string_view dtype_constant(DType dt) {
  switch (dt) {
    case DType::Bool:
      return "lm::Bool";
    case DType::Int32:
      return "lm::Int32";
    case DType::Int64:
      return "lm::Int64";
    case DType::Float32:
      return "lm::Float32";
    case DType::Float64:
      return "lm::Float64";
  }
  return "?";
}

std::size_t itemsize(DType dt) {
  return visit_dtype(dt, [](auto v) { return sizeof(v); });
}

DType default_dtype(ScalarKind kind) {
  switch (kind) {
    case ScalarKind::Bool:
      return Bool;
    case ScalarKind::Int:
      return Int32;
    case ScalarKind::Float:
      break;
  }
  return Float32;
}

DType result_type(DType tensor, ScalarKind weak) {
  // The scalar's kind only matters when it is above the tensor's kind.
  auto kind_of = [](DType dt) {
    return dt == Bool ? ScalarKind::Bool : is_integer(dt) ? ScalarKind::Int : ScalarKind::Float;
  };
  return weak > kind_of(tensor) ? default_dtype(weak) : tensor;
}

std::string Scalar::str() const {
  switch (kind_) {
    case ScalarKind::Bool:
      return i_ ? "true" : "false";
    case ScalarKind::Int:
      return std::to_string(i_);
    case ScalarKind::Float:
      break;
  }
  return fmt::format("{}", f_);
}

}  // namespace lamina
