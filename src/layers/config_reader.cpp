// ConfigReader: checked access to a layer config's fields. nlohmann's own accessors would
// throw their exceptions (or silently convert 3.7 to 3), so every field is type-checked here;
// the fields asked for are remembered, so finish() can reject the rest.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "lamina/layers/registry.hpp"
#include "layers/support/spelling.hpp"

namespace lamina::layers {

namespace {

// A short rendering of a JSON value for messages (invalid UTF-8 must not make dump() throw).
std::string describe(const Json& v) {
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return fmt::format("{} ({})", text, v.type_name());
}

std::string field_list(const Json& config) {
  std::string s;
  for (const auto& [key, value] : config.items()) s += (s.empty() ? "" : ", ") + key;
  return s.empty() ? "no fields" : "fields " + s;
}

// Keras options Lamina does not implement. A config may carry one with the value that
// means Lamina's behaviour (Keras writes them all); any other value is refused with `hint`.
struct Unsupported {
  const char* field;
  const char* neutral;  // "false", "null", "float32" (string or a dtype policy naming it), "any"
  const char* hint;
};
constexpr const char* kNoRegularizers =
    "Lamina has no weight regularizers; add the penalty to the loss yourself (e.g. lm::sum(lm::square(w)) * 1e-4)";
constexpr const char* kNoConstraints = "Lamina has no weight constraints; apply one to the weights after each step";
const Unsupported kUnsupported[] = {
    {"stateful", "false",
     "Lamina's recurrent layers start every batch from zero state; pass the previous batch's final states as "
     "initial_state to carry them over, and set stateful to false"},
    {"unroll", "false", "unrolling only changes speed in Keras; set unroll to false (Lamina's fused kernels are fast)"},
    {"time_major", "false", "Lamina sequences are (batch, time, features); transpose with lm::transpose(x, {1, 0, 2})"},
    {"implementation", "any", ""},  // Keras 2's kernel choice: the results are the same
    {"use_cudnn", "any", ""},       // Keras 3's kernel choice: the results are the same
    {"dtype", "float32", "Lamina layers compute in their input's dtype; cast the input with lm::cast"},
    {"activity_regularizer", "null", kNoRegularizers},
    {"kernel_regularizer", "null", kNoRegularizers},
    {"bias_regularizer", "null", kNoRegularizers},
    {"recurrent_regularizer", "null", kNoRegularizers},
    {"embeddings_regularizer", "null", kNoRegularizers},
    {"beta_regularizer", "null", kNoRegularizers},
    {"gamma_regularizer", "null", kNoRegularizers},
    {"kernel_constraint", "null", kNoConstraints},
    {"bias_constraint", "null", kNoConstraints},
    {"recurrent_constraint", "null", kNoConstraints},
    {"embeddings_constraint", "null", kNoConstraints},
    {"beta_constraint", "null", kNoConstraints},
    {"gamma_constraint", "null", kNoConstraints},
    {"lora_rank", "null", "Lamina has no LoRA layers; set lora_rank to null"},
    {"sparse", "false", "Lamina's Embedding returns dense gradients; set sparse to false"},
    {"synchronized", "false", "Lamina trains on one device; set synchronized to false"},
    {"input_length", "any", ""},  // Keras 2 Embedding: only documents the input shape
    {"attention_axes", "null", "Lamina's MultiHeadAttention attends over the time axis; set attention_axes to null"},
};

bool neutral_value(const Unsupported& u, const Json& v) {
  const std::string n = u.neutral;
  if (n == "any" || v.is_null()) return true;
  if (n == "false") return v.is_boolean() && !v.get<bool>();
  if (n == "float32") {
    if (v.is_string()) return v.get<std::string>() == "float32";
    // Keras 3 writes {"class_name": "DTypePolicy", "config": {"name": "float32"}}.
    auto c = v.find("config");
    if (v.is_object() && c != v.end() && c->is_object()) {
      auto name = c->find("name");
      return name != c->end() && name->is_string() && name->get<std::string>() == "float32";
    }
    return false;
  }
  return false;  // "null": only null
}

}  // namespace

ConfigReader::ConfigReader(const Json& config) : config_(config) {
  if (!config.is_object())
    throw ValueError({.problem = "a layer config must be a JSON object",
                      .expected = R"({"type": ..., "name": ..., "trainable": ..., ...options}, as get_config() writes)",
                      .found = describe(config),
                      .hint = "pass the object get_config() returned (or Json::parse of its saved text)"});
  auto it = config.find("type");
  if (it == config.end() || !it->is_string())
    throw ValueError({.problem = "a layer config needs a string field 'type'",
                      .expected = R"(a layer type such as "type": "Dense")",
                      .found = it == config.end() ? field_list(config) : "'type': " + describe(*it),
                      .hint = "add the layer type, e.g. \"type\": \"Dense\", as get_config() writes it"});
  type_ = it->get<std::string>();
}

void ConfigReader::fail(const std::string& field, ErrorDetails d) const {
  d.problem = fmt::format("field '{}' of the {} config {}", field, type_, d.problem);
  if (d.found.empty()) d.found = has(field) ? describe(config_.at(field)) : "null";
  if (d.hint.empty())
    d.hint = fmt::format("write '{}' as {}, as {}'s get_config() does (or leave it out for the default)", field,
                         d.expected, type_);
  throw ValueError(std::move(d));
}

const Json* ConfigReader::find(const std::string& field) const {
  if (std::find(known_.begin(), known_.end(), field) == known_.end()) known_.push_back(field);
  auto it = config_.find(field);
  return it == config_.end() ? nullptr : &*it;
}

bool ConfigReader::has(const std::string& field) const {
  const Json* v = find(field);
  return v && !v->is_null();
}

const Json& ConfigReader::at(const std::string& field) const {
  const Json* v = find(field);
  if (!v) {
    // A present field that is not known yet and resembles this one is probably it, misspelt.
    std::vector<std::string> others;
    for (const auto& [key, value] : config_.items())
      if (key != "type" && key != "name" && key != "trainable") others.push_back(key);
    const std::string close = detail::nearest(field, others);
    std::string hint = fmt::format("'{}' has no default: give it a value", field);
    if (detail::plausible_spelling(field, close))
      hint = fmt::format("the config has '{}': is it '{}' misspelt?", close, field);
    throw ValueError({.problem = fmt::format("the {} config is missing field '{}'", type_, field),
                      .expected = fmt::format("field '{}' (the {} option without a default)", field, type_),
                      .found = field_list(config_),
                      .hint = hint});
  }
  return *v;
}

void ConfigReader::finish() const {
  for (const auto& [key, value] : config_.items()) {
    if (key == "type" || key == "name" || key == "trainable") continue;
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    const Unsupported* u = nullptr;
    for (const auto& cand : kUnsupported)
      if (key == cand.field) u = &cand;
    if (u) {
      if (neutral_value(*u, value)) continue;
      fail(key,
           {.problem = "is a Keras option that Lamina does not support",
            .expected = fmt::format("{} (what Lamina does), or no '{}' field",
                                    std::string(u->neutral) == "float32" ? "\"float32\" or null" : u->neutral, key),
            .hint = u->hint});
    }
    std::vector<std::string> candidates = known_;
    candidates.insert(candidates.end(), {"name", "trainable"});
    std::sort(candidates.begin(), candidates.end());
    std::string all;
    for (const auto& c : candidates) all += (all.empty() ? "" : ", ") + c;
    fail(key, {.problem = fmt::format("is not a {} option", type_),
               .expected = "one of the " + type_ + " fields: " + all,
               .found = fmt::format("'{}': {}", key, describe(value)),
               .hint = detail::did_you_mean(key, candidates,
                                            fmt::format("the nearest known field is '{}'; remove '{}' or fix its name",
                                                        detail::nearest(key, candidates), key))});
  }
}

std::int64_t ConfigReader::integer(const std::string& field) const {
  const Json& v = at(field);
  if (!v.is_number_integer()) fail(field, {.problem = "has the wrong type", .expected = "an integer"});
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())
    fail(field, {.problem = "is out of range", .expected = "a 64-bit signed integer"});
  return v.get<std::int64_t>();
}

