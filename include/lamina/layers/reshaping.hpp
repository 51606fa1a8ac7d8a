#pragma once
// Flatten, Reshape, RepeatVector and Permute. Flatten, Reshape and RepeatVector keep a
// mask that only covers the batch axis; a mask over axes they merge (time with features)
// is a MaskError naming the layer, since the result could not say which entries were
// padding. Permute moves the mask with its axes (the transpose op's rule: when the masked
// axes would no longer lead, the mask is first widened to every axis).
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

// (batch, d1, ..., dn) -> the dims in the order `dims`, a permutation of 1..n (1-based,
// the batch axis stays first), as Keras's Permute((2, 1)).
class PermuteLayer : public Layer {
 public:
  explicit PermuteLayer(std::vector<std::int64_t> dims, std::string name = "");
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  const std::vector<std::int64_t>& dims() const { return dims_; }

 private:
  std::vector<std::int64_t> dims_;
};
class Permute : public LayerHandle<PermuteLayer> {
 public:
  explicit Permute(std::vector<std::int64_t> dims, std::string name = "")
      : LayerHandle(std::make_shared<PermuteLayer>(std::move(dims), std::move(name))) {}
};

}  // namespace lamina::layers
