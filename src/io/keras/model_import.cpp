// Keras model configs -> Lamina models (model.hpp): Sequential and functional graphs in
// every writer's format, and the refusal of Keras 1 configs.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "io/keras/model.hpp"
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
        auto take = [&](const auto& refs, TensorList& out) {
          for (const auto& r : refs) {
            auto t = resolve(r);
            if (!t)
              ready = false;
            else
              out.push_back(*t);
          }
        };
        take(call.inputs, args);
        take(call.initial_state, states);
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

}  // namespace lamina::io::keras
