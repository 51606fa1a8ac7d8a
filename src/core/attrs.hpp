#pragma once
// The arguments an op records in its symbolic node (SymbolicNode::attrs) so that a saved
// graph can rebuild it (model/op_registry.hpp). One JSON object per op; scalars keep their
// kind (a weak int stays an int) and non-finite values survive as strings.
#include <nlohmann/json.hpp>
#include <string>

#include "lamina/core/dtype.hpp"
#include "lamina/core/scalar.hpp"
#include "lamina/core/shape.hpp"

namespace lamina::detail {

inline nlohmann::json scalar_json(const Scalar& s) {
  nlohmann::json j;
  switch (s.kind()) {
    case ScalarKind::Bool:
      return {{"bool", s.as_int() != 0}};
    case ScalarKind::Int:
      return {{"int", s.as_int()}};
    case ScalarKind::Float: {
      double v = s.as_double();
      if (v != v) return {{"float", "nan"}};
      if (v == 1.0 / 0.0) return {{"float", "inf"}};
      if (v == -1.0 / 0.0) return {{"float", "-inf"}};
      return {{"float", v}};
    }
  }
  return j;
}

inline std::string dtype_attr(DType dt) { return std::string(dtype_name(dt)); }

}  // namespace lamina::detail
