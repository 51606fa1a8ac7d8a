// Conv1D: im2col (one strided slice per tap, layers/support/windows) and one GEMM per
// group through lm::dot / lm::matmul; the output mask follows the windows.
#include "lamina/layers/convolutional.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/linalg.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "layers/support/windows.hpp"

namespace lamina::layers {

namespace {

void require_positive(const char* what, std::int64_t v, const char* hint) {
  if (v < 1)
    throw ValueError({.problem = fmt::format("{} must be positive", what),
                      .expected = fmt::format("{} >= 1", what),
                      .found = std::to_string(v),
                      .hint = hint});
}

}  // namespace

Conv1DLayer::Conv1DLayer(std::int64_t filters, std::int64_t kernel_size, Conv1DOptions options)
    : Layer("Conv1D", options.name), filters_(filters), kernel_size_(kernel_size), options_(std::move(options)) {
  LayerScope scope(name(), type());  // errors name the layer
  require_positive("filters", filters_, "filters is the number of output channels, e.g. Conv1D(32, 3)");
  require_positive("kernel_size", kernel_size_, "kernel_size is the window length in steps, e.g. Conv1D(32, 3)");
  require_positive("strides", options_.strides, "strides = 1 moves the window one step at a time");
  require_positive("dilation_rate", options_.dilation_rate, "dilation_rate = 1 reads adjacent steps");
  require_positive("groups", options_.groups, "groups = 1 connects every input channel to every filter");
  const std::string& p = options_.padding;
  if (p != "valid" && p != "same" && p != "causal")
    throw ValueError({.problem = "unknown padding",
                      .expected = "\"valid\", \"same\" or \"causal\"",
                      .found = fmt::format("\"{}\"", p),
                      .hint = "valid: no padding; same: output length ceil(T / strides); causal: output t sees "
                              "inputs up to t only"});
  if (options_.data_format != "channels_last" && options_.data_format != "channels_first")
    throw ValueError({.problem = "unknown data_format",
                      .expected = "\"channels_last\" or \"channels_first\"",
                      .found = fmt::format("\"{}\"", options_.data_format),
                      .hint = "channels_last is (batch, time, channels), channels_first (batch, channels, time)"});
  if (filters_ % options_.groups != 0)
    throw ValueError({.problem = "filters must be divisible by groups",
                      .expected = fmt::format("a multiple of groups = {}", options_.groups),
                      .found = fmt::format("filters = {}", filters_),
                      .hint = "each group gets filters / groups filters"});
  std::int64_t span = 0;
  if (__builtin_mul_overflow(kernel_size_ - 1, options_.dilation_rate, &span) || span == INT64_MAX)
    throw ValueError({.problem = "the window span (kernel_size - 1) * dilation_rate + 1 overflows a 64-bit size",
                      .expected = "a span below 2^63",
                      .found = fmt::format("kernel_size {}, dilation_rate {}", kernel_size_, options_.dilation_rate),
                      .hint = "check kernel_size and dilation_rate"});
  options_.activation.check("activation");
  check_allocation("the kernel", Shape{kernel_size_, 1, filters_}, Float32, "check kernel_size and filters");
}

void Conv1DLayer::on_build(const std::vector<TensorSpec>& specs) {
  const TensorSpec& x = specs.at(0);
  const bool first = options_.data_format == "channels_first";
  if (x.shape.rank() != 3)
    throw ShapeError({.problem = "Conv1D needs 3-D sequences",
                      .expected = first ? "(batch, channels, time)" : "(batch, time, channels)",
                      .found = x.shape.str(),
                      .hint = x.shape.rank() == 2 ? "a (batch, features) input has no time axis: add one with "
                                                    "lm::expand_dims(x, -1) (features become steps)"
                                                  : "reshape the input to (batch, time, channels)"});
  const std::int64_t c = x.shape[first ? 1 : 2];
  if (c < 0)
    throw ShapeError({.problem = "the number of input channels must be known",
                      .expected = "a known channel dimension",
                      .found = x.shape.str(),
                      .hint = "give Input() the channel size, e.g. lm::Input({lm::None, 8})"});
  if (c % options_.groups != 0)
    throw ShapeError({.problem = "the input channels must be divisible by groups",
                      .expected = fmt::format("a multiple of groups = {}", options_.groups),
                      .found = fmt::format("{} channels in {}", c, x.shape.str()),
                      .hint = "each group convolves channels / groups input channels"});
  const DType dt = is_floating(x.dtype) ? x.dtype : Float32;  // integer inputs compute in float32
  kernel_ = add_weight("kernel", Shape{kernel_size_, c / options_.groups, filters_}, options_.kernel_initializer, true,
                       dt);
  if (options_.use_bias) bias_ = add_weight("bias", Shape{filters_}, options_.bias_initializer, true, dt);
}

Tensor Conv1DLayer::call(const Tensor& input, const Tensor& mask, bool) {
  const bool first = options_.data_format == "channels_first";
  const std::int64_t groups = options_.groups, k = kernel_size_, f = filters_;
  const std::int64_t c = kernel_.shape()[1] * groups;
  if (input.rank() != 3 || (input.dim(first ? 1 : 2) >= 0 && input.dim(first ? 1 : 2) != c))
    throw ShapeError({.problem = "input channels do not match the layer's kernel",
                      .expected = fmt::format("{} -- the layer was built for {} channels",
                                              first ? fmt::format("(batch, {}, time)", c)
                                                    : fmt::format("(batch, time, {})", c),
                                              c),
                      .found = input.shape().str(),
                      .hint = "a layer keeps the input size it was first called with; create a new layer"});
  if (input.dtype() == Bool)
    throw DTypeError({.problem = "Conv1D does not convolve Bool tensors",
                      .expected = "float32 or float64 (integers compute in float32)",
                      .found = input.spec().str(),
                      .hint = "convert explicitly: lm::cast(x, lm::Float32)"});
  if (mask.defined() && (mask.rank() > 2 || (first && mask.rank() > 1)))
    throw MaskError({.problem = "Conv1D follows masks over (batch, time) or (batch,) only",
                     .expected = first ? "a (batch,) mask (channels_first puts channels before time)"
                                       : "a (batch,) or (batch, time) mask",
                     .found = fmt::format("a mask of shape {} on {}", mask.shape().str(), input.shape().str()),
                     .hint = "reduce a mask over channels to time steps first: x.with_mask(lm::any(lm::full_mask(x), "
                             "-1))"});
  Tensor x = first ? transpose(input, {0, 2, 1}) : input;  // (B, T, C)
  const DType dt = kernel_.dtype();
  if (x.dtype() != dt) x = cast(x, dt);  // the kernel's dtype (Keras autocasts likewise)
  const std::int64_t batch = x.dim(0), length = x.dim(1);
  const detail::Window1D w{.size = k, .stride = options_.strides, .dilation = options_.dilation_rate,
                           .padding = options_.padding};
  const detail::WindowPlan plan = detail::plan_windows(length, w);
  const std::int64_t out_mask_rank = mask.defined() ? mask.rank() : -1;
  if (x.is_symbolic()) {
    Shape out = first ? Shape{batch, f, plan.out} : Shape{batch, plan.out, f};
    return placeholder({out, dt, out_mask_rank});  // compute_output_spec reads the spec
  }
  check_allocation("the window buffer (im2col)", Shape{batch, std::max<std::int64_t>(plan.out, 0), k, c}, dt,
                   "check the sequence length and kernel_size");

  // Masked steps act as zeros: selected in (never multiplied: NaN * 0 is NaN).
  Tensor x0 = x.has_mask() ? fill_masked(x, 0).without_mask() : x;
  Tensor y;
  if (plan.out == 0) {
    y = zeros(Shape{batch, 0, f}, dt);
  } else {
    Tensor taps = detail::window_taps(x0, w, plan);  // (B, out, k, C)
    if (groups == 1) {
      y = dot(reshape(taps, Shape{batch, plan.out, k * c}), reshape(kernel_.value(), Shape{k * c, f}));
    } else {
      // (g, B * out, k * C/g) @ (g, k * C/g, F/g), one GEMM per group.
      const std::int64_t cg = c / groups, fg = f / groups, rows = batch * plan.out;
      Tensor cols = transpose(reshape(taps, Shape{rows, k, groups, cg}), {2, 0, 1, 3});
      Tensor kern = transpose(reshape(kernel_.value(), Shape{k, cg, groups, fg}), {2, 0, 1, 3});
      Tensor yg = matmul(reshape(cols, Shape{groups, rows, k * cg}), reshape(kern, Shape{groups, k * cg, fg}));
      y = reshape(transpose(yg, {1, 0, 2}), Shape{batch, plan.out, f});
    }
  }
  if (options_.use_bias) y = y + bias_.value();
  y = options_.activation(y);

  Tensor out_mask;
  if (mask.defined() && mask.rank() <= 1) {
    out_mask = mask;
  } else if (mask.defined()) {
    if (plan.out == 0) {
      out_mask = zeros(Shape{batch, 0}, Bool);
    } else {
      Tensor taps = detail::tap_validity(mask, batch, length, w, plan);  // (B, out, k)
      if (options_.padding == "valid") {
        out_mask = all(taps, {2});
      } else if (options_.padding == "causal") {
        out_mask = squeeze(slice(taps, 2, Range{k - 1, k}), {2});
      } else {  // same: the aligned step t * strides, and some tap
        Tensor aligned = slice(mask, 1, Range{0, (plan.out - 1) * options_.strides + 1, options_.strides});
        out_mask = logical_and(aligned, any(taps, {2}));
      }
    }
  }
  y = y.without_mask();
  if (first) y = transpose(y, {0, 2, 1});
  return out_mask.defined() ? y.with_mask(out_mask) : y;
}

Json Conv1DLayer::get_config() const {
  Json c = Layer::get_config();
  c["filters"] = filters_;
  c["kernel_size"] = Json::array({kernel_size_});
  c["strides"] = Json::array({options_.strides});
  c["padding"] = options_.padding;
  c["data_format"] = options_.data_format;
  c["dilation_rate"] = Json::array({options_.dilation_rate});
  c["groups"] = options_.groups;
  c["activation"] = options_.activation.name();
  c["use_bias"] = options_.use_bias;
  c["kernel_initializer"] = options_.kernel_initializer.name();
  c["bias_initializer"] = options_.bias_initializer.name();
  return c;
}

}  // namespace lamina::layers
