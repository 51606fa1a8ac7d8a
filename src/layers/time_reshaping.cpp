// Cropping1D, ZeroPadding1D, UpSampling1D: slice, pad and gather along the time axis,
// whose mask rules they inherit.
#include "lamina/layers/time_reshaping.hpp"

#include <fmt/format.h>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

namespace {

void require_sequence(const Tensor& x, const std::string& type) {
  if (x.rank() != 3)
    throw ShapeError({.problem = fmt::format("{} works on (batch, time, features) sequences", type),
                      .expected = "rank 3",
                      .found = x.shape().str(),
                      .hint = "add a feature axis to (batch, time) inputs with lm::expand_dims(x, -1)"});
}

void require_pair(const std::pair<std::int64_t, std::int64_t>& p, const char* what, const char* hint) {
  if (p.first < 0 || p.second < 0)
    throw ValueError({.problem = fmt::format("{} must be >= 0 at both ends", what),
                      .expected = "(start, end) with both >= 0",
                      .found = fmt::format("({}, {})", p.first, p.second),
                      .hint = hint});
}

}  // namespace

// ---- Cropping1D --------------------------------------------------------------------------

Cropping1DLayer::Cropping1DLayer(std::pair<std::int64_t, std::int64_t> cropping, std::string name)
    : Layer("Cropping1D", std::move(name)), cropping_(cropping) {
  LayerScope scope(this->name(), type());
  require_pair(cropping_, "cropping", "cropping gives the steps removed at the start and at the end, e.g. {1, 1}");
}

Tensor Cropping1DLayer::call(const Tensor& x, const Tensor&, bool) {
  require_sequence(x, type());
  const auto [a, b] = cropping_;
  if (x.dim(1) >= 0 && a + b >= x.dim(1))
    throw ShapeError({.problem = "cropping removes every step",
                      .expected = fmt::format("more than {} + {} = {} steps", a, b, a + b),
                      .found = x.shape().str(),
                      .hint = "crop fewer steps, or check the sequence length"});
  return slice(x, 1, Range{a, b > 0 ? std::optional<std::int64_t>(-b) : std::nullopt});
}

Json Cropping1DLayer::get_config() const {
  Json c = Layer::get_config();
  c["cropping"] = Json::array({cropping_.first, cropping_.second});
  return c;
}

// ---- ZeroPadding1D -----------------------------------------------------------------------

ZeroPadding1DLayer::ZeroPadding1DLayer(std::pair<std::int64_t, std::int64_t> padding, std::string name)
    : Layer("ZeroPadding1D", std::move(name)), padding_(padding) {
  LayerScope scope(this->name(), type());
  require_pair(padding_, "padding", "padding gives the zero steps added at the start and at the end, e.g. {1, 1}");
}

Tensor ZeroPadding1DLayer::call(const Tensor& x, const Tensor&, bool) {
  require_sequence(x, type());
  std::int64_t steps = 0;
  if (x.dim(1) >= 0 && (__builtin_add_overflow(x.dim(1), padding_.first, &steps) ||
                        __builtin_add_overflow(steps, padding_.second, &steps)))
    throw ShapeError({.problem = "the padded length overflows a 64-bit size",
                      .expected = "time + padding < 2^63",
                      .found = fmt::format("time {} + padding ({}, {})", x.dim(1), padding_.first, padding_.second),
                      .hint = "check the padding option"});
  if (!x.is_symbolic()) check_allocation("the padded output", Shape{x.dim(0), steps, x.dim(2)}, x.dtype(), "check the padding");
  return pad(x, {{0, 0}, padding_, {0, 0}});
}

Json ZeroPadding1DLayer::get_config() const {
  Json c = Layer::get_config();
  c["padding"] = Json::array({padding_.first, padding_.second});
  return c;
}

// ---- UpSampling1D ------------------------------------------------------------------------

UpSampling1DLayer::UpSampling1DLayer(std::int64_t size, std::string name)
    : Layer("UpSampling1D", std::move(name)), size_(size) {
  LayerScope scope(this->name(), type());
  if (size_ < 1)
    throw ValueError({.problem = "size must be positive",
                      .expected = "size >= 1",
                      .found = std::to_string(size_),
                      .hint = "size is how many times each step is repeated, e.g. UpSampling1D(2)"});
}

Tensor UpSampling1DLayer::call(const Tensor& x, const Tensor&, bool) {
  require_sequence(x, type());
  const std::int64_t t = x.dim(1);
  std::int64_t out = None;
  if (t >= 0 && __builtin_mul_overflow(t, size_, &out))
    throw ShapeError({.problem = "the upsampled length overflows a 64-bit size",
                      .expected = "time * size < 2^63",
                      .found = fmt::format("time {} * size {}", t, size_),
                      .hint = "check the size option"});
  if (x.is_symbolic())  // compute_output_spec reads the spec
    return placeholder({Shape{x.dim(0), out, x.dim(2)}, x.dtype(), x.mask_rank()});
  check_allocation("the upsampled output", Shape{x.dim(0), out, x.dim(2)}, x.dtype(), "check the size option");
  // Step t of the output reads input step t / size: a gather, so the mask follows.
  std::vector<std::int64_t> index(static_cast<std::size_t>(out));
  for (std::int64_t i = 0; i < out; ++i) index[static_cast<std::size_t>(i)] = i / size_;
  return gather(x, tensor(index, Shape{out}, Int64), 1);
}

Json UpSampling1DLayer::get_config() const {
  Json c = Layer::get_config();
  c["size"] = size_;
  return c;
}

}  // namespace lamina::layers
