#pragma once
// Internal: typed, checked reading of optimizer and schedule configs. Every problem is a
// ValueError naming the class and the field; finish() refuses fields nobody read.
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "lamina/core/error.hpp"
#include "lamina/train/schedules.hpp"

namespace lamina::optimizers::detail {

class ConfigFields {
 public:
  // `config` must be a JSON object; `class_name` names it in messages ("Adam").
  ConfigFields(const Json& config, std::string class_name);

  bool has(const std::string& field) const;  // present (null counts as present)
  const Json& at(const std::string& field);  // present, any value
  double number(const std::string& field);
  std::optional<double> optional_number(const std::string& field);  // null -> nullopt
  std::int64_t integer(const std::string& field);
  std::optional<std::int64_t> optional_integer(const std::string& field);
  bool boolean(const std::string& field);
  std::string string(const std::string& field);
  // Marks a field as read when present (fields a writer may omit; `at` then reads them).
  bool consume_if_present(const std::string& field);
  // ValueError for fields that were never read (unknown options).
  void finish() const;

  [[noreturn]] void fail(const std::string& field, const std::string& problem, const std::string& expected) const;

 private:
  const Json& config_;
  std::string class_name_;
  std::set<std::string> used_;
};

// ValueError "<who>: <option> must be <rule>" unless `ok` (a bad constructor argument).
void require_option(bool ok, const std::string& who, const std::string& option, double value, const std::string& rule,
                    const std::string& hint = "");

// null for nullopt.
Json optional_json(const std::optional<double>& v);

}  // namespace lamina::optimizers::detail
