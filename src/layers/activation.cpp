#include "lamina/layers/activation.hpp"

#include "lamina/core/error.hpp"

namespace lamina::layers {

ActivationLayer::ActivationLayer(ActivationSpec activation, std::string name)
    : Layer("Activation", std::move(name)), activation_(std::move(activation)) {
  LayerScope scope(this->name(), type());  // an unknown name is an error naming the layer
  activation_.check("activation");
}

Json ActivationLayer::get_config() const {
  Json c = Layer::get_config();
  c["activation"] = activation_.name();
  return c;
}

}  // namespace lamina::layers
