#include "lamina/layers/time_distributed.hpp"

#include "lamina/core/error.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

TimeDistributedLayer::TimeDistributedLayer(LayerRef inner, std::string name)
    : Layer("TimeDistributed", std::move(name)), inner_(std::move(inner)) {
  LayerScope scope(this->name(), type());  // errors name the layer
  if (!inner_.ptr())
    throw ValueError({.problem = "TimeDistributed needs a layer",
                      .expected = "a layer",
                      .found = "an empty handle",
                      .hint = "wrap a layer: TimeDistributed(Dense(8))"});
  track_layer(inner_.ptr());
}

namespace {
// (B, T, rest...) -> (B * T, rest...), or (-1, rest...) when B or T is unknown (symbolic).
// Known sizes are spelt out: with zero-size steps (rest holding a 0) a -1 cannot be inferred.
Shape folded(const Shape& s) {
  std::vector<std::int64_t> dims{s[0] >= 0 && s[1] >= 0 ? s[0] * s[1] : -1};
  dims.insert(dims.end(), s.begin() + 2, s.end());
  return Shape(dims);
}
// (B * T, rest...) -> (B, T, rest...).
Shape unfolded(std::int64_t b, std::int64_t t, const Shape& s) {
  std::vector<std::int64_t> dims{b, t};
  dims.insert(dims.end(), s.begin() + 1, s.end());
  return Shape(dims);
}
}  // namespace

void TimeDistributedLayer::on_build(const std::vector<TensorSpec>& specs) {
  const TensorSpec& x = specs.at(0);
  if (x.shape.rank() < 3) return;  // call() raises the ShapeError naming the layer
  // What the inner layer sees: time folded into the batch, the mask folded the same way.
  inner_->build({TensorSpec{folded(x.shape), x.dtype, x.has_mask() ? 1 : -1}});
}

Tensor TimeDistributedLayer::call(const Tensor& x, const Tensor& mask, bool training) {
  if (x.rank() < 3)
    throw ShapeError({.problem = "TimeDistributed needs (batch, time, ...) inputs",
                      .expected = "rank >= 3",
                      .found = x.shape().str(),
                      .hint = "TimeDistributed applies a layer at every step of a (batch, time, ...) input; call the "
                              "layer directly on (batch, features)"});
  const std::int64_t b = x.dim(0), t = x.dim(1);
  Tensor inner_in = reshape(x.without_mask(), folded(x.shape()));
  if (mask.defined()) {
    // A batch-only (or scalar) mask applies to every step of its example.
    Tensor steps = mask;
    if (mask.rank() == 0) steps = broadcast_to(mask, Shape{b, t});
    if (mask.rank() == 1) steps = broadcast_to(expand_dims(mask, 1), Shape{b, t});
    inner_in = inner_in.with_mask(reshape(steps, folded(steps.shape())));
  }
  Tensor y = inner_(inner_in, CallOptions{.training = training});
  Tensor out = reshape(y.without_mask(), unfolded(b, t, y.shape()));
  if (!y.has_mask()) return out;  // the inner layer consumed the mask
  return out.with_mask(reshape(y.mask(), unfolded(b, t, y.mask().shape())));
}

Json TimeDistributedLayer::get_config() const {
  Json c = Layer::get_config();
  c["layer"] = inner_->get_config();
  return c;
}

}  // namespace lamina::layers