double ConfigReader::number(const std::string& field) const {
  const Json& v = at(field);
  if (!v.is_number()) fail(field, {.problem = "has the wrong type", .expected = "a number"});
  return v.get<double>();
}

bool ConfigReader::boolean(const std::string& field) const {
  const Json& v = at(field);
  if (!v.is_boolean()) fail(field, {.problem = "has the wrong type", .expected = "true or false"});
  return v.get<bool>();
}

std::string ConfigReader::string(const std::string& field) const {
  const Json& v = at(field);
  if (!v.is_string()) fail(field, {.problem = "has the wrong type", .expected = "a string"});
  return v.get<std::string>();
}

std::vector<std::int64_t> ConfigReader::integers(const std::string& field) const {
  const Json& v = at(field);
  bool ok = v.is_array();
  for (std::size_t i = 0; ok && i < v.size(); ++i) ok = v[i].is_number_integer();
  if (!ok) fail(field, {.problem = "has the wrong type", .expected = "a list of integers"});
  return v.get<std::vector<std::int64_t>>();
}

std::int64_t ConfigReader::integer(const std::string& field, std::int64_t fallback) const {
  return has(field) ? integer(field) : fallback;
}
double ConfigReader::number(const std::string& field, double fallback) const {
  return has(field) ? number(field) : fallback;
}
bool ConfigReader::boolean(const std::string& field, bool fallback) const {
  return has(field) ? boolean(field) : fallback;
}
std::string ConfigReader::string(const std::string& field, const std::string& fallback) const {
  return has(field) ? string(field) : fallback;
}
std::vector<std::int64_t> ConfigReader::integers(const std::string& field,
                                                 const std::vector<std::int64_t>& fallback) const {
  return has(field) ? integers(field) : fallback;
}

