// Keras layer classes <-> Lamina layers: the table at the bottom has one entry per class,
// with its import (any Keras writer) and export (what Keras 3 writes). Weight layouts are
// in keras3_var_groups. docs/keras.md lists what maps to what.
#include "io/keras/layers.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <optional>

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

// ---- import ---------------------------------------------------------------------------

using Importer = LayerRef (*)(const KerasConfig&, const ImportContext&);
using Exporter = Json (*)(const Layer&, const Json& lamina_config, const ExportTarget&);

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

// ---- export -----------------------------------------------------------------------------

Json base_config(const Layer& l) {
  return Json{{"name", l.name()}, {"trainable", l.trainable()}, {"dtype", dtype_policy_json("float32")}};
}

Json export_dense(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["units"] = lc.at("units");
  c["activation"] = export_activation(lc.at("activation").get<std::string>(), l, t);
  c["use_bias"] = lc.at("use_bias");
  c["kernel_initializer"] = export_initializer(lc.at("kernel_initializer").get<std::string>());
  c["bias_initializer"] = export_initializer(lc.at("bias_initializer").get<std::string>());
  for (const char* k : {"kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"})
    c[k] = nullptr;
  return c;
}

Json export_embedding(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["input_dim"] = lc.at("input_dim");
  c["output_dim"] = lc.at("output_dim");
  c["embeddings_initializer"] = export_initializer(lc.at("embeddings_initializer").get<std::string>());
  for (const char* k : {"embeddings_regularizer", "activity_regularizer", "embeddings_constraint"}) c[k] = nullptr;
  c["mask_zero"] = lc.at("mask_zero");
  return c;
}

Json export_rnn(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  for (const char* k : {"return_sequences", "return_state", "go_backwards"}) c[k] = lc.at(k);
  c["stateful"] = false;
  c["unroll"] = false;
  c["zero_output_for_mask"] = lc.at("zero_output_for_mask");
  c["units"] = lc.at("units");
  c["activation"] = export_activation(lc.at("activation").get<std::string>(), l, t);
  if (lc.contains("recurrent_activation"))
    c["recurrent_activation"] = export_activation(lc.at("recurrent_activation").get<std::string>(), l, t);
  c["use_bias"] = lc.at("use_bias");
  for (const char* k : {"kernel_initializer", "recurrent_initializer", "bias_initializer"})
    c[k] = export_initializer(lc.at(k).get<std::string>());
  if (l.type() == "LSTM") c["unit_forget_bias"] = lc.at("unit_forget_bias");
  for (const char* k : {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                        "kernel_constraint", "recurrent_constraint", "bias_constraint"})
    c[k] = nullptr;
  c["dropout"] = lc.at("dropout");
  c["recurrent_dropout"] = lc.at("recurrent_dropout");
  if (l.type() == "GRU") c["reset_after"] = lc.at("reset_after");
  c["seed"] = nullptr;
  return c;
}

Json export_bidirectional(const Layer& l, const Json& lc, const ExportTarget& t) {
  const auto& b = dynamic_cast<const BidirectionalLayer&>(l);
  Json c = base_config(l);
  const std::string mode = lc.at("merge_mode").get<std::string>();
  c["merge_mode"] = mode == "none" ? Json(nullptr) : Json(mode);
  c["layer"] = export_layer(*b.forward_layer().ptr(), t);
  c["backward_layer"] = export_layer(*b.backward_layer().ptr(), t);
  return c;
}

Json export_time_distributed(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["layer"] = export_layer(*dynamic_cast<const TimeDistributedLayer&>(l).inner().ptr(), t);
  (void)lc;
  return c;
}

Json export_masking(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["mask_value"] = lc.at("mask_value");
  return c;
}

Json export_dropout(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["rate"] = lc.at("rate");
  c["seed"] = lc.contains("seed") ? lc.at("seed") : Json(nullptr);
  c["noise_shape"] = nullptr;
  return c;
}

