#pragma once
// Keras model configs <-> Lamina models (model_import.cpp, model_export.cpp): Sequential
// and functional graphs in every writer's format (Keras 2.0/2.1 Sequential lists, Keras 2.2+ and tf.keras legacy
// inbound nodes, Keras 3's serialized keras tensors), and the order and names under which
// Keras stores each layer's weights.
#include <functional>
#include <string>
#include <vector>

#include "io/keras/layers.hpp"
#include "lamina/model/model.hpp"

namespace lamina::io::keras {

// The writer from its version string ("2.1.3", "2.2.4-tf", "3.14.1"). Keras 1 files are
// refused here with a message saying how to convert them.
ImportContext make_context(const std::string& source, const std::string& keras_version);
// ValueError when the config is Keras 1's (output_dim, inner_activation, init, ...), even
// when the file does not say which version wrote it.
void refuse_keras1(const Json& model_config, const ImportContext& ctx);

// A Lamina model for a serialized Keras model ({"class_name": "Sequential" | "Functional" |
// "Model", "config": ...}). Every unsupported layer class and every Python Lambda without a
// registered Lamina function is listed in one ValueError, before anything is built.
Model import_model(const Json& serialized, const ImportContext& ctx);

// The serialized Keras 3 model (no compile_config). ValueError for what Keras cannot hold:
// ops between layers, layers Keras lacks, masked inputs Keras would treat differently.
Json export_model(const Model& model, const ExportTarget& target = {});

// One entry of a Keras model's `layers`, in Keras's order (map_graph's for functional models,
// InputLayers included; Sequential without its InputLayer), with the path name Keras gives
// it in weight files: the snake-cased class, "_1", "_2", ... for repeats.
struct KerasLayerEntry {
  LayerRef layer;          // empty for an InputLayer
  std::string keras_class;
  std::string path_name;   // "dense", "lstm_1", "input_layer"
  std::string name;        // the layer's name
};
std::vector<KerasLayerEntry> keras_layers(const Model& model);

// Every weight group of the model under Keras 3's paths: visit(path, name, vars) with paths
// such as "layers/lstm/cell" (the file stores "<path>/vars/<i>"); "" + "vars" is the model's own.
using VarVisitor = std::function<void(const std::string& path, const std::string& name, const std::vector<Variable>& vars)>;
void walk_keras3_vars(const Model& model, const std::string& prefix, const VarVisitor& visit);

// The model's layers that own weights, by name (nested models included as one entry), for
// legacy .h5 files, and their weights in Keras 2's order.
std::vector<std::pair<std::string, std::vector<Variable>>> legacy_layer_weights(const Model& model);

}  // namespace lamina::io::keras
