#pragma once
// GlobalAveragePooling1D and GlobalMaxPooling1D: reduce the time axis of a sequence.
//
// channels_last (the default) pools (batch, time, features) over axis 1; channels_first
// pools (batch, features, time) over axis 2. Both honour masks through the mask-aware
// `mean`/`max` ops (DESIGN.md section 5): padded steps are ignored, a row with no valid
// step gives 0 (never NaN or -inf), and the pooled (batch, features) output keeps a
// (batch,) "any step valid" mask, so an all-padding row is marked invalid. (Keras's
// GlobalMaxPooling1D ignores masks; ours does not.) With keepdims the time axis stays as
// size 1: (batch, 1, features) with a (batch, 1) mask.
#include <string>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct Pooling1DOptions {
  std::string data_format = "channels_last";  // or "channels_first"
  bool keepdims = false;
  std::string name;
};

// Shared by both poolings: validates the input and knows the time axis.
class GlobalPooling1DLayer : public Layer {
 public:
  GlobalPooling1DLayer(std::string type, Pooling1DOptions options);
  Tensor call(const Tensor& x, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

 protected:
  virtual Tensor pool(const Tensor& x, std::int64_t axis, bool keepdims) const = 0;

 private:
  Pooling1DOptions options_;
};

class GlobalAveragePooling1DLayer : public GlobalPooling1DLayer {
 public:
  explicit GlobalAveragePooling1DLayer(Pooling1DOptions options = {});

 protected:
  Tensor pool(const Tensor& x, std::int64_t axis, bool keepdims) const override;
};

class GlobalMaxPooling1DLayer : public GlobalPooling1DLayer {
 public:
  explicit GlobalMaxPooling1DLayer(Pooling1DOptions options = {});

 protected:
  Tensor pool(const Tensor& x, std::int64_t axis, bool keepdims) const override;
};

class GlobalAveragePooling1D : public LayerHandle<GlobalAveragePooling1DLayer> {
 public:
  GlobalAveragePooling1D(Pooling1DOptions options = {})
      : LayerHandle(std::make_shared<GlobalAveragePooling1DLayer>(std::move(options))) {}
};

class GlobalMaxPooling1D : public LayerHandle<GlobalMaxPooling1DLayer> {
 public:
  GlobalMaxPooling1D(Pooling1DOptions options = {})
      : LayerHandle(std::make_shared<GlobalMaxPooling1DLayer>(std::move(options))) {}
};

}  // namespace lamina::layers
