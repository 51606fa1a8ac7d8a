// LayerNormalization and BatchNormalization, written with the mask-aware reduce ops so
// statistics over masked axes skip padding.
#include "lamina/layers/normalization.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lamina/autograd/tape.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

namespace {

std::string axes_str(const Axes& axes) {
  std::string s;
  for (auto a : axes) s += (s.empty() ? "" : ", ") + std::to_string(a);
  return "[" + s + "]";
}

// Normalises (negative) axes for a rank-`rank` input: in range, not the batch axis,
// sorted and unique.
Axes feature_axes(const Axes& axes, std::int64_t rank, const Shape& shape) {
  Axes out;
  for (auto a : axes) {
    std::int64_t n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank)
      throw ShapeError({.problem = "the normalisation axis is out of range for the input",
                        .expected = fmt::format("axes in [{}, {}) for a rank-{} input", -rank, rank, rank),
                        .found = fmt::format("axis {} for input {}", a, shape.str()),
                        .hint = "negative axes count from the end: -1 is the feature axis"});
    if (n == 0)
      throw ValueError({.problem = "cannot normalise over the batch axis",
                        .expected = "axes after the batch axis (0)",
                        .found = fmt::format("axis {} for input {}", a, shape.str()),
                        .hint = "the weights would depend on the batch size; use axis -1 for the features"});
    if (shape[n] < 0)
      throw ShapeError({.problem = "the normalised axes need a known size (the weights have that shape)",
                        .expected = fmt::format("a known size on axis {}", n),
                        .found = shape.str(),
                        .hint = "give Input() the feature size, e.g. lm::Input({lm::None, 16})"});
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The shape a weight over `axes` takes to broadcast against the input: 1 elsewhere.
Shape param_broadcast_shape(const Shape& input, const Axes& axes) {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(input.rank()), 1);
  for (auto a : axes) dims[static_cast<std::size_t>(a)] = input[a];
  return Shape(dims);
}

// The input must have the rank and the normalised sizes the layer was built for.
void check_built_shape(const Tensor& x, const Shape& built, const Axes& axes) {
  bool ok = x.rank() == built.rank();
  for (std::size_t i = 0; ok && i < axes.size(); ++i)
    ok = x.shape()[axes[i]] < 0 || x.shape()[axes[i]] == built[axes[i]];
  if (!ok)
    throw ShapeError({.problem = "the input does not match the shape the layer was built for",
                      .expected = fmt::format("rank {} with sizes {} on axes {}", built.rank(),
                                              param_broadcast_shape(built, axes).str(), axes_str(axes)),
                      .found = x.shape().str(),
                      .hint = "a layer keeps the input size it was first called with; create a new layer"});
}

Tensor normalize(const Tensor& x, const Tensor& mean, const Tensor& variance, double epsilon, const Variable& gamma,
                 const Variable& beta, const Shape& param_shape) {
  Tensor y = (x - mean) / sqrt(variance + epsilon);
  if (gamma.defined()) y = y * reshape(gamma.value(), param_shape);
  if (beta.defined()) y = y + reshape(beta.value(), param_shape);
  return y;
}

}  // namespace

// ---- LayerNormalization -----------------------------------------------------------------

LayerNormalizationLayer::LayerNormalizationLayer(LayerNormalizationOptions options)
    : Layer("LayerNormalization", options.name), options_(std::move(options)) {
  LayerScope scope(name(), type());
  if (options_.axis.empty())
    throw ValueError({.problem = "no axis to normalise over",
                      .expected = "at least one axis, e.g. {-1}",
                      .found = "an empty axis list",
                      .hint = "normalise over the features with axis = {-1} (the default)"});
  if (!(options_.epsilon > 0))
    throw ValueError({.problem = "epsilon must be positive",
                      .expected = "epsilon > 0 (Keras default 1e-3)",
                      .found = fmt::format("{}", options_.epsilon),
                      .hint = "use a small positive epsilon such as 1e-3 (the Keras default)"});
}

void LayerNormalizationLayer::on_build(const std::vector<TensorSpec>& specs) {
  built_shape_ = specs.at(0).shape;
  axes_ = feature_axes(options_.axis, built_shape_.rank(), built_shape_);
  Shape weight_shape;
  {
    std::vector<std::int64_t> dims;
    for (auto a : axes_) dims.push_back(built_shape_[a]);
    weight_shape = Shape(dims);
  }
  if (options_.scale || options_.rms_scaling) gamma_ = add_weight("gamma", weight_shape, options_.gamma_initializer);
  if (options_.center && !options_.rms_scaling) beta_ = add_weight("beta", weight_shape, options_.beta_initializer);
}

