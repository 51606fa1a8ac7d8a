#pragma once
// Reading Keras layer configs (any writer) with defaults and checked types, and the values
// inside them that Lamina names differently: activations, initializers, dtype policies.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/keras/layers.hpp"
#include "lamina/layers/activations.hpp"
#include "lamina/layers/initializers.hpp"

namespace lamina::io::keras {

// A short rendering of a JSON value for messages.
std::string short_json(const Json& j);

// A serialized Keras layer: {"class_name": ..., "config": {...}} (plus "module",
// "registered_name", ... in Keras 3). Getters with a default accept the field's absence
// (older writers omit fields); a present field of the wrong type is a ValueError naming the
// file, the layer and the field.
class KerasConfig {
 public:
  KerasConfig(const Json& serialized, const ImportContext& ctx);
  const std::string& class_name() const { return class_name_; }
  const std::string& name() const { return name_; }
  const Json& config() const { return config_; }
  const ImportContext& ctx() const { return ctx_; }

  bool contains(const std::string& key) const { return config_.contains(key); }
  bool has(const std::string& key) const;  // present and not null
  const Json& at(const std::string& key) const;
  std::int64_t integer(const std::string& key, std::optional<std::int64_t> def = {}) const;
  double number(const std::string& key, std::optional<double> def = {}) const;
  bool boolean(const std::string& key, std::optional<bool> def = {}) const;
  std::string string(const std::string& key, std::optional<std::string> def = {}) const;
  std::vector<std::int64_t> integers(const std::string& key) const;
  // By Keras name, mapped for the writer's version ("hard_sigmoid" from Keras 2 is
  // "hard_sigmoid_keras2"); null means linear.
  ActivationSpec activation(const std::string& key, const std::string& def) const;
  // Keras's initializers with a Lamina equivalent map to it; others become `def` (they only
  // shape fresh weights, and imported layers get the file's weights).
  InitializerSpec initializer(const std::string& key, const std::string& def) const;
  // ValueError when `key` is true (an option Lamina does not have).
  void refuse_true(const std::string& key, const std::string& why, const std::string& hint) const;
  // The layer's dtype policy must compute in float32 ("float32", "mixed_float16", ...).
  void check_dtype() const;

  [[noreturn]] void fail(const std::string& key, const std::string& problem, const std::string& expected,
                         const std::string& hint = "") const;

 private:
  const Json& config_;
  const ImportContext& ctx_;
  std::string class_name_, name_;
};

// {"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}, "registered_name": null}
Json dtype_policy_json(const std::string& name);
// The Keras name of a Lamina activation for `target`; ValueError (naming `layer`) for those
// that Keras version lacks (Keras 2's hard_sigmoid in Keras 3, Keras 3's in Keras 2).
Json export_activation(const std::string& lamina_name, const Layer& layer, const ExportTarget& target);
// The serialized Keras 3 initializer for a Lamina initializer name.
Json export_initializer(const std::string& lamina_name);
// The Python function a Lambda config names (not an anonymous lambda), if any.
std::optional<std::string> python_function_name(const Json& lambda_config);

}  // namespace lamina::io::keras

namespace lamina::io::keras {
// Parses JSON from a file (config.json, an HDF5 attribute): nesting is checked before the
// (recursive) parser runs, and invalid JSON is a ValueError naming `what` in `source`.
Json parse_keras_json(std::string_view text, const std::string& what, const std::string& source);
}  // namespace lamina::io::keras

namespace lamina::io::keras {
// `value` (read from a file) checked against the variable it is for: same shape (ShapeError),
// a float for a float weight (cast to the weight's dtype, as Keras's assign casts), an integer
// for an integer one (the optimizer's iteration count). `where` names the file's path.
Tensor weight_value_for(const Variable& var, const Tensor& value, const std::string& source, const std::string& where);
}  // namespace lamina::io::keras
