#pragma once
// Activation: applies an activation function (by name or callable). Masks pass through.
#include "lamina/layers/activations.hpp"
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(ActivationSpec activation, std::string name = "");
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override { return activation_(x); }
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  ActivationSpec activation_;
};

class Activation : public LayerHandle<ActivationLayer> {
 public:
  explicit Activation(ActivationSpec activation, std::string name = "")
      : LayerHandle(std::make_shared<ActivationLayer>(std::move(activation), std::move(name))) {}
};

}  // namespace lamina::layers
