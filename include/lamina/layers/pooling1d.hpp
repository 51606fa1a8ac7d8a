#pragma once
// MaxPooling1D and AveragePooling1D: pools over windows of pool_size steps, moved by
// strides (default pool_size), with Keras's options and output lengths (padding "valid"
// or "same"; "same" pads as TF does and the padded positions take no part, as TF's).
//
// Masks: masked input steps act exactly as zeros that are not there -- a window averages
// its valid steps only (the count excludes masked and padded steps) and takes the max of
// its valid steps only, whatever the masked steps hold. A (batch, time) mask becomes the
// (batch, out_time) mask "the window has a valid step"; a window with none is masked and
// gives 0 (never NaN or -inf). A (batch,) mask passes through; a mask over channels is a
// MaskError. (Keras's 1-D poolings ignore masks.)
#include <cstdint>
#include <optional>
#include <string>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct Pooling1DWindowOptions {
  std::optional<std::int64_t> strides;          // default: pool_size
  std::string padding = "valid";                // or "same"
  std::string data_format = "channels_last";    // or "channels_first": (batch, channels, time)
  std::string name;
};

// Shared by both poolings: options, checks, windows and masks; pool() reduces the taps.
class WindowPooling1DLayer : public Layer {
 public:
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  std::int64_t pool_size() const { return pool_size_; }
  std::int64_t strides() const { return strides_; }

 protected:
  WindowPooling1DLayer(std::string type, std::int64_t pool_size, Pooling1DWindowOptions options);
  // (B, out, pool_size, C) taps, masked where a tap reads no valid step -> (B, out, C).
  virtual Tensor pool(const Tensor& taps) const = 0;

 private:
  std::int64_t pool_size_, strides_;
  Pooling1DWindowOptions options_;
};

class MaxPooling1DLayer : public WindowPooling1DLayer {
 public:
  explicit MaxPooling1DLayer(std::int64_t pool_size = 2, Pooling1DWindowOptions options = {})
      : WindowPooling1DLayer("MaxPooling1D", pool_size, std::move(options)) {}

 protected:
  Tensor pool(const Tensor& taps) const override;
};

class AveragePooling1DLayer : public WindowPooling1DLayer {
 public:
  explicit AveragePooling1DLayer(std::int64_t pool_size = 2, Pooling1DWindowOptions options = {})
      : WindowPooling1DLayer("AveragePooling1D", pool_size, std::move(options)) {}

 protected:
  Tensor pool(const Tensor& taps) const override;
};

class MaxPooling1D : public LayerHandle<MaxPooling1DLayer> {
 public:
  MaxPooling1D(std::int64_t pool_size = 2, Pooling1DWindowOptions options = {})
      : LayerHandle(std::make_shared<MaxPooling1DLayer>(pool_size, std::move(options))) {}
};

class AveragePooling1D : public LayerHandle<AveragePooling1DLayer> {
 public:
  AveragePooling1D(std::int64_t pool_size = 2, Pooling1DWindowOptions options = {})
      : LayerHandle(std::make_shared<AveragePooling1DLayer>(pool_size, std::move(options))) {}
};

}  // namespace lamina::layers
