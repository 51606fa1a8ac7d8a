#include "train/optimizers/config_fields.hpp"

#include <fmt/format.h>

#include <cmath>

namespace lamina::optimizers::detail {

namespace {
std::string shown(const Json& v) {
  std::string s = v.dump();
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}
}  // namespace

ConfigFields::ConfigFields(const Json& config, std::string class_name)
    : config_(config), class_name_(std::move(class_name)) {
  if (!config_.is_object())
    throw ValueError({.problem = "the " + class_name_ + " config is not a JSON object",
                      .expected = "an object of fields, as get_config() writes",
                      .found = shown(config_)});
}

void ConfigFields::fail(const std::string& field, const std::string& problem, const std::string& expected) const {
  throw ValueError({.problem = "field '" + field + "' of the " + class_name_ + " config " + problem,
                    .expected = expected,
                    .found = config_.contains(field) ? shown(config_.at(field)) : std::string("no such field"),
                    .hint = "write the config with get_config() or fix the field"});
}

bool ConfigFields::has(const std::string& field) const { return config_.contains(field); }

const Json& ConfigFields::at(const std::string& field) {
  if (!config_.contains(field)) fail(field, "is missing", "the field to be present");
  used_.insert(field);
  return config_.at(field);
}

bool ConfigFields::consume_if_present(const std::string& field) {
  if (!config_.contains(field)) return false;
  used_.insert(field);
  return true;
}

double ConfigFields::number(const std::string& field) {
  const Json& v = at(field);
  if (!v.is_number()) fail(field, "is not a number", "a number");
  double d = v.get<double>();
  if (!std::isfinite(d)) fail(field, "is not finite", "a finite number");
  return d;
}

std::optional<double> ConfigFields::optional_number(const std::string& field) {
  if (at(field).is_null()) return std::nullopt;
  return number(field);
}

std::int64_t ConfigFields::integer(const std::string& field) {
  const Json& v = at(field);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  // Keras writes Python ints, but a float with an integral value is accepted (1000.0).
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  fail(field, "is not an integer", "an integer");
}

std::optional<std::int64_t> ConfigFields::optional_integer(const std::string& field) {
  if (at(field).is_null()) return std::nullopt;
  return integer(field);
}

bool ConfigFields::boolean(const std::string& field) {
  const Json& v = at(field);
  if (!v.is_boolean()) fail(field, "is not a boolean", "true or false");
  return v.get<bool>();
}

std::string ConfigFields::string(const std::string& field) {
  const Json& v = at(field);
  if (!v.is_string()) fail(field, "is not a string", "a string");
  return v.get<std::string>();
}

void ConfigFields::finish() const {
  for (const auto& [key, value] : config_.items())
    if (!used_.count(key))
      throw ValueError({.problem = "the " + class_name_ + " config has an unknown field '" + key + "'",
                        .expected = "only the fields " + class_name_ + "'s get_config() writes",
                        .found = "'" + key + "': " + shown(value),
                        .hint = "remove the field (Lamina does not support this option)"});
}

void require_option(bool ok, const std::string& who, const std::string& option, double value, const std::string& rule,
                    const std::string& hint) {
  if (ok) return;
  throw ValueError({.problem = who + ": " + option + " must be " + rule,
                    .expected = option + " " + rule,
                    .found = option + " = " + fmt::format("{}", value),
                    .hint = hint});
}

Json optional_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

}  // namespace lamina::optimizers::detail
