#pragma once
// GaussianNoise: in training adds zero-mean normal noise of `stddev` to every entry (a
// regulariser, as Keras's); the identity at inference. Masks pass through unchanged.
// Seeded per layer.
#include <optional>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct GaussianNoiseOptions {
  std::optional<std::uint64_t> seed;  // default: drawn from lm::set_seed's generator
  std::string name;
};

class GaussianNoiseLayer : public Layer {
 public:
  GaussianNoiseLayer(double stddev, GaussianNoiseOptions options = {});
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  double stddev() const { return stddev_; }

 private:
  double stddev_;
  GaussianNoiseOptions options_;
};

class GaussianNoise : public LayerHandle<GaussianNoiseLayer> {
 public:
  GaussianNoise(double stddev, GaussianNoiseOptions options = {})
      : LayerHandle(std::make_shared<GaussianNoiseLayer>(stddev, std::move(options))) {}
};

}  // namespace lamina::layers
