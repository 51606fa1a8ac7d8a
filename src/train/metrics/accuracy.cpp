// Accuracy metrics and loss-valued metrics: MeanMetricWrapper semantics, masks honoured.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>

#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "lamina/train/losses.hpp"
#include "lamina/train/metrics.hpp"
#include "train/metrics/metric_support.hpp"

namespace lamina::metrics {

namespace {

bool same_shape(const Shape& a, const Shape& b) { return a == b; }

// A MeanMetric whose per-entry values are one function of the (sanitised) inputs.
class WrapperMetric final : public MeanMetric {
 public:
  using Fn = std::function<Tensor(const WrapperMetric&, const Tensor& t, const Tensor& p)>;
  WrapperMetric(std::string type, std::string name, Fn fn, Json options = Json::object())
      : MeanMetric(std::move(type), std::move(name)), fn_(std::move(fn)), options_(std::move(options)) {}
  Json get_config() const override {
    Json c = MeanMetric::get_config();
    c.update(options_);
    return c;
  }
  [[noreturn]] void mismatch(const Tensor& t, const Tensor& p, const std::string& expected,
                             const std::string& hint) const {
    throw ShapeError({.problem = fmt::format("y_true and y_pred shapes do not match ({})", type()),
                      .expected = expected,
                      .found = fmt::format("y_true {} and y_pred {}", t.shape().str(), p.shape().str()),
                      .hint = hint});
  }

 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override {
    auto [t, p] = losses::sanitize_masked(y_true, y_pred);
    return fn_(*this, t, p);
  }

