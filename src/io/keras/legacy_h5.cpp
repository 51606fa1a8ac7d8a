// Legacy HDF5 model files (Keras 2, tf.keras, Keras 3's legacy writer): the model_config and
// training_config attributes, and model_weights/<layer>/<weight name> datasets listed by the
// (possibly chunked) layer_names / weight_names attributes.
#include <fmt/format.h>

#include <set>

#include "io/keras/hdf5.hpp"
#include "io/keras/legacy_config.hpp"
#include "io/keras/model.hpp"
#include "io/keras/training.hpp"
#include "io/keras/values.hpp"
#include "io/json_errors.hpp"
#include "lamina/core/error.hpp"
#include "lamina/io/atomic_file.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina::io {

namespace {

using keras::H5Reader;

// Keras 3's legacy writer keeps Keras 2's meanings (hard_sigmoid = clip(0.2x + 0.5)).
constexpr const char* kWrittenKerasVersion = "2.15.0";

[[noreturn]] void bad_h5(const H5Reader& h5, const std::string& problem, const std::string& expected,
                         const std::string& found, const std::string& hint = "") {
  throw ValueError({.problem = fmt::format("'{}' is not a usable Keras .h5 model: {}", h5.source(), problem),
                    .expected = expected,
                    .found = found,
                    .hint = hint.empty() ? "the file is damaged, or was not written by Keras's model.save" : hint});
}

void assign_legacy_weights(const Model& model, const H5Reader& h5, const std::string& root) {
  auto layer_names = h5.chunked_string_list_attr(root, "layer_names");
  std::set<std::string> in_file(layer_names.begin(), layer_names.end());
  std::set<std::string> used;
  std::vector<std::pair<Variable, Tensor>> pending;
  for (const auto& [name, vars] : keras::legacy_layer_weights(model)) {
    if (vars.empty()) continue;
    if (!in_file.count(name))
      bad_h5(h5, fmt::format("it has no weights for layer '{}'", name), fmt::format("'{}' in {}@layer_names", name, root),
             fmt::format("layers {}", fmt::join(layer_names, ", ")),
             "the weights were saved from another architecture, or with other layer names");
    used.insert(name);
    const std::string group = root.empty() ? name : root + "/" + name;
    if (!h5.has_group(group)) bad_h5(h5, fmt::format("layer '{}' has no group", name), "a group '" + group + "'", "nothing");
    auto weight_names = h5.chunked_string_list_attr(group, "weight_names");
    if (weight_names.size() != vars.size())
      bad_h5(h5, fmt::format("layer '{}' holds {} weights where the model has {}", name, weight_names.size(), vars.size()),
             fmt::format("{} weights", vars.size()), fmt::format("{}", fmt::join(weight_names, ", ")),
             "the weights were saved from a layer with other options (use_bias, reset_after, ...)");
    for (std::size_t i = 0; i < vars.size(); ++i) {
      const std::string path = group + "/" + weight_names[i];
      if (weight_names[i].empty() || !h5.has_dataset(path))
        bad_h5(h5, fmt::format("weight '{}' of layer '{}' is missing", weight_names[i], name), "a dataset at '" + path + "'",
               "nothing");
      pending.emplace_back(vars[i], keras::weight_value_for(vars[i], h5.dataset(path), h5.source(), path));
    }
  }
  // A layer with weights in the file that the model does not have: another architecture.
  for (const auto& name : layer_names) {
    if (used.count(name)) continue;
    const std::string group = root.empty() ? name : root + "/" + name;
    if (h5.has_group(group) && !h5.chunked_string_list_attr(group, "weight_names").empty())
      bad_h5(h5, fmt::format("it holds weights for layer '{}', which the model does not have", name),
             "weights for the model's layers only", name, "the file's config and weights disagree: it is damaged");
  }
  for (const auto& [var, value] : pending) var.assign(value);
}

Model decode_keras_h5_checked(std::string_view bytes, const std::string& source, KerasNotes* notes) {
  H5Reader h5(bytes, source);
  auto config_text = h5.string_attr("", "model_config");
  if (!config_text)
    bad_h5(h5, "it holds no model_config", "a file written by model.save (architecture and weights)",
           h5.has_group("model_weights") ? "a model_weights group only" : "weights only (model.save_weights)",
           "a weights-only file has no architecture: build the model in Lamina and call load_weights, or save the "
           "whole model in Keras");
  std::string version = h5.string_attr("", "keras_version").value_or("");
  if (version.empty() && h5.has_group("model_weights"))
    version = h5.string_attr("model_weights", "keras_version").value_or("");
  keras::ImportContext ctx = keras::make_context(source, version.empty() ? "2" : version);
  Json config = keras::parse_keras_json(*config_text, "model_config", source);
  keras::refuse_keras1(config, ctx);
  Model model = keras::import_model(config, ctx);
  assign_legacy_weights(model, h5, h5.has_group("model_weights") ? "model_weights" : "");
  if (auto training = h5.string_attr("", "training_config"))
    keras::import_training_config(model, keras::parse_keras_json(*training, "training_config", source), ctx, notes);
  if (h5.has_group("optimizer_weights") && notes)
    notes->push_back(fmt::format("'{}': the optimizer state of a legacy .h5 file is not loaded (Keras 2's optimizers "
                                 "stored it in layouts of their own); training starts with a fresh optimizer",
                                 source));
  return model;
}

}  // namespace

