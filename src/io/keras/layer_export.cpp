// Lamina layers -> the configs Keras 3 writes, one exporter per class; the table in
// layers.cpp says which class each serves.
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


}  // namespace lamina::io::keras::layer_io
