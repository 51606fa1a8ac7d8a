// Model::save, lm::load_model, save_weights/load_weights and training checkpoints, all one
// safetensors file each (docs/file-format.md).
#include "lamina/io/model_file.hpp"

#include <fmt/format.h>

#include <set>

#include <zlib.h>

#include "io/json_errors.hpp"
#include "lamina/core/error.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/io/safetensors.hpp"
#include "lamina/layers/lambda.hpp"
#include "lamina/layers/registry.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina::io {

namespace {

constexpr const char* kFormat = "lamina.format";
constexpr const char* kModelFormat = "lamina.model";
constexpr const char* kWeightsFormat = "lamina.weights";
constexpr const char* kVersion = "1";
constexpr const char* kChecksum = "lamina.checksum";

// CRC-32 over everything the file says -- metadata (but the checksum), tensor names, dtypes,
// shapes and bytes -- so that a damaged file is refused instead of loading different numbers.
std::string checksum(const Metadata& meta, const std::vector<NamedTensor>& tensors) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto feed = [&](const void* p, std::size_t n) {
    const auto* bytes = static_cast<const Bytef*>(p);
    while (n > 0) {  // crc32 takes a 32-bit length
      auto chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
      crc = crc32(crc, bytes, chunk);
      bytes += chunk;
      n -= chunk;
    }
  };
  auto feed_text = [&](const std::string& s) { feed(s.c_str(), s.size() + 1); };
  for (const auto& [k, v] : meta) {
    if (k == kChecksum) continue;
    feed_text(k);
    feed_text(v);
  }
  for (const auto& t : tensors) {
    feed_text(t.name);
    feed_text(std::string(dtype_name(t.value.dtype())) + t.value.shape().str());
    feed(t.value.raw_data(), static_cast<std::size_t>(t.value.numel()) * itemsize(t.value.dtype()));
  }
  return fmt::format("{:08x}", static_cast<std::uint32_t>(crc));
}

void write_file(const std::string& path, const std::vector<NamedTensor>& tensors, Metadata meta) {
  meta[kChecksum] = checksum(meta, tensors);
  save_safetensors(path, tensors, meta);
}

TensorFile read_file_checked(const std::string& path) {
  TensorFile file = load_safetensors(path);
  auto it = file.metadata.find(kChecksum);
  if (it != file.metadata.end() && it->second != checksum(file.metadata, file.tensors))
    throw ValueError({.problem = fmt::format("'{}' is damaged: its checksum does not match its contents", path),
                      .expected = "checksum " + it->second,
                      .found = "checksum " + checksum(file.metadata, file.tensors),
                      .hint = "the file was changed or corrupted after it was written; use another copy"});
  return file;
}

[[noreturn]] void bad_file(const std::string& path, const std::string& problem, const std::string& found,
                           const std::string& hint = "") {
  throw ValueError({.problem = fmt::format("'{}' is not a usable Lamina file: {}", path, problem),
                    .expected = "a file written by Model::save or Model::save_weights",
                    .found = found,
                    .hint = hint.empty() ? "save the model again; the file may be damaged or from another program"
                                         : hint});
}

// Before writing: every layer must be rebuildable from its config, or the file would save
// fine and fail to load later -- the late failure Lamina exists to prevent.
void check_rebuildable(const Json& config) {
  if (!config.is_object()) return;
  const std::string type = config.value("type", std::string());
  if (type == "Lambda" && config.contains("function") && config["function"].is_null())
    throw ValueError({.problem = fmt::format("Lambda layer '{}' was made from a callable, which a file cannot hold",
                                             config.value("name", std::string())),
                      .expected = "Lambdas made from a registered name",
                      .found = "\"function\": null",
                      .hint = "register the function, lamina::layers::register_lambda(\"my_fn\", fn), and create the "
                              "layer as Lambda(\"my_fn\"); files record the name, never code"});
  auto types = layers::registered_layer_types();
  if (!type.empty() && !std::binary_search(types.begin(), types.end(), type))
    throw ValueError({.problem = fmt::format("layer type '{}' is not registered, so a file could not rebuild it", type),
                      .expected = "built-in layers, or custom types added with register_layer",
                      .found = fmt::format("layer '{}' of type '{}'", config.value("name", std::string()), type),
                      .hint = fmt::format("call lamina::layers::register_layer(\"{}\", factory) before saving and "
                                          "before loading",
                                          type)});
  for (const auto& [key, value] : config.items()) {
    if (value.is_object()) check_rebuildable(value);
    if (value.is_array())
      for (const auto& v : value) check_rebuildable(v);
  }
}

