// Keras layer configs (any writer: Keras 2, tf.keras, Keras 3) -> Lamina layers, one importer
// per class; the table in layers.cpp says which class each serves.
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

namespace lamina::io::keras::layer_io {

using namespace lamina::layers;

RecurrentConfig recurrent_config(const KerasConfig& c, const std::string& cls) {
  c.refuse_true("stateful", "Lamina's RNNs are not stateful: state does not carry from one batch to the next",
                "rebuild the layer with stateful=False (the weights are the same)");
  c.refuse_true("time_major", "Lamina's sequences are batch-major (batch, time, features)",
                "rebuild the layer with time_major=False (the weights are the same)");
  if (c.has("implementation") && c.integer("implementation", 1) == 0 && c.ctx().keras_major < 2)
    c.fail("implementation", "is Keras 1's per-gate layout", "Keras 2 or 3 weights");
  RecurrentConfig r;
  r.activation = c.activation("activation", "tanh");
  // Keras 2 defaulted LSTM/GRU recurrent_activation to hard_sigmoid (clip(0.2x + 0.5)), Keras 3 to sigmoid.
  r.recurrent_activation = c.activation("recurrent_activation", c.ctx().keras_major >= 3 ? "sigmoid" : "hard_sigmoid");
  r.use_bias = c.boolean("use_bias", true);
  r.return_sequences = c.boolean("return_sequences", false);
  r.return_state = c.boolean("return_state", false);
  r.go_backwards = c.boolean("go_backwards", false);
  r.zero_output_for_mask = c.boolean("zero_output_for_mask", false);
  r.dropout = c.number("dropout", 0.0);
  r.recurrent_dropout = c.number("recurrent_dropout", 0.0);
  r.kernel_initializer = c.initializer("kernel_initializer", "glorot_uniform");
  r.recurrent_initializer = c.initializer("recurrent_initializer", "orthogonal");
  r.bias_initializer = c.initializer("bias_initializer", "zeros");
  r.unit_forget_bias = c.boolean("unit_forget_bias", true);
  // Keras 2 (standalone) GRUs default to reset_after=False; tf.keras 2 and Keras 3 to True.
  const bool tf_keras = c.ctx().keras_version.find("tf") != std::string::npos;
  r.reset_after = c.boolean("reset_after", c.ctx().keras_major >= 3 || tf_keras);
  (void)cls;
  return r;
}

template <class Options>
Options rnn_options(const RecurrentConfig& r, const std::string& name) {
  Options o;
  o.activation = r.activation;
  o.use_bias = r.use_bias;
  o.return_sequences = r.return_sequences;
  o.return_state = r.return_state;
  o.go_backwards = r.go_backwards;
  o.zero_output_for_mask = r.zero_output_for_mask;
  o.dropout = r.dropout;
  o.recurrent_dropout = r.recurrent_dropout;
  o.kernel_initializer = r.kernel_initializer;
  o.recurrent_initializer = r.recurrent_initializer;
  o.bias_initializer = r.bias_initializer;
  o.name = name;
  return o;
}

LayerHandle<RNNLayer> make_rnn(const std::string& cls, std::int64_t units, const RecurrentConfig& r,
                               const std::string& name) {
  if (cls == "SimpleRNN") return SimpleRNN(units, rnn_options<SimpleRNNOptions>(r, name));
  if (cls == "LSTM") {
    auto o = rnn_options<LSTMOptions>(r, name);
    o.recurrent_activation = r.recurrent_activation;
    o.unit_forget_bias = r.unit_forget_bias;
    return LSTM(units, std::move(o));
  }
  auto o = rnn_options<GRUOptions>(r, name);
  o.recurrent_activation = r.recurrent_activation;
  o.reset_after = r.reset_after;
  return GRU(units, std::move(o));
}

LayerRef import_rnn(const KerasConfig& c, const ImportContext&) {
  return make_rnn(c.class_name(), c.integer("units"), recurrent_config(c, c.class_name()), c.name());
}

LayerRef import_dense(const KerasConfig& c, const ImportContext&) {
  return Dense(c.integer("units"), {.activation = c.activation("activation", "linear"),
                                    .use_bias = c.boolean("use_bias", true),
                                    .kernel_initializer = c.initializer("kernel_initializer", "glorot_uniform"),
                                    .bias_initializer = c.initializer("bias_initializer", "zeros"),
                                    .name = c.name()});
}

LayerRef import_embedding(const KerasConfig& c, const ImportContext&) {
  return Embedding(c.integer("input_dim"), c.integer("output_dim"),
                   {.mask_zero = c.boolean("mask_zero", false),
                    .embeddings_initializer = c.initializer("embeddings_initializer", "uniform"),
                    .name = c.name()});
}

LayerRef import_masking(const KerasConfig& c, const ImportContext&) {
  return Masking({.mask_value = c.number("mask_value", 0.0), .name = c.name()});
}

// Keras writes 1-D sizes as one-element lists ([3]); hand-written configs use plain integers.
std::int64_t one_size(const KerasConfig& c, const std::string& key, std::optional<std::int64_t> def) {
  if (!c.has(key)) {
    if (!def) c.fail(key, "is missing", "a size (an integer, or a list of one)");
    return *def;
  }
  if (c.at(key).is_array()) {
    auto v = c.integers(key);
    if (v.size() != 1) c.fail(key, "is not a 1-D size", "a list of one integer");
    return v[0];
  }
  return c.integer(key);
}

LayerRef import_conv1d(const KerasConfig& c, const ImportContext&) {
  return Conv1D(c.integer("filters"), one_size(c, "kernel_size", {}),
                {.strides = one_size(c, "strides", 1),
                 .padding = c.string("padding", "valid"),
                 .data_format = c.string("data_format", "channels_last"),
                 .dilation_rate = one_size(c, "dilation_rate", 1),
                 .groups = c.integer("groups", 1),
                 .activation = c.activation("activation", "linear"),
                 .use_bias = c.boolean("use_bias", true),
                 .kernel_initializer = c.initializer("kernel_initializer", "glorot_uniform"),
                 .bias_initializer = c.initializer("bias_initializer", "zeros"),
                 .name = c.name()});
}

template <class Pool>
LayerRef import_window_pooling(const KerasConfig& c, const ImportContext&) {
  const std::int64_t pool = one_size(c, "pool_size", 2);
  return Pool(pool, {.strides = one_size(c, "strides", pool),
                     .padding = c.string("padding", "valid"),
                     .data_format = c.string("data_format", "channels_last"),
                     .name = c.name()});
}

LayerRef import_dropout(const KerasConfig& c, const ImportContext&) {
  if (c.has("noise_shape"))
    c.fail("noise_shape", "is set: Lamina's Dropout drops elements independently", "noise_shape null",
           "dropout only acts in training; rebuild the layer without noise_shape");
  std::optional<std::uint64_t> seed;
  if (c.has("seed")) seed = static_cast<std::uint64_t>(c.integer("seed"));
  return Dropout(c.number("rate"), {.seed = seed, .name = c.name()});
}

LayerRef import_activation(const KerasConfig& c, const ImportContext&) {
  return Activation(c.activation("activation", "linear"), c.name());
}

LayerRef import_flatten(const KerasConfig& c, const ImportContext&) {
  if (c.string("data_format", "channels_last") != "channels_last")
    c.fail("data_format", "is not channels_last", "\"channels_last\"");
  return Flatten(c.name());
}

LayerRef import_reshape(const KerasConfig& c, const ImportContext&) {
  return Reshape(Shape(c.integers("target_shape")), c.name());
}
LayerRef import_repeat_vector(const KerasConfig& c, const ImportContext&) {
  return RepeatVector(c.integer("n"), c.name());
}

template <class Pool>
LayerRef import_global_pooling(const KerasConfig& c, const ImportContext&) {
  return Pool({.data_format = c.string("data_format", "channels_last"),
               .keepdims = c.boolean("keepdims", false),
               .name = c.name()});
}

template <class Merge>
LayerRef import_merge(const KerasConfig& c, const ImportContext&) {
  return Merge({.name = c.name()});
}

LayerRef import_concatenate(const KerasConfig& c, const ImportContext&) {
  return Concatenate(c.integer("axis", -1), {.name = c.name()});
}

std::int64_t single_axis(const KerasConfig& c, std::int64_t def) {
  if (!c.has("axis")) return def;
  const Json& a = c.at("axis");
  if (a.is_array()) {
    auto axes = c.integers("axis");
    if (axes.size() != 1) c.fail("axis", "lists several axes", "one channel axis");
    return axes[0];
  }
  return c.integer("axis");
}

LayerRef import_batch_normalization(const KerasConfig& c, const ImportContext&) {
  c.refuse_true("renorm", "Lamina's BatchNormalization has no batch renormalization", "rebuild without renorm");
  return BatchNormalization({.axis = single_axis(c, -1),
                             .momentum = c.number("momentum", 0.99),
                             .epsilon = c.number("epsilon", 1e-3),
                             .center = c.boolean("center", true),
                             .scale = c.boolean("scale", true),
                             .beta_initializer = c.initializer("beta_initializer", "zeros"),
                             .gamma_initializer = c.initializer("gamma_initializer", "ones"),
                             .moving_mean_initializer = c.initializer("moving_mean_initializer", "zeros"),
                             .moving_variance_initializer = c.initializer("moving_variance_initializer", "ones"),
                             .name = c.name()});
}

LayerRef import_layer_normalization(const KerasConfig& c, const ImportContext&) {
  Axes axis{-1};
  if (c.has("axis")) axis = c.at("axis").is_array() ? Axes(c.integers("axis")) : Axes{c.integer("axis")};
  return LayerNormalization({.axis = axis,
                             .epsilon = c.number("epsilon", 1e-3),
                             .center = c.boolean("center", true),
                             .scale = c.boolean("scale", true),
                             .rms_scaling = c.boolean("rms_scaling", false),
                             .beta_initializer = c.initializer("beta_initializer", "zeros"),
                             .gamma_initializer = c.initializer("gamma_initializer", "ones"),
                             .name = c.name()});
}

LayerRef import_time_distributed(const KerasConfig& c, const ImportContext& ctx) {
  return TimeDistributed(import_layer(c.at("layer"), ctx), c.name());
}

// The recurrent layer of a Bidirectional, renamed (Keras names the directions itself).
LayerHandle<RNNLayer> bidirectional_part(const Json& serialized, const ImportContext& ctx, const std::string& name,
                                         std::optional<bool> go_backwards) {
  KerasConfig c(serialized, ctx);
  const std::string cls = c.class_name();
  if (cls != "LSTM" && cls != "GRU" && cls != "SimpleRNN")
    throw ValueError({.problem = fmt::format("a Bidirectional layer in '{}' wraps a {}", ctx.source, cls),
                      .expected = "an LSTM, GRU or SimpleRNN",
                      .found = cls,
                      .hint = "Lamina's Bidirectional wraps its recurrent layers only"});
  RecurrentConfig r = recurrent_config(c, cls);
  if (go_backwards) r.go_backwards = *go_backwards;
  return make_rnn(cls, c.integer("units"), r, name);
}

std::string strip_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

LayerRef import_bidirectional(const KerasConfig& c, const ImportContext& ctx) {
  const Json& layer = c.at("layer");
  const std::string inner = KerasConfig(layer, ctx).name();
  // Keras names the directions forward_<name> and backward_<name> (Keras 2 in the weight
  // names, Keras 3 in the configs too).
  const std::string base = strip_prefix(strip_prefix(inner, "forward_"), "backward_");
  auto forward = bidirectional_part(layer, ctx, "forward_" + base, std::nullopt);
  LayerHandle<RNNLayer> backward;
  if (c.has("backward_layer")) {
    const Json& b = c.at("backward_layer");
    backward =
        bidirectional_part(b, ctx, "backward_" + strip_prefix(KerasConfig(b, ctx).name(), "backward_"), std::nullopt);
  } else {
    backward = bidirectional_part(layer, ctx, "backward_" + base, !forward->config().go_backwards);
  }
  std::string merge_mode = c.has("merge_mode") ? c.string("merge_mode") : "none";
  if (!c.contains("merge_mode")) merge_mode = "concat";
  return Bidirectional(forward, {.merge_mode = merge_mode, .backward_layer = backward, .name = c.name()});
}

// A Python Lambda's code cannot run here: it loads when a Lamina function is registered under
// the layer's name (or the Python function's name).
std::optional<std::string> registered_lambda_for(const KerasConfig& c) {
  auto names = registered_lambda_names();
  auto known = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  if (known(c.name())) return c.name();
  if (auto fn = python_function_name(c.config()); fn && known(*fn)) return *fn;
  return std::nullopt;
}

LayerRef import_lambda(const KerasConfig& c, const ImportContext&) {
  auto fn = registered_lambda_for(c);
  if (!fn)
    c.fail("function", "is Python code, which Lamina never runs", "a function registered under the layer's name");
  return Lambda(*fn, {.name = c.name()});
}


// The instances the table in layers.cpp uses.
template LayerRef import_window_pooling<AveragePooling1D>(const KerasConfig&, const ImportContext&);
template LayerRef import_window_pooling<MaxPooling1D>(const KerasConfig&, const ImportContext&);
template LayerRef import_global_pooling<GlobalAveragePooling1D>(const KerasConfig&, const ImportContext&);
template LayerRef import_global_pooling<GlobalMaxPooling1D>(const KerasConfig&, const ImportContext&);
template LayerRef import_merge<Add>(const KerasConfig&, const ImportContext&);
template LayerRef import_merge<Average>(const KerasConfig&, const ImportContext&);
template LayerRef import_merge<Maximum>(const KerasConfig&, const ImportContext&);
template LayerRef import_merge<Minimum>(const KerasConfig&, const ImportContext&);
template LayerRef import_merge<Multiply>(const KerasConfig&, const ImportContext&);
template LayerRef import_merge<Subtract>(const KerasConfig&, const ImportContext&);

}  // namespace lamina::io::keras::layer_io
