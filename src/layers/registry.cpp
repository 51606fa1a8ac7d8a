// layer_from_config: the type -> factory registry, with a factory for every built-in layer.
// Each factory reads exactly the fields its layer's get_config() writes.
#include "lamina/layers/registry.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>

#include "lamina/layers/activation.hpp"
#include "lamina/layers/attention.hpp"
#include "lamina/layers/bidirectional.hpp"
#include "lamina/layers/dense.hpp"
#include "lamina/layers/dropout.hpp"
#include "lamina/layers/embedding.hpp"
#include "lamina/layers/lambda.hpp"
#include "lamina/layers/masking.hpp"
#include "lamina/layers/merge.hpp"
#include "lamina/layers/normalization.hpp"
#include "lamina/layers/pooling.hpp"
#include "lamina/layers/reshaping.hpp"
#include "lamina/layers/rnn.hpp"
#include "lamina/layers/time_distributed.hpp"

namespace lamina::layers {

namespace {

// ---- built-in factories ----

LayerRef make_dense(const ConfigReader& c) {
  return Dense(c.integer("units"), {.activation = c.activation("activation"),
                                    .use_bias = c.boolean("use_bias"),
                                    .kernel_initializer = c.initializer("kernel_initializer"),
                                    .bias_initializer = c.initializer("bias_initializer"),
                                    .name = c.name()});
}

LayerRef make_embedding(const ConfigReader& c) {
  return Embedding(c.integer("input_dim"), c.integer("output_dim"),
                   {.mask_zero = c.boolean("mask_zero"),
                    .embeddings_initializer = c.initializer("embeddings_initializer"),
                    .name = c.name()});
}

LayerRef make_masking(const ConfigReader& c) {
  return Masking({.mask_value = c.number("mask_value"), .name = c.name()});
}

LayerRef make_dropout(const ConfigReader& c) {
  return Dropout(c.number("rate"), {.seed = c.optional_seed("seed"), .name = c.name()});
}

LayerRef make_activation(const ConfigReader& c) { return Activation(c.activation("activation"), c.name()); }
LayerRef make_flatten(const ConfigReader& c) { return Flatten(c.name()); }
LayerRef make_reshape(const ConfigReader& c) { return Reshape(Shape(c.integers("target_shape")), c.name()); }
LayerRef make_repeat_vector(const ConfigReader& c) { return RepeatVector(c.integer("n"), c.name()); }

LayerRef make_time_distributed(const ConfigReader& c) {
  return TimeDistributed(layer_from_config(c.object("layer")), c.name());
}

LayerRef make_lambda(const ConfigReader& c) {
  if (c.at("function").is_null())
    c.fail("function", {.problem = "is null: the Lambda was created from a callable, which a config cannot hold",
                        .expected = "the name of a function registered with register_lambda",
                        .hint = "register the function, lamina::layers::register_lambda(\"my_fn\", fn), and create "
                                "the layer as Lambda(\"my_fn\", options) so its config records the name"});
  std::string function = c.string("function");
  LambdaOptions o{.name = c.name()};
  if (c.has("output_shape")) o.output_shape = Shape(c.integers("output_shape"));
  std::string mask = c.string("mask");
  if (mask == "drop")
    o.mask = LambdaMask(false);
  else if (mask == "function")
    c.fail("mask", {.problem = "is \"function\": the output mask came from a callable, which a config cannot hold",
                    .expected = "\"ops\" or \"drop\"",
                    .hint = "rebuild this Lambda in code with its mask function"});
  else if (mask != "ops")
    c.fail("mask", {.problem = "is not a mask mode", .expected = "\"ops\", \"drop\" or \"function\""});
  return Lambda(function, std::move(o));
}

// The options the three recurrent layers share.
template <class O>
O recurrent_options(const ConfigReader& c) {
  O o;
  o.activation = c.activation("activation");
  o.use_bias = c.boolean("use_bias");
  o.return_sequences = c.boolean("return_sequences");
  o.return_state = c.boolean("return_state");
  o.go_backwards = c.boolean("go_backwards");
  o.zero_output_for_mask = c.boolean("zero_output_for_mask");
  o.dropout = c.number("dropout");
  o.recurrent_dropout = c.number("recurrent_dropout");
  o.kernel_initializer = c.initializer("kernel_initializer");
  o.recurrent_initializer = c.initializer("recurrent_initializer");
  o.bias_initializer = c.initializer("bias_initializer");
  o.name = c.name();
  return o;
}

LayerRef make_simple_rnn(const ConfigReader& c) {
  return SimpleRNN(c.integer("units"), recurrent_options<SimpleRNNOptions>(c));
}

LayerRef make_lstm(const ConfigReader& c) {
  auto o = recurrent_options<LSTMOptions>(c);
  o.recurrent_activation = c.activation("recurrent_activation");
  o.unit_forget_bias = c.boolean("unit_forget_bias");
  return LSTM(c.integer("units"), std::move(o));
}

LayerRef make_gru(const ConfigReader& c) {
  auto o = recurrent_options<GRUOptions>(c);
  o.recurrent_activation = c.activation("recurrent_activation");
  o.reset_after = c.boolean("reset_after");
  return GRU(c.integer("units"), std::move(o));
}

LayerHandle<RNNLayer> recurrent_layer(const ConfigReader& c, const std::string& field) {
  LayerRef inner = layer_from_config(c.object(field));
  auto rnn = std::dynamic_pointer_cast<RNNLayer>(inner.ptr());
  if (!rnn)
    c.fail(field, {.problem = "is not a recurrent layer",
                   .expected = "an LSTM, GRU or SimpleRNN config",
                   .found = "a " + inner->type() + " config"});
  return LayerHandle<RNNLayer>(rnn);
}

// "backward_layer" (always written by get_config) rebuilds that layer; without it the
// backward direction is derived from "layer", as in code.
LayerRef make_bidirectional(const ConfigReader& c) {
  LayerHandle<RNNLayer> backward;
  if (c.has("backward_layer")) backward = recurrent_layer(c, "backward_layer");
  return Bidirectional(recurrent_layer(c, "layer"),
                       {.merge_mode = c.string("merge_mode"), .backward_layer = backward, .name = c.name()});
}

LayerRef make_global_average_pooling(const ConfigReader& c) {
  return GlobalAveragePooling1D(
      {.data_format = c.string("data_format"), .keepdims = c.boolean("keepdims"), .name = c.name()});
}

LayerRef make_global_max_pooling(const ConfigReader& c) {
  return GlobalMaxPooling1D(
      {.data_format = c.string("data_format"), .keepdims = c.boolean("keepdims"), .name = c.name()});
}

template <class Merge>
LayerRef make_merge(const ConfigReader& c) {
  return Merge({.name = c.name()});
}

LayerRef make_concatenate(const ConfigReader& c) { return Concatenate(c.integer("axis"), {.name = c.name()}); }

LayerRef make_attention(const ConfigReader& c) {
  return Attention({.use_scale = c.boolean("use_scale"),
                    .score_mode = c.string("score_mode"),
                    .dropout = c.number("dropout"),
                    .seed = c.optional_seed("seed"),
                    .use_causal_mask = c.boolean("use_causal_mask"),
                    .return_attention_scores = c.boolean("return_attention_scores"),
                    .name = c.name()});
}

LayerRef make_multi_head_attention(const ConfigReader& c) {
  return MultiHeadAttention(c.integer("num_heads"), c.integer("key_dim"),
                            {.value_dim = c.integer("value_dim"),
                             .dropout = c.number("dropout"),
                             .use_bias = c.boolean("use_bias"),
                             .output_shape = c.optional_integer("output_shape"),
                             .kernel_initializer = c.initializer("kernel_initializer"),
                             .bias_initializer = c.initializer("bias_initializer"),
                             .seed = c.optional_seed("seed"),
                             .use_causal_mask = c.boolean("use_causal_mask"),
                             .return_attention_scores = c.boolean("return_attention_scores"),
                             .name = c.name()});
}

LayerRef make_layer_normalization(const ConfigReader& c) {
  return LayerNormalization({.axis = c.integers("axis"),
                             .epsilon = c.number("epsilon"),
                             .center = c.boolean("center"),
                             .scale = c.boolean("scale"),
                             .rms_scaling = c.has("rms_scaling") && c.boolean("rms_scaling"),
                             .beta_initializer = c.initializer("beta_initializer"),
                             .gamma_initializer = c.initializer("gamma_initializer"),
                             .name = c.name()});
}

LayerRef make_batch_normalization(const ConfigReader& c) {
  return BatchNormalization({.axis = c.integer("axis"),
                             .momentum = c.number("momentum"),
                             .epsilon = c.number("epsilon"),
                             .center = c.boolean("center"),
                             .scale = c.boolean("scale"),
                             .beta_initializer = c.initializer("beta_initializer"),
                             .gamma_initializer = c.initializer("gamma_initializer"),
                             .moving_mean_initializer = c.initializer("moving_mean_initializer"),
                             .moving_variance_initializer = c.initializer("moving_variance_initializer"),
                             .name = c.name()});
}

// ---- the registry ----

struct Registry {
  std::mutex mu;
  std::map<std::string, LayerFactory> factories;

