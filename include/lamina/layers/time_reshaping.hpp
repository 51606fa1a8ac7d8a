#pragma once
// Layers that change the time axis of (batch, time, features) sequences, with Keras's
// options. Masks follow the shape ops they are made of (DESIGN.md section 5):
//   - Cropping1D({a, b}) drops a steps at the start and b at the end; the mask is cropped too.
//   - ZeroPadding1D({a, b}) adds a zero steps at the start and b at the end; the added steps
//     are masked (the pad op's rule: padding is not data), the others keep their mask.
//   - UpSampling1D(size) repeats every step size times; its mask entry is repeated too.
// A (batch,) mask passes through all three.
#include <cstdint>
#include <utility>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

class Cropping1DLayer : public Layer {
 public:
  explicit Cropping1DLayer(std::pair<std::int64_t, std::int64_t> cropping = {1, 1}, std::string name = "");
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  std::pair<std::int64_t, std::int64_t> cropping_;
};

class ZeroPadding1DLayer : public Layer {
 public:
  explicit ZeroPadding1DLayer(std::pair<std::int64_t, std::int64_t> padding = {1, 1}, std::string name = "");
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  std::pair<std::int64_t, std::int64_t> padding_;
};

class UpSampling1DLayer : public Layer {
 public:
  explicit UpSampling1DLayer(std::int64_t size = 2, std::string name = "");
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 private:
  std::int64_t size_;
};

class Cropping1D : public LayerHandle<Cropping1DLayer> {
 public:
  explicit Cropping1D(std::pair<std::int64_t, std::int64_t> cropping = {1, 1}, std::string name = "")
      : LayerHandle(std::make_shared<Cropping1DLayer>(cropping, std::move(name))) {}
};
class ZeroPadding1D : public LayerHandle<ZeroPadding1DLayer> {
 public:
  explicit ZeroPadding1D(std::pair<std::int64_t, std::int64_t> padding = {1, 1}, std::string name = "")
      : LayerHandle(std::make_shared<ZeroPadding1DLayer>(padding, std::move(name))) {}
};
class UpSampling1D : public LayerHandle<UpSampling1DLayer> {
 public:
  explicit UpSampling1D(std::int64_t size = 2, std::string name = "")
      : LayerHandle(std::make_shared<UpSampling1DLayer>(size, std::move(name))) {}
};

}  // namespace lamina::layers
