#pragma once
// Keras files, both ways (docs/keras.md):
//   - `.keras` (Keras 3, and tf.keras 2.13-2.15's flavour): a zip of metadata.json,
//     config.json and model.weights.h5, read and written;
//   - legacy `.h5` (Keras 2, tf.keras, Keras 3's legacy writer): model_config and
//     training_config attributes and model_weights/<layer>/..., read and written.
//
//   lm::Model m = lm::load_model("trained.keras");   // or .h5: load_model sniffs the file
//   m.fit(x, y, {.epochs = 1});                      // optimizer state came along
//   m.save("again.keras");                            // Model::save dispatches on the extension
//   lamina::io::convert("old.h5", "new.keras");       // any direction, Lamina's format too
//
// Files are untrusted: every reader validates before it allocates (zip bombs, HDF5 shape
// bombs, soft/external links, oversized or deeply nested JSON are refused) and raises
// ValueError (bad contents) or IOError (unreadable file), never crashes.
#include <string>
#include <string_view>
#include <vector>

#include "lamina/model/model.hpp"

namespace lamina::io {

// What an import could not carry over, in words (e.g. a Keras 2 optimizer with `decay`
// leaves the model uncompiled); empty when everything came along.
using KerasNotes = std::vector<std::string>;

// A `.keras` file: architecture, weights, compile settings and optimizer state.
Model load_keras(const std::string& path, KerasNotes* notes = nullptr);
Model decode_keras(std::string_view bytes, const std::string& source = "<memory>", KerasNotes* notes = nullptr);
// The `.keras` bytes Keras 3 loads with keras.saving.load_model; ValueError naming what
// Keras cannot hold (ops between layers, Keras 2's hard_sigmoid, masked GlobalMaxPooling1D...).
std::string encode_keras(const Model& model);
void save_keras(const Model& model, const std::string& path);

// A legacy HDF5 file (model_config + model_weights). Optimizer state is not read (Keras 2's
// optimizers stored it in layouts of their own); the compile settings are, when they translate.
Model load_keras_h5(const std::string& path, KerasNotes* notes = nullptr);
Model decode_keras_h5(std::string_view bytes, const std::string& source = "<memory>", KerasNotes* notes = nullptr);
// Keras 3's legacy writer's layout (keras_version 2.15.0 semantics, so Keras 2's
// hard_sigmoid stays what it was), without optimizer state.
std::string encode_keras_h5(const Model& model);
void save_keras_h5(const Model& model, const std::string& path);

enum class ModelFileKind { Lamina, Keras, KerasH5 };
// By the file's first bytes (zip, HDF5, else Lamina's safetensors); IOError if unreadable.
ModelFileKind sniff_model_file(const std::string& path);
// By the extension: ".keras", ".h5"/".hdf5"/".hdf", anything else is Lamina's format.
ModelFileKind model_file_kind_for(const std::string& path);

// Any model file (kind sniffed from its first bytes): Keras's, with the import notes, or
// Lamina's. What `lamina summary` / `lamina predict` load.
Model load_any_model(const std::string& path, KerasNotes* notes = nullptr);

// Reads IN (any kind, sniffed) and writes OUT (kind from its extension). For `lamina convert`.
void convert(const std::string& in, const std::string& out, KerasNotes* notes = nullptr);

}  // namespace lamina::io
