// The ops a saved graph can hold between layers, rebuilt from their names and arguments.
#include "lamina/model/op_registry.hpp"

#include <fmt/format.h>

#include <map>

#include "lamina/autograd/tape.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/linalg.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/nn.hpp"

namespace lamina {

namespace {

using Json = nlohmann::json;
using Factory = std::function<OpReplay(const Json&)>;

[[noreturn]] void bad_attr(const std::string& op, const std::string& key, const Json& attrs) {
  throw ValueError({.problem = fmt::format("the saved arguments of op '{}' are invalid", op),
                    .expected = fmt::format("a valid '{}' entry", key),
                    .found = attrs.dump(),
                    .hint = "the file was written by another program or is damaged; save the model again"});
}

const Json& need(const std::string& op, const Json& attrs, const std::string& key) {
  if (!attrs.is_object() || !attrs.contains(key)) bad_attr(op, key, attrs);
  return attrs.at(key);
}

std::int64_t int_attr(const std::string& op, const Json& attrs, const std::string& key) {
  const Json& v = need(op, attrs, key);
  if (!v.is_number_integer()) bad_attr(op, key, attrs);
  return v.get<std::int64_t>();
}

DType dtype_attr(const std::string& op, const Json& attrs, const std::string& key) {
  const Json& v = need(op, attrs, key);
  auto dt = v.is_string() ? dtype_from_name(v.get<std::string>()) : std::nullopt;
  if (!dt) bad_attr(op, key, attrs);
  return *dt;
}

Scalar scalar_attr(const std::string& op, const Json& attrs, const std::string& key) {
  const Json& v = need(op, attrs, key);
  if (v.is_object() && v.size() == 1) {
    if (v.contains("bool") && v["bool"].is_boolean()) return Scalar(v["bool"].get<bool>());
    if (v.contains("int") && v["int"].is_number_integer()) return Scalar(v["int"].get<std::int64_t>());
    if (v.contains("float")) {
      const Json& f = v["float"];
      if (f.is_number()) return Scalar(f.get<double>());
      if (f == "nan") return Scalar(std::numeric_limits<double>::quiet_NaN());
      if (f == "inf") return Scalar(std::numeric_limits<double>::infinity());
      if (f == "-inf") return Scalar(-std::numeric_limits<double>::infinity());
    }
  }
  bad_attr(op, key, attrs);
}

template <class F>
Factory unary(F f) {
  return [f](const Json&) -> OpReplay { return [f](const TensorList& in) { return TensorList{f(in.at(0))}; }; };
}
template <class F>
Factory binary(F f) {
  return [f](const Json&) -> OpReplay {
    return [f](const TensorList& in) { return TensorList{f(in.at(0), in.at(1))}; };
  };
}

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    // Elementwise: fixed by name and inputs.
    t["add"] = binary([](const Tensor& a, const Tensor& b) { return add(a, b); });
    t["sub"] = binary([](const Tensor& a, const Tensor& b) { return sub(a, b); });
    t["mul"] = binary([](const Tensor& a, const Tensor& b) { return mul(a, b); });
    t["div"] = binary([](const Tensor& a, const Tensor& b) { return div(a, b); });
    t["pow"] = binary([](const Tensor& a, const Tensor& b) { return pow(a, b); });
    t["maximum"] = binary([](const Tensor& a, const Tensor& b) { return maximum(a, b); });
    t["minimum"] = binary([](const Tensor& a, const Tensor& b) { return minimum(a, b); });
    t["equal"] = binary([](const Tensor& a, const Tensor& b) { return equal(a, b); });
    t["not_equal"] = binary([](const Tensor& a, const Tensor& b) { return not_equal(a, b); });
    t["less"] = binary([](const Tensor& a, const Tensor& b) { return less(a, b); });
    t["less_equal"] = binary([](const Tensor& a, const Tensor& b) { return less_equal(a, b); });
    t["greater"] = binary([](const Tensor& a, const Tensor& b) { return greater(a, b); });
    t["greater_equal"] = binary([](const Tensor& a, const Tensor& b) { return greater_equal(a, b); });
    t["logical_and"] = binary([](const Tensor& a, const Tensor& b) { return logical_and(a, b); });
    t["logical_or"] = binary([](const Tensor& a, const Tensor& b) { return logical_or(a, b); });
    t["matmul"] = binary([](const Tensor& a, const Tensor& b) { return matmul(a, b); });
    t["dot"] = binary([](const Tensor& a, const Tensor& b) { return dot(a, b); });
    t["gather_nd"] = binary([](const Tensor& a, const Tensor& b) { return gather_nd(a, b); });
    t["boolean_mask"] = binary([](const Tensor& a, const Tensor& b) { return boolean_mask(a, b); });
    t["with_mask"] = binary([](const Tensor& a, const Tensor& b) { return a.with_mask(b); });
    t["logical_not"] = unary([](const Tensor& x) { return logical_not(x); });
    t["neg"] = unary([](const Tensor& x) { return neg(x); });
    t["abs"] = unary([](const Tensor& x) { return abs(x); });
    t["exp"] = unary([](const Tensor& x) { return exp(x); });
    t["log"] = unary([](const Tensor& x) { return log(x); });
    t["sqrt"] = unary([](const Tensor& x) { return sqrt(x); });
    t["square"] = unary([](const Tensor& x) { return square(x); });
    t["tanh"] = unary([](const Tensor& x) { return tanh(x); });
    t["sigmoid"] = unary([](const Tensor& x) { return sigmoid(x); });
    t["relu"] = unary([](const Tensor& x) { return relu(x); });
    t["softplus"] = unary([](const Tensor& x) { return softplus(x); });
    t["erf"] = unary([](const Tensor& x) { return erf(x); });
    t["round"] = unary([](const Tensor& x) { return round(x); });
    t["floor"] = unary([](const Tensor& x) { return floor(x); });
    t["sign"] = unary([](const Tensor& x) { return sign(x); });
    t["full_mask"] = unary([](const Tensor& x) { return full_mask(x); });
    t["mask"] = unary([](const Tensor& x) { return x.mask(); });
    t["without_mask"] = unary([](const Tensor& x) { return x.without_mask(); });
    t["stop_gradient"] = unary([](const Tensor& x) { return stop_gradient(x); });
    t["where"] = [](const Json&) -> OpReplay {
      return [](const TensorList& in) { return TensorList{where(in.at(0), in.at(1), in.at(2))}; };
    };
    // Ops with arguments.
    t["cast"] = [](const Json& a) -> OpReplay {
      DType dt = dtype_attr("cast", a, "dtype");
      return [dt](const TensorList& in) { return TensorList{cast(in.at(0), dt)}; };
    };
    t["clip"] = [](const Json& a) -> OpReplay {
      Scalar lo = scalar_attr("clip", a, "lo"), hi = scalar_attr("clip", a, "hi");
      return [lo, hi](const TensorList& in) { return TensorList{clip(in.at(0), lo, hi)}; };
    };
    t["softmax"] = [](const Json& a) -> OpReplay {
      std::int64_t axis = int_attr("softmax", a, "axis");
      return [axis](const TensorList& in) { return TensorList{softmax(in.at(0), axis)}; };
    };
    t["log_softmax"] = [](const Json& a) -> OpReplay {
      std::int64_t axis = int_attr("log_softmax", a, "axis");
      return [axis](const TensorList& in) { return TensorList{log_softmax(in.at(0), axis)}; };
    };
    t["one_hot"] = [](const Json& a) -> OpReplay {
      std::int64_t depth = int_attr("one_hot", a, "depth");
      DType dt = dtype_attr("one_hot", a, "dtype");
      return [depth, dt](const TensorList& in) { return TensorList{one_hot(in.at(0), depth, dt)}; };
    };
    t["gather"] = [](const Json& a) -> OpReplay {
      std::int64_t axis = int_attr("gather", a, "axis");
      return [axis](const TensorList& in) { return TensorList{gather(in.at(0), in.at(1), axis)}; };
    };
    t["full_like"] = [](const Json& a) -> OpReplay {
      Scalar value = scalar_attr("full_like", a, "value");
      DType dt = dtype_attr("full_like", a, "dtype");
      return [value, dt](const TensorList& in) { return TensorList{full_like(in.at(0), value, dt)}; };
    };
    return t;
  }();
  return table;
}

}  // namespace

bool op_rebuildable(const std::string& op) { return factories().count(op) > 0; }

std::vector<std::string> rebuildable_ops() {
  std::vector<std::string> names;
  for (const auto& [name, f] : factories()) names.push_back(name);
  return names;
}

OpReplay op_from_config(const std::string& op, const nlohmann::json& attrs) {
  auto it = factories().find(op);
  if (it == factories().end())
    throw ValueError({.problem = fmt::format("op '{}' cannot be rebuilt from a saved model", op),
                      .expected = fmt::format("one of the ops a saved graph can hold: {}", fmt::join(rebuildable_ops(), ", ")),
                      .found = "'" + op + "'",
                      .hint = "wrap the computation in a Lambda registered with register_lambda, which is "
                              "saved by name"});
  return it->second(attrs);
}

}  // namespace lamina