Model decode_keras_h5(std::string_view bytes, const std::string& source, KerasNotes* notes) {
  return json_errors_as_value_errors(source, [&] { return decode_keras_h5_checked(bytes, source, notes); });
}

Model load_keras_h5(const std::string& path, KerasNotes* notes) {
  std::string bytes = read_file(path);
  return decode_keras_h5(bytes, path, notes);
}

std::string encode_keras_h5(const Model& model) {
  Json config = keras::legacy_model_config(keras::export_model(model));
  keras::H5Writer h5;
  h5.string_attr("", "keras_version", kWrittenKerasVersion);
  h5.string_attr("", "backend", "tensorflow");
  h5.string_attr("", "model_config", config.dump());
  Json compile = keras::export_compile_config(model);
  if (!compile.is_null()) {
    Json training{{"loss", keras::legacy_value(compile["loss"])},
                  {"metrics", keras::legacy_value(compile["metrics"])},
                  {"weighted_metrics", keras::legacy_value(compile["weighted_metrics"])},
                  {"loss_weights", compile["loss_weights"]},
                  {"optimizer_config", {{"class_name", compile["optimizer"]["class_name"]},
                                        {"config", compile["optimizer"]["config"]}}}};
    h5.string_attr("", "training_config", training.dump());
  }
  h5.group("model_weights");
  std::vector<std::string> names;
  for (const auto& e : keras::keras_layers(model)) names.push_back(e.name);
  h5.chunked_string_list_attr("model_weights", "layer_names", names);
  h5.string_attr("model_weights", "backend", "tensorflow");
  h5.string_attr("model_weights", "keras_version", kWrittenKerasVersion);
  std::map<std::string, std::vector<Variable>> weights;
  for (auto& [name, vars] : keras::legacy_layer_weights(model)) weights[name] = vars;
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());  // Keras writes the groups in name order
  for (const auto& name : sorted) {
    const std::string group = "model_weights/" + name;
    h5.group(group);
    std::vector<std::string> weight_names;
    for (const auto& v : weights[name]) {
      weight_names.push_back(v.name());
      h5.dataset(group + "/" + v.name(), v.value());
    }
    h5.chunked_string_list_attr(group, "weight_names", weight_names);
  }
  h5.group("model_weights/top_level_model_weights");
  h5.chunked_string_list_attr("model_weights/top_level_model_weights", "weight_names", {});
  return h5.bytes();
}

void save_keras_h5(const Model& model, const std::string& path) { write_file_atomic(path, encode_keras_h5(model)); }

}  // namespace lamina::io
