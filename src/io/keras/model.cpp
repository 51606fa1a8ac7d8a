// Keras model configs <-> Lamina models (model.hpp).
#include "io/keras/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "io/keras/values.hpp"
#include "lamina/core/error.hpp"
#include "lamina/layers/lambda.hpp"

namespace lamina::io::keras {

namespace {

[[noreturn]] void bad_model(const ImportContext& ctx, const std::string& problem, const Json& found,
                            const std::string& hint = "") {
  throw ValueError({.problem = fmt::format("the Keras model config in '{}' {}", ctx.source, problem),
                    .expected = "a model config as Keras writes it",
                    .found = short_json(found),
                    .hint = hint.empty() ? "the file is damaged or was not written by Keras" : hint});
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

// ---- inputs -------------------------------------------------------------------------------

DType input_dtype(const Json& dtype, bool feeds_embedding, const ImportContext& ctx) {
  std::string name = "float32";
  if (dtype.is_string())
    name = dtype.get<std::string>();
  else if (dtype.is_object() && dtype.contains("config") && dtype["config"].is_object() &&
           dtype["config"].value("name", std::string()) != "")
    name = dtype["config"]["name"].get<std::string>();
  if (name == "int32" || name == "int16" || name == "int8" || name == "uint8" || name == "uint16") return Int32;
  if (name == "int64" || name == "uint32") return Int64;
  if (name == "bool") return Bool;
  if (name.rfind("float", 0) == 0 || name.rfind("mixed", 0) == 0 || name == "bfloat16")
    return feeds_embedding ? Int32 : Float32;  // Keras feeds float ids to Embedding; Lamina wants integers
  bad_model(ctx, "has an input of a dtype Lamina does not have", dtype);
}

Tensor make_input(const Json& batch_shape, const Json& dtype, const std::string& name, bool feeds_embedding,
                  const ImportContext& ctx) {
  if (!batch_shape.is_array() || batch_shape.empty() || batch_shape.size() > 33)
    bad_model(ctx, "has an input shape that is not a list starting with the batch size", batch_shape);
  std::vector<std::int64_t> dims;
  for (std::size_t i = 1; i < batch_shape.size(); ++i) {
    const Json& d = batch_shape[i];
    if (d.is_null())
      dims.push_back(None);
    else if (d.is_number_integer() && d.get<std::int64_t>() >= 0 && d.get<std::int64_t>() < (1ll << 40))
      dims.push_back(d.get<std::int64_t>());
    else
      bad_model(ctx, "has an input dimension that is not a size or null", batch_shape);
  }
  return Input(Shape(dims), input_dtype(dtype, feeds_embedding, ctx), name);
}

const Json* find_batch_shape(const Json& layer_config) {
  for (const char* key : {"batch_shape", "batch_input_shape"})
    if (layer_config.is_object() && layer_config.contains(key) && layer_config[key].is_array())
      return &layer_config[key];
  return nullptr;
}

// ---- graph references ---------------------------------------------------------------------

struct TensorRef {
  std::string layer;
  std::int64_t node = 0, index = 0;
};

bool is_history(const Json& j) {
  return j.is_array() && (j.size() == 3 || j.size() == 4) && j[0].is_string() && j[1].is_number_integer() &&
         j[2].is_number_integer();
}

bool is_keras_tensor(const Json& j) {
  return j.is_object() && j.value("class_name", std::string()) == "__keras_tensor__" && j.contains("config") &&
         j["config"].is_object() && j["config"].contains("keras_history") && is_history(j["config"]["keras_history"]);
}

TensorRef ref_from_history(const Json& h) {
  return {h[0].get<std::string>(), h[1].get<std::int64_t>(), h[2].get<std::int64_t>()};
}

// Keras tensors anywhere in a node's args, flattened in order.
void flatten_tensors(const Json& j, std::vector<TensorRef>& out, const ImportContext& ctx, int depth = 0) {
  if (depth > 8) bad_model(ctx, "nests a node's arguments too deeply", j);
  if (is_keras_tensor(j)) {
    out.push_back(ref_from_history(j["config"]["keras_history"]));
  } else if (j.is_array()) {
    for (const auto& x : j) flatten_tensors(x, out, ctx, depth + 1);
  } else if (j.is_object() && j.value("class_name", std::string()) == "__tensor__") {
    bad_model(ctx, "passes a constant tensor to a layer, which Lamina does not import", j,
              "feed the constant as a model input or a layer weight");
  }
}

// One layer call of a functional config: the tensors it reads and its keyword arguments.
struct NodeCall {
  std::vector<TensorRef> inputs;
  std::vector<TensorRef> initial_state;
  std::optional<TensorRef> mask;
  std::optional<bool> training;
};

NodeCall parse_node(const Json& node, const ImportContext& ctx) {
  NodeCall call;
  auto read_kwargs = [&](const Json& kwargs) {
    if (!kwargs.is_object()) return;
    for (const auto& [key, value] : kwargs.items()) {
      if (key == "training") {
        if (value.is_boolean()) call.training = value.get<bool>();
      } else if (key == "mask") {
        std::vector<TensorRef> m;
        flatten_tensors(value, m, ctx);
        if (is_history(value)) m.push_back(ref_from_history(value));
        if (m.size() == 1)
          call.mask = m[0];
        else if (m.size() > 1)
          bad_model(ctx, "gives a layer several masks, which Lamina does not import", value);
      } else if (key == "initial_state") {
        flatten_tensors(value, call.initial_state, ctx);
        if (value.is_array())
          for (const auto& h : value)
            if (is_history(h)) call.initial_state.push_back(ref_from_history(h));
      } else if (!value.is_null() && !(value.is_boolean() && !value.get<bool>())) {
        bad_model(ctx, fmt::format("calls a layer with keyword argument '{}', which Lamina does not import", key),
                  kwargs);
      }
    }
  };
  if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
    flatten_tensors(node.value("args", Json::array()), call.inputs, ctx);
    read_kwargs(node.value("kwargs", Json::object()));
  } else if (node.is_array()) {  // Keras 2 / tf.keras: [[name, node, tensor, kwargs], ...]
    for (const auto& in : node) {
      if (!is_history(in)) bad_model(ctx, "has an inbound node entry that is not [layer, node, tensor, kwargs]", in);
      call.inputs.push_back(ref_from_history(in));
      if (in.size() == 4) read_kwargs(in[3]);
    }
  } else {
    bad_model(ctx, "has an inbound node that is neither a list nor {args, kwargs}", node);
  }
  return call;
}

// ---- Sequential ---------------------------------------------------------------------------

Model import_sequential(const Json& serialized, const ImportContext& ctx) {
  const Json& inner = serialized["config"];
  const Json* layers =
      inner.is_array() ? &inner : (inner.is_object() && inner.contains("layers") ? &inner["layers"] : nullptr);
  if (!layers || !layers->is_array() || layers->empty()) bad_model(ctx, "has a Sequential model without layers", inner);
  const std::string name = inner.is_object() && inner.contains("name") && inner["name"].is_string()
                               ? inner["name"].get<std::string>()
                               : "sequential";
  std::size_t first = 0;
  Tensor input;
  auto feeds_embedding = [&](std::size_t i) {
    return i < layers->size() && keras_class_name((*layers)[i]) == "Embedding";
  };
  const Json& l0 = (*layers)[0];
  if (keras_class_name(l0) == "InputLayer") {
    const Json& c = keras_inner_config(l0, ctx);
    const Json* shape = find_batch_shape(c);
    if (!shape) bad_model(ctx, "has an InputLayer without batch_shape", c);
    input =
        make_input(*shape, c.value("dtype", Json("float32")), c.value("name", std::string()), feeds_embedding(1), ctx);
    first = 1;
  } else if (const Json& c = keras_inner_config(l0, ctx); find_batch_shape(c)) {
    input = make_input(*find_batch_shape(c), c.value("dtype", Json("float32")),
                       c.value("name", std::string("layer")) + "_input", feeds_embedding(0), ctx);
  } else {
    const Json* shape = nullptr;
    if (inner.is_object() && inner.contains("build_input_shape") && inner["build_input_shape"].is_array())
      shape = &inner["build_input_shape"];
    else if (serialized.contains("build_config") && serialized["build_config"].is_object() &&
             serialized["build_config"].contains("input_shape"))
      shape = &serialized["build_config"]["input_shape"];
    if (!shape)
      bad_model(ctx, "has a Sequential model whose input shape it does not give", inner,
                "build the model in Keras (call it once, or start it with keras.Input) and save it again");
    input = make_input(*shape, Json("float32"), "", feeds_embedding(0), ctx);
  }
  Sequential seq({}, name);
  seq.add(input);
  for (std::size_t i = first; i < layers->size(); ++i) {
    const Json& l = (*layers)[i];
    if (is_model_class(keras_class_name(l)))
      seq.add(import_model(l, ctx));
    else
      seq.add(import_layer(l, ctx));
  }
  return seq;
}

// ---- Functional ---------------------------------------------------------------------------

Model import_functional(const Json& serialized, const ImportContext& ctx) {
  const Json& inner = serialized["config"];
  if (!inner.is_object() || !inner.contains("layers") || !inner["layers"].is_array())
    bad_model(ctx, "has a functional model without a \"layers\" list", inner);
  struct Entry {
    std::string name, cls;
    LayerRef layer;
    bool nested_functional = false;
    std::vector<NodeCall> pending;
    std::vector<TensorList> outputs;  // per node
  };
  std::vector<Entry> entries;
  std::map<std::string, std::size_t> by_name;
  TensorList model_inputs;
  // Which inputs feed an Embedding (Keras gives them float dtypes; Lamina reads integer ids).
  std::set<std::string> embedding_inputs;
  for (const auto& l : inner["layers"])
    if (keras_class_name(l) == "Embedding" && l.contains("inbound_nodes") && l["inbound_nodes"].is_array())
      for (const auto& n : l["inbound_nodes"]) {
        NodeCall c = parse_node(n, ctx);
        for (const auto& r : c.inputs) embedding_inputs.insert(r.layer);
      }
  for (const auto& l : inner["layers"]) {
    Entry e;
    e.cls = keras_class_name(l);
    const Json& c = keras_inner_config(l, ctx);
    e.name =
        l.contains("name") && l["name"].is_string() ? l["name"].get<std::string>() : c.value("name", std::string());
    if (e.name.empty() || by_name.count(e.name)) bad_model(ctx, "has a layer without a unique name", l);
    if (e.cls == "InputLayer") {
      const Json* shape = find_batch_shape(c);
      if (!shape) bad_model(ctx, "has an InputLayer without batch_shape", c);
      Tensor in =
          make_input(*shape, c.value("dtype", Json("float32")), e.name, embedding_inputs.count(e.name) > 0, ctx);
      e.outputs.push_back({in});
    } else {
      if (is_model_class(e.cls)) {
        e.layer = LayerRef(import_model(l, ctx));
        e.nested_functional = e.cls != "Sequential";
      } else {
        e.layer = import_layer(l, ctx);
      }
      if (!l.contains("inbound_nodes") || !l["inbound_nodes"].is_array())
        bad_model(ctx, fmt::format("has layer '{}' without inbound_nodes", e.name), l);
      for (const auto& n : l["inbound_nodes"]) e.pending.push_back(parse_node(n, ctx));
    }
    by_name[e.name] = entries.size();
    entries.push_back(std::move(e));
  }
  // A reference resolves once its layer has run that node (Keras counts a nested functional
  // model's own first node, hence the offset).
  auto resolve = [&](const TensorRef& r) -> std::optional<Tensor> {
    auto it = by_name.find(r.layer);
    if (it == by_name.end())
      bad_model(ctx, fmt::format("refers to a layer '{}' it does not have", r.layer), Json(r.layer));
    const Entry& e = entries[it->second];
    std::int64_t node = r.node - (e.nested_functional ? 1 : 0);
    if (node < 0 || r.index < 0) bad_model(ctx, "refers to a node index that does not exist", Json(r.layer));
    if (node >= static_cast<std::int64_t>(e.outputs.size())) return std::nullopt;
    const TensorList& outs = e.outputs[node];
    if (r.index >= static_cast<std::int64_t>(outs.size()))
      bad_model(ctx, fmt::format("refers to output {} of layer '{}', which has {}", r.index, r.layer, outs.size()),
                Json(r.layer));
    return outs[r.index];
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& e : entries) {
      while (!e.pending.empty()) {
        const NodeCall& call = e.pending.front();
        TensorList args, states;
        bool ready = true;
        for (const auto& r : call.inputs) {
          auto t = resolve(r);
          if (!t)
            ready = false;
          else
            args.push_back(*t);
        }
        for (const auto& r : call.initial_state) {
          auto t = resolve(r);
          if (!t)
            ready = false;
          else
            states.push_back(*t);
        }
        std::optional<Tensor> mask;
        if (call.mask) {
          mask = resolve(*call.mask);
          if (!mask) ready = false;
        }
        if (!ready) break;
        if (args.empty()) bad_model(ctx, fmt::format("calls layer '{}' on no tensors", e.name), Json(e.name));
        CallOptions o{.training = call.training, .initial_state = states};
        if (mask) o.mask = *mask;
        e.outputs.push_back(e.layer(args, o));
        e.pending.erase(e.pending.begin());
        progress = true;
      }
    }
  }
  for (const auto& e : entries)
    if (!e.pending.empty())
      bad_model(ctx, fmt::format("has a graph with a cycle or a missing input (layer '{}' cannot be called)", e.name),
                Json(e.name));
  auto refs = [&](const char* key) {
    TensorList out;
    if (!inner.contains(key)) bad_model(ctx, fmt::format("has no \"{}\"", key), inner);
    const Json& v = inner[key];
    std::vector<Json> leaves;
    if (is_history(v))
      leaves.push_back(v);
    else if (v.is_array())
      for (const auto& x : v) leaves.push_back(x);
    else if (v.is_object())
      for (const auto& [k, x] : v.items()) leaves.push_back(x);
    for (const auto& leaf : leaves) {
      if (!is_history(leaf))
        bad_model(ctx, fmt::format("has an entry of \"{}\" that is not [layer, node, tensor]", key), leaf);
      auto t = resolve(ref_from_history(leaf));
      if (!t) bad_model(ctx, fmt::format("names in \"{}\" a node that was never built", key), leaf);
      out.push_back(*t);
    }
    if (out.empty()) bad_model(ctx, fmt::format("has an empty \"{}\"", key), inner);
    return out;
  };
  TensorList inputs = refs("input_layers"), outputs = refs("output_layers");
  const std::string name = inner.value("name", std::string("functional"));
  Model model(inputs, outputs, name);
  if (inner.contains("trainable") && inner["trainable"].is_boolean() && !inner["trainable"].get<bool>())
    model.set_trainable(false);
  return model;
}

// ---- Keras 1 ------------------------------------------------------------------------------

void find_keras1_marker(const Json& j, std::string& marker, int depth = 0) {
  if (!marker.empty() || depth > 64) return;
  if (j.is_object()) {
    const std::string cls = j.value("class_name", std::string());
    if (cls == "Merge" || cls == "Convolution1D" || cls == "TimeDistributedDense") marker = "class " + cls;
    if (j.contains("config") && j["config"].is_object()) {
      const Json& c = j["config"];
      if ((cls == "Dense" || cls == "LSTM" || cls == "GRU" || cls == "SimpleRNN") && c.contains("output_dim"))
        marker = "field output_dim of a " + cls;
      else if (c.contains("inner_activation"))
        marker = "field inner_activation";
      else if (c.contains("init") && !c.contains("kernel_initializer"))
        marker = "field init";
    }
    for (const auto& [k, v] : j.items()) find_keras1_marker(v, marker, depth + 1);
  } else if (j.is_array()) {
    for (const auto& v : j) find_keras1_marker(v, marker, depth + 1);
  }
}

[[noreturn]] void keras1_error(const ImportContext& ctx, const std::string& found) {
  throw ValueError(
      {.problem = fmt::format("'{}' was written by Keras 1, whose models Lamina does not import", ctx.source),
       .expected = "a file written by Keras 2 (2.0 or later), tf.keras, or Keras 3",
       .found = found,
       .hint = "Keras 1 used other config fields (output_dim, inner_activation, init) and per-gate RNN "
               "weights; load the file in Keras 2 (keras.models.load_model) and save it again"});
}

// ---- export -------------------------------------------------------------------------------

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

ImportContext make_context(const std::string& source, const std::string& keras_version) {
  ImportContext ctx{.source = source, .keras_major = 2, .keras_version = keras_version};
  std::size_t i = 0;
  int major = 0;
  while (i < keras_version.size() && std::isdigit(static_cast<unsigned char>(keras_version[i])) && major < 100)
    major = major * 10 + (keras_version[i++] - '0');
  if (i > 0) ctx.keras_major = major;
  if (i > 0 && major == 1) keras1_error(ctx, "keras_version " + keras_version);
  if (ctx.keras_major > 3) ctx.keras_major = 3;
  if (ctx.keras_major < 2) ctx.keras_major = 2;
  return ctx;
}

void refuse_keras1(const Json& model_config, const ImportContext& ctx) {
  std::string marker;
  find_keras1_marker(model_config, marker);
  if (!marker.empty()) keras1_error(ctx, marker);
}

Model import_model(const Json& serialized, const ImportContext& ctx) {
  const std::string cls = keras_class_name(serialized);
  if (!is_model_class(cls))
    bad_model(ctx, "is not a Sequential or functional model",
              serialized.is_object() && serialized.contains("class_name") ? serialized["class_name"] : serialized,
              "Lamina imports Sequential and functional models; subclassed models have no config to rebuild");
  if (!serialized.contains("config")) bad_model(ctx, "has a model without \"config\"", serialized);
  std::vector<std::string> unknown, lambdas;
  collect_unsupported(serialized, ctx, unknown, lambdas);
  if (!unknown.empty() || !lambdas.empty()) {
    std::string found, hint;
    if (!unknown.empty())
      found = fmt::format("{} layer(s) of classes Lamina does not have: {}", unknown.size(), fmt::join(unknown, ", "));
    if (!lambdas.empty()) {
      found += fmt::format("{}{} Python Lambda layer(s): {}", found.empty() ? "" : "; ", lambdas.size(),
                           fmt::join(lambdas, ", "));
      hint = fmt::format(
          "a Python Lambda's code never runs in Lamina: register a Lamina function under the layer's "
          "name before loading, lamina::layers::register_lambda(\"{}\", fn), and it loads",
          lambdas[0]);
    }
    if (!unknown.empty())
      hint += std::string(hint.empty() ? "" : "; ") + "the Keras layers Lamina imports are listed in docs/keras.md";
    throw ValueError({.problem = fmt::format("'{}' holds layers Lamina cannot build", ctx.source),
                      .expected = "Keras layers that have a Lamina equivalent",
                      .found = found,
                      .hint = hint});
  }
  return cls == "Sequential" ? import_sequential(serialized, ctx) : import_functional(serialized, ctx);
}

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
