#pragma once
// LayerNormalization and BatchNormalization with Keras's options, defaults and weights.
//
// LayerNormalization normalises each sample over `axis` (default the features):
//   y = (x - mean) / sqrt(variance + epsilon) * gamma + beta
// with the (biased) mean and variance over those axes. With rms_scaling it is RMSNorm
// (Zhang & Sennrich, 2019): y = x / sqrt(mean(x^2) + epsilon) * gamma, no centring and no
// beta (center is ignored; gamma is always created, as in Keras 3). Keras's implementation
// divides by the variance instead, against its own documentation (keras-team/keras#21234);
// we follow the documented, published definition, which PyTorch's rms_norm computes too. gamma and beta have the shape of
// the normalised axes. If `axis` includes a masked axis (say time), padded entries are
// left out of the statistics (the mask-aware `mean` op).
//
// BatchNormalization normalises each channel (`axis`, default the last) with statistics
// over every other axis:
//   - training (and the layer trainable): batch mean and (biased) variance, and the
//     moving statistics are updated with Keras's formula
//       moving = moving * momentum + batch * (1 - momentum);
//   - otherwise (inference, or set_trainable(false), as in Keras 3): moving_mean and
//     moving_variance. Weights, in Keras's order: gamma, beta (trainable), moving_mean,
//     moving_variance (non-trainable).
//   With a masked input the batch statistics are computed over the valid entries only
//   (padding does not pull the moving statistics towards its filler values), as Keras 3
//   does; this comes from the mask-aware `mean` op. The moving-statistics update is not
//   recorded on gradient tapes (Keras's assign does not differentiate either).
//
// Masks (DESIGN.md section 5): both layers pass the input's mask through unchanged.
// Normalising over the batch axis (axis 0) is a ValueError: the weights would depend on
// the batch size.
#include <string>

#include "lamina/layers/layer.hpp"
#include "lamina/ops/reduce.hpp"

namespace lamina::layers {

struct LayerNormalizationOptions {
  Axes axis = {-1};
  double epsilon = 1e-3;
  bool center = true;  // add beta
  bool scale = true;   // multiply by gamma
  bool rms_scaling = false;  // RMSNorm: no mean, no beta
  InitializerSpec beta_initializer = "zeros";
  InitializerSpec gamma_initializer = "ones";
  std::string name;
};

class LayerNormalizationLayer : public Layer {
 public:
  explicit LayerNormalizationLayer(LayerNormalizationOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  std::optional<TensorList> compute_mask(const TensorList& inputs, const TensorList& masks) override { return masks; }
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  const Variable& gamma() const { return gamma_; }  // undefined without scale
  const Variable& beta() const { return beta_; }    // undefined without center

 private:
  LayerNormalizationOptions options_;
  Axes axes_;  // normalised, sorted
  Shape built_shape_;
  Variable gamma_, beta_;
};

class LayerNormalization : public LayerHandle<LayerNormalizationLayer> {
 public:
  LayerNormalization(LayerNormalizationOptions options = {})
      : LayerHandle(std::make_shared<LayerNormalizationLayer>(std::move(options))) {}
};

struct BatchNormalizationOptions {
  std::int64_t axis = -1;  // the channel axis
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  InitializerSpec beta_initializer = "zeros";
  InitializerSpec gamma_initializer = "ones";
  InitializerSpec moving_mean_initializer = "zeros";
  InitializerSpec moving_variance_initializer = "ones";
  std::string name;
};

class BatchNormalizationLayer : public Layer {
 public:
  explicit BatchNormalizationLayer(BatchNormalizationOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  std::optional<TensorList> compute_mask(const TensorList& inputs, const TensorList& masks) override { return masks; }
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  const Variable& gamma() const { return gamma_; }  // undefined without scale
  const Variable& beta() const { return beta_; }    // undefined without center
  const Variable& moving_mean() const { return moving_mean_; }
  const Variable& moving_variance() const { return moving_variance_; }

 private:
  BatchNormalizationOptions options_;
  std::int64_t axis_ = 0;  // normalised
  Shape built_shape_;
  Variable gamma_, beta_, moving_mean_, moving_variance_;
};

class BatchNormalization : public LayerHandle<BatchNormalizationLayer> {
 public:
  BatchNormalization(BatchNormalizationOptions options = {})
      : LayerHandle(std::make_shared<BatchNormalizationLayer>(std::move(options))) {}
};

}  // namespace lamina::layers
