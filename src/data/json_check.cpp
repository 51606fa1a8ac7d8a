#include "data/json_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace lamina::data::detail {

namespace {

std::string describe(const nlohmann::json& v) {
  std::string text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return fmt::format("{} ({})", printable(text), v.type_name());
}

}  // namespace

JsonFields::JsonFields(const nlohmann::json& config, std::string type, std::initializer_list<const char*> fields)
    : config_(config), type_(std::move(type)) {
  std::string list;
  for (const char* f : fields) list += (list.empty() ? "" : ", ") + std::string(f);
  if (!config.is_object())
    throw ValueError({.problem = fmt::format("a {} config must be a JSON object", type_),
                      .expected = fmt::format("an object with the fields {}, as get_config() writes", list),
                      .found = describe(config)});
  for (const char* f : fields)
    if (!config.contains(f))
      throw ValueError({.problem = fmt::format("the {} config is missing field '{}'", type_, f),
                        .expected = fmt::format("every field get_config() writes: {}", list),
                        .found = describe(config),
                        .hint = "rebuild from the output of get_config(); a hand-written config needs every field"});
  for (const auto& item : config.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    if (std::none_of(fields.begin(), fields.end(), [&](const char* f) { return key == f; }))
      throw ValueError({.problem = fmt::format("the {} config has an unknown field", type_),
                        .expected = fmt::format("only the fields {}", list),
                        .found = fmt::format("field '{}'", printable(key)),
                        .hint = "check the spelling; fields of other versions or libraries are not read"});
  }
}

const nlohmann::json& JsonFields::at(const char* field) const { return config_.at(field); }

void JsonFields::fail(const char* field, ErrorDetails d) const {
  d.problem = fmt::format("field '{}' of the {} config {}", field, type_, d.problem);
  if (d.found.empty()) d.found = describe(at(field));
  throw ValueError(std::move(d));
}

void JsonFields::require_type() const {
  const auto& v = at("type");
  if (!v.is_string() || v.get<std::string>() != type_)
    fail("type", {.problem = "names another type", .expected = fmt::format("\"{}\"", type_)});
}

std::string JsonFields::string(const char* field) const {
  const auto& v = at(field);
  if (!v.is_string()) fail(field, {.problem = "has the wrong type", .expected = "a string"});
  return v.get<std::string>();
}

std::optional<std::int64_t> JsonFields::optional_integer(const char* field) const {
  const auto& v = at(field);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_integer()) fail(field, {.problem = "has the wrong type", .expected = "an integer or null"});
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    fail(field, {.problem = "is out of range", .expected = "a 64-bit signed integer"});
  return v.get<std::int64_t>();
}

std::optional<std::vector<std::string>> JsonFields::optional_strings(const char* field) const {
  const auto& v = at(field);
  if (v.is_null()) return std::nullopt;
  if (!v.is_array()) fail(field, {.problem = "has the wrong type", .expected = "an array of strings or null"});
  std::vector<std::string> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      fail(field, {.problem = "holds a value that is not a string",
                   .expected = "an array of strings",
                   .found = fmt::format("element {} is {}", i, describe(v[i]))});
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

}  // namespace lamina::data::detail
