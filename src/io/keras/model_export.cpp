// Lamina models -> Keras 3 model configs (model.hpp), and the order and path names under
// which Keras stores each layer's weights, for both directions.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "io/keras/model.hpp"
#include "io/keras/values.hpp"
#include "lamina/core/error.hpp"

namespace lamina::io::keras {

namespace {

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

Json shape_json(const Shape& s, bool with_batch) {
  Json out = Json::array();
  if (with_batch) out.push_back(nullptr);
  for (auto d : s) out.push_back(d < 0 ? Json(nullptr) : Json(d));
  return out;
}

Json input_layer_json(const std::string& name, const TensorSpec& spec) {
  return Json{{"module", "keras.layers"},
              {"class_name", "InputLayer"},
              {"config",
               {{"batch_shape", shape_json(spec.shape, false)},
                {"dtype", dtype_name(spec.dtype)},
                {"sparse", false},
                {"name", name}}},
              {"registered_name", nullptr}};
}

// Keras's build_config: the input shape (a list of shapes for several inputs).
Json build_config(const std::vector<TensorSpec>& specs) {
  if (specs.size() == 1) return Json{{"input_shape", shape_json(specs[0].shape, false)}};
  Json shapes = Json::array();
  for (const auto& s : specs) shapes.push_back(shape_json(s.shape, false));
  return Json{{"input_shape", shapes}};
}

LayerRef layer_of(const Model& model, const std::string& name) { return model.get_layer(name); }

bool is_model_layer(const LayerRef& l) { return dynamic_cast<const ModelLayer*>(l.ptr().get()) != nullptr; }

// Lamina semantics a Keras file would silently change are refused (docs/keras.md).
void check_exportable_call(const Layer& layer, const std::vector<TensorSpec>& inputs, const Json& call_attrs) {
  if (layer.type() == "GlobalMaxPooling1D" && !inputs.empty() && inputs[0].has_mask())
    throw ValueError({.problem = fmt::format("layer '{}' (GlobalMaxPooling1D) pools a masked input, which Keras would "
                                             "not do the same way",
                                             layer.name()),
                      .expected = "an unmasked input (Keras's GlobalMaxPooling1D ignores masks: padded steps take part "
                                  "in the max)",
                      .found = "a masked input",
                      .hint = "drop the mask before it (x.without_mask() is not exportable either): use "
                              "GlobalAveragePooling1D, or keep the model in Lamina's format"});
  const std::string& type = layer.type();
  if ((type == "Conv1D" || type == "MaxPooling1D" || type == "AveragePooling1D") && !inputs.empty() &&
      inputs[0].has_mask())
    throw ValueError(
        {.problem = fmt::format("layer '{}' ({}) takes a masked input, which Keras would not treat the same "
                                "way",
                                layer.name(), type),
         .expected = fmt::format("an unmasked input (Keras's {} ignores masks: masked steps enter the "
                                 "windows with whatever values they hold)",
                                 type),
         .found = "a masked input",
         .hint = "keep the model in Lamina's format, or feed this layer an unmasked sequence"});
  if (call_attrs.is_object() && call_attrs.value("explicit_mask", false))
    throw ValueError({.problem = fmt::format(
                          "layer '{}' was called with an explicit mask, which Lamina does not export", layer.name()),
                      .expected = "masks that flow from Embedding(mask_zero) or Masking",
                      .found = "{.mask = ...} in the call",
                      .hint = "keep the model in Lamina's format"});
}

}  // namespace

std::vector<KerasLayerEntry> keras_layers(const Model& model) {
  std::vector<KerasLayerEntry> out;
  std::map<std::string, int> used;
  auto add = [&](LayerRef layer, const std::string& cls, const std::string& name) {
    std::string base = keras_snake_case(cls), path = base;
    auto it = used.find(base);
    if (it == used.end())
      used[base] = 0;
    else
      path = fmt::format("{}_{}", base, ++it->second);
    out.push_back({std::move(layer), cls, path, name});
  };
  if (model->is_sequential()) {
    for (const auto& l : model.layers()) add(l, keras_class_of(*l), l->name());
    return out;
  }
  // Keras's map_graph order: operations by decreasing depth, ties by first visit in a
  // depth-first walk from the outputs.
  const auto& steps = model->graph().steps();
  auto op_key = [&](std::size_t s) {
    return steps[s].is_input() ? "input:" + steps[s].node->name : steps[s].node->name;
  };
  std::vector<std::size_t> order;
  std::set<std::size_t> finished;
  std::map<std::string, std::size_t> op_index;
  std::function<void(std::size_t)> visit = [&](std::size_t s) {
    if (finished.count(s)) return;
    op_index.emplace(op_key(s), op_index.size());
    for (const auto& in : steps[s].inputs)
      if (in.step >= 0) visit(static_cast<std::size_t>(in.step));
    finished.insert(s);
    order.push_back(s);
  };
  for (const auto& o : model->graph().outputs()) visit(static_cast<std::size_t>(o.step));
  std::map<std::size_t, std::int64_t> node_depth;
  std::map<std::string, std::int64_t> op_depth;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    std::int64_t depth = node_depth.emplace(*it, 0).first->second;
    depth = std::max(depth, op_depth.count(op_key(*it)) ? op_depth[op_key(*it)] : 0);
    op_depth[op_key(*it)] = depth;
    node_depth[*it] = depth;
    for (const auto& in : steps[*it].inputs)
      if (in.step >= 0) {
        auto p = static_cast<std::size_t>(in.step);
        node_depth[p] = std::max(depth + 1, node_depth.count(p) ? node_depth[p] : 0);
      }
  }
  for (auto s : model->graph().input_steps())
    if (!op_depth.count(op_key(static_cast<std::size_t>(s)))) {
      op_depth[op_key(static_cast<std::size_t>(s))] = 0;
      op_index[op_key(static_cast<std::size_t>(s))] = static_cast<std::size_t>(-1);
    }
  std::vector<std::string> ops;
  for (const auto& [k, d] : op_depth) ops.push_back(k);
  std::stable_sort(ops.begin(), ops.end(), [&](const std::string& a, const std::string& b) {
    if (op_depth[a] != op_depth[b]) return op_depth[a] > op_depth[b];
    // Keras's unused inputs get index -1, which sorts first.
    auto ia = static_cast<std::int64_t>(op_index[a]), ib = static_cast<std::int64_t>(op_index[b]);
    return ia < ib;
  });
  for (const auto& k : ops) {
    if (k.rfind("input:", 0) == 0) {
      add(LayerRef(), "InputLayer", k.substr(6));
      continue;
    }
    std::size_t s = 0;
    while (s < steps.size() && !(steps[s].node->name == k && !steps[s].is_input())) ++s;
    if (s < steps.size() && !steps[s].is_layer())
      throw ValueError(
          {.problem = fmt::format("model '{}' has op '{}' between its layers, which a Keras file cannot hold",
                                  model.name(), steps[s].node->op),
           .expected = "layers only (Keras 3 configs hold layers, not Lamina's ops)",
           .found = fmt::format("op '{}'", steps[s].node->op),
           .hint = "use Keras layers for it (Add, Multiply, Rescaling...) or keep the model in Lamina's "
                   "format"});
    LayerRef l = layer_of(model, k);
    add(l, keras_class_of(*l), k);
  }
  return out;
}

