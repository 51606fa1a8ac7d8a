// KerasConfig and the translation of activations, initializers and dtype policies.
#include "io/keras/values.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"

namespace lamina::io::keras {

std::string short_json(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 160 ? s.substr(0, 157) + "..." : s;
}

namespace {
const Json& checked_inner(const Json& serialized, const ImportContext& ctx) { return keras_inner_config(serialized, ctx); }
}  // namespace

KerasConfig::KerasConfig(const Json& serialized, const ImportContext& ctx)
    : config_(checked_inner(serialized, ctx)), ctx_(ctx), class_name_(keras_class_name(serialized)) {
  if (class_name_.empty())
    throw ValueError({.problem = fmt::format("a layer in the Keras config of '{}' has no class_name", ctx.source),
                      .expected = R"({"class_name": "Dense", "config": {...}})",
                      .found = short_json(serialized),
                      .hint = "the file is damaged or was not written by Keras"});
  auto it = config_.find("name");
  if (it != config_.end() && !it->is_string()) fail("name", "is not a string", "a layer name");
  name_ = it != config_.end() ? it->get<std::string>() : "";
  if (name_.empty() && serialized.contains("name") && serialized["name"].is_string())
    name_ = serialized["name"].get<std::string>();
}

void KerasConfig::fail(const std::string& key, const std::string& problem, const std::string& expected,
                       const std::string& hint) const {
  auto it = config_.find(key);
  throw ValueError({.problem = fmt::format("layer '{}' ({}) in '{}': field '{}' {}", name_, class_name_, ctx_.source,
                                           key, problem),
                    .expected = expected,
                    .found = it == config_.end() ? "no such field" : short_json(*it),
                    .hint = hint.empty() ? "the file is damaged or was written by a Keras version Lamina does not read"
                                         : hint});
}

bool KerasConfig::has(const std::string& key) const {
  auto it = config_.find(key);
  return it != config_.end() && !it->is_null();
}

const Json& KerasConfig::at(const std::string& key) const {
  auto it = config_.find(key);
  if (it == config_.end()) fail(key, "is missing", "the field, as Keras writes it");
  return *it;
}

std::int64_t KerasConfig::integer(const std::string& key, std::optional<std::int64_t> def) const {
  if (!has(key)) {
    if (def) return *def;
    fail(key, "is missing", "an integer");
  }
  const Json& v = at(key);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  }
  fail(key, "is not an integer", "an integer");
}

double KerasConfig::number(const std::string& key, std::optional<double> def) const {
  if (!has(key)) {
    if (def) return *def;
    fail(key, "is missing", "a number");
  }
  const Json& v = at(key);
  if (!v.is_number()) fail(key, "is not a number", "a number");
  return v.get<double>();
}

bool KerasConfig::boolean(const std::string& key, std::optional<bool> def) const {
  if (!has(key)) {
    if (def) return *def;
    fail(key, "is missing", "true or false");
  }
  const Json& v = at(key);
  if (!v.is_boolean()) fail(key, "is not a boolean", "true or false");
  return v.get<bool>();
}

std::string KerasConfig::string(const std::string& key, std::optional<std::string> def) const {
  if (!has(key)) {
    if (def) return *def;
    fail(key, "is missing", "a string");
  }
  const Json& v = at(key);
  if (!v.is_string()) fail(key, "is not a string", "a string");
  return v.get<std::string>();
}

std::vector<std::int64_t> KerasConfig::integers(const std::string& key) const {
  const Json& v = at(key);
  if (!v.is_array() || v.size() > 64) fail(key, "is not a list of integers", "a list of integers");
  std::vector<std::int64_t> out;
  for (const auto& x : v) {
    if (!x.is_number_integer()) fail(key, "is not a list of integers", "a list of integers");
    out.push_back(x.get<std::int64_t>());
  }
  return out;
}

ActivationSpec KerasConfig::activation(const std::string& key, const std::string& def) const {
  std::string name = def;
  if (contains(key)) {
    const Json& v = at(key);
    if (v.is_null())
      name = "linear";
    else if (v.is_string())
      name = v.get<std::string>();
    else if (v.is_object() && v.contains("config") && v["config"].is_string())
      name = v["config"].get<std::string>();  // Keras 3: {"class_name": "function", "config": "relu"}
    else
      fail(key, "is not an activation name", "a name such as \"relu\"");
  }
  // The one activation whose meaning changed: Keras 2 clip(0.2x + 0.5), Keras 3 relu6(x + 3) / 6.
  if (name == "hard_sigmoid" && ctx_.keras_major < 3) name = "hard_sigmoid_keras2";
  try {
    return ActivationSpec(name);
  } catch (const ValueError& e) {
    fail(key, "names an activation Lamina does not have", e.details().expected,
         "register the model's activation under a Lamina name, or rebuild the layer with a built-in one");
  }
}

namespace {
double param(const Json& cfg, const char* key, double def) {
  if (!cfg.is_object() || !cfg.contains(key) || !cfg[key].is_number()) return def;
  return cfg[key].get<double>();
}
std::string param_s(const Json& cfg, const char* key, const char* def) {
  if (!cfg.is_object() || !cfg.contains(key) || !cfg[key].is_string()) return def;
  return cfg[key].get<std::string>();
}
}  // namespace

