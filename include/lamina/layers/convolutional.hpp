#pragma once
// Conv1D: a 1-D convolution over the time axis, with Keras's options, defaults and kernel
// layout ([kernel_size, channels / groups, filters], bias [filters]), so weights move
// between Keras and Lamina unchanged.
//
//   (batch, time, channels) -> (batch, out_time, filters)      (channels_last, the default)
//   out_time: valid ceil((T - span + 1) / strides), same and causal ceil(T / strides),
//   where span = (kernel_size - 1) * dilation_rate + 1. "same" splits the padding as TF
//   does (the smaller half on the left); "causal" puts span - 1 zeros on the left, so
//   output t sees inputs <= t * strides only.
//
// It runs as im2col (one strided slice per tap) followed by one GEMM per group through
// lm::dot / lm::matmul, so gradients come from those ops. The weights take the dtype of
// the input the layer is built for (float32 for integer inputs); later inputs are cast to
// it, as Keras autocasts.
//
// Masks (Keras's Conv1D drops them; Lamina follows them). Masked input steps act exactly
// as zeros that are not there: they are replaced by zeros (selected, so NaN or inf padding
// never leaks) before the convolution. An output step of a (batch, time) mask is valid iff
//   - valid:  every tap of its window reads a valid step (the window lies inside the
//             sequence, whether the batch is padded on the right or on the left);
//   - causal: its last tap -- the step it is aligned with, t * strides -- is valid;
//   - same:   the step it is aligned with, t * strides, is valid and at least one tap is.
// So a Conv1D over a padded batch gives, at every valid output step, the values of the
// unpadded sequence: its own zero padding ("same", "causal") and the masked steps are the
// same zeros. (With "same" and strides > 1 the padding split depends on the padded length,
// as in Keras, so there the windows of a padded and an unpadded sequence may differ.) A
// (batch,) mask passes through; a mask over channels is a MaskError.
#include <cstdint>
#include <string>

#include "lamina/layers/activations.hpp"
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct Conv1DOptions {
  std::int64_t strides = 1;
  std::string padding = "valid";  // "valid", "same" or "causal"
  std::string data_format = "channels_last";  // or "channels_first": (batch, channels, time)
  std::int64_t dilation_rate = 1;
  std::int64_t groups = 1;  // channels and filters split into groups convolved separately
  ActivationSpec activation = "linear";
  bool use_bias = true;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

class Conv1DLayer : public Layer {
 public:
  Conv1DLayer(std::int64_t filters, std::int64_t kernel_size, Conv1DOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  std::int64_t filters() const { return filters_; }
  std::int64_t kernel_size() const { return kernel_size_; }
  const Conv1DOptions& options() const { return options_; }
  const Variable& kernel() const { return kernel_; }  // [kernel_size, channels / groups, filters]
  const Variable& bias() const { return bias_; }      // undefined without use_bias

 private:
  std::int64_t filters_, kernel_size_;
  Conv1DOptions options_;
  Variable kernel_, bias_;
};

class Conv1D : public LayerHandle<Conv1DLayer> {
 public:
  Conv1D(std::int64_t filters, std::int64_t kernel_size, Conv1DOptions options = {})
      : LayerHandle(std::make_shared<Conv1DLayer>(filters, kernel_size, std::move(options))) {}
};

}  // namespace lamina::layers