std::vector<std::int64_t> ConfigReader::integer_or_integers(const std::string& field,
                                                            const std::vector<std::int64_t>& fallback) const {
  if (!has(field)) return fallback;
  const Json& v = at(field);
  if (v.is_number_integer()) return {integer(field)};
  bool ok = v.is_array();
  for (std::size_t i = 0; ok && i < v.size(); ++i) ok = v[i].is_number_integer();
  if (!ok) fail(field, {.problem = "has the wrong type", .expected = "an integer or a list of integers"});
  return v.get<std::vector<std::int64_t>>();
}

const Json& ConfigReader::object(const std::string& field) const {
  const Json& v = at(field);
  if (!v.is_object()) fail(field, {.problem = "has the wrong type", .expected = "a layer config (a JSON object)"});
  return v;
}

std::optional<std::int64_t> ConfigReader::optional_integer(const std::string& field) const {
  if (!has(field)) return std::nullopt;
  return integer(field);
}

std::optional<std::uint64_t> ConfigReader::optional_seed(const std::string& field) const {
  if (!has(field)) return std::nullopt;
  const Json& v = at(field);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    fail(field, {.problem = "has the wrong type", .expected = "a non-negative integer seed, or null"});
  return v.get<std::uint64_t>();
}

InitializerSpec ConfigReader::initializer(const std::string& field, const InitializerSpec& fallback) const {
  if (!has(field)) return fallback;
  std::string name = string(field);
  if (name == "custom")
    fail(field, {.problem = "is \"custom\": the initializer was given as a callable, which a config cannot hold",
                 .expected = "the name of a built-in initializer, such as \"glorot_uniform\"",
                 .hint = "create the layer with a named initializer, or rebuild it in code with the callable"});
  try {
    return InitializerSpec(name);
  } catch (const ValueError& e) {
    fail(field,
         {.problem = "names an unknown initializer", .expected = e.details().expected, .hint = e.details().hint});
  }
}

ActivationSpec ConfigReader::activation(const std::string& field, const ActivationSpec& fallback) const {
  if (!has(field)) return fallback;
  std::string name = string(field);
  if (name == "custom")
    fail(field, {.problem = "is \"custom\": the activation was given as a callable, which a config cannot hold",
                 .expected = "the name of a built-in activation, such as \"relu\"",
                 .hint = "create the layer with a named activation, or rebuild it in code with the callable"});
  try {
    ActivationSpec spec(name);
    spec.check(field);
    return spec;
  } catch (const ValueError& e) {
    fail(field,
         {.problem = "names an unknown activation", .expected = e.details().expected, .hint = e.details().hint});
  }
}

}  // namespace lamina::layers
