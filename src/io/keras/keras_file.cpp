// The `.keras` format: zip(metadata.json, config.json, model.weights.h5), read and written.
#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "io/json_errors.hpp"
#include "io/keras/hdf5.hpp"
#include "io/keras/model.hpp"
#include "io/keras/training.hpp"
#include "io/keras/values.hpp"
#include "io/keras/zip_archive.hpp"
#include "lamina/core/error.hpp"
#include "lamina/io/atomic_file.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina::io {

namespace {

using keras::H5Reader;

constexpr const char* kConfig = "config.json";
constexpr const char* kMetadata = "metadata.json";
constexpr const char* kWeights = "model.weights.h5";
// The format version written: Keras 3's `.keras` layout (no Keras reads metadata.json).
constexpr const char* kWrittenKerasVersion = "3.6.0";

std::string vars_path(const std::string& path) { return path.empty() ? "vars" : path + "/vars"; }

// tf.keras 2.13-2.15 stored layers under "_layer_checkpoint_dependencies" (Keras 3's
// H5IOStore falls back the same way).
std::string find_vars_group(const H5Reader& h5, const std::string& path) {
  std::string p = vars_path(path);
  if (h5.has_group(p)) return p;
  std::string legacy = p;
  for (std::size_t at = legacy.find("layers"); at != std::string::npos; at = legacy.find("layers", at + 30))
    legacy.replace(at, 6, "_layer_checkpoint_dependencies");
  if (h5.has_group(legacy)) return legacy;
  return "";
}

// The datasets "0", "1", ... of a vars group, exactly `n` of them.
std::vector<Tensor> read_vars(const H5Reader& h5, const std::string& group, std::size_t n, const std::string& what) {
  auto names = h5.children(group);
  if (names.size() != n)
    throw ValueError({.problem = fmt::format("'{}' holds {} values for {} at '{}', which has {}", h5.source(), names.size(),
                                             what, group, n),
                      .expected = fmt::format("{} datasets named 0..{}", n, n == 0 ? 0 : n - 1),
                      .found = fmt::format("{} entries", names.size()),
                      .hint = "the file was saved from another architecture, or is damaged"});
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string p = fmt::format("{}/{}", group, i);
    if (!h5.has_dataset(p))
      throw ValueError({.problem = fmt::format("'{}' has no dataset '{}' for {}", h5.source(), p, what),
                        .expected = "datasets named 0, 1, ... in each vars group",
                        .found = fmt::format("entries {}", fmt::join(names, ", ")),
                        .hint = "the file is damaged"});
    out.push_back(h5.dataset(p));
  }
  return out;
}

void assign_weights(const Model& model, const H5Reader& h5) {
  std::vector<std::pair<Variable, Tensor>> pending;
  keras::walk_keras3_vars(model, "", [&](const std::string& path, const std::string& name,
                                         const std::vector<Variable>& vars) {
    if (vars.empty()) return;
    std::string group = find_vars_group(h5, path);
    if (group.empty())
      throw ValueError({.problem = fmt::format("'{}' has no weights for '{}'", h5.source(), name),
                        .expected = fmt::format("a group '{}' with {} datasets", vars_path(path), vars.size()),
                        .found = "no such group",
                        .hint = "the weights were saved from another architecture, or the file is damaged"});
    auto values = read_vars(h5, group, vars.size(), "'" + name + "'");
    for (std::size_t i = 0; i < vars.size(); ++i)
      pending.emplace_back(vars[i], keras::weight_value_for(vars[i], values[i], h5.source(), fmt::format("{}/{}", group, i)));
  });
  for (const auto& [var, value] : pending) var.assign(value);
}

