#pragma once
// Flatten, Reshape and RepeatVector. They keep a mask that only covers the batch axis; a
// mask over axes they merge (time with features) is a MaskError naming the layer, since
// the result could not say which entries were padding.
#include <vector>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

// (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).
class FlattenLayer : public Layer {
 public:
  explicit FlattenLayer(std::string name = "") : Layer("Flatten", std::move(name)) {}
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
};
class Flatten : public LayerHandle<FlattenLayer> {
 public:
  explicit Flatten(std::string name = "") : LayerHandle(std::make_shared<FlattenLayer>(std::move(name))) {}
};

// (batch, ...) -> (batch, *target_shape); one target dim may be -1.
class ReshapeLayer : public Layer {
 public:
  explicit ReshapeLayer(Shape target_shape, std::string name = "");
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  std::int64_t given_size() const;  // product of the target sizes other than -1

  Shape target_;
};
class Reshape : public LayerHandle<ReshapeLayer> {
 public:
  explicit Reshape(Shape target_shape, std::string name = "")
      : LayerHandle(std::make_shared<ReshapeLayer>(std::move(target_shape), std::move(name))) {}
};

// (batch, features) -> (batch, n, features).
class RepeatVectorLayer : public Layer {
 public:
  explicit RepeatVectorLayer(std::int64_t n, std::string name = "");
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  std::int64_t n_;
};
class RepeatVector : public LayerHandle<RepeatVectorLayer> {
 public:
  explicit RepeatVector(std::int64_t n, std::string name = "")
      : LayerHandle(std::make_shared<RepeatVectorLayer>(n, std::move(name))) {}
};

}  // namespace lamina::layers
