// Keras layer classes <-> Lamina layers: the table at the bottom has one entry per class,
// with its import (any Keras writer) and export (what Keras 3 writes). Weight layouts are
// in keras3_var_groups. docs/keras.md lists what maps to what.
#include "io/keras/layers.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <optional>

#include "io/keras/layer_io.hpp"
#include "io/keras/values.hpp"
#include "lamina/core/error.hpp"
#include "lamina/layers/activation.hpp"
#include "lamina/layers/bidirectional.hpp"
#include "lamina/layers/convolutional.hpp"
#include "lamina/layers/dense.hpp"
#include "lamina/layers/dropout.hpp"
#include "lamina/layers/embedding.hpp"
#include "lamina/layers/lambda.hpp"
#include "lamina/layers/masking.hpp"
#include "lamina/layers/merge.hpp"
#include "lamina/layers/normalization.hpp"
#include "lamina/layers/pooling.hpp"
#include "lamina/layers/pooling1d.hpp"
#include "lamina/layers/reshaping.hpp"
#include "lamina/layers/rnn.hpp"
#include "lamina/layers/time_distributed.hpp"

namespace lamina::io::keras {

using namespace lamina::layers;

std::string keras_snake_case(const std::string& class_name) {
  // re.sub(r"\W+", ""), then "(.)([A-Z][a-z]+)" -> "\1_\2", then "([a-z])([A-Z])" -> "\1_\2", lower.
  std::string s;
  for (char c : class_name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') s += c;
  auto up = [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; };
  auto low = [](char c) { return std::islower(static_cast<unsigned char>(c)) != 0; };
  std::string a;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && up(s[i]) && i + 1 < s.size() && low(s[i + 1])) a += '_';
    a += s[i];
  }
  std::string b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && up(a[i]) && low(a[i - 1])) b += '_';
    b += a[i];
  }
  for (auto& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return b;
}

