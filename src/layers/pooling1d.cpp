// Windowed 1-D poolings: the taps of each window (layers/support/windows) carry a mask of
// the taps that read valid steps, and the mask-aware max/mean ops reduce them, so masked
// and padded steps take no part and an all-invalid window gives 0 and is masked.
#include "lamina/layers/pooling1d.hpp"

#include <fmt/format.h>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "layers/support/windows.hpp"

namespace lamina::layers {

WindowPooling1DLayer::WindowPooling1DLayer(std::string type, std::int64_t pool_size, Pooling1DWindowOptions options)
    : Layer(std::move(type), options.name),
      pool_size_(pool_size),
      strides_(options.strides.value_or(pool_size)),
      options_(std::move(options)) {
  LayerScope scope(name(), this->type());  // errors name the layer
  auto positive = [](const char* what, std::int64_t v) {
    if (v < 1)
      throw ValueError({.problem = fmt::format("{} must be positive", what),
                        .expected = fmt::format("{} >= 1", what),
                        .found = std::to_string(v),
                        .hint = "pool_size is the window length in steps; strides defaults to pool_size"});
  };
  positive("pool_size", pool_size_);
  positive("strides", strides_);
  if (options_.padding != "valid" && options_.padding != "same")
    throw ValueError({.problem = "unknown padding",
                      .expected = "\"valid\" or \"same\"",
                      .found = fmt::format("\"{}\"", options_.padding),
                      .hint = "valid drops a last incomplete window; same keeps ceil(T / strides) windows"});
  if (options_.data_format != "channels_last" && options_.data_format != "channels_first")
    throw ValueError({.problem = "unknown data_format",
                      .expected = "\"channels_last\" or \"channels_first\"",
                      .found = fmt::format("\"{}\"", options_.data_format),
                      .hint = "channels_last is (batch, time, channels), channels_first (batch, channels, time)"});
}

Tensor WindowPooling1DLayer::call(const Tensor& input, const Tensor& mask, bool) {
  const bool first = options_.data_format == "channels_first";
  if (input.rank() != 3)
    throw ShapeError({.problem = fmt::format("{} needs 3-D sequences", type()),
                      .expected = first ? "(batch, channels, time)" : "(batch, time, channels)",
                      .found = input.shape().str(),
                      .hint = "for (batch, features) inputs there is no time axis; add one with lm::expand_dims"});
  if (mask.defined() && (mask.rank() > 2 || (first && mask.rank() > 1)))
    throw MaskError({.problem = fmt::format("{} follows masks over (batch, time) or (batch,) only", type()),
                     .expected = first ? "a (batch,) mask (channels_first puts channels before time)"
                                       : "a (batch,) or (batch, time) mask",
                     .found = fmt::format("a mask of shape {} on {}", mask.shape().str(), input.shape().str()),
                     .hint = "reduce a mask over channels to time steps first: x.with_mask(lm::any(lm::full_mask(x), "
                             "-1))"});
  Tensor x = first ? transpose(input, {0, 2, 1}) : input;  // (B, T, C)
  const std::int64_t batch = x.dim(0), length = x.dim(1), channels = x.dim(2);
  const detail::Window1D w{.size = pool_size_, .stride = strides_, .padding = options_.padding};
  const detail::WindowPlan plan = detail::plan_windows(length, w);
  const bool time_masked = mask.defined() && mask.rank() == 2;
  if (x.is_symbolic()) {
    const Shape out = first ? Shape{batch, channels, plan.out} : Shape{batch, plan.out, channels};
    return placeholder({out, x.dtype(), mask.defined() ? mask.rank() : -1});  // compute_output_spec reads the spec
  }
  Tensor y;
  Tensor out_mask = mask.defined() && !time_masked ? mask : Tensor();
  if (plan.out == 0) {
    y = zeros(Shape{batch, 0, channels}, is_floating(x.dtype()) || type() == "MaxPooling1D" ? x.dtype() : Float32);
    if (time_masked) out_mask = zeros(Shape{batch, 0}, Bool);
  } else {
    check_allocation("the window buffer", Shape{batch, plan.out, pool_size_, channels}, x.dtype(),
                     "check the sequence length and pool_size");
    Tensor taps = detail::window_taps(x.without_mask(), w, plan);  // (B, out, k, C)
    if (time_masked || plan.pad_left > 0 || plan.pad_right > 0)
      taps = taps.with_mask(detail::tap_validity(time_masked ? mask : Tensor(), batch, length, w, plan));
    y = pool(taps);  // (B, out, C), mask (B, out) = the window has a valid tap
    if (time_masked) out_mask = y.mask();
    y = y.without_mask();
  }
  if (first) y = transpose(y, {0, 2, 1});
  return out_mask.defined() ? y.with_mask(out_mask) : y;
}

Json WindowPooling1DLayer::get_config() const {
  Json c = Layer::get_config();
  c["pool_size"] = Json::array({pool_size_});
  c["strides"] = Json::array({strides_});
  c["padding"] = options_.padding;
  c["data_format"] = options_.data_format;
  return c;
}

Tensor MaxPooling1DLayer::pool(const Tensor& taps) const { return max(taps, {2}); }
Tensor AveragePooling1DLayer::pool(const Tensor& taps) const { return mean(taps, {2}); }

}  // namespace lamina::layers
