#pragma once
// TimeDistributed(layer): applies `layer` to every step of a (batch, time, ...) input by
// folding time into the batch. The inner layer sees the mask folded the same way, and the
// output gets the input's (batch, time) mask back.
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

class TimeDistributedLayer : public Layer {
 public:
  explicit TimeDistributedLayer(LayerRef inner, std::string name = "");
  void on_build(const std::vector<TensorSpec>& input_specs) override;  // builds the inner layer
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  const LayerRef& inner() const { return inner_; }

 private:
  LayerRef inner_;
};

class TimeDistributed : public LayerHandle<TimeDistributedLayer> {
 public:
  explicit TimeDistributed(LayerRef inner, std::string name = "")
      : LayerHandle(std::make_shared<TimeDistributedLayer>(std::move(inner), std::move(name))) {}
};

}  // namespace lamina::layers
