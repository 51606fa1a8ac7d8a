#pragma once
// Masking: a step (all but the last axis) is masked when every one of its features equals
// mask_value. Masked steps output 0; the output mask is ANDed with any mask the input had.
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct MaskingOptions {
  double mask_value = 0.0;
  std::string name;
};

class MaskingLayer : public Layer {
 public:
  explicit MaskingLayer(MaskingOptions options = {});
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  MaskingOptions options_;
};

class Masking : public LayerHandle<MaskingLayer> {
 public:
  explicit Masking(MaskingOptions options = {}) : LayerHandle(std::make_shared<MaskingLayer>(std::move(options))) {}
};

}  // namespace lamina::layers
