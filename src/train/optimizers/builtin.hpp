#pragma once
// Internal: rebuilding the built-in optimizers from their Keras configs.
#include "lamina/train/optimizer.hpp"
#include "lamina/train/optimizers.hpp"
#include "train/optimizers/config_fields.hpp"

namespace lamina::optimizers::detail {

// The base fields of every optimizer config: name, learning_rate, weight_decay and the clip
// options (required), and the Keras options Lamina does not implement (optional, must be off).
struct BaseConfig {
  LearningRate learning_rate;
  OptimizerOptions options;
};
BaseConfig read_base_config(ConfigFields& fields);

// Copies the base options into an optimizer's options struct.
template <class O>
O with_base(O o, const OptimizerOptions& b) {
  o.weight_decay = b.weight_decay;
  o.clipnorm = b.clipnorm;
  o.clipvalue = b.clipvalue;
  o.global_clipnorm = b.global_clipnorm;
  o.name = b.name;
  return o;
}

// Each reads the inner "config" (the class's fields plus the base ones).
OptimizerRef sgd_from_config(const Json& config);
OptimizerRef adam_from_config(const Json& config);
OptimizerRef adamw_from_config(const Json& config);
OptimizerRef rmsprop_from_config(const Json& config);
OptimizerRef adagrad_from_config(const Json& config);
OptimizerRef nadam_from_config(const Json& config);
OptimizerRef adamax_from_config(const Json& config);

}  // namespace lamina::optimizers::detail
