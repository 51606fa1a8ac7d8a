#include "lamina/layers/reshaping.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/error.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

namespace {
// Product of `dims`, or a ValueError when it does not fit in 64 bits (symbolic shapes and
// targets can be arbitrarily large without any data).
std::int64_t checked_product(const std::vector<std::int64_t>& dims, const std::string& what) {
  std::int64_t n = 1;
  for (auto d : dims)
    if (__builtin_mul_overflow(n, d, &n))
      throw ValueError({.problem = what + " has more elements than a 64-bit count can hold",
                        .expected = "at most 2^63 - 1 elements per example",
                        .found = Shape(dims).str(),
                        .hint = "check the input or target shape for a wrong size"});
  return n;
}

// Product of known dims from `begin`; None (-1) when one of them is unknown.
std::int64_t known_size(const Shape& s, std::int64_t begin) {
  std::vector<std::int64_t> dims;
  for (std::int64_t i = begin; i < s.rank(); ++i) {
    if (s[i] < 0) return None;
    dims.push_back(s[i]);
  }
  return checked_product(dims, fmt::format("an example of input {}", s.str()));
}
}  // namespace

Tensor FlattenLayer::call(const Tensor& x, const Tensor&, bool) {
  if (x.rank() < 1)
    throw ShapeError({.problem = "Flatten needs a batch axis",
                      .expected = "rank >= 1",
                      .found = x.shape().str(),
                      .hint = "Flatten keeps the batch axis; a scalar has none"});
  // (batch, -1) when the batch is known; a symbolic batch stays None.
  std::int64_t features = known_size(x.shape(), 1);
  return reshape(x, Shape{x.dim(0) >= 0 ? x.dim(0) : None, features >= 0 ? features : None});
}

ReshapeLayer::ReshapeLayer(Shape target_shape, std::string name)
    : Layer("Reshape", std::move(name)), target_(std::move(target_shape)) {
  LayerScope scope(this->name(), type());  // errors name the layer
  // Checked here, not at the first call: the target is an option, not data.
  int unknown = 0;
  for (auto d : target_) {
    if (d < -1)
      throw ValueError({.problem = "a target dimension must be >= 0, or -1 for the one to infer",
                        .expected = "sizes >= 0 and at most one -1, without the batch dimension",
                        .found = target_.str(),
                        .hint = "e.g. Reshape(lm::Shape{-1, 8})"});
    unknown += d == -1;
  }
  if (unknown > 1)
    throw ValueError({.problem = "only one target dimension can be -1",
                      .expected = "at most one -1",
                      .found = target_.str(),
                      .hint = "give every other dimension its size"});
  given_size();  // a target too large to count fails now
}

std::int64_t ReshapeLayer::given_size() const {
  std::vector<std::int64_t> given;
  for (auto d : target_)
    if (d != -1) given.push_back(d);
  return checked_product(given, fmt::format("the target {}", target_.str()));
}

Tensor ReshapeLayer::call(const Tensor& x, const Tensor&, bool) {
  // Resolve a -1 against the known per-example size, so the batch alone stays unknown.
  Shape target = target_;
  const std::int64_t size = known_size(x.shape(), 1), known = given_size();
  std::int64_t infer = -1;
  for (std::int64_t i = 0; i < target.rank(); ++i)
    if (target[i] == -1) infer = i;  // the constructor allows one at most
  if (infer >= 0 && size >= 0) {
    if (known == 0 || size % known != 0)
      throw ShapeError({.problem = "cannot infer the -1 dimension of the target shape",
                        .expected = fmt::format("per-example size {} divisible by {}", size, known),
                        .found = fmt::format("input {} to target {}", x.shape().str(), target_.str()),
                        .hint = "choose target sizes whose product divides the per-example size"});
    target[infer] = size / known;
  } else if (size >= 0 && known != size) {
    throw ShapeError({.problem = "the target shape holds a different number of elements per example",
                      .expected = fmt::format("{} elements per example (input {})", size, x.shape().str()),
                      .found = fmt::format("target {} holds {}", target_.str(), known),
                      .hint = "the target (without the batch dim) must hold as many elements as each example; use -1 "
                              "for one dim to infer it"});
  }
  std::vector<std::int64_t> dims{x.dim(0)};
  dims.insert(dims.end(), target.begin(), target.end());
  return reshape(x, Shape(dims));
}

Json ReshapeLayer::get_config() const {
  Json c = Layer::get_config();
  c["target_shape"] = target_.dims();
  return c;
}

RepeatVectorLayer::RepeatVectorLayer(std::int64_t n, std::string name) : Layer("RepeatVector", std::move(name)), n_(n) {
  LayerScope scope(this->name(), type());  // errors name the layer
  if (n < 0)
    throw ValueError({.problem = "RepeatVector needs n >= 0",
                      .expected = "n >= 0",
                      .found = std::to_string(n),
                      .hint = "n is the number of repetitions, e.g. RepeatVector(10)"});
}

Tensor RepeatVectorLayer::call(const Tensor& x, const Tensor&, bool) {
  if (x.rank() != 2)
    throw ShapeError(
        {.problem = "RepeatVector repeats (batch, features) vectors",
         .expected = "rank 2",
         .found = x.shape().str(),
         .hint = "pool or flatten a sequence to (batch, features) first (GlobalAveragePooling1D, Flatten)"});
  const Shape out{x.dim(0), n_, x.dim(1)};
  if (!x.is_symbolic()) check_allocation("the repeated output", out, x.dtype(), "check n");
  return broadcast_to(expand_dims(x, 1), out);
}

Json RepeatVectorLayer::get_config() const {
  Json c = Layer::get_config();
  c["n"] = n_;
  return c;
}

PermuteLayer::PermuteLayer(std::vector<std::int64_t> dims, std::string name)
    : Layer("Permute", std::move(name)), dims_(std::move(dims)) {
  LayerScope scope(this->name(), type());  // errors name the layer
  std::vector<std::int64_t> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  bool ok = !sorted.empty();
  for (std::size_t i = 0; ok && i < sorted.size(); ++i) ok = sorted[i] == static_cast<std::int64_t>(i) + 1;
  if (!ok)
    throw ValueError({.problem = "Permute needs a permutation of the axes 1..n",
                      .expected = "each of 1, 2, ..., n exactly once (1-based; the batch axis 0 stays first)",
                      .found = Shape(dims_).str(),
                      .hint = "to swap time and features of (batch, time, features): Permute({2, 1})"});
}

Tensor PermuteLayer::call(const Tensor& x, const Tensor&, bool) {
  if (x.rank() != static_cast<std::int64_t>(dims_.size()) + 1)
    throw ShapeError({.problem = "the input rank does not match the permutation",
                      .expected = fmt::format("rank {} (batch plus the {} permuted axes)", dims_.size() + 1,
                                              dims_.size()),
                      .found = x.shape().str(),
                      .hint = "give Permute one entry per non-batch axis of its input"});
  Axes perm{0};
  perm.insert(perm.end(), dims_.begin(), dims_.end());
  return transpose(x, perm);
}

Json PermuteLayer::get_config() const {
  Json c = Layer::get_config();
  c["dims"] = dims_;
  return c;
}

}  // namespace lamina::layers
