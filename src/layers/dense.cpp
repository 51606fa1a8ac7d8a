#include "lamina/layers/dense.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/linalg.hpp"

namespace lamina::layers {

DenseLayer::DenseLayer(std::int64_t units, DenseOptions options)
    : Layer("Dense", options.name), units_(units), options_(std::move(options)) {
  LayerScope scope(name(), type());  // errors name the layer
  if (units <= 0)
    throw ValueError({.problem = "Dense needs a positive number of units",
                      .expected = "units >= 1",
                      .found = std::to_string(units),
                      .hint = "units is the number of output features, e.g. Dense(64)"});
  options_.activation.check("activation");
}

void DenseLayer::on_build(const std::vector<TensorSpec>& specs) {
  const Shape& s = specs.at(0).shape;
  if (s.rank() < 2 || s[s.rank() - 1] < 0)
    throw ShapeError({.problem = "Dense needs inputs of shape (batch, ..., features) with known features",
                      .expected = "rank >= 2 and a known last dimension",
                      .found = s.str(),
                      .hint = "give Input() the feature size, e.g. lm::Input({10})"});
  kernel_ = add_weight("kernel", Shape{s[s.rank() - 1], units_}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", Shape{units_}, options_.bias_initializer);
}

Tensor DenseLayer::call(const Tensor& x, const Tensor&, bool) {
  std::int64_t features = kernel_.shape()[0];
  if (x.rank() < 2 || (x.dim(-1) >= 0 && x.dim(-1) != features))
    throw ShapeError(
        {.problem = "input features do not match the layer's kernel",
         .expected = fmt::format("inputs (batch, ..., {}) -- the layer was built for {} features", features, features),
         .found = x.shape().str(),
         .hint = "a layer keeps the input size it was first called with; create a new layer"});
  // relu is fused into the product (one op, one output); other activations follow it.
  const bool fuse_relu = options_.activation.is_builtin() && options_.activation.name() == "relu";
  Tensor y = dense(x, kernel_.value(), options_.use_bias ? bias_.value() : Tensor(),
                   fuse_relu ? DenseActivation::Relu : DenseActivation::Linear);
  return fuse_relu ? y : options_.activation(y);
}

Json DenseLayer::get_config() const {
  Json c = Layer::get_config();
  c["units"] = units_;
  c["activation"] = options_.activation.name();
  c["use_bias"] = options_.use_bias;
  c["kernel_initializer"] = options_.kernel_initializer.name();
  c["bias_initializer"] = options_.bias_initializer.name();
  return c;
}

}  // namespace lamina::layers
