#include "lamina/layers/dropout.hpp"

#include <fmt/format.h>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

Tensor dropout_mask(const Shape& shape, double rate, DType dtype, Generator& gen) {
  std::vector<double> keep(static_cast<std::size_t>(shape.numel()));
  const double scale = 1.0 / (1.0 - rate);
  for (auto& k : keep) k = gen.uniform() < rate ? 0.0 : scale;
  return tensor(keep, shape, dtype);
}

DropoutLayer::DropoutLayer(double rate, DropoutOptions options)
    : Layer("Dropout", options.name), rate_(rate), options_(std::move(options)) {
  LayerScope scope(name(), type());  // errors name the layer
  if (!(rate >= 0.0 && rate < 1.0))
    throw ValueError({.problem = "the dropout rate must be in [0, 1)",
                      .expected = "0 <= rate < 1",
                      .found = fmt::format("{}", rate),
                      .hint = "use a rate such as 0.5 (the fraction dropped); 0 disables dropout"});
  if (options_.seed) generator() = Generator(*options_.seed);
}

Tensor DropoutLayer::call(const Tensor& x, const Tensor&, bool training) {
  if (!training || rate_ == 0.0 || x.is_symbolic()) return x;
  return x * dropout_mask(x.shape(), rate_, is_floating(x.dtype()) ? x.dtype() : Float32, generator());
}

Json DropoutLayer::get_config() const {
  Json c = Layer::get_config();
  c["rate"] = rate_;
  if (options_.seed) c["seed"] = *options_.seed;
  return c;
}

SpatialDropout1DLayer::SpatialDropout1DLayer(double rate, DropoutOptions options)
    : Layer("SpatialDropout1D", options.name), rate_(rate), options_(std::move(options)) {
  LayerScope scope(name(), type());  // errors name the layer
  if (!(rate >= 0.0 && rate < 1.0))
    throw ValueError({.problem = "the dropout rate must be in [0, 1)",
                      .expected = "0 <= rate < 1",
                      .found = fmt::format("{}", rate),
                      .hint = "use a rate such as 0.2 (the fraction of channels dropped); 0 disables dropout"});
  if (options_.seed) generator() = Generator(*options_.seed);
}

Tensor SpatialDropout1DLayer::call(const Tensor& x, const Tensor&, bool training) {
  if (x.rank() != 3)
    throw ShapeError({.problem = "SpatialDropout1D drops channels of (batch, time, channels) sequences",
                      .expected = "rank 3",
                      .found = x.shape().str(),
                      .hint = "for (batch, features) inputs use Dropout"});
  if (!training || rate_ == 0.0 || x.is_symbolic()) return x;
  const Shape noise{x.dim(0), 1, x.dim(2)};  // one draw per (sample, channel), shared by every step
  return x * dropout_mask(noise, rate_, is_floating(x.dtype()) ? x.dtype() : Float32, generator());
}

Json SpatialDropout1DLayer::get_config() const {
  Json c = Layer::get_config();
  c["rate"] = rate_;
  if (options_.seed) c["seed"] = *options_.seed;
  return c;
}

}  // namespace lamina::layers
