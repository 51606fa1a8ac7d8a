#pragma once
// Identity: returns its input unchanged, mask included (Keras's Identity). Useful as a
// placeholder branch in a model.
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

class IdentityLayer : public Layer {
 public:
  explicit IdentityLayer(std::string name = "") : Layer("Identity", std::move(name)) {}
  Tensor call(const Tensor& x, const Tensor&, bool) override { return x; }
  bool supports_masking() const override { return true; }
};

class Identity : public LayerHandle<IdentityLayer> {
 public:
  explicit Identity(std::string name = "") : LayerHandle(std::make_shared<IdentityLayer>(std::move(name))) {}
};

}  // namespace lamina::layers
