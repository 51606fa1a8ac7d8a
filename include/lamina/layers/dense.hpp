#pragma once
// Dense: y = activation(x . kernel + bias) over the last axis of an input of any rank >= 2.
// Masks pass through unchanged (a (B, T) mask on (B, T, F) stays on (B, T, units)).
#include "lamina/layers/activations.hpp"
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct DenseOptions {
  ActivationSpec activation = "linear";
  bool use_bias = true;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

class DenseLayer : public Layer {
 public:
  DenseLayer(std::int64_t units, DenseOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  std::int64_t units() const { return units_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }  // undefined without use_bias

 private:
  std::int64_t units_;
  DenseOptions options_;
  Variable kernel_, bias_;
};

class Dense : public LayerHandle<DenseLayer> {
 public:
  Dense(std::int64_t units, DenseOptions options = {})
      : LayerHandle(std::make_shared<DenseLayer>(units, std::move(options))) {}
};

}  // namespace lamina::layers