// Keras 3 stores iterations, the learning rate (unless a schedule drives it), then the slots.
void assign_optimizer(const Model& model, const H5Reader& h5, const keras::ImportContext& ctx, KerasNotes* notes) {
  const std::string group = h5.has_group("optimizer/vars") ? "optimizer/vars" : "";
  if (group.empty()) return;
  if (!model.compiled()) {
    if (notes) notes->push_back(fmt::format("'{}': the optimizer state was not loaded (the model is not compiled)", ctx.source));
    return;
  }
  auto vars = keras::keras_optimizer_variables(model);
  const std::size_t stored = h5.children(group).size();
  std::size_t base = model.optimizer()->schedule() ? 1 : 2;
  // Keras 3 stores [iterations, learning_rate, slots...]; tf.keras 2.13-2.15 [iteration,
  // slots...], its learning rate not being one of the optimizer's variables.
  if (ctx.keras_major < 3 && base == 2) {
    vars.erase(vars.begin() + 1);
    base = 1;
  }
  // A model compiled but never trained stores only iterations and the learning rate.
  const std::size_t n = stored == base && vars.size() > base ? base : vars.size();
  auto values = read_vars(h5, group, n, "the optimizer's variables");
  std::vector<std::pair<Variable, Tensor>> pending;
  for (std::size_t i = 0; i < n; ++i)
    pending.emplace_back(vars[i], keras::weight_value_for(vars[i], values[i], h5.source(), fmt::format("{}/{}", group, i)));
  for (const auto& [var, value] : pending) var.assign(value);
}

std::string date_saved() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

Model decode_keras_checked(std::string_view bytes, const std::string& source, KerasNotes* notes) {
  keras::ZipReader zip(bytes, source);
  std::string version = "3";
  if (zip.has(kMetadata)) {
    Json meta = keras::parse_keras_json(zip.read(kMetadata), "metadata.json", source);
    if (meta.is_object() && meta.contains("keras_version") && meta["keras_version"].is_string())
      version = meta["keras_version"].get<std::string>();
  }
  keras::ImportContext ctx = keras::make_context(source, version);
  Json config = keras::parse_keras_json(zip.read(kConfig), "config.json", source);
  keras::refuse_keras1(config, ctx);
  Model model = keras::import_model(config, ctx);
  if (!zip.has(kWeights)) {
    if (zip.has("model.weights.npz"))
      throw ValueError({.problem = fmt::format("'{}' stores its weights as model.weights.npz", source),
                        .expected = "model.weights.h5 (Keras's default)",
                        .found = "model.weights.npz",
                        .hint = "save it again with Keras's default weights_format=\"h5\""});
    zip.read(kWeights);  // the error listing the members
  }
  H5Reader h5(zip.read(kWeights), source + ":" + kWeights);
  assign_weights(model, h5);
  if (config.contains("compile_config") && !config["compile_config"].is_null())
    keras::import_compile_config(model, config["compile_config"], ctx, notes);
  assign_optimizer(model, h5, ctx, notes);
  return model;
}

}  // namespace

Model decode_keras(std::string_view bytes, const std::string& source, KerasNotes* notes) {
  return json_errors_as_value_errors(source, [&] { return decode_keras_checked(bytes, source, notes); });
}

Model load_keras(const std::string& path, KerasNotes* notes) {
  std::string bytes = read_file(path);
  return decode_keras(bytes, path, notes);
}

std::string encode_keras(const Model& model) {
  Json config = keras::export_model(model);
  Json compile = keras::export_compile_config(model);
  if (!compile.is_null()) config["compile_config"] = compile;
  keras::H5Writer h5;
  keras::walk_keras3_vars(model, "", [&](const std::string& path, const std::string& name,
                                         const std::vector<Variable>& vars) {
    const std::string group = vars_path(path);
    h5.group(group);
    h5.string_attr(group, "name", name);
    for (std::size_t i = 0; i < vars.size(); ++i) h5.dataset(fmt::format("{}/{}", group, i), vars[i].value());
  });
  if (auto opt = model.optimizer()) {
    std::vector<Variable> vars;
    if (opt->built()) vars = keras::keras_optimizer_variables(model);
    else vars = opt->variables();  // iterations and the learning rate
    h5.group("optimizer/vars");
    h5.string_attr("optimizer/vars", "name", opt->name());
    for (std::size_t i = 0; i < vars.size(); ++i) h5.dataset(fmt::format("optimizer/vars/{}", i), vars[i].value());
  }
  Json metadata{{"keras_version", kWrittenKerasVersion}, {"date_saved", date_saved()}};
  return keras::write_zip({{kMetadata, metadata.dump()}, {kConfig, config.dump()}, {kWeights, h5.bytes()}});
}

void save_keras(const Model& model, const std::string& path) { write_file_atomic(path, encode_keras(model)); }

}  // namespace lamina::io
