#pragma once
// Checked reading of configs that may come from untrusted files (library-internal): every
// field required and type-checked, unknown fields refused, each problem a ValueError naming
// the config type and the field. nlohmann's accessors would throw their own exceptions or
// convert silently (3.7 to 3), so nothing here uses them unchecked.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/printable.hpp"
#include "lamina/core/error.hpp"

namespace lamina::data::detail {

class JsonFields {
 public:
  // ValueError unless `config` is an object whose fields are exactly `fields`.
  JsonFields(const nlohmann::json& config, std::string type, std::initializer_list<const char*> fields);
  void require_type() const;  // "type" is the string `type`
  std::string string(const char* field) const;
  std::optional<std::int64_t> optional_integer(const char* field) const;  // null -> nullopt
  std::optional<std::vector<std::string>> optional_strings(const char* field) const;
  [[noreturn]] void fail(const char* field, ErrorDetails d) const;

 private:
  const nlohmann::json& at(const char* field) const;
  const nlohmann::json& config_;
  std::string type_;
};

}  // namespace lamina::data::detail
