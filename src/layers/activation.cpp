#include "lamina/layers/activation.hpp"

namespace lamina::layers {

ActivationLayer::ActivationLayer(ActivationSpec activation, std::string name)
    : Layer("Activation", std::move(name)), activation_(std::move(activation)) {}

Json ActivationLayer::get_config() const {
  Json c = Layer::get_config();
  c["activation"] = activation_.name();
  return c;
}

}  // namespace lamina::layers
