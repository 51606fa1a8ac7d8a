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

// Keras's rule: a lower-rank input gets size-1 axes inserted after the batch axis (so the
// non-batch axes line up from the right), then every other axis is equal, 1 or unknown
// across the inputs; known batch sizes are equal (the batch never broadcasts). Returns the
// inputs' shapes at the common rank. Unknown dims are checked again when values arrive.
std::vector<Shape> aligned_shapes(const TensorList& xs, const std::string& type) {
  auto fail = [&](const std::string& why) {
    throw ShapeError({.problem = fmt::format("{} got inputs with incompatible shapes ({})", type, why),
                      .expected = "the same batch size, and the other axes (aligned from the right) equal or 1",
                      .found = fmt::format("shapes {}", shapes_str(xs)),
                      .hint = "reshape or slice the odd input; to join tensors side by side use Concatenate"});
  };
  std::int64_t rank = 0;
  for (const auto& x : xs) {
    if (x.rank() == 0) fail("a scalar has no batch axis");
    rank = std::max(rank, x.rank());
  }
  std::vector<Shape> shapes;
  for (const auto& x : xs) {
    std::vector<std::int64_t> dims{x.shape()[0]};
    dims.insert(dims.end(), static_cast<std::size_t>(rank - x.rank()), 1);
    for (std::int64_t i = 1; i < x.rank(); ++i) dims.push_back(x.shape()[i]);
    shapes.emplace_back(dims);
  }
  for (std::int64_t axis = 0; axis < rank; ++axis) {
    std::int64_t known = None;  // the size > 1 (or, for the batch, any size) seen so far
    for (const auto& s : shapes) {
      const std::int64_t d = s[axis];
      if (d < 0 || (axis > 0 && d == 1)) continue;  // unknown, or broadcasting
      if (known >= 0 && known != d) {
        if (axis == 0) fail("batch sizes differ");
        fail(fmt::format("axis {} (axis -{} from the right) is {} in one and {} in another", axis, rank - axis, known,
                         d));
      }
      known = d;
    }
  }
  return shapes;
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
  const std::vector<Shape> shapes = aligned_shapes(inputs, type());
  // Lower-rank inputs get axes after the batch axis (Keras), so (B, F) meets (B, T, F) as (B, 1, F).
  TensorList xs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    while (x.rank() < shapes[i].rank()) x = expand_dims(x, 1);
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
