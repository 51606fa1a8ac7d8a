// layer_from_config: the type -> factory registry, with a factory for every built-in layer.
// Each factory reads the fields its layer's get_config() writes, with the layer's defaults
// for the missing ones; ConfigReader::finish() then rejects any other field.
#include "lamina/layers/registry.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>

#include "lamina/layers/activation.hpp"
#include "lamina/layers/attention.hpp"
#include "lamina/layers/bidirectional.hpp"
#include "lamina/layers/convolutional.hpp"
#include "lamina/layers/dense.hpp"
#include "lamina/layers/dropout.hpp"
#include "lamina/layers/embedding.hpp"
#include "lamina/layers/identity.hpp"
#include "lamina/layers/lambda.hpp"
#include "lamina/layers/masking.hpp"
#include "lamina/layers/merge.hpp"
#include "lamina/layers/noise.hpp"
#include "lamina/layers/normalization.hpp"
#include "lamina/layers/pooling.hpp"
#include "lamina/layers/pooling1d.hpp"
#include "lamina/layers/reshaping.hpp"
#include "lamina/layers/rnn.hpp"
#include "lamina/layers/time_distributed.hpp"
#include "lamina/layers/time_reshaping.hpp"

namespace lamina::layers {

namespace {

// ---- built-in factories ----
// Each starts from the layer's default options and overrides what the config gives, so a
// missing field means the default; only options without a default are required.

LayerRef make_dense(const ConfigReader& c) {
  DenseOptions o;
  o.activation = c.activation("activation", o.activation);
  o.use_bias = c.boolean("use_bias", o.use_bias);
  o.kernel_initializer = c.initializer("kernel_initializer", o.kernel_initializer);
  o.bias_initializer = c.initializer("bias_initializer", o.bias_initializer);
  o.name = c.name();
  return Dense(c.integer("units"), std::move(o));
}

LayerRef make_embedding(const ConfigReader& c) {
  EmbeddingOptions o;
  o.mask_zero = c.boolean("mask_zero", o.mask_zero);
  o.embeddings_initializer = c.initializer("embeddings_initializer", o.embeddings_initializer);
  o.name = c.name();
  return Embedding(c.integer("input_dim"), c.integer("output_dim"), std::move(o));
}

LayerRef make_masking(const ConfigReader& c) {
  MaskingOptions o;
  return Masking({.mask_value = c.number("mask_value", o.mask_value), .name = c.name()});
}

LayerRef make_dropout(const ConfigReader& c) {
  if (c.has("noise_shape"))  // Keras writes null
    c.fail("noise_shape", {.problem = "is not supported by Lamina's Dropout",
                           .expected = "null",
                           .hint = "SpatialDropout1D drops whole feature channels of a sequence"});
  return Dropout(c.number("rate"), {.seed = c.optional_seed("seed"), .name = c.name()});
}

LayerRef make_activation(const ConfigReader& c) { return Activation(c.activation("activation", "linear"), c.name()); }
LayerRef make_flatten(const ConfigReader& c) {
  if (c.string("data_format", "channels_last") != "channels_last")
    c.fail("data_format", {.problem = "is not supported by Lamina's Flatten",
                           .expected = "\"channels_last\"",
                           .hint = "transpose the input first (lm::transpose) and flatten channels_last"});
  return Flatten(c.name());
}
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
  std::string mask = c.string("mask", "ops");
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

// The options the three recurrent layers share, over the layer's own defaults in `o`.
template <class O>
O recurrent_options(const ConfigReader& c, O o) {
  o.activation = c.activation("activation", o.activation);
  o.use_bias = c.boolean("use_bias", o.use_bias);
  o.return_sequences = c.boolean("return_sequences", o.return_sequences);
  o.return_state = c.boolean("return_state", o.return_state);
  o.go_backwards = c.boolean("go_backwards", o.go_backwards);
  o.zero_output_for_mask = c.boolean("zero_output_for_mask", o.zero_output_for_mask);
  o.dropout = c.number("dropout", o.dropout);
  o.recurrent_dropout = c.number("recurrent_dropout", o.recurrent_dropout);
  o.kernel_initializer = c.initializer("kernel_initializer", o.kernel_initializer);
  o.recurrent_initializer = c.initializer("recurrent_initializer", o.recurrent_initializer);
  o.bias_initializer = c.initializer("bias_initializer", o.bias_initializer);
  if (c.has("seed"))  // Keras 3 writes "seed": null
    c.fail("seed", {.problem = "is not supported by Lamina's recurrent layers",
                    .expected = "null",
                    .hint = "recurrent dropout masks come from the layer's generator, seeded by lm::set_seed"});
  o.name = c.name();
  return o;
}

LayerRef make_simple_rnn(const ConfigReader& c) {
  return SimpleRNN(c.integer("units"), recurrent_options(c, SimpleRNNOptions{}));
}

LayerRef make_lstm(const ConfigReader& c) {
  auto o = recurrent_options(c, LSTMOptions{});
  o.recurrent_activation = c.activation("recurrent_activation", o.recurrent_activation);
  o.unit_forget_bias = c.boolean("unit_forget_bias", o.unit_forget_bias);
  return LSTM(c.integer("units"), std::move(o));
}

LayerRef make_gru(const ConfigReader& c) {
  auto o = recurrent_options(c, GRUOptions{});
  o.recurrent_activation = c.activation("recurrent_activation", o.recurrent_activation);
  o.reset_after = c.boolean("reset_after", o.reset_after);
  return GRU(c.integer("units"), std::move(o));
}

LayerHandle<RNNLayer> recurrent_layer(const ConfigReader& c, const std::string& field) {
  LayerRef inner = layer_from_config(c.object(field));
  auto rnn = std::dynamic_pointer_cast<RNNLayer>(inner.ptr());
  if (!rnn)
    c.fail(field, {.problem = "is not a recurrent layer",
                   .expected = "an LSTM, GRU or SimpleRNN config",
                   .found = "a " + inner->type() + " config",
                   .hint = "Bidirectional wraps recurrent layers only"});
  return LayerHandle<RNNLayer>(rnn);
}

// "backward_layer" (always written by get_config) rebuilds that layer; without it the
// backward direction is derived from "layer", as in code.
LayerRef make_bidirectional(const ConfigReader& c) {
  LayerHandle<RNNLayer> backward;
  if (c.has("backward_layer")) backward = recurrent_layer(c, "backward_layer");
  BidirectionalOptions o;
  return Bidirectional(
      recurrent_layer(c, "layer"),
      {.merge_mode = c.string("merge_mode", o.merge_mode), .backward_layer = backward, .name = c.name()});
}

Pooling1DOptions global_pooling_options(const ConfigReader& c) {
  Pooling1DOptions o;
  o.data_format = c.string("data_format", o.data_format);
  o.keepdims = c.boolean("keepdims", o.keepdims);
  o.name = c.name();
  return o;
}

LayerRef make_global_average_pooling(const ConfigReader& c) {
  return GlobalAveragePooling1D(global_pooling_options(c));
}

LayerRef make_global_max_pooling(const ConfigReader& c) { return GlobalMaxPooling1D(global_pooling_options(c)); }

template <class Merge>
LayerRef make_merge(const ConfigReader& c) {
  return Merge({.name = c.name()});
}

LayerRef make_concatenate(const ConfigReader& c) { return Concatenate(c.integer("axis", -1), {.name = c.name()}); }

LayerRef make_attention(const ConfigReader& c) {
  AttentionOptions o;
  o.use_scale = c.boolean("use_scale", o.use_scale);
  o.score_mode = c.string("score_mode", o.score_mode);
  o.dropout = c.number("dropout", o.dropout);
  o.seed = c.optional_seed("seed");
  o.use_causal_mask = c.boolean("use_causal_mask", o.use_causal_mask);
  o.return_attention_scores = c.boolean("return_attention_scores", o.return_attention_scores);
  o.name = c.name();
  return Attention(std::move(o));
}

LayerRef make_multi_head_attention(const ConfigReader& c) {
  MultiHeadAttentionOptions o;
  if (c.has("value_dim")) o.value_dim = c.integer("value_dim");
  o.dropout = c.number("dropout", o.dropout);
  o.use_bias = c.boolean("use_bias", o.use_bias);
  o.output_shape = c.optional_integer("output_shape");
  o.kernel_initializer = c.initializer("kernel_initializer", o.kernel_initializer);
  o.bias_initializer = c.initializer("bias_initializer", o.bias_initializer);
  o.seed = c.optional_seed("seed");
  o.use_causal_mask = c.boolean("use_causal_mask", o.use_causal_mask);
  o.return_attention_scores = c.boolean("return_attention_scores", o.return_attention_scores);
  o.name = c.name();
  return MultiHeadAttention(c.integer("num_heads"), c.integer("key_dim"), std::move(o));
}

LayerRef make_layer_normalization(const ConfigReader& c) {
  LayerNormalizationOptions o;
  o.axis = c.integer_or_integers("axis", o.axis);
  o.epsilon = c.number("epsilon", o.epsilon);
  o.center = c.boolean("center", o.center);
  o.scale = c.boolean("scale", o.scale);
  o.rms_scaling = c.boolean("rms_scaling", o.rms_scaling);
  o.beta_initializer = c.initializer("beta_initializer", o.beta_initializer);
  o.gamma_initializer = c.initializer("gamma_initializer", o.gamma_initializer);
  o.name = c.name();
  return LayerNormalization(std::move(o));
}

LayerRef make_batch_normalization(const ConfigReader& c) {
  BatchNormalizationOptions o;
  o.axis = c.integer("axis", o.axis);
  o.momentum = c.number("momentum", o.momentum);
  o.epsilon = c.number("epsilon", o.epsilon);
  o.center = c.boolean("center", o.center);
  o.scale = c.boolean("scale", o.scale);
  o.beta_initializer = c.initializer("beta_initializer", o.beta_initializer);
  o.gamma_initializer = c.initializer("gamma_initializer", o.gamma_initializer);
  o.moving_mean_initializer = c.initializer("moving_mean_initializer", o.moving_mean_initializer);
  o.moving_variance_initializer = c.initializer("moving_variance_initializer", o.moving_variance_initializer);
  o.name = c.name();
  return BatchNormalization(std::move(o));
}

// Keras writes 1-D sizes as one-element lists ("kernel_size": [3]); a bare integer is fine too.
std::int64_t single(const ConfigReader& c, const std::string& field, std::optional<std::int64_t> fallback) {
  if (!c.has(field)) {
    if (fallback) return *fallback;
    c.at(field);  // raises "missing field"
  }
  std::vector<std::int64_t> v = c.integer_or_integers(field, {});
  if (v.size() != 1)
    c.fail(field, {.problem = "must hold one size for a 1-D layer",
                   .expected = "an integer or a one-element list, e.g. 3 or [3]",
                   .hint = "1-D layers take one size per option"});
  return v[0];
}

std::pair<std::int64_t, std::int64_t> pair_of(const ConfigReader& c, const std::string& field,
                                               std::pair<std::int64_t, std::int64_t> fallback) {
  if (!c.has(field)) return fallback;
  std::vector<std::int64_t> v = c.integer_or_integers(field, {});
  if (v.size() == 1) return {v[0], v[0]};  // Keras: an int pads (crops) both ends
  if (v.size() != 2)
    c.fail(field, {.problem = "must hold the start and end amounts",
                   .expected = "an integer (both ends) or a list [start, end]",
                   .hint = "e.g. [1, 2]: 1 step at the start, 2 at the end"});
  return {v[0], v[1]};
}

LayerRef make_conv1d(const ConfigReader& c) {
  Conv1DOptions o;
  o.strides = single(c, "strides", o.strides);
  o.padding = c.string("padding", o.padding);
  o.data_format = c.string("data_format", o.data_format);
  o.dilation_rate = single(c, "dilation_rate", o.dilation_rate);
  o.groups = c.integer("groups", o.groups);
  o.activation = c.activation("activation", o.activation);
  o.use_bias = c.boolean("use_bias", o.use_bias);
  o.kernel_initializer = c.initializer("kernel_initializer", o.kernel_initializer);
  o.bias_initializer = c.initializer("bias_initializer", o.bias_initializer);
  o.name = c.name();
  return Conv1D(c.integer("filters"), single(c, "kernel_size", std::nullopt), std::move(o));
}

template <class Pool>
LayerRef make_window_pooling(const ConfigReader& c) {
  Pooling1DWindowOptions o;
  const std::int64_t size = single(c, "pool_size", 2);
  if (c.has("strides")) o.strides = single(c, "strides", std::nullopt);
  o.padding = c.string("padding", o.padding);
  o.data_format = c.string("data_format", o.data_format);
  o.name = c.name();
  return Pool(size, std::move(o));
}

LayerRef make_spatial_dropout(const ConfigReader& c) {
  return SpatialDropout1D(c.number("rate"), {.seed = c.optional_seed("seed"), .name = c.name()});
}

LayerRef make_gaussian_noise(const ConfigReader& c) {
  return GaussianNoise(c.number("stddev"), {.seed = c.optional_seed("seed"), .name = c.name()});
}

LayerRef make_identity(const ConfigReader& c) { return Identity(c.name()); }
LayerRef make_permute(const ConfigReader& c) { return Permute(c.integers("dims"), c.name()); }
LayerRef make_cropping(const ConfigReader& c) { return Cropping1D(pair_of(c, "cropping", {1, 1}), c.name()); }
LayerRef make_zero_padding(const ConfigReader& c) { return ZeroPadding1D(pair_of(c, "padding", {1, 1}), c.name()); }
LayerRef make_up_sampling(const ConfigReader& c) { return UpSampling1D(c.integer("size", 2), c.name()); }

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
        {"AveragePooling1D", make_window_pooling<AveragePooling1D>},
        {"BatchNormalization", make_batch_normalization},
        {"Bidirectional", make_bidirectional},
        {"Concatenate", make_concatenate},
        {"Conv1D", make_conv1d},
        {"Cropping1D", make_cropping},
        {"Dense", make_dense},
        {"Dropout", make_dropout},
        {"Embedding", make_embedding},
        {"Flatten", make_flatten},
        {"GRU", make_gru},
        {"GaussianNoise", make_gaussian_noise},
        {"GlobalAveragePooling1D", make_global_average_pooling},
        {"GlobalMaxPooling1D", make_global_max_pooling},
        {"Identity", make_identity},
        {"LSTM", make_lstm},
        {"Lambda", make_lambda},
        {"LayerNormalization", make_layer_normalization},
        {"Masking", make_masking},
        {"MaxPooling1D", make_window_pooling<MaxPooling1D>},
        {"Maximum", make_merge<Maximum>},
        {"Minimum", make_merge<Minimum>},
        {"MultiHeadAttention", make_multi_head_attention},
        {"Multiply", make_merge<Multiply>},
        {"Permute", make_permute},
        {"RepeatVector", make_repeat_vector},
        {"Reshape", make_reshape},
        {"SimpleRNN", make_simple_rnn},
        {"SpatialDropout1D", make_spatial_dropout},
        {"Subtract", make_merge<Subtract>},
        {"TimeDistributed", make_time_distributed},
        {"UpSampling1D", make_up_sampling},
        {"ZeroPadding1D", make_zero_padding},
    };
    for (const auto& entry : builtins)
      // Captures a copy, not the structured binding (clang 14 cannot capture one).
      factories[entry.first] = [build = entry.second](const Json& config) {
        ConfigReader c(config);
        LayerRef layer = build(c);
        c.finish();  // unknown fields, unsupported Keras options
        return layer;
      };
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
  const bool trainable = c.boolean("trainable", true);
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
    throw ValueError(
        {.op = "register_layer",
         .problem = "register_layer needs a type name and a factory",
         .expected = "a non-empty type (as the layer's get_config() writes it) and a callable",
         .found = type.empty() ? "an empty type" : "an empty factory for '" + type + "'",
         .hint =
             "register_layer(\"MyLayer\", [](const lm::Json& config) { ... return lm::make_layer<MyLayer>(...); })"});
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
