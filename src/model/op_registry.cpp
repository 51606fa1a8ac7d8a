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
#include "lamina/ops/einsum.hpp"
#include "lamina/ops/nn.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/scan.hpp"
#include "lamina/ops/scatter.hpp"
#include "lamina/ops/shape.hpp"
#include "lamina/ops/sort.hpp"

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

bool bool_attr(const std::string& op, const Json& attrs, const std::string& key) {
  const Json& v = need(op, attrs, key);
  if (!v.is_boolean()) bad_attr(op, key, attrs);
  return v.get<bool>();
}

std::vector<std::int64_t> ints_attr(const std::string& op, const Json& attrs, const std::string& key) {
  const Json& v = need(op, attrs, key);
  if (!v.is_array() || v.size() > 64) bad_attr(op, key, attrs);
  std::vector<std::int64_t> out;
  for (const auto& x : v) {
    if (!x.is_number_integer()) bad_attr(op, key, attrs);
    out.push_back(x.get<std::int64_t>());
  }
  return out;
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
    // Reductions: axes and keepdims (var/std also ddof; argmax/argmin one axis).
    auto reduce = [](const char* name, Tensor (*f)(const Tensor&, const Axes&, bool)) -> Factory {
      return [name, f](const Json& a) -> OpReplay {
        Axes axes = ints_attr(name, a, "axes");
        bool keep = bool_attr(name, a, "keepdims");
        return [f, axes, keep](const TensorList& in) { return TensorList{f(in.at(0), axes, keep)}; };
      };
    };
    t["sum"] = reduce("sum", [](const Tensor& x, const Axes& ax, bool k) { return sum(x, ax, k); });
    t["mean"] = reduce("mean", [](const Tensor& x, const Axes& ax, bool k) { return mean(x, ax, k); });
    t["max"] = reduce("max", [](const Tensor& x, const Axes& ax, bool k) { return max(x, ax, k); });
    t["min"] = reduce("min", [](const Tensor& x, const Axes& ax, bool k) { return min(x, ax, k); });
    t["prod"] = reduce("prod", [](const Tensor& x, const Axes& ax, bool k) { return prod(x, ax, k); });
    t["logsumexp"] = reduce("logsumexp", [](const Tensor& x, const Axes& ax, bool k) { return logsumexp(x, ax, k); });
    t["any"] = reduce("any", [](const Tensor& x, const Axes& ax, bool k) { return any(x, ax, k); });
    t["all"] = reduce("all", [](const Tensor& x, const Axes& ax, bool k) { return all(x, ax, k); });
    for (const char* name : {"var", "std"})
      t[name] = [name](const Json& a) -> OpReplay {
        Axes axes = ints_attr(name, a, "axes");
        bool keep = bool_attr(name, a, "keepdims");
        std::int64_t ddof = int_attr(name, a, "ddof");
        bool root = std::string(name) == "std";
        return [=](const TensorList& in) {
          return TensorList{root ? lamina::std(in.at(0), axes, keep, ddof) : var(in.at(0), axes, keep, ddof)};
        };
      };
    for (const char* name : {"argmax", "argmin"})
      t[name] = [name](const Json& a) -> OpReplay {
        Axes axes = ints_attr(name, a, "axes");
        if (axes.size() != 1) bad_attr(name, "axes", a);
        bool keep = bool_attr(name, a, "keepdims");
        bool is_max = std::string(name) == "argmax";
        std::int64_t axis = axes[0];
        return [=](const TensorList& in) {
          return TensorList{is_max ? argmax(in.at(0), axis, keep) : argmin(in.at(0), axis, keep)};
        };
      };
    // Shape ops.
    t["reshape"] = [](const Json& a) -> OpReplay {
      Shape shape(ints_attr("reshape", a, "shape"));
      return [shape](const TensorList& in) { return TensorList{reshape(in.at(0), shape)}; };
    };
    t["expand_dims"] = [](const Json& a) -> OpReplay {
      std::int64_t axis = int_attr("expand_dims", a, "axis");
      return [axis](const TensorList& in) { return TensorList{expand_dims(in.at(0), axis)}; };
    };
    t["squeeze"] = [](const Json& a) -> OpReplay {
      Axes axes = ints_attr("squeeze", a, "axes");
      return [axes](const TensorList& in) { return TensorList{axes.empty() ? in.at(0) : squeeze(in.at(0), axes)}; };
    };
    t["transpose"] = [](const Json& a) -> OpReplay {
      Axes perm = ints_attr("transpose", a, "perm");
      return [perm](const TensorList& in) { return TensorList{transpose(in.at(0), perm)}; };
    };
    t["broadcast_to"] = [](const Json& a) -> OpReplay {
      Shape shape(ints_attr("broadcast_to", a, "shape"));
      return [shape](const TensorList& in) { return TensorList{broadcast_to(in.at(0), shape)}; };
    };
    t["tile"] = [](const Json& a) -> OpReplay {
      auto reps = ints_attr("tile", a, "reps");
      return [reps](const TensorList& in) { return TensorList{tile(in.at(0), reps)}; };
    };
    t["flip"] = [](const Json& a) -> OpReplay {
      Axes axes = ints_attr("flip", a, "axes");
      return [axes](const TensorList& in) { return TensorList{flip(in.at(0), axes)}; };
    };
    t["split"] = [](const Json& a) -> OpReplay {
      auto sizes = ints_attr("split", a, "sizes");
      std::int64_t axis = int_attr("split", a, "axis");
      return [sizes, axis](const TensorList& in) { return split(in.at(0), sizes, axis); };
    };
    t["concat"] = [](const Json& a) -> OpReplay {
      std::int64_t axis = int_attr("concat", a, "axis");
      return [axis](const TensorList& in) { return TensorList{concat(in, axis)}; };
    };
    t["stack"] = [](const Json& a) -> OpReplay {
      std::int64_t axis = int_attr("stack", a, "axis");
      return [axis](const TensorList& in) { return TensorList{stack(in, axis)}; };
    };
    t["slice"] = [](const Json& a) -> OpReplay {
      const Json& r = need("slice", a, "ranges");
      if (!r.is_array() || r.size() > 64) bad_attr("slice", "ranges", a);
      std::vector<Range> ranges;
      for (const auto& x : r) {
        if (!x.is_array() || x.size() != 3 || !x[2].is_number_integer()) bad_attr("slice", "ranges", a);
        Range range;
        for (int k = 0; k < 2; ++k) {
          if (x[k].is_null()) continue;
          if (!x[k].is_number_integer()) bad_attr("slice", "ranges", a);
          (k == 0 ? range.start : range.stop) = x[k].get<std::int64_t>();
        }
        range.step = x[2].get<std::int64_t>();
        ranges.push_back(range);
      }
      return [ranges](const TensorList& in) { return TensorList{slice(in.at(0), ranges)}; };
    };
    t["pad"] = [](const Json& a) -> OpReplay {
      const Json& p = need("pad", a, "paddings");
      if (!p.is_array() || p.size() > 64) bad_attr("pad", "paddings", a);
      std::vector<std::pair<std::int64_t, std::int64_t>> paddings;
      for (const auto& x : p) {
        if (!x.is_array() || x.size() != 2 || !x[0].is_number_integer() || !x[1].is_number_integer())
          bad_attr("pad", "paddings", a);
        paddings.push_back({x[0].get<std::int64_t>(), x[1].get<std::int64_t>()});
      }
      Scalar value = scalar_attr("pad", a, "value");
      return [paddings, value](const TensorList& in) { return TensorList{pad(in.at(0), paddings, value)}; };
    };
    // The newer families.
    t["einsum"] = [](const Json& a) -> OpReplay {
      const Json& e = need("einsum", a, "equation");
      if (!e.is_string()) bad_attr("einsum", "equation", a);
      std::string equation = e.get<std::string>();
      return [equation](const TensorList& in) { return TensorList{einsum(equation, in)}; };
    };
    for (const char* name : {"sort", "argsort"})
      t[name] = [name](const Json& a) -> OpReplay {
        std::int64_t axis = int_attr(name, a, "axis");
        bool descending = bool_attr(name, a, "descending");
        bool values = std::string(name) == "sort";
        return [=](const TensorList& in) {
          return TensorList{values ? sort(in.at(0), axis, descending) : argsort(in.at(0), axis, descending)};
        };
      };
    t["top_k"] = [](const Json& a) -> OpReplay {
      std::int64_t k = int_attr("top_k", a, "k");
      bool sorted = bool_attr("top_k", a, "sorted");
      return [k, sorted](const TensorList& in) {
        TopK r = top_k(in.at(0), k, sorted);
        return TensorList{r.values, r.indices};
      };
    };
    for (const char* name : {"cumsum", "cumprod"})
      t[name] = [name](const Json& a) -> OpReplay {
        std::int64_t axis = int_attr(name, a, "axis");
        bool exclusive = bool_attr(name, a, "exclusive"), reverse = bool_attr(name, a, "reverse");
        bool is_sum = std::string(name) == "cumsum";
        return [=](const TensorList& in) {
          return TensorList{is_sum ? cumsum(in.at(0), axis, exclusive, reverse) : cumprod(in.at(0), axis, exclusive, reverse)};
        };
      };
    t["scatter"] = [](const Json& a) -> OpReplay {
      Shape shape(ints_attr("scatter", a, "shape"));
      return [shape](const TensorList& in) { return TensorList{scatter(in.at(0), in.at(1), shape)}; };
    };
    t["scatter_add"] = [](const Json&) -> OpReplay {
      return [](const TensorList& in) { return TensorList{scatter_add(in.at(0), in.at(1), in.at(2))}; };
    };
    t["sequence_mask"] = [](const Json& a) -> OpReplay {
      const Json& m = need("sequence_mask", a, "maxlen");
      std::optional<std::int64_t> maxlen;
      if (!m.is_null()) maxlen = int_attr("sequence_mask", a, "maxlen");
      return [maxlen](const TensorList& in) { return TensorList{sequence_mask(in.at(0), maxlen)}; };
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