InitializerSpec KerasConfig::initializer(const std::string& key, const std::string& def) const {
  if (!has(key)) return InitializerSpec(def);
  const Json& v = at(key);
  std::string cls;
  Json cfg = Json::object();
  if (v.is_string()) {
    cls = v.get<std::string>();
  } else if (v.is_object() && v.contains("class_name") && v["class_name"].is_string()) {
    cls = v["class_name"].get<std::string>();
    if (v.contains("config")) cfg = v["config"];
  } else {
    fail(key, "is not an initializer", "a name or {\"class_name\": ..., \"config\": ...}");
  }
  auto close = [](double a, double b) { return std::fabs(a - b) < 1e-9; };
  std::string lamina;
  if (cls == "GlorotUniform" || cls == "glorot_uniform") lamina = "glorot_uniform";
  else if (cls == "GlorotNormal" || cls == "glorot_normal") lamina = "glorot_normal";
  else if (cls == "HeNormal" || cls == "he_normal") lamina = "he_normal";
  else if (cls == "HeUniform" || cls == "he_uniform") lamina = "he_uniform";
  else if (cls == "LecunNormal" || cls == "lecun_normal") lamina = "lecun_normal";
  else if (cls == "Zeros" || cls == "zeros" || cls == "Zero") lamina = "zeros";
  else if (cls == "Ones" || cls == "ones" || cls == "One") lamina = "ones";
  else if ((cls == "Orthogonal" || cls == "orthogonal") && close(param(cfg, "gain", 1.0), 1.0)) lamina = "orthogonal";
  else if ((cls == "RandomUniform" || cls == "random_uniform" || cls == "uniform") &&
           close(param(cfg, "minval", -0.05), -0.05) && close(param(cfg, "maxval", 0.05), 0.05))
    lamina = "random_uniform";
  else if ((cls == "RandomNormal" || cls == "random_normal") && close(param(cfg, "mean", 0), 0) &&
           close(param(cfg, "stddev", 0.05), 0.05))
    lamina = "random_normal";
  else if ((cls == "TruncatedNormal" || cls == "truncated_normal") && close(param(cfg, "mean", 0), 0) &&
           close(param(cfg, "stddev", 0.05), 0.05))
    lamina = "truncated_normal";
  else if (cls == "VarianceScaling") {
    const double scale = param(cfg, "scale", 1.0);
    const std::string mode = param_s(cfg, "mode", "fan_in"), dist = param_s(cfg, "distribution", "truncated_normal");
    const bool normal = dist == "truncated_normal" || dist == "normal";
    if (close(scale, 1.0) && mode == "fan_avg") lamina = dist == "uniform" ? "glorot_uniform" : normal ? "glorot_normal" : "";
    else if (close(scale, 2.0) && mode == "fan_in") lamina = dist == "uniform" ? "he_uniform" : normal ? "he_normal" : "";
    else if (close(scale, 1.0) && mode == "fan_in" && normal) lamina = "lecun_normal";
  }
  return InitializerSpec(lamina.empty() ? def : lamina);
}

void KerasConfig::refuse_true(const std::string& key, const std::string& why, const std::string& hint) const {
  if (has(key) && at(key).is_boolean() && at(key).get<bool>()) fail(key, "is true: " + why, "false", hint);
}

void KerasConfig::check_dtype() const {
  if (!has("dtype")) return;
  const Json& v = at("dtype");
  std::string name;
  if (v.is_string())
    name = v.get<std::string>();
  else if (v.is_object() && v.contains("config") && v["config"].is_object() && v["config"].contains("name") &&
           v["config"]["name"].is_string())
    name = v["config"]["name"].get<std::string>();
  else
    fail("dtype", "is not a dtype policy", "\"float32\" or a DTypePolicy");
  if (name != "float32" && name != "mixed_float16" && name != "mixed_bfloat16")
    fail("dtype", "is a dtype policy Lamina does not import", "\"float32\" (or a mixed policy, whose weights are float32)",
         "Lamina computes imported layers in float32; re-save the model with dtype float32");
}