  Registry() {
    using Builder = LayerRef (*)(const ConfigReader&);
    const std::pair<const char*, Builder> builtins[] = {
        {"Activation", make_activation},
        {"Add", make_merge<Add>},
        {"Attention", make_attention},
        {"Average", make_merge<Average>},
        {"BatchNormalization", make_batch_normalization},
        {"Bidirectional", make_bidirectional},
        {"Concatenate", make_concatenate},
        {"Dense", make_dense},
        {"Dropout", make_dropout},
        {"Embedding", make_embedding},
        {"Flatten", make_flatten},
        {"GRU", make_gru},
        {"GlobalAveragePooling1D", make_global_average_pooling},
        {"GlobalMaxPooling1D", make_global_max_pooling},
        {"LSTM", make_lstm},
        {"Lambda", make_lambda},
        {"LayerNormalization", make_layer_normalization},
        {"Masking", make_masking},
        {"Maximum", make_merge<Maximum>},
        {"Minimum", make_merge<Minimum>},
        {"MultiHeadAttention", make_multi_head_attention},
        {"Multiply", make_merge<Multiply>},
        {"RepeatVector", make_repeat_vector},
        {"Reshape", make_reshape},
        {"SimpleRNN", make_simple_rnn},
        {"Subtract", make_merge<Subtract>},
        {"TimeDistributed", make_time_distributed},
    };
    for (const auto& [type, build] : builtins)
      factories[type] = [build](const Json& config) { return build(ConfigReader(config)); };
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string type_list(const std::map<std::string, LayerFactory>& factories) {
  std::string s;
  for (const auto& [type, factory] : factories) s += (s.empty() ? "" : ", ") + type;
  return s;
}

// A copy of the factory, so factories can call layer_from_config without holding the lock.
LayerFactory find_factory(const std::string& type) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.factories.find(type);
  if (it == r.factories.end())
    throw ValueError(
        {.problem = "unknown layer type '" + type + "'",
         .expected = "one of the registered layer types: " + type_list(r.factories),
         .found = "'" + type + "'",
         .hint = "register a custom layer type first: lamina::layers::register_layer(\"" + type + "\", factory)"});
  return it->second;
}

}  // namespace

LayerRef layer_from_config(const Json& config) {
  ConfigReader c(config);
  auto name = config.find("name");
  NoteScope note(
      fmt::format("layer_from_config({} {})", c.type(),
                  name != config.end() && name->is_string() ? "'" + name->get<std::string>() + "'" : "without a name"));
  LayerFactory factory = find_factory(c.type());
  const bool trainable = c.boolean("trainable");
  LayerRef layer;
  try {
    layer = factory(config);
  } catch (const Json::exception& e) {  // from a custom factory's own config reads
    throw ValueError({.problem = fmt::format("the {} factory could not read its config", c.type()),
                      .expected = fmt::format("the fields the {} factory reads, with their types", c.type()),
                      .found = e.what(),
                      .hint = "compare the config with what the layer's get_config() writes"});
  }
  if (!layer.ptr())
    throw ValueError({.problem = fmt::format("the {} factory returned an empty layer handle", c.type()),
                      .expected = "a layer",
                      .found = "an empty LayerRef",
                      .hint = "return lm::make_layer<YourLayer>(...) from the factory"});
  // Only a false flag is applied: set_trainable(true) would also reset nested layers'
  // own flags, which their configs already carry.
  if (!trainable) layer->set_trainable(false);
  return layer;
}

void register_layer(const std::string& type, LayerFactory factory) {
  if (type.empty() || !factory)
    throw ValueError({.op = "register_layer",
                      .problem = "register_layer needs a type name and a factory",
                      .expected = "a non-empty type (as the layer's get_config() writes it) and a callable",
                      .found = type.empty() ? "an empty type" : "an empty factory for '" + type + "'"});
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.factories[type] = std::move(factory);
}

std::vector<std::string> registered_layer_types() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> types;
  for (const auto& [type, factory] : r.factories) types.push_back(type);
  return types;
}

}  // namespace lamina::layers