 private:
  Fn fn_;
  Json options_;
};

MetricRef wrap(std::string type, std::string name, WrapperMetric::Fn fn, Json options = Json::object()) {
  return std::make_shared<WrapperMetric>(std::move(type), std::move(name), std::move(fn), std::move(options));
}

Tensor matches(const Tensor& a, const Tensor& b) { return cast(cast(a, Float64) == cast(b, Float64), Float32); }

// Sparse labels (batch, ...) for y_pred (batch, ..., classes): a trailing 1 is squeezed.
Tensor sparse_labels(const WrapperMetric& m, const Tensor& y_true, const Tensor& y_pred) {
  if (y_pred.rank() < 1)
    m.mismatch(y_true, y_pred, "y_pred of shape (batch, ..., classes)", "give the class scores of each sample");
  Tensor t = y_true;
  if (t.rank() == y_pred.rank() && t.dim(-1) == 1) t = squeeze(t, {-1});
  Shape expected = y_pred.shape().prefix(y_pred.rank() - 1);
  if (!same_shape(t.shape(), expected))
    m.mismatch(y_true, y_pred, fmt::format("integer labels of shape {}", expected.str()),
               t.rank() == y_pred.rank() ? "y_true looks one-hot: use categorical accuracy (categorical_accuracy)"
                                         : "give one integer class label per sample (and timestep)");
  return t;
}

Tensor one_hot_labels(const WrapperMetric& m, const Tensor& y_true, const Tensor& y_pred) {
  if (y_pred.rank() < 1 || !same_shape(y_true.shape(), y_pred.shape()))
    m.mismatch(y_true, y_pred, fmt::format("one-hot y_true of shape {}", y_pred.shape().str()),
               y_true.rank() == y_pred.rank() - 1 || (y_true.rank() == y_pred.rank() && y_true.dim(-1) == 1)
                   ? "y_true looks like integer labels: use sparse categorical accuracy "
                     "(sparse_categorical_accuracy)"
                   : "give y_true the shape of y_pred");
  return argmax(y_true, -1);
}

// Keras's in_top_k (JAX form): the label's score has fewer than k strictly larger scores;
// a NaN score at the label never counts. Labels must be in range.
Tensor in_top_k(const WrapperMetric& m, const Tensor& labels, const Tensor& p, int k) {
  std::int64_t classes = p.dim(-1);
  std::vector<double> lv = detail::host(labels);
  for (double x : lv)
    if (!(x >= 0 && x < static_cast<double>(classes) && x == std::floor(x)))
      throw ValueError({.problem = fmt::format("label {} is out of range for {} classes", x, classes),
                        .expected = fmt::format("integer labels in [0, {})", classes),
                        .found = fmt::format("{}", x),
                        .hint = "labels are class indices; mask padding positions"});
  Tensor pick = one_hot(cast(labels, Int64), classes, Bool);
  Tensor at_label = sum(where(pick, p, 0), -1, true);
  at_label = where(at_label != at_label, -std::numeric_limits<double>::infinity(), at_label);
  Tensor larger = sum(cast(p > at_label, Int32), -1);
  return cast(larger < k, Float32);
}

void check_k(int k, const char* metric) {
  if (k < 1)
    throw ValueError({.problem = fmt::format("{}: k must be at least 1", metric),
                      .expected = "k >= 1",
                      .found = fmt::format("k={}", k),
                      .hint = "k is how many of the largest scores may contain the label (Keras's default is 5)"});
}

}  // namespace

MetricRef BinaryAccuracy(double threshold) {
  return wrap(
      "BinaryAccuracy", "binary_accuracy",
      [threshold](const WrapperMetric& m, const Tensor& y_true, const Tensor& y_pred) {
        auto [t, p] = losses::squeeze_or_expand_to_same_rank(y_true, y_pred);
        if (!same_shape(t.shape(), p.shape()))
          m.mismatch(y_true, y_pred, fmt::format("y_true of shape {}", y_pred.shape().str()),
                     "binary accuracy compares one 0/1 label per prediction");
        return matches(t, p > threshold);
      },
      Json{{"threshold", threshold}});
}

MetricRef CategoricalAccuracy() {
  return wrap("CategoricalAccuracy", "categorical_accuracy",
              [](const WrapperMetric& m, const Tensor& t, const Tensor& p) {
                return matches(one_hot_labels(m, t, p), argmax(p, -1));
              });
}

MetricRef SparseCategoricalAccuracy() {
  return wrap("SparseCategoricalAccuracy", "sparse_categorical_accuracy",
              [](const WrapperMetric& m, const Tensor& t, const Tensor& p) {
                return matches(sparse_labels(m, t, p), argmax(p, -1));
              });
}

MetricRef TopKCategoricalAccuracy(int k) {
  check_k(k, "TopKCategoricalAccuracy");
  return wrap(
      "TopKCategoricalAccuracy", "top_k_categorical_accuracy",
      [k](const WrapperMetric& m, const Tensor& t, const Tensor& p) {
        return in_top_k(m, one_hot_labels(m, t, p), p, k);
      },
      Json{{"k", k}});
}

MetricRef SparseTopKCategoricalAccuracy(int k) {
  check_k(k, "SparseTopKCategoricalAccuracy");
  return wrap(
      "SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy",
      [k](const WrapperMetric& m, const Tensor& t, const Tensor& p) {
        return in_top_k(m, sparse_labels(m, t, p), p, k);
      },
      Json{{"k", k}});
}

MetricRef LossMetric(losses::LossRef loss) {
  if (!loss)
    throw ValueError({.problem = "LossMetric needs a loss",
                      .expected = "a losses::LossRef",
                      .found = "null",
                      .hint = "e.g. LossMetric(lm::losses::MeanSquaredError())"});
  Json options = loss->get_config();
  options.erase("type");
  options.erase("name");
  options.erase("reduction");
  std::string type = loss->type(), name = loss->name();
  return wrap(
      type, name, [loss](const WrapperMetric&, const Tensor& t, const Tensor& p) { return loss->call(t, p); }, options);
}

MetricRef MeanSquaredError() { return LossMetric(losses::MeanSquaredError()); }
MetricRef MeanAbsoluteError() { return LossMetric(losses::MeanAbsoluteError()); }

}  // namespace lamina::metrics
