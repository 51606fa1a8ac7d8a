#pragma once
// The one place that maps Keras layer classes to Lamina layers (layers.cpp): each entry
// turns a Keras layer config (any writer: Keras 2, tf.keras, Keras 3) into a Lamina layer,
// a Lamina layer back into the config Keras 3 writes, and says where its weights live in
// Keras's files.
#include <string>
#include <vector>

#include "lamina/core/variable.hpp"
#include "lamina/layers/layer.hpp"

namespace lamina::io::keras {

// Who wrote the file, which decides version-dependent meanings (hard_sigmoid, GRU defaults).
struct ImportContext {
  std::string source;         // the file, for messages
  int keras_major = 3;        // 2: Keras 2.x or tf.keras; 3: Keras 3
  std::string keras_version;  // as written ("2.1.3", "2.2.4-tf", "3.14.1")
};

// Keras's naming.to_snake_case: "SimpleRNN" -> "simple_rnn", "Conv1D" -> "conv1d".
std::string keras_snake_case(const std::string& class_name);

// The class name of a serialized Keras layer ({"class_name": ..., "config": ...}).
std::string keras_class_name(const Json& serialized);
// The layer's config object (ValueError when there is none).
const Json& keras_inner_config(const Json& serialized, const ImportContext& ctx);

// Adds "<name> (<class>)" to `out` for every layer in `serialized` (recursing into wrappers
// and nested models) that Lamina cannot build: unknown classes, and Python Lambdas whose
// name has no function registered with lamina::layers::register_lambda.
void collect_unsupported(const Json& serialized, const ImportContext& ctx, std::vector<std::string>& unknown,
                         std::vector<std::string>& lambdas);

// Keras's model classes: "Sequential", "Functional" (Keras 3, tf.keras) and "Model" (Keras 2).
bool is_model_class(const std::string& cls);

// A new Lamina layer for a serialized Keras layer (not a model, not an InputLayer).
LayerRef import_layer(const Json& serialized, const ImportContext& ctx);

// Which Keras a file is written for: Keras 3 (.keras) or Keras 2 semantics (legacy .h5,
// where hard_sigmoid means clip(0.2x + 0.5, 0, 1)).
struct ExportTarget {
  int keras_major = 3;
};

// The Keras class a Lamina layer is written as ("Functional"/"Sequential" for models);
// ValueError naming the layer when Keras has no such layer.
std::string keras_class_of(const Layer& layer);
// {"module", "class_name", "config", "registered_name"} as Keras 3 serializes the layer (a
// model's "layers" and graph are added by the model writer). ValueError for what Keras cannot
// express (see docs/keras.md).
Json export_layer(const Layer& layer, const ExportTarget& target);

// Where a layer's own weights live below its Keras path, in Keras's order: "" for the layer
// itself ("<path>/vars/0", ...), "cell" for RNNs, "forward_layer/cell" ..., "layer" for
// TimeDistributed. Nested models are walked by the model code, not here.
struct VarGroup {
  std::string path;  // relative to the layer's group; "" is the layer's own "vars"
  std::string name;  // the Keras object's name (the "name" attribute of its vars group)
  std::vector<Variable> vars;
};
std::vector<VarGroup> keras3_var_groups(const Layer& layer);
// Keras 2's order for legacy .h5: trainable weights, then non-trainable ones.
std::vector<Variable> legacy_weights(const Layer& layer);

}  // namespace lamina::io::keras