Json export_activation_layer(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["activation"] = export_activation(lc.at("activation").get<std::string>(), l, t);
  return c;
}

Json export_flatten(const Layer& l, const Json&, const ExportTarget&) {
  Json c = base_config(l);
  c["data_format"] = "channels_last";
  return c;
}

Json export_reshape(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["target_shape"] = lc.at("target_shape");
  return c;
}

Json export_repeat_vector(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["n"] = lc.at("n");
  return c;
}

Json export_conv1d(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  for (const char* k : {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups"})
    c[k] = lc.at(k);
  c["activation"] = export_activation(lc.at("activation").get<std::string>(), l, t);
  c["use_bias"] = lc.at("use_bias");
  c["kernel_initializer"] = export_initializer(lc.at("kernel_initializer").get<std::string>());
  c["bias_initializer"] = export_initializer(lc.at("bias_initializer").get<std::string>());
  for (const char* k :
       {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"})
    c[k] = nullptr;
  return c;
}

Json export_window_pooling(const Layer& l, const Json& lc, const ExportTarget&) {
  Json c = base_config(l);
  for (const char* k : {"pool_size", "strides", "padding", "data_format"}) c[k] = lc.at(k);
  return c;
}

Json export_global_pooling(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["data_format"] = lc.at("data_format");
  c["keepdims"] = lc.at("keepdims");
  return c;
}

Json export_plain(const Layer& l, const Json&, const ExportTarget&) { return base_config(l); }

Json export_concatenate(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  c["axis"] = lc.at("axis");
  return c;
}

Json export_batch_normalization(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  for (const char* k : {"axis", "momentum", "epsilon", "center", "scale"}) c[k] = lc.at(k);
  for (const char* k :
       {"beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer"})
    c[k] = export_initializer(lc.at(k).get<std::string>());
  for (const char* k : {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"}) c[k] = nullptr;
  c["synchronized"] = false;
  return c;
}

Json export_layer_normalization(const Layer& l, const Json& lc, const ExportTarget& t) {
  Json c = base_config(l);
  for (const char* k : {"axis", "epsilon", "center", "scale", "rms_scaling"}) c[k] = lc.at(k);
  for (const char* k : {"beta_initializer", "gamma_initializer"})
    c[k] = export_initializer(lc.at(k).get<std::string>());
  for (const char* k : {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"}) c[k] = nullptr;
  return c;
}

// A registered Lambda is written as a reference to a Python function of that name, which
// Keras loads when given it: keras.saving.load_model(path, custom_objects={"name": fn}).
Json export_lambda(const Layer& l, const Json& lc, const ExportTarget& t) {
  if (!lc.at("function").is_string())
    throw ValueError({.problem = fmt::format(
                          "Lambda layer '{}' was made from a C++ callable, which a Keras file cannot hold", l.name()),
                      .expected = "a Lambda made from a registered name",
                      .found = "\"function\": null",
                      .hint = "register it (lamina::layers::register_lambda(\"my_fn\", fn)), create it as "
                              "Lambda(\"my_fn\"), and give Keras a Python function of that name: "
                              "load_model(path, custom_objects={\"my_fn\": my_fn})"});
  if (lc.at("mask") == "function")
    throw ValueError(
        {.problem = fmt::format("Lambda layer '{}' has a mask function, which a Keras file cannot hold", l.name()),
         .expected = "mask \"ops\" or \"drop\"",
         .found = "a mask function",
         .hint = "export the model without it"});
  Json c = base_config(l);
  const std::string fn = lc.at("function").get<std::string>();
  c["function"] = {{"module", "builtins"}, {"class_name", "function"}, {"config", fn}, {"registered_name", "function"}};
  c["arguments"] = Json::object();
  return c;
}

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

bool is_model_class(const std::string& cls) { return cls == "Sequential" || cls == "Functional" || cls == "Model"; }

}  // namespace

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
