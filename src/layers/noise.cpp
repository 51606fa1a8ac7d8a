#include "lamina/layers/noise.hpp"

#include <fmt/format.h>

#include <cmath>

#include "lamina/core/error.hpp"
#include "lamina/core/random.hpp"
#include "lamina/ops/elementwise.hpp"

namespace lamina::layers {

GaussianNoiseLayer::GaussianNoiseLayer(double stddev, GaussianNoiseOptions options)
    : Layer("GaussianNoise", options.name), stddev_(stddev), options_(std::move(options)) {
  LayerScope scope(name(), type());  // errors name the layer
  if (!(stddev >= 0.0) || std::isinf(stddev))
    throw ValueError({.problem = "the noise stddev must be finite and >= 0",
                      .expected = "0 <= stddev < inf",
                      .found = fmt::format("{}", stddev),
                      .hint = "use a small stddev such as 0.1; 0 disables the noise"});
  if (options_.seed) generator() = Generator(*options_.seed);
}

Tensor GaussianNoiseLayer::call(const Tensor& x, const Tensor&, bool training) {
  if (!is_floating(x.dtype()))
    throw DTypeError({.problem = "GaussianNoise adds noise to floating-point values",
                      .expected = "a float32 or float64 input",
                      .found = x.spec().str(),
                      .hint = "cast the input first: lm::cast(x, lm::Float32)"});
  if (!training || stddev_ == 0.0 || x.is_symbolic()) return x;
  return x + random_normal(x.shape(), {.stddev = stddev_, .dtype = x.dtype()}, generator());
}

Json GaussianNoiseLayer::get_config() const {
  Json c = Layer::get_config();
  c["stddev"] = stddev_;
  if (options_.seed) c["seed"] = *options_.seed;
  return c;
}

}  // namespace lamina::layers