Json dtype_policy_json(const std::string& name) {
  return Json{{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", {{"name", name}}}, {"registered_name", nullptr}};
}

Json export_activation(const std::string& lamina_name, const Layer& layer, const ExportTarget& target) {
  if (target.keras_major < 3) {
    if (lamina_name == "hard_sigmoid_keras2") return "hard_sigmoid";
    if (lamina_name == "hard_sigmoid" || lamina_name == "hard_silu" || lamina_name == "hard_swish")
      throw ValueError({.problem = fmt::format("layer '{}' ({}) uses Keras 3's {}, which a Keras 2 file cannot name",
                                               layer.name(), layer.type(), lamina_name),
                        .expected = "activations with the same meaning in Keras 2 (there hard_sigmoid is clip(0.2 x + "
                                    "0.5, 0, 1))",
                        .found = lamina_name + " built on relu6(x + 3) / 6",
                        .hint = "write a .keras file instead"});
  }
  if (lamina_name == "hard_sigmoid_keras2")
    throw ValueError({.problem = fmt::format("layer '{}' ({}) uses Keras 2's hard_sigmoid, which Keras 3 does not have",
                                             layer.name(), layer.type()),
                      .expected = "activations Keras 3 has (its hard_sigmoid is relu6(x + 3) / 6)",
                      .found = "hard_sigmoid_keras2 = clip(0.2 x + 0.5, 0, 1)",
                      .hint = "write a legacy .h5 file instead (it keeps Keras 2's meaning), or keep the model in "
                              "Lamina's format"});
  if (lamina_name == "custom" || lamina_name.empty())
    throw ValueError({.problem = fmt::format("layer '{}' ({}) has an activation given as a C++ callable", layer.name(),
                                             layer.type()),
                      .expected = "an activation given by name",
                      .found = "a callable",
                      .hint = "use a built-in activation name; Keras files hold names, never code"});
  return lamina_name;
}

Json export_initializer(const std::string& lamina_name) {
  struct Entry {
    const char* lamina;
    const char* keras;
    Json config;
  };
  static const std::vector<Entry> table = {
      {"zeros", "Zeros", Json::object()},
      {"ones", "Ones", Json::object()},
      {"glorot_uniform", "GlorotUniform", {{"seed", nullptr}}},
      {"glorot_normal", "GlorotNormal", {{"seed", nullptr}}},
      {"he_normal", "HeNormal", {{"seed", nullptr}}},
      {"he_uniform", "HeUniform", {{"seed", nullptr}}},
      {"lecun_normal", "LecunNormal", {{"seed", nullptr}}},
      {"orthogonal", "Orthogonal", {{"seed", nullptr}, {"gain", 1.0}}},
      {"random_uniform", "RandomUniform", {{"seed", nullptr}, {"minval", -0.05}, {"maxval", 0.05}}},
      {"uniform", "RandomUniform", {{"seed", nullptr}, {"minval", -0.05}, {"maxval", 0.05}}},
      {"random_normal", "RandomNormal", {{"seed", nullptr}, {"mean", 0.0}, {"stddev", 0.05}}},
      {"truncated_normal", "TruncatedNormal", {{"seed", nullptr}, {"mean", 0.0}, {"stddev", 0.05}}},
  };
  const Entry* e = &table[2];  // a callable ("custom") is written as Keras's usual default
  for (const auto& t : table)
    if (lamina_name == t.lamina) e = &t;
  return Json{{"module", "keras.initializers"}, {"class_name", e->keras}, {"config", e->config}, {"registered_name", nullptr}};
}

std::optional<std::string> python_function_name(const Json& c) {
  if (!c.is_object() || !c.contains("function")) return std::nullopt;
  const Json& f = c["function"];
  if (f.is_object() && f.value("class_name", std::string()) == "function" && f.contains("config") && f["config"].is_string())
    return f["config"].get<std::string>();
  if (f.is_string() && c.value("function_type", std::string()) == "function") return f.get<std::string>();
  return std::nullopt;
}

}  // namespace lamina::io::keras

namespace lamina::io::keras {

Json parse_keras_json(std::string_view text, const std::string& what, const std::string& source) {
  constexpr int kMaxDepth = 200;  // Keras configs nest a few dozen levels; the parser recurses
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') in_string = true;
    else if (ch == '{' || ch == '[') {
      if (++depth > kMaxDepth)
        throw ValueError({.problem = fmt::format("{} in '{}' nests too deeply", what, source),
                          .expected = fmt::format("at most {} levels of lists and objects", kMaxDepth),
                          .found = "deeper nesting",
                          .hint = "the file is damaged or crafted"});
    } else if (ch == '}' || ch == ']') {
      --depth;
    }
  }
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    throw ValueError({.problem = fmt::format("{} in '{}' is not valid JSON", what, source),
                      .expected = "JSON, as Keras writes it",
                      .found = std::string(text.substr(0, 80)),
                      .hint = "the file is damaged; save it again"});
  return j;
}

}  // namespace lamina::io::keras


namespace lamina::io::keras {

Tensor weight_value_for(const Variable& var, const Tensor& value, const std::string& source, const std::string& where) {
  if (value.shape() != var.shape())
    throw ShapeError({.problem = fmt::format("weight '{}' in '{}' (at '{}') does not fit the model", var.name(), source, where),
                      .expected = var.shape().str(),
                      .found = value.shape().str(),
                      .hint = "the weights were saved from a model with other sizes, or the file is damaged"});
  const bool want_float = is_floating(var.dtype()), have_float = is_floating(value.dtype());
  if (want_float != have_float || value.dtype() == Bool)
    throw DTypeError({.problem = fmt::format("weight '{}' in '{}' (at '{}') has another kind of dtype", var.name(), source, where),
                      .expected = std::string(dtype_name(var.dtype())),
                      .found = std::string(dtype_name(value.dtype())),
                      .hint = "the file is damaged or holds another model's weights"});
  return value.dtype() == var.dtype() ? value : cast(value, var.dtype());
}

}  // namespace lamina::io::keras
