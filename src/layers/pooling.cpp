// Global 1D poolings: the reduction and its mask rule come from the mean/max ops.
#include "lamina/layers/pooling.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"
#include "lamina/ops/reduce.hpp"

namespace lamina::layers {

GlobalPooling1DLayer::GlobalPooling1DLayer(std::string type, Pooling1DOptions options)
    : Layer(std::move(type), options.name), options_(std::move(options)) {
  LayerScope scope(name(), this->type());  // errors name the layer
  if (options_.data_format != "channels_last" && options_.data_format != "channels_first")
    throw ValueError({.problem = "unknown data_format",
                      .expected = "\"channels_last\" or \"channels_first\"",
                      .found = fmt::format("\"{}\"", options_.data_format),
                      .hint = "channels_last is (batch, time, features), channels_first (batch, features, time)"});
}

Tensor GlobalPooling1DLayer::call(const Tensor& x, const Tensor&, bool) {
  const bool last = options_.data_format == "channels_last";
  if (x.rank() != 3)
    throw ShapeError({.problem = fmt::format("{} needs a 3-D sequence input", type()),
                      .expected = last ? "(batch, time, features)" : "(batch, features, time)",
                      .found = x.shape().str(),
                      .hint = "for (batch, features) inputs there is no time axis to pool; "
                              "add one with Reshape or RepeatVector"});
  return pool(x, last ? 1 : 2, options_.keepdims);
}

Json GlobalPooling1DLayer::get_config() const {
  Json c = Layer::get_config();
  c["data_format"] = options_.data_format;
  c["keepdims"] = options_.keepdims;
  return c;
}

GlobalAveragePooling1DLayer::GlobalAveragePooling1DLayer(Pooling1DOptions options)
    : GlobalPooling1DLayer("GlobalAveragePooling1D", std::move(options)) {}

Tensor GlobalAveragePooling1DLayer::pool(const Tensor& x, std::int64_t axis, bool keepdims) const {
  return mean(x, axis, keepdims);  // divides by the count of valid steps
}

GlobalMaxPooling1DLayer::GlobalMaxPooling1DLayer(Pooling1DOptions options)
    : GlobalPooling1DLayer("GlobalMaxPooling1D", std::move(options)) {}

Tensor GlobalMaxPooling1DLayer::pool(const Tensor& x, std::int64_t axis, bool keepdims) const {
  // No steps at all (T = 0): the max op refuses an empty axis; give 0, as for a row whose
  // steps are all padding -- which is what the mean over an empty axis gives, mask included.
  if (x.dim(axis) == 0) return mean(x, axis, keepdims);
  return max(x, axis, keepdims);  // skips padded steps
}

}  // namespace lamina::layers
