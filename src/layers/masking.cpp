#include "lamina/layers/masking.hpp"

#include "lamina/core/error.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

MaskingLayer::MaskingLayer(MaskingOptions options) : Layer("Masking", options.name), options_(std::move(options)) {}

Tensor MaskingLayer::call(const Tensor& x, const Tensor&, bool) {
  if (x.rank() < 2)
    throw ShapeError(
        {.problem = "Masking needs (batch, ..., features) inputs",
         .expected = "rank >= 2",
         .found = x.shape().str(),
         .hint = "Masking works on (batch, time, features); add a feature axis with lm::expand_dims(x, -1)"});
  Tensor values = x.without_mask();
  // A step is valid when any feature differs from mask_value (and the input's mask agrees).
  Tensor step_valid = any(values != options_.mask_value, -1);
  Tensor prior = full_mask(x);
  if (x.has_mask()) step_valid = step_valid & all(prior, -1);
  Tensor zeroed = where(expand_dims(step_valid, -1), values, 0);
  return zeroed.with_mask(step_valid);
}

Json MaskingLayer::get_config() const {
  Json c = Layer::get_config();
  c["mask_value"] = options_.mask_value;
  return c;
}

}  // namespace lamina::layers