std::string keras_class_name(const Json& serialized) {
  if (serialized.is_object()) {
    auto it = serialized.find("class_name");
    if (it != serialized.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

const Json& keras_inner_config(const Json& serialized, const ImportContext& ctx) {
  if (!serialized.is_object() || !serialized.contains("config") || !serialized["config"].is_object())
    throw ValueError(
        {.problem = fmt::format("the Keras config in '{}' has a layer without a \"config\" object", ctx.source),
         .expected = R"({"class_name": ..., "config": {...}})",
         .found = short_json(serialized),
         .hint = "the file is damaged or was not written by Keras"});
  return serialized["config"];
}

namespace {

using namespace layer_io;

// ---- the table --------------------------------------------------------------------------

struct Kind {
  const char* keras_class;
  const char* lamina_type;
  Importer import;
  Exporter export_;
  const char* module = "keras.layers";
};

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table = {
      {"Activation", "Activation", import_activation, export_activation_layer},
      {"Add", "Add", import_merge<Add>, export_plain},
      {"Average", "Average", import_merge<Average>, export_plain},
      {"AveragePooling1D", "AveragePooling1D", import_window_pooling<AveragePooling1D>, export_window_pooling},
      {"BatchNormalization", "BatchNormalization", import_batch_normalization, export_batch_normalization},
      {"Bidirectional", "Bidirectional", import_bidirectional, export_bidirectional},
      {"Concatenate", "Concatenate", import_concatenate, export_concatenate},
      {"Conv1D", "Conv1D", import_conv1d, export_conv1d},
      {"Dense", "Dense", import_dense, export_dense},
      {"Dropout", "Dropout", import_dropout, export_dropout},
      {"Embedding", "Embedding", import_embedding, export_embedding},
      {"Flatten", "Flatten", import_flatten, export_flatten},
      {"GRU", "GRU", import_rnn, export_rnn},
      {"GlobalAveragePooling1D", "GlobalAveragePooling1D", import_global_pooling<GlobalAveragePooling1D>,
       export_global_pooling},
      {"GlobalMaxPooling1D", "GlobalMaxPooling1D", import_global_pooling<GlobalMaxPooling1D>, export_global_pooling},
      {"LSTM", "LSTM", import_rnn, export_rnn},
      {"Lambda", "Lambda", import_lambda, export_lambda},
      {"LayerNormalization", "LayerNormalization", import_layer_normalization, export_layer_normalization},
      {"Masking", "Masking", import_masking, export_masking},
      {"MaxPooling1D", "MaxPooling1D", import_window_pooling<MaxPooling1D>, export_window_pooling},
      {"Maximum", "Maximum", import_merge<Maximum>, export_plain},
      {"Minimum", "Minimum", import_merge<Minimum>, export_plain},
      {"Multiply", "Multiply", import_merge<Multiply>, export_plain},
      {"RepeatVector", "RepeatVector", import_repeat_vector, export_repeat_vector},
      {"Reshape", "Reshape", import_reshape, export_reshape},
      {"SimpleRNN", "SimpleRNN", import_rnn, export_rnn},
      {"Subtract", "Subtract", import_merge<Subtract>, export_plain},
      {"TimeDistributed", "TimeDistributed", import_time_distributed, export_time_distributed},
  };
  return table;
}

// Keras 2 / tf.keras class names of the same layers.
const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> m = {
      {"CuDNNLSTM", ""},  // different weight layout: refused as unknown
      {"AvgPool1D", "AveragePooling1D"},
      {"GlobalAvgPool1D", "GlobalAveragePooling1D"},
      {"GlobalMaxPool1D", "GlobalMaxPooling1D"},
      {"MaxPool1D", "MaxPooling1D"},
  };
  return m;
}

const Kind* find_kind(const std::string& cls) {
  std::string name = cls;
  if (auto it = aliases().find(cls); it != aliases().end()) name = it->second;
  for (const auto& k : kinds())
    if (name == k.keras_class) return &k;
  return nullptr;
}

}  // namespace

bool is_model_class(const std::string& cls) { return cls == "Sequential" || cls == "Functional" || cls == "Model"; }

void collect_unsupported(const Json& serialized, const ImportContext& ctx, std::vector<std::string>& unknown,
                         std::vector<std::string>& lambdas) {
  const std::string cls = keras_class_name(serialized);
  const Json* inner = serialized.is_object() && serialized.contains("config") ? &serialized["config"] : nullptr;
  std::string name = inner && inner->is_object() && inner->contains("name") && (*inner)["name"].is_string()
                         ? (*inner)["name"].get<std::string>()
                         : (serialized.is_object() && serialized.contains("name") && serialized["name"].is_string()
                                ? serialized["name"].get<std::string>()
                                : "?");
  if (cls == "InputLayer") return;
  if (is_model_class(cls)) {
    const Json* layers = nullptr;
    if (inner && inner->is_object() && inner->contains("layers")) layers = &(*inner)["layers"];
    if (inner && inner->is_array()) layers = inner;  // Keras 2.0/2.1 Sequential: a list
    if (layers && layers->is_array())
      for (const auto& l : *layers) collect_unsupported(l, ctx, unknown, lambdas);
    return;
  }
  const Kind* kind = find_kind(cls);
  if (!kind) {
    unknown.push_back(fmt::format("'{}' ({})", name, cls.empty() ? "no class_name" : cls));
    return;
  }
  if (cls == "Lambda" && inner && inner->is_object()) {
    KerasConfig c(serialized, ctx);
    if (!registered_lambda_for(c)) lambdas.push_back(name);
  }
  if (inner && inner->is_object())
    for (const char* key : {"layer", "backward_layer"})
      if (inner->contains(key) && (*inner)[key].is_object()) collect_unsupported((*inner)[key], ctx, unknown, lambdas);
}

LayerRef import_layer(const Json& serialized, const ImportContext& ctx) {
  KerasConfig c(serialized, ctx);
  const Kind* kind = find_kind(c.class_name());
  if (!kind)
    throw ValueError({.problem = fmt::format("'{}' holds a layer of class {}, which Lamina does not have", ctx.source,
                                             c.class_name()),
                      .expected = "one of the Keras classes listed in docs/keras.md",
                      .found = fmt::format("layer '{}' ({})", c.name(), c.class_name())});
  c.check_dtype();
  LayerRef layer = kind->import(c, ctx);
  if (!c.boolean("trainable", true)) layer->set_trainable(false);
  return layer;
}

std::string keras_class_of(const Layer& layer) {
  if (layer.type() == "Functional" || layer.type() == "Sequential") return layer.type();
  for (const auto& k : kinds())
    if (layer.type() == k.lamina_type) return k.keras_class;
  throw ValueError(
      {.problem = fmt::format("layer '{}' ({}) has no Keras equivalent, so it cannot be written to a Keras file",
                              layer.name(), layer.type()),
       .expected = "layers Keras has (docs/keras.md lists them)",
       .found = layer.type(),
       .hint = "save it in Lamina's own format (model.save(\"m.lamina\"))"});
}

Json export_layer(const Layer& layer, const ExportTarget& target) {
  const std::string cls = keras_class_of(layer);
  for (const auto& k : kinds())
    if (cls == k.keras_class)
      return Json{{"module", k.module},
                  {"class_name", cls},
                  {"config", k.export_(layer, layer.get_config(), target)},
                  {"registered_name", nullptr}};
  throw ValueError({.problem = "internal: models are exported by the model writer", .found = cls});
}

std::vector<VarGroup> keras3_var_groups(const Layer& layer) {
  std::vector<VarGroup> out;
  if (auto* rnn = dynamic_cast<const RNNLayer*>(&layer)) {
    std::vector<Variable> vars{rnn->kernel(), rnn->recurrent_kernel()};
    if (rnn->bias().defined()) vars.push_back(rnn->bias());
    const std::string cell = keras_snake_case(layer.type()) + "_cell";
    out.push_back({"", layer.name(), {}});
    out.push_back({"cell", cell, rnn->built() ? vars : std::vector<Variable>{}});
    return out;
  }
  if (auto* bi = dynamic_cast<const BidirectionalLayer*>(&layer)) {
    out.push_back({"", layer.name(), {}});
    for (const auto& [prefix, part] :
         {std::pair{"forward_layer", bi->forward_layer()}, std::pair{"backward_layer", bi->backward_layer()}})
      for (auto g : keras3_var_groups(*part.ptr())) {
        // Keras 3 renames the wrapped layers forward_<name> / backward_<name>.
        const std::string dir = std::string(prefix).substr(0, std::string(prefix).find('_')) + "_";
        if (g.path.empty() && g.name.rfind(dir, 0) != 0) g.name = dir + g.name;
        g.path = g.path.empty() ? prefix : std::string(prefix) + "/" + g.path;
        out.push_back(std::move(g));
      }
    return out;
  }
  if (auto* td = dynamic_cast<const TimeDistributedLayer*>(&layer)) {
    out.push_back({"", layer.name(), {}});
    for (auto g : keras3_var_groups(*td->inner().ptr())) {
      g.path = g.path.empty() ? "layer" : "layer/" + g.path;
      out.push_back(std::move(g));
    }
    return out;
  }
  out.push_back({"", layer.name(), layer.weights()});
  return out;
}

std::vector<Variable> legacy_weights(const Layer& layer) {
  auto all = layer.trainable_weights();
  auto frozen = layer.non_trainable_weights();
  all.insert(all.end(), frozen.begin(), frozen.end());
  return all;
}

}  // namespace lamina::io::keras
