// ConfigReader: checked access to a layer config's fields. nlohmann's own accessors would
// throw their exceptions (or silently convert 3.7 to 3), so every field is type-checked here.
#include <fmt/format.h>

#include <limits>

#include "lamina/layers/registry.hpp"

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

}  // namespace

ConfigReader::ConfigReader(const Json& config) : config_(config) {
  if (!config.is_object())
    throw ValueError({.problem = "a layer config must be a JSON object",
                      .expected = R"({"type": ..., "name": ..., "trainable": ..., ...options}, as get_config() writes)",
                      .found = describe(config)});
  auto it = config.find("type");
  if (it == config.end() || !it->is_string())
    throw ValueError({.problem = "a layer config needs a string field 'type'",
                      .expected = R"(a layer type such as "type": "Dense")",
                      .found = it == config.end() ? field_list(config) : "'type': " + describe(*it)});
  type_ = it->get<std::string>();
}

void ConfigReader::fail(const std::string& field, ErrorDetails d) const {
  d.problem = fmt::format("field '{}' of the {} config {}", field, type_, d.problem);
  if (d.found.empty()) d.found = has(field) ? describe(config_.at(field)) : "null";
  throw ValueError(std::move(d));
}

bool ConfigReader::has(const std::string& field) const {
  auto it = config_.find(field);
  return it != config_.end() && !it->is_null();
}

const Json& ConfigReader::at(const std::string& field) const {
  auto it = config_.find(field);
  if (it == config_.end())
    throw ValueError({.problem = fmt::format("the {} config is missing field '{}'", type_, field),
                      .expected = fmt::format("every field {}'s get_config() writes, including '{}'", type_, field),
                      .found = field_list(config_),
                      .hint = "rebuild from the output of get_config(); a hand-written config needs every field"});
  return *it;
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

InitializerSpec ConfigReader::initializer(const std::string& field) const {
  std::string name = string(field);
  if (name == "custom")
    fail(field, {.problem = "is \"custom\": the initializer was given as a callable, which a config cannot hold",
                 .expected = "the name of a built-in initializer, such as \"glorot_uniform\"",
                 .hint = "create the layer with a named initializer, or rebuild it in code with the callable"});
  try {
    return InitializerSpec(name);
  } catch (const ValueError& e) {
    fail(field, {.problem = "names an unknown initializer", .expected = e.details().expected});
  }
}

ActivationSpec ConfigReader::activation(const std::string& field) const {
  std::string name = string(field);
  if (name == "custom")
    fail(field, {.problem = "is \"custom\": the activation was given as a callable, which a config cannot hold",
                 .expected = "the name of a built-in activation, such as \"relu\"",
                 .hint = "create the layer with a named activation, or rebuild it in code with the callable"});
  try {
    return ActivationSpec(name);
  } catch (const ValueError& e) {
    fail(field, {.problem = "names an unknown activation", .expected = e.details().expected});
  }
}

}  // namespace lamina::layers
