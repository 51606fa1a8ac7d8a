#include "train/array_source.hpp"

#include <fmt/format.h>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/random.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::train {

namespace {

Tensor rows(const Tensor& t, std::int64_t begin, std::int64_t end) {
  if (!t.defined()) return t;
  return slice(t, 0, Range{begin, end});
}

}  // namespace

TensorList take_rows(const TensorList& xs, std::int64_t begin, std::int64_t end) {
  TensorList out;
  for (const auto& x : xs) out.push_back(rows(x, begin, end));
  return out;
}

std::int64_t sample_count(const TensorList& x, const TensorList& y, const Tensor& sample_weight) {
  std::int64_t n = -1;
  std::string first;
  auto check = [&](const Tensor& t, const std::string& what) {
    if (!t.defined()) return;
    if (t.is_symbolic())
      throw ValueError({.problem = fmt::format("{} is a symbolic tensor", what),
                        .expected = "concrete data",
                        .found = t.spec().str(),
                        .hint = "pass tensors holding values, not lm::Input / model outputs"});
    if (t.rank() == 0)
      throw ShapeError({.problem = fmt::format("{} is a scalar", what),
                        .expected = "a tensor whose first dimension is the sample",
                        .found = "a rank-0 tensor",
                        .hint = "give data of shape (samples, ...)"});
    if (n < 0) {
      n = t.dim(0);
      first = what;
    } else if (t.dim(0) != n) {
      throw ShapeError({.problem = "the data do not all have the same number of samples",
                        .expected = fmt::format("{} samples, as {} has", n, first),
                        .found = fmt::format("{} has {} (shape {})", what, t.dim(0), t.shape().str()),
                        .hint = "x, y and sample_weight must have the same first dimension"});
    }
  };
  for (std::size_t i = 0; i < x.size(); ++i) check(x[i], x.size() == 1 ? "x" : fmt::format("x[{}]", i));
  for (std::size_t i = 0; i < y.size(); ++i) check(y[i], y.size() == 1 ? "y" : fmt::format("y[{}]", i));
  check(sample_weight, "sample_weight");
  return n < 0 ? 0 : n;
}

ArraySource::ArraySource(TensorList x, TensorList y, Tensor sample_weight, std::int64_t batch_size, bool shuffle,
                         std::uint64_t seed, int first_epoch)
    : x_(std::move(x)),
      y_(std::move(y)),
      sample_weight_(std::move(sample_weight)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      seed_(seed),
      epoch_(first_epoch) {
  if (batch_size_ <= 0)
    throw ValueError({.problem = "batch_size must be positive",
                      .expected = "batch_size >= 1",
                      .found = std::to_string(batch_size_),
                      .hint = "leave it unset for Keras's default of 32"});
  n_ = sample_count(x_, y_, sample_weight_);
  if (shuffle_) shuffle_for(epoch_);
}

void ArraySource::shuffle_for(int epoch) {
  Generator g(seed_ ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(epoch + 1)));
  order_.resize(static_cast<std::size_t>(n_));
  for (std::int64_t i = 0; i < n_; ++i) order_[i] = i;
  for (std::int64_t i = n_ - 1; i > 0; --i) {
    auto j = static_cast<std::int64_t>(g.uniform() * static_cast<double>(i + 1));
    std::swap(order_[i], order_[std::min(j, i)]);
  }
}

std::int64_t ArraySource::size() const { return n_ == 0 ? 0 : (n_ + batch_size_ - 1) / batch_size_; }

Batch ArraySource::get(std::int64_t index) {
  std::int64_t begin = index * batch_size_, end = std::min(n_, begin + batch_size_);
  if (index < 0 || begin >= n_)
    throw ValueError({.problem = fmt::format("batch {} is out of range", index),
                      .expected = fmt::format("0 <= batch < {}", size()),
                      .found = std::to_string(index),
                      .hint = "steps_per_epoch cannot exceed the number of batches of the data"});
  Batch b;
  if (!shuffle_) {
    b.x = take_rows(x_, begin, end);
    b.y = take_rows(y_, begin, end);
    b.sample_weight = rows(sample_weight_, begin, end);
    return b;
  }
  std::vector<std::int64_t> idx(order_.begin() + begin, order_.begin() + end);
  Tensor ids = tensor(idx, Shape{end - begin}, Int64);
  for (const auto& t : x_) b.x.push_back(t.defined() ? gather(t, ids, 0) : t);
  for (const auto& t : y_) b.y.push_back(t.defined() ? gather(t, ids, 0) : t);
  if (sample_weight_.defined()) b.sample_weight = gather(sample_weight_, ids, 0);
  return b;
}

void ArraySource::set_epoch(int epoch) {
  epoch_ = epoch;
  if (shuffle_) shuffle_for(epoch_);
}

void ArraySource::on_epoch_end() {
  ++epoch_;
  if (shuffle_) shuffle_for(epoch_);
}

}  // namespace lamina::train
