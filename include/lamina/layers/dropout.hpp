#pragma once
// Dropout: in training, zeroes each entry with probability `rate` and scales the rest by
// 1 / (1 - rate) (inverted dropout); the identity at inference. Seeded per layer.
#include <optional>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct DropoutOptions {
  std::optional<std::uint64_t> seed;  // default: drawn from lm::set_seed's generator
  std::string name;
};

class DropoutLayer : public Layer {
 public:
  DropoutLayer(double rate, DropoutOptions options = {});
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  double rate_;
  DropoutOptions options_;
};

class Dropout : public LayerHandle<DropoutLayer> {
 public:
  Dropout(double rate, DropoutOptions options = {})
      : LayerHandle(std::make_shared<DropoutLayer>(rate, std::move(options))) {}
};

// SpatialDropout1D: Dropout of whole channels -- in training each (sample, channel) of a
// (batch, time, channels) input is zeroed at every step with probability `rate` (the rest
// scaled by 1 / (1 - rate)), as Keras's noise shape (batch, 1, channels). Identity at
// inference; masks pass through unchanged.
class SpatialDropout1DLayer : public Layer {
 public:
  SpatialDropout1DLayer(double rate, DropoutOptions options = {});
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  double rate_;
  DropoutOptions options_;
};

class SpatialDropout1D : public LayerHandle<SpatialDropout1DLayer> {
 public:
  SpatialDropout1D(double rate, DropoutOptions options = {})
      : LayerHandle(std::make_shared<SpatialDropout1DLayer>(rate, std::move(options))) {}
};

// The inverted-dropout mask for `shape`: 0 with probability rate, else 1 / (1 - rate).
Tensor dropout_mask(const Shape& shape, double rate, DType dtype, Generator& gen);

}  // namespace lamina::layers