Tensor LayerNormalizationLayer::call(const Tensor& x, const Tensor&, bool) {
  check_built_shape(x, built_shape_, axes_);
  const Shape param_shape = param_broadcast_shape(built_shape_, axes_);
  if (options_.rms_scaling)
    return x / sqrt(mean(square(x), axes_, true) + options_.epsilon) * reshape(gamma_.value(), param_shape);
  Tensor mu = mean(x, axes_, true);
  Tensor variance = mean(square(x - mu), axes_, true);  // biased, as Keras
  return normalize(x, mu, variance, options_.epsilon, gamma_, beta_, param_shape);
}

Json LayerNormalizationLayer::get_config() const {
  Json c = Layer::get_config();
  c["axis"] = options_.axis;
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  c["rms_scaling"] = options_.rms_scaling;
  c["beta_initializer"] = options_.beta_initializer.name();
  c["gamma_initializer"] = options_.gamma_initializer.name();
  return c;
}

// ---- BatchNormalization -----------------------------------------------------------------

BatchNormalizationLayer::BatchNormalizationLayer(BatchNormalizationOptions options)
    : Layer("BatchNormalization", options.name), options_(std::move(options)) {
  LayerScope scope(name(), type());
  if (!(options_.momentum >= 0 && options_.momentum <= 1))
    throw ValueError({.problem = "momentum must be in [0, 1]",
                      .expected = "0 <= momentum <= 1 (Keras default 0.99)",
                      .found = fmt::format("{}", options_.momentum),
                      .hint = "use a momentum such as 0.99 (the Keras default)"});
  if (!(options_.epsilon > 0))
    throw ValueError({.problem = "epsilon must be positive",
                      .expected = "epsilon > 0 (Keras default 1e-3)",
                      .found = fmt::format("{}", options_.epsilon),
                      .hint = "use a small positive epsilon such as 1e-3 (the Keras default)"});
}

void BatchNormalizationLayer::on_build(const std::vector<TensorSpec>& specs) {
  built_shape_ = specs.at(0).shape;
  axis_ = feature_axes({options_.axis}, built_shape_.rank(), built_shape_)[0];
  Shape channels{built_shape_[axis_]};
  if (options_.scale) gamma_ = add_weight("gamma", channels, options_.gamma_initializer);
  if (options_.center) beta_ = add_weight("beta", channels, options_.beta_initializer);
  moving_mean_ = add_weight("moving_mean", channels, options_.moving_mean_initializer, false);
  moving_variance_ = add_weight("moving_variance", channels, options_.moving_variance_initializer, false);
}

Tensor BatchNormalizationLayer::call(const Tensor& x, const Tensor&, bool training) {
  check_built_shape(x, built_shape_, {axis_});
  const Shape param_shape = param_broadcast_shape(built_shape_, {axis_});
  if (!(training && trainable()))
    return normalize(x, reshape(moving_mean_.value(), param_shape), reshape(moving_variance_.value(), param_shape),
                     options_.epsilon, gamma_, beta_, param_shape);
  Axes reduced;
  for (std::int64_t i = 0; i < x.rank(); ++i)
    if (i != axis_) reduced.push_back(i);
  // Mask-aware: padded entries are left out of both statistics.
  Tensor mu = mean(x, reduced, true).without_mask();
  Tensor variance = mean(square(x - mu), reduced, true).without_mask();
  // An empty batch, or one that is all padding, has no statistics to move towards.
  const bool has_values = !x.is_symbolic() && x.numel() > 0 && (!x.has_mask() || any(x.mask()).item<bool>());
  if (has_values) {
    // Keras: moving = moving * momentum + batch * (1 - momentum), off the tape.
    const double m = options_.momentum;
    const Shape channels{built_shape_[axis_]};
    auto update = [&](Variable& v, const Tensor& batch) {
      Tensor b = stop_gradient(reshape(batch, channels));
      v.assign(cast(v.value() * m + b * (1.0 - m), v.dtype()));
    };
    update(moving_mean_, mu);
    update(moving_variance_, variance);
  }
  return normalize(x, mu, variance, options_.epsilon, gamma_, beta_, param_shape);
}

Json BatchNormalizationLayer::get_config() const {
  Json c = Layer::get_config();
  c["axis"] = options_.axis;
  c["momentum"] = options_.momentum;
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  c["beta_initializer"] = options_.beta_initializer.name();
  c["gamma_initializer"] = options_.gamma_initializer.name();
  c["moving_mean_initializer"] = options_.moving_mean_initializer.name();
  c["moving_variance_initializer"] = options_.moving_variance_initializer.name();
  return c;
}

}  // namespace lamina::layers
