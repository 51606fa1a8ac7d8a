#pragma once
// Keras 3's serialized configs rewritten in the legacy form Keras 2 / tf.keras read from
// .h5 files (what Keras 3's legacy writer produces with use_legacy_config).
#include "lamina/layers/layer.hpp"

namespace lamina::io::keras {

// A serialized Keras 3 model (export_model) in legacy form: {"class_name", "config"} objects
// without module/registered_name/build_config, dtype policies as dtype names, InputLayer's
// batch_input_shape, Lambda functions by name, and inbound nodes as
// [[[layer, node, tensor, kwargs], ...], ...].
Json legacy_model_config(const Json& keras3_model);
// Any serialized value (a loss, metrics) with module/registered_name dropped, recursively.
Json legacy_value(const Json& keras3_value);

}  // namespace lamina::io::keras
