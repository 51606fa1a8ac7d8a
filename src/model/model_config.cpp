// A model's config: every layer's config, and the graph as a list of steps (inputs, layer
// calls, ops with their arguments and inline constants), enough to rebuild it without code.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/layers/registry.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/model/model.hpp"
#include "lamina/model/op_registry.hpp"

namespace lamina {

namespace {

[[noreturn]] void bad_config(const std::string& what, const Json& found, const std::string& hint = "") {
  throw ValueError({.problem = fmt::format("the model config is invalid: {}", what),
                    .expected = "a config written by Model::get_config()",
                    .found = found.dump().substr(0, 200),
                    .hint = hint.empty() ? "the file was written by another program or is damaged" : hint});
}

Json shape_json(const Shape& s) {
  Json out = Json::array();
  for (auto d : s) out.push_back(d < 0 ? Json(nullptr) : Json(d));
  return out;
}

Shape shape_from(const Json& j) {
  if (!j.is_array()) bad_config("a shape is not a list", j);
  std::vector<std::int64_t> dims;
  for (const auto& d : j) {
    if (d.is_null())
      dims.push_back(None);
    else if (d.is_number_integer() && d.get<std::int64_t>() >= 0)
      dims.push_back(d.get<std::int64_t>());
    else
      bad_config("a shape dimension is not a non-negative integer or null", j);
  }
  return Shape(dims);
}

DType dtype_from(const Json& j) {
  auto dt = j.is_string() ? dtype_from_name(j.get<std::string>()) : std::nullopt;
  if (!dt) bad_config("unknown dtype", j);
  return *dt;
}

constexpr std::int64_t kMaxInlineConstant = 1 << 16;  // elements written into the config

Json constant_json(const Tensor& t) {
  if (!t.defined()) return nullptr;
  if (t.numel() > kMaxInlineConstant)
    throw ValueError({.problem = "the graph captures a large constant tensor, which a config cannot hold",
                      .expected = fmt::format("constants of at most {} elements", kMaxInlineConstant),
                      .found = fmt::format("a constant of shape {}", t.shape().str()),
                      .hint = "make it a layer weight (a custom layer) or an input of the model"});
  Json values = Json::array();
  if (t.dtype() == Bool)
    for (bool v : t.to_vector<bool>()) values.push_back(v);
  else if (is_integer(t.dtype()))
    for (auto v : t.to_vector<std::int64_t>()) values.push_back(v);
  else
    for (double v : t.to_vector<double>()) {
      if (std::isnan(v))
        values.push_back("nan");
      else if (std::isinf(v))
        values.push_back(v > 0 ? "inf" : "-inf");
      else
        values.push_back(v);
    }
  Json c{{"dtype", dtype_name(t.dtype())}, {"shape", shape_json(t.shape())}, {"values", values}};
  if (t.has_mask()) c["mask"] = constant_json(t.mask());
  return c;
}

Tensor constant_from(const Json& c) {
  if (c.is_null()) return Tensor();
  if (!c.is_object() || !c.contains("dtype") || !c.contains("shape") || !c.contains("values") ||
      !c["values"].is_array())
    bad_config("a constant needs dtype, shape and values", c);
  DType dt = dtype_from(c["dtype"]);
  Shape shape = shape_from(c["shape"]);
  for (auto d : shape)
    if (d < 0) bad_config("a constant has an unknown dimension", c);
  const Json& vals = c["values"];
  if (static_cast<std::int64_t>(vals.size()) != shape.numel()) bad_config("a constant's values do not fill its shape", c);
  std::vector<double> v;
  v.reserve(vals.size());
  for (const auto& x : vals) {
    if (x.is_number() || x.is_boolean())
      v.push_back(x.is_boolean() ? double(x.get<bool>()) : x.get<double>());
    else if (x == "nan")
      v.push_back(std::numeric_limits<double>::quiet_NaN());
    else if (x == "inf" || x == "-inf")
      v.push_back(x == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity());
    else
      bad_config("a constant value is not a number", c);
  }
  Tensor t;
  if (is_integer(dt)) {
    std::vector<std::int64_t> iv(v.begin(), v.end());
    for (const auto& x : vals)
      if (!x.is_number_integer()) bad_config("an integer constant holds a non-integer", c);
    t = tensor(iv, shape, dt);
  } else if (dt == Bool) {
    t = cast(tensor(std::vector<std::int32_t>(v.begin(), v.end()), shape), Bool);
  } else {
    t = tensor(v, shape, dt);
  }
  if (c.contains("mask")) t = t.with_mask(constant_from(c["mask"]));
  return t;
}

}  // namespace

Json ModelLayer::get_config() const {
  Json c = Layer::get_config();
  Json layers = Json::array();
  for (const auto& l : layers_) layers.push_back(l->get_config());
  c["layers"] = layers;
  if (sequential_) {
    c["input"] = graph_ ? Json{{"shape", shape_json(inputs_.at(0).shape())},
                               {"dtype", dtype_name(inputs_.at(0).dtype())},
                               {"name", input_names_.at(0)}}
                        : Json(nullptr);
    return c;
  }
  Json nodes = Json::array();
  for (const auto& step : graph().steps()) {
    const auto& node = *step.node;
    Json n;
    if (step.is_input()) {
      n = {{"kind", "input"},
           {"name", node.name},
           {"shape", shape_json(step.output_specs.at(0).shape)},
           {"dtype", dtype_name(step.output_specs.at(0).dtype)}};
    } else {
      Json inputs = Json::array();
      for (const auto& in : step.inputs)
        inputs.push_back(in.step >= 0 ? Json::array({in.step, in.index}) : Json{{"constant", constant_json(in.constant)}});
      Json attrs = node.attrs.empty() ? Json::object() : Json::parse(node.attrs);
      if (step.is_layer()) {
        n = {{"kind", "layer"}, {"layer", node.name}, {"inputs", inputs}, {"call", attrs}};
      } else {
        if (!op_rebuildable(node.op))
          throw ValueError({.problem = fmt::format("model '{}' has op '{}' between its layers, which cannot be "
                                                   "saved yet",
                                                   name(), node.op),
                            .expected = fmt::format("ops a saved graph can hold: {}", fmt::join(rebuildable_ops(), ", ")),
                            .found = fmt::format("op '{}' (created at {})", node.op, node.where),
                            .hint = "wrap it in a Lambda registered with register_lambda (saved by name)"});
        n = {{"kind", "op"}, {"op", node.op}, {"inputs", inputs}, {"attrs", attrs}};
      }
    }
    nodes.push_back(n);
  }
  c["nodes"] = nodes;
  Json outputs = Json::array();
  for (const auto& o : graph().outputs()) outputs.push_back(Json::array({o.step, o.index}));
  c["outputs"] = outputs;
  return c;
}

Model model_from_config(const Json& c) {
  if (!c.is_object() || !c.contains("type") || !c["type"].is_string()) bad_config("no \"type\"", c);
  const std::string type = c["type"].get<std::string>();
  if (!c.contains("layers") || !c["layers"].is_array()) bad_config("no \"layers\" list", c);
  const std::string name = c.value("name", std::string());
  std::vector<LayerRef> layers;
  std::map<std::string, LayerRef> by_name;
  for (const auto& lc : c["layers"]) {
    LayerRef l = layers::layer_from_config(lc);
    if (!by_name.emplace(l->name(), l).second) bad_config(fmt::format("two layers are named '{}'", l->name()), lc);
    layers.push_back(l);
  }
  Model model;
  if (type == "Sequential") {
    Sequential seq({}, name);
    if (c.contains("input") && !c["input"].is_null()) {
      const Json& in = c["input"];
      if (!in.is_object() || !in.contains("shape")) bad_config("the Sequential input needs a shape", in);
      Shape s = shape_from(in["shape"]);
      std::vector<std::int64_t> features(s.begin() + (s.rank() > 0 ? 1 : 0), s.end());
      seq.add(Input(Shape(features), dtype_from(in.value("dtype", Json("float32"))), in.value("name", std::string())));
    }
    for (const auto& l : layers) seq.add(l);
    model = seq;
  } else if (type == "Functional") {
    if (!c.contains("nodes") || !c["nodes"].is_array() || !c.contains("outputs") || !c["outputs"].is_array())
      bad_config("a functional config needs \"nodes\" and \"outputs\"", c);
    std::vector<TensorList> values;
    TensorList inputs;
    auto ref = [&](const Json& r) -> Tensor {
      if (r.is_array() && r.size() == 2 && r[0].is_number_integer() && r[1].is_number_integer()) {
        auto s = r[0].get<std::int64_t>(), i = r[1].get<std::int64_t>();
        if (s < 0 || s >= static_cast<std::int64_t>(values.size()) || i < 0 ||
            i >= static_cast<std::int64_t>(values[s].size()))
          bad_config("a node reads a step that does not come before it", r);
        return values[s][i];
      }
      if (r.is_object() && r.contains("constant")) return constant_from(r["constant"]);
      bad_config("a node input is neither [step, index] nor a constant", r);
    };
    for (const auto& n : c["nodes"]) {
      if (!n.is_object() || !n.contains("kind")) bad_config("a node has no \"kind\"", n);
      const Json& kind = n["kind"];
      if (kind == "input") {
        Shape s = shape_from(n.value("shape", Json::array()));
        if (s.rank() == 0) bad_config("an input shape needs the batch dimension", n);
        std::vector<std::int64_t> features(s.begin() + 1, s.end());
        inputs.push_back(Input(Shape(features), dtype_from(n.value("dtype", Json("float32"))),
                               n.value("name", std::string())));
        values.push_back({inputs.back()});
        continue;
      }
      if (!n.contains("inputs") || !n["inputs"].is_array()) bad_config("a node has no \"inputs\" list", n);
      TensorList args;
      for (const auto& r : n["inputs"]) args.push_back(ref(r));
      if (kind == "layer") {
        auto it = by_name.find(n.value("layer", std::string()));
        if (it == by_name.end()) bad_config("a node calls a layer that is not in \"layers\"", n);
        const Json call = n.value("call", Json::object());
        CallOptions o;
        if (call.contains("training") && call["training"].is_boolean()) o.training = call["training"].get<bool>();
        if (call.value("explicit_mask", false)) o.mask = args.at(0).mask();
        values.push_back(it->second(args, o));
      } else if (kind == "op") {
        if (!n.contains("op") || !n["op"].is_string()) bad_config("an op node has no op name", n);
        values.push_back(op_from_config(n["op"].get<std::string>(), n.value("attrs", Json::object()))(args));
      } else {
        bad_config("unknown node kind", n);
      }
    }
    TensorList outputs;
    for (const auto& r : c["outputs"]) outputs.push_back(ref(r));
    model = Model(inputs, outputs, name);
  } else {
    bad_config(fmt::format("unknown model type '{}'", type), c, "expected \"Functional\" or \"Sequential\"");
  }
  if (c.contains("trainable") && c["trainable"].is_boolean()) model.set_trainable(c["trainable"].get<bool>());
  return model;
}

namespace {
// Nested models are layers: layer_from_config rebuilds them through these factories.
const bool registered = [] {
  layers::register_layer("Functional", [](const Json& c) { return LayerRef(model_from_config(c)); });
  layers::register_layer("Sequential", [](const Json& c) { return LayerRef(model_from_config(c)); });
  return true;
}();
}  // namespace

}  // namespace lamina
