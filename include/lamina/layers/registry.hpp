#pragma once
// Rebuilding layers from their configs: get_config() -> layer_from_config() gives a new,
// unbuilt layer with the same type, name, trainable flag and options (not the weights).
//
//   Json config = layer->get_config();             // e.g. saved as text and read back
//   LayerRef copy = lm::layers::layer_from_config(config);
//
// Every built-in layer is known by its type name ("Dense", "LSTM", ...); wrappers
// (TimeDistributed, Bidirectional) rebuild their nested "layer" recursively. Custom layer
// types are added with register_layer; Lambda functions with register_lambda (lambda.hpp).
//
// Configs are strict and complete, so a Keras config or a hand-written one either builds
// the layer it describes or fails naming the problem:
//   - a missing field takes the layer's default (Keras configs often omit them), so a
//     minimal config such as {"type": "Dense", "units": 4} builds; only the fields without
//     a default (Dense's units, Embedding's sizes, ...) are required;
//   - an unknown field is a ValueError naming the layer type, the field and the nearest
//     known field ("did you mean 'units'?"), never silently ignored;
//   - a Keras option Lamina does not support (stateful, unroll, time_major, regularizers,
//     constraints, a dtype other than float32) is accepted only with the value that means
//     what Lamina does (false, null); any other value is a ValueError saying so;
//   - a mistyped field is a ValueError naming the type and the field.
// Field names are Keras's. Callables (initializers, activations, Lambda functions not
// registered by name) are written as "custom" / null and cannot be rebuilt: that is a
// ValueError too, never a silent substitute.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lamina/core/error.hpp"
#include "lamina/layers/activations.hpp"
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

using LayerFactory = std::function<LayerRef(const Json& config)>;

// A new layer from `config`. ValueError for an unknown "type" (listing the known ones) or
// a bad field; errors raised inside a factory (including nlohmann::json exceptions) come
// out as lamina errors naming the type.
LayerRef layer_from_config(const Json& config);

// Adds (or replaces) the factory for `type`. The factory gets the whole config and must
// pass config["name"] on to the layer; layer_from_config applies "trainable" afterwards.
void register_layer(const std::string& type, LayerFactory factory);
// The registered types, sorted (the built-ins and any added with register_layer).
std::vector<std::string> registered_layer_types();

// Typed, checked access to a config's fields, for factories: every problem is a ValueError
// naming the layer type and the field. It refers to `config`, which must outlive it.
// Every field asked for (read, or only tested with has()) counts as known; finish() then
// rejects the fields nobody asked for. The getters without a fallback require the field;
// those with one return it when the field is absent or null.
class ConfigReader {
 public:
  explicit ConfigReader(const Json& config);  // config must be an object with a string "type"
  const std::string& type() const { return type_; }
  const Json& config() const { return config_; }

  bool has(const std::string& field) const;        // present and not null
  const Json& at(const std::string& field) const;  // present (may be null)
  std::int64_t integer(const std::string& field) const;
  std::int64_t integer(const std::string& field, std::int64_t fallback) const;
  double number(const std::string& field) const;
  double number(const std::string& field, double fallback) const;
  bool boolean(const std::string& field) const;
  bool boolean(const std::string& field, bool fallback) const;
  std::string string(const std::string& field) const;
  std::string string(const std::string& field, const std::string& fallback) const;
  std::vector<std::int64_t> integers(const std::string& field) const;
  std::vector<std::int64_t> integers(const std::string& field, const std::vector<std::int64_t>& fallback) const;
  // An integer or a list of integers (Keras writes kernel_size as [3] or 3).
  std::vector<std::int64_t> integer_or_integers(const std::string& field, const std::vector<std::int64_t>& fallback) const;
  const Json& object(const std::string& field) const;
  // Absent or null -> nullopt.
  std::optional<std::int64_t> optional_integer(const std::string& field) const;
  std::optional<std::uint64_t> optional_seed(const std::string& field) const;
  // By name; "custom" (a callable) and unknown names are ValueErrors.
  InitializerSpec initializer(const std::string& field, const InitializerSpec& fallback) const;
  ActivationSpec activation(const std::string& field, const ActivationSpec& fallback) const;
  // The layer's name; absent: "" (a fresh unique name).
  std::string name() const { return string("name", ""); }

  // ValueError for every field that no getter asked for: an unknown field names the
  // nearest known one; a Keras option Lamina does not support says so unless it holds the
  // value meaning Lamina's behaviour. layer_from_config calls it after the built-in
  // factories; custom factories may call it too.
  void finish() const;

  // Throws ValueError "field '<field>' of the <type> config <d.problem>"; `found` defaults
  // to the field's value.
  [[noreturn]] void fail(const std::string& field, ErrorDetails d) const;

 private:
  const Json* find(const std::string& field) const;  // marks the field known; null when absent

  const Json& config_;
  std::string type_;
  mutable std::vector<std::string> known_;
};

}  // namespace lamina::layers
