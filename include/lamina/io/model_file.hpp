#pragma once
// Lamina's model file: one safetensors file (docs/file-format.md) whose metadata holds the
// model's config (every layer's config and the graph), the compile settings and the training
// state, and whose tensors are the weights ("weights/<variable name>") and the optimizer's
// state ("optimizer/<index>"), so that a loaded model predicts identically and training
// resumes exactly. Model::save / lm::load_model / save_weights / load_weights are built on this.
#include <map>
#include <string>

#include "lamina/model/model.hpp"

namespace lamina::io {

using Metadata = std::map<std::string, std::string>;

// Weights and optimizer state of `model` plus `extra` metadata (e.g. the epoch), written
// atomically. The model's architecture is written too, so the file is also a full model file.
void save_checkpoint(const Model& model, const std::string& path, const Metadata& extra = {});
// Restores weights and optimizer state saved by save_checkpoint into a model of the same
// architecture (compiled, so the optimizer exists). Everything is checked before anything is
// assigned. Returns the file's metadata.
Metadata restore_checkpoint(const Model& model, const std::string& path);

// The config a file holds, without loading weights (lamina summary MODEL).
Json read_model_config(const std::string& path);

}  // namespace lamina::io