// "weights/<variable name>" for every weight, checking the names are unique.
std::vector<NamedTensor> weight_tensors(const Model& model) {
  std::vector<NamedTensor> out;
  std::set<std::string> seen;
  for (const auto& w : model.weights()) {
    std::string key = "weights/" + w.name();
    if (!seen.insert(key).second)
      throw ValueError({.problem = fmt::format("two weights of model '{}' are both named '{}'", model.name(), w.name()),
                        .expected = "unique weight names (files store weights by name)",
                        .found = fmt::format("'{}' twice", w.name()),
                        .hint = "give the layers unique names (nested models may reuse a layer name)"});
    out.push_back({key, w.value().without_mask()});
  }
  return out;
}

std::vector<NamedTensor> optimizer_tensors(const Model& model) {
  std::vector<NamedTensor> out;
  auto opt = model.optimizer();
  if (!opt || !opt->built()) return out;
  auto vars = opt->variables();
  for (std::size_t i = 0; i < vars.size(); ++i) out.push_back({fmt::format("optimizer/{}", i), vars[i].value()});
  return out;
}

Metadata model_metadata(const Model& model, const char* format) {
  Json config = model->get_config();
  check_rebuildable(config);
  Metadata meta{{kFormat, format}, {"lamina.format_version", kVersion}, {"lamina.model_config", config.dump()}};
  if (model.compiled()) meta["lamina.compile_config"] = model.get_compile_config().dump();
  if (!model->assets().empty()) meta["lamina.assets"] = Json(model->assets()).dump();
  if (auto opt = model.optimizer(); opt && opt->built()) {
    Json names = Json::array();
    for (const auto& v : opt->variables()) names.push_back(v.name());
    meta["lamina.optimizer_variables"] = names.dump();
  }
  return meta;
}

Json parse_json(const std::string& path, const Metadata& meta, const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end()) bad_file(path, fmt::format("the metadata has no '{}'", key), "no such entry");
  Json j = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad_file(path, fmt::format("metadata '{}' is not valid JSON", key), it->second.substr(0, 120));
  return j;
}

void check_format(const std::string& path, const TensorFile& file, std::initializer_list<const char*> accepted) {
  auto it = file.metadata.find(kFormat);
  if (it == file.metadata.end())
    bad_file(path, "it is a safetensors file without Lamina's metadata", "no 'lamina.format' entry",
             "Lamina reads files it wrote; convert other files with `lamina convert`");
  for (const char* a : accepted)
    if (it->second == a) return;
  bad_file(path, fmt::format("it holds '{}'", it->second), it->second,
           "load_model reads full model files (Model::save); load_weights reads either kind");
}

// Assigns file tensors to variables by key, after checking every one; nothing is assigned on error.
void assign_by_name(const std::string& path, const std::vector<std::pair<std::string, Variable>>& targets,
                    const std::map<std::string, Tensor>& tensors, const char* what) {
  std::vector<std::string> missing;
  for (const auto& [key, var] : targets) {
    auto it = tensors.find(key);
    if (it == tensors.end()) {
      missing.push_back("'" + var.name() + "'");
      continue;
    }
    const Tensor& t = it->second;
    if (t.shape() != var.shape())
      throw ShapeError({.problem = fmt::format("{} '{}' in '{}' does not fit the model", what, var.name(), path),
                        .expected = var.shape().str(),
                        .found = t.shape().str(),
                        .hint = "the file was saved from a model with other layer sizes"});
    if (t.dtype() != var.dtype())
      throw DTypeError({.problem = fmt::format("{} '{}' in '{}' has another dtype", what, var.name(), path),
                        .expected = std::string(dtype_name(var.dtype())),
                        .found = std::string(dtype_name(t.dtype())),
                        .hint = "the file was saved from a model with other dtypes"});
  }
  if (!missing.empty())
    throw ValueError({.problem = fmt::format("'{}' has no value for {} {}", path, missing.size(), what),
                      .expected = "a value for every weight of the model, by name",
                      .found = fmt::format("missing: {}", fmt::join(missing, ", ")),
                      .hint = "the file was saved from another architecture, or with other layer names"});
  for (const auto& [key, var] : targets) var.assign(tensors.at(key));
}

std::map<std::string, Tensor> by_key(const TensorFile& file) {
  std::map<std::string, Tensor> out;
  for (const auto& t : file.tensors) out[t.name] = t.value;
  return out;
}

void check_no_extra_weights(const std::string& path, const TensorFile& file, const Model& model) {
  std::set<std::string> known;
  for (const auto& w : model.weights()) known.insert("weights/" + w.name());
  std::vector<std::string> extra;
  for (const auto& t : file.tensors)
    if (t.name.rfind("weights/", 0) == 0 && !known.count(t.name)) extra.push_back("'" + t.name.substr(8) + "'");
  if (!extra.empty())
    throw ValueError({.problem = fmt::format("'{}' holds weights the model does not have", path),
                      .expected = "exactly the model's weights, by name",
                      .found = fmt::format("extra: {}", fmt::join(extra, ", ")),
                      .hint = "the file was saved from another architecture, or with other layer names"});
}

