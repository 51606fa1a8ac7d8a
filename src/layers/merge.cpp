// Merge layers, written with the elementwise and concat ops so the mask rules are shared.
#include "lamina/layers/merge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

namespace {

std::string shapes_str(const TensorList& xs) {
  std::string s;
  for (const auto& x : xs) s += (s.empty() ? "" : ", ") + x.shape().str();
  return s;
}

void check_at_least_two(const TensorList& xs, const std::string& type) {
  if (xs.size() < 2)
    throw ValueError({.problem = fmt::format("{} merges a list of at least 2 tensors", type),
                      .expected = "2 or more inputs",
                      .found = fmt::format("{} input{}", xs.size(), xs.size() == 1 ? "" : "s"),
                      .hint = fmt::format("pass the tensors as a TensorList: {}()({{a, b}})", type)});
}

// Keras's rule: equal known batch sizes; the other axes, aligned from the right, are
// equal, 1 or unknown. Unknown dims are checked again when the values arrive.
void check_broadcastable(const TensorList& xs, const std::string& type) {
  auto fail = [&](const std::string& why) {
    throw ShapeError({.problem = fmt::format("{} got inputs with incompatible shapes ({})", type, why),
                      .expected = "the same batch size, and the other axes (aligned from the right) equal or 1",
                      .found = fmt::format("shapes {}", shapes_str(xs)),
                      .hint = "reshape or slice the odd input; to join tensors side by side use Concatenate"});
  };
  std::int64_t batch = None;
  std::vector<std::int64_t> rest;  // non-batch dims, last axis first
  for (const auto& x : xs) {
    const Shape& s = x.shape();
    if (s.rank() == 0) fail("a scalar has no batch axis");
    if (s[0] >= 0) {
      if (batch >= 0 && batch != s[0]) fail("batch sizes differ");
      batch = s[0];
    }
    for (std::int64_t i = 1; i < s.rank(); ++i) {
      std::size_t k = static_cast<std::size_t>(s.rank() - 1 - i);
      std::int64_t d = s[i];
      if (k >= rest.size()) {
        rest.push_back(d);
        continue;
      }
      std::int64_t& r = rest[k];
      if (d < 0 || d == 1) continue;  // unknown or broadcasting: keeps what is known
      if (r >= 0 && r != 1 && r != d) fail(fmt::format("axis -{} is {} in one and {} in another", k + 1, r, d));
      r = d;
    }
  }
}

}  // namespace

// ---- elementwise merges -----------------------------------------------------------------

MergeLayer::MergeLayer(std::string type, const MergeOptions& options, std::size_t exact_inputs)
    : Layer(std::move(type), options.name), exact_inputs_(exact_inputs) {}

TensorList MergeLayer::call(const TensorList& inputs, const TensorList&, bool) {
  if (exact_inputs_ > 0)
    check_input_count(inputs, exact_inputs_);
  else
    check_at_least_two(inputs, type());
  check_broadcastable(inputs, type());
  std::int64_t rank = 0;
  for (const auto& x : inputs) rank = std::max(rank, x.rank());
  // Lower-rank inputs get axes after the batch axis (Keras), so (B, F) meets (B, T, F) as (B, 1, F).
  TensorList xs;
  for (Tensor x : inputs) {
    while (x.rank() < rank) x = expand_dims(x, 1);
    xs.push_back(x);
  }
  return {merge(xs)};
}

Tensor AddLayer::merge(const TensorList& xs) const {
  Tensor acc = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) acc = acc + xs[i];
  return acc;
}

Tensor SubtractLayer::merge(const TensorList& xs) const { return xs[0] - xs[1]; }

Tensor MultiplyLayer::merge(const TensorList& xs) const {
  Tensor acc = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) acc = acc * xs[i];
  return acc;
}

Tensor AverageLayer::merge(const TensorList& xs) const {
  Tensor acc = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) acc = acc + xs[i];
  return acc / static_cast<double>(xs.size());
}

Tensor MaximumLayer::merge(const TensorList& xs) const {
  Tensor acc = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) acc = maximum(acc, xs[i]);
  return acc;
}

Tensor MinimumLayer::merge(const TensorList& xs) const {
  Tensor acc = xs[0];
  for (std::size_t i = 1; i < xs.size(); ++i) acc = minimum(acc, xs[i]);
  return acc;
}

// ---- Concatenate ------------------------------------------------------------------------

ConcatenateLayer::ConcatenateLayer(std::int64_t axis, const MergeOptions& options)
    : Layer("Concatenate", options.name), axis_(axis) {}

TensorList ConcatenateLayer::call(const TensorList& inputs, const TensorList&, bool) {
  check_at_least_two(inputs, type());
  const std::int64_t rank = inputs[0].rank();
  auto fail = [&](const std::string& problem, const std::string& expected) {
    throw ShapeError({.problem = problem,
                      .expected = expected,
                      .found = fmt::format("shapes {} joined along axis {}", shapes_str(inputs), axis_),
                      .hint = "check which input has the odd shape; Reshape it or pick another axis"});
  };
  for (const auto& x : inputs)
    if (x.rank() != rank)
      fail("Concatenate needs inputs of the same rank", fmt::format("rank {} like the first", rank));
  if (axis_ < -rank || axis_ >= rank)
    fail("the concatenation axis is out of range", fmt::format("an axis in [{}, {})", -rank, rank));
  const std::int64_t a = axis_ < 0 ? axis_ + rank : axis_;
  for (std::int64_t i = 0; i < rank; ++i) {
    if (i == a) continue;
    std::int64_t known = None;
    for (const auto& x : inputs) {
      std::int64_t d = x.shape()[i];
      if (d < 0) continue;
      if (known >= 0 && known != d)
        fail(fmt::format("Concatenate needs inputs that agree on every axis except {} (axis {}: {} vs {})", axis_, i,
                         known, d),
             fmt::format("equal sizes on axis {}", i));
      known = d;
    }
  }
  return {concat(inputs, a)};
}

Json ConcatenateLayer::get_config() const {
  Json c = Layer::get_config();
  c["axis"] = axis_;
  return c;
}

}  // namespace lamina::layers
