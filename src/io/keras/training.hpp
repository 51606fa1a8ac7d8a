#pragma once
// Compile settings and optimizer state between Keras and Lamina (training.cpp).
#include <string>
#include <vector>

#include "io/keras/layers.hpp"
#include "lamina/io/keras.hpp"
#include "lamina/model/model.hpp"

namespace lamina::io::keras {

// Compiles `model` from Keras 3's compile_config (or tf.keras 2.13+'s). What does not
// translate leaves the model uncompiled and says why in `notes`.
void import_compile_config(const Model& model, const Json& compile_config, const ImportContext& ctx, KerasNotes* notes);
// The same from a legacy file's training_config ({"optimizer_config": ..., "loss": ...}).
void import_training_config(const Model& model, const Json& training_config, const ImportContext& ctx,
                            KerasNotes* notes);
// Keras 3's compile_config for a compiled model (null when not compiled).
Json export_compile_config(const Model& model);

// The optimizer's variables in the order Keras stores them (optimizer/vars/<i>): built for
// the trainable weights in Keras's order. Builds the optimizer when it is not built yet.
std::vector<Variable> keras_optimizer_variables(const Model& model);
// The trainable weights in Keras's order (layers in Keras's order, each layer's own first).
std::vector<Variable> keras_trainable_order(const Model& model);

}  // namespace lamina::io::keras