std::vector<std::pair<std::string, Variable>> weight_targets(const Model& model) {
  std::vector<std::pair<std::string, Variable>> targets;
  for (const auto& w : model.weights()) targets.push_back({"weights/" + w.name(), w});
  return targets;
}

// The optimizer's variables (built for the model's trainable weights), when the file has its state.
std::vector<std::pair<std::string, Variable>> optimizer_targets(const std::string& path, const TensorFile& file,
                                                                const Model& model) {
  std::vector<std::pair<std::string, Variable>> targets;
  auto opt = model.optimizer();
  auto tensors = by_key(file);
  if (!opt || !tensors.count("optimizer/0")) return targets;
  opt->build(model.trainable_weights());
  auto vars = opt->variables();
  if (tensors.count(fmt::format("optimizer/{}", vars.size())))
    bad_file(path, "it holds more optimizer state than the model's optimizer has",
             fmt::format("more than {} optimizer variables", vars.size()),
             "the file was saved with another optimizer; compile with the same one to resume");
  for (std::size_t i = 0; i < vars.size(); ++i) targets.push_back({fmt::format("optimizer/{}", i), vars[i]});
  return targets;
}

// Weights (and optimizer state, when `with_optimizer`) all checked, then all assigned.
void restore(const std::string& path, const TensorFile& file, const Model& model, bool with_optimizer) {
  check_no_extra_weights(path, file, model);
  auto targets = weight_targets(model);
  if (with_optimizer) {
    auto opt = optimizer_targets(path, file, model);
    targets.insert(targets.end(), opt.begin(), opt.end());
  }
  assign_by_name(path, targets, by_key(file), "weight");
}

}  // namespace

void save_checkpoint(const Model& model, const std::string& path, const Metadata& extra) {
  auto tensors = weight_tensors(model);
  auto opt = optimizer_tensors(model);
  tensors.insert(tensors.end(), opt.begin(), opt.end());
  Metadata meta = model_metadata(model, kModelFormat);
  for (const auto& [k, v] : extra) meta[k] = v;
  write_file(path, tensors, meta);
}

Metadata restore_checkpoint(const Model& model, const std::string& path) {
  TensorFile file = read_file_checked(path);
  check_format(path, file, {kModelFormat});
  restore(path, file, model, /*with_optimizer=*/true);
  return file.metadata;
}

Json read_model_config(const std::string& path) {
  TensorFile file = read_safetensors_header(path);
  check_format(path, file, {kModelFormat});
  return parse_json(path, file.metadata, "lamina.model_config");
}

}  // namespace lamina::io

namespace lamina {

// ".keras" and ".h5" paths write Keras's formats (lamina/io/keras.hpp); others Lamina's own.
void Model::save(const std::string& path) const {
  switch (io::model_file_kind_for(path)) {
    case io::ModelFileKind::Keras: return io::save_keras(*this, path);
    case io::ModelFileKind::KerasH5: return io::save_keras_h5(*this, path);
    case io::ModelFileKind::Lamina: return io::save_checkpoint(*this, path);
  }
}

void Model::save_weights(const std::string& path) const {
  io::write_file(path, io::weight_tensors(*this),
                 {{io::kFormat, io::kWeightsFormat}, {"lamina.format_version", io::kVersion}});
}

void Model::load_weights(const std::string& path) const {
  io::TensorFile file = io::read_file_checked(path);
  io::check_format(path, file, {io::kModelFormat, io::kWeightsFormat});
  io::restore(path, file, *this, /*with_optimizer=*/false);
}

Model load_model(const std::string& path) {
  // Keras files are recognised by their first bytes, whatever their extension.
  switch (io::sniff_model_file(path)) {
    case io::ModelFileKind::Keras: return io::load_keras(path);
    case io::ModelFileKind::KerasH5: return io::load_keras_h5(path);
    case io::ModelFileKind::Lamina: break;
  }
  return io::json_errors_as_value_errors(path, [&] {
    io::TensorFile file = io::read_file_checked(path);
    io::check_format(path, file, {io::kModelFormat});
    Json config = io::parse_json(path, file.metadata, "lamina.model_config");
    Model model;
    try {
      model = model_from_config(config);
    } catch (const Error& e) {
      rethrow_with_note(e, fmt::format("while rebuilding the model saved in '{}'", path));
    }
    if (file.metadata.count("lamina.compile_config")) {
      Json compile = io::parse_json(path, file.metadata, "lamina.compile_config");
      if (!compile.is_null()) model.compile_from_config(compile);
    }
    if (file.metadata.count("lamina.assets")) {
      Json assets = io::parse_json(path, file.metadata, "lamina.assets");
      if (!assets.is_object()) io::bad_file(path, "'lamina.assets' is not an object", assets.dump().substr(0, 120));
      for (const auto& [key, value] : assets.items()) model->assets()[key] = value;
    }
    io::restore(path, file, model, /*with_optimizer=*/true);
    return model;
  });
}

}  // namespace lamina