void walk_keras3_vars(const Model& model, const std::string& prefix, const VarVisitor& visit) {
  visit(prefix, model.name(), {});
  for (const auto& e : keras_layers(model)) {
    const std::string path = join_path(prefix, "layers/" + e.path_name);
    if (!e.layer.ptr()) {
      visit(path, e.name, {});
    } else if (auto nested = std::dynamic_pointer_cast<ModelLayer>(e.layer.ptr())) {
      walk_keras3_vars(Model(nested), path, visit);
    } else {
      for (const auto& g : keras3_var_groups(*e.layer)) visit(join_path(path, g.path), g.name, g.vars);
    }
  }
}

std::vector<std::pair<std::string, std::vector<Variable>>> legacy_layer_weights(const Model& model) {
  std::vector<std::pair<std::string, std::vector<Variable>>> out;
  for (const auto& l : model.layers()) out.emplace_back(l->name(), legacy_weights(*l));
  return out;
}

Json export_model(const Model& model, const ExportTarget& target) {
  const bool sequential = model->is_sequential();
  if (!model->graph_built())
    throw ValueError({.problem = fmt::format(
                          "Sequential model '{}' has no input shape yet, so Keras could not build it", model.name()),
                      .expected = "a built model",
                      .found = "a Sequential model never called",
                      .hint = "start it with lm::Input(...) or call it once before saving"});
  const auto& graph = model->graph();
  const auto& steps = graph.steps();
  // Each layer's node index among this model's calls of it.
  std::map<std::size_t, std::int64_t> node_index;
  std::map<std::string, std::int64_t> calls;
  for (std::size_t s = 0; s < steps.size(); ++s)
    if (steps[s].is_layer()) node_index[s] = calls[steps[s].node->name]++;
  auto input_specs = [&](std::size_t s) {
    std::vector<TensorSpec> specs;
    for (const auto& in : steps[s].inputs) {
      if (in.step < 0)
        throw ValueError(
            {.problem = fmt::format("model '{}' feeds a constant to layer '{}', which a Keras file cannot hold",
                                    model.name(), steps[s].node->name),
             .expected = "layers fed by tensors",
             .found = "a constant input",
             .hint = "keep the model in Lamina's format"});
      specs.push_back(steps[static_cast<std::size_t>(in.step)].output_specs.at(static_cast<std::size_t>(in.index)));
    }
    return specs;
  };
  auto serialize = [&](const LayerRef& l) -> Json {
    if (auto nested = std::dynamic_pointer_cast<ModelLayer>(l.ptr())) return export_model(Model(nested), target);
    return export_layer(*l, target);
  };
  auto call_attrs = [&](std::size_t s) {
    return steps[s].node->attrs.empty() ? Json::object() : Json::parse(steps[s].node->attrs, nullptr, false);
  };
  Json c{{"name", model.name()}, {"trainable", model.trainable()}};
  Json layers = Json::array();
  if (sequential) {
    c["dtype"] = dtype_policy_json("float32");
    layers.push_back(input_layer_json(model.input_names().at(0), graph.input_specs().at(0)));
    for (std::size_t s = 0; s < steps.size(); ++s) {
      if (steps[s].is_input()) continue;
      LayerRef l = layer_of(model, steps[s].node->name);
      auto specs = input_specs(s);
      check_exportable_call(*l, specs, call_attrs(s));
      Json entry = serialize(l);
      entry["build_config"] = build_config(specs);
      layers.push_back(entry);
    }
    c["layers"] = layers;
    c["build_input_shape"] = shape_json(graph.input_specs().at(0).shape, false);
  } else {
    auto history = [&](const model::StepInput& in) -> Json {
      const auto& producer = steps[static_cast<std::size_t>(in.step)];
      if (producer.is_input()) return Json::array({producer.node->name, 0, 0});
      std::int64_t node = node_index[static_cast<std::size_t>(in.step)];
      LayerRef l = layer_of(model, producer.node->name);
      if (is_model_layer(l) && !dynamic_cast<const ModelLayer&>(*l).is_sequential()) node += 1;
      return Json::array({producer.node->name, node, in.index});
    };
    for (const auto& e : keras_layers(model)) {
      Json entry;
      if (!e.layer.ptr()) {
        std::size_t s = 0;
        while (!(steps[s].is_input() && steps[s].node->name == e.name)) ++s;
        entry = input_layer_json(e.name, steps[s].output_specs.at(0));
        entry["name"] = e.name;
        entry["inbound_nodes"] = Json::array();
        layers.push_back(entry);
        continue;
      }
      entry = serialize(e.layer);
      Json nodes = Json::array();
      std::vector<TensorSpec> first_specs;
      for (std::size_t s = 0; s < steps.size(); ++s) {
        if (!steps[s].is_layer() || steps[s].node->name != e.name) continue;
        auto specs = input_specs(s);
        Json attrs = call_attrs(s);
        check_exportable_call(*e.layer, specs, attrs);
        if (first_specs.empty()) first_specs = specs;
        auto tensor = [&](const model::StepInput& in) {
          const auto& spec =
              steps[static_cast<std::size_t>(in.step)].output_specs.at(static_cast<std::size_t>(in.index));
          return Json{{"class_name", "__keras_tensor__"},
                      {"config",
                       {{"shape", shape_json(spec.shape, false)},
                        {"dtype", dtype_name(spec.dtype)},
                        {"keras_history", history(in)}}}};
        };
        const auto& ins = steps[s].inputs;
        Json args = Json::array(), kwargs = Json::object();
        const std::string type = e.layer->type();
        const bool merge = type == "Add" || type == "Subtract" || type == "Multiply" || type == "Average" ||
                           type == "Maximum" || type == "Minimum" || type == "Concatenate";
        if (merge) {
          Json list = Json::array();
          for (const auto& in : ins) list.push_back(tensor(in));
          args.push_back(list);
        } else {
          args.push_back(tensor(ins.at(0)));
          if (ins.size() > 1) {
            Json states = Json::array();
            for (std::size_t i = 1; i < ins.size(); ++i) states.push_back(tensor(ins[i]));
            kwargs["initial_state"] = states;
          }
        }
        if (attrs.is_object() && attrs.contains("training") && attrs["training"].is_boolean())
          kwargs["training"] = attrs["training"];
        nodes.push_back({{"args", args}, {"kwargs", kwargs}});
      }
      entry["build_config"] = build_config(first_specs);
      entry["name"] = e.name;
      entry["inbound_nodes"] = nodes;
      layers.push_back(entry);
    }
    c["layers"] = layers;
    Json ins = Json::array(), outs = Json::array();
    for (auto s : graph.input_steps())
      ins.push_back(Json::array({steps[static_cast<std::size_t>(s)].node->name, 0, 0}));
    for (const auto& o : graph.outputs()) outs.push_back(history(o));
    c["input_layers"] = ins;
    c["output_layers"] = outs;
  }
  Json out = sequential
                 ? Json{{"module", "keras"}, {"class_name", "Sequential"}, {"config", c}, {"registered_name", nullptr}}
                 : Json{{"module", "keras.src.models.functional"},
                        {"class_name", "Functional"},
                        {"config", c},
                        {"registered_name", "Functional"}};
  out["build_config"] = build_config(graph.input_specs());
  return out;
}

}  // namespace lamina::io::keras
