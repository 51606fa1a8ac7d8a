// Binary, categorical and sparse categorical crossentropy, as Keras 3: logits through
// softplus / log_softmax, probabilities clipped to [epsilon, 1 - epsilon].
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/nn.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "lamina/train/losses.hpp"
#include "ops/nn_fused.hpp"

namespace lamina::losses {

namespace {

bool agree(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) return false;
  for (std::int64_t i = 0; i < a.rank(); ++i)
    if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return false;
  return true;
}

void check_smoothing(double ls, const char* loss) {
  if (!(ls >= 0 && ls <= 1))
    throw ValueError({.problem = fmt::format("{}: label_smoothing must be in [0, 1]", loss),
                      .expected = "0 <= label_smoothing <= 1",
                      .found = fmt::format("label_smoothing={}", ls),
                      .hint = "0 disables smoothing; Keras's usual values are 0.1 or 0.2"});
}

std::int64_t class_axis(const Tensor& p, std::int64_t axis, const std::string& loss) {
  if (p.rank() < 1 || axis < -p.rank() || axis >= p.rank())
    throw ShapeError({.problem = fmt::format("{}: the class axis is not an axis of y_pred", loss),
                      .expected = fmt::format("y_pred of rank >= 1 with axis {} in [-rank, rank)", axis),
                      .found = fmt::format("y_pred {}", p.shape().str()),
                      .hint = "y_pred is (batch, ..., classes); the default axis -1 is the last one"});
  return axis < 0 ? axis + p.rank() : axis;
}

// log-probabilities along `axis`: log_softmax of logits, or log of the renormalised,
// clipped probabilities (Keras's formula).
Tensor log_probs(const Tensor& p, std::int64_t axis, bool from_logits) {
  if (from_logits) return log_softmax(p, axis);
  Tensor q = p / sum(p, axis, true);
  return log(clip(q, kEpsilon, 1 - kEpsilon));
}

std::string unravel(std::int64_t flat, const Shape& s) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(s.rank()));
  for (std::int64_t a = s.rank() - 1; a >= 0; --a) {
    idx[static_cast<std::size_t>(a)] = s[a] > 0 ? flat % s[a] : 0;
    flat = s[a] > 0 ? flat / s[a] : 0;
  }
  return fmt::format("[{}]", fmt::join(idx, ", "));
}

class BinaryCrossentropyLoss final : public Loss {
 public:
  explicit BinaryCrossentropyLoss(CrossentropyOptions o) : Loss("BinaryCrossentropy", "binary_crossentropy"), o_(o) {
    check_smoothing(o.label_smoothing, "binary_crossentropy");
  }
  bool sanitizes_inputs() const override { return true; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    Scope scope(*this);
    Inputs in = sanitize(y_true, y_pred);
    auto [t, p] = squeeze_or_expand_to_same_rank(in.y_true, in.y_pred);
    if (!agree(t.shape(), p.shape()))
      shape_mismatch(y_true, y_pred,
                     p.rank() >= 1 && p.dim(-1) > 1 && t.rank() < p.rank()
                         ? "y_true looks like integer class labels for a multi-class output: use "
                           "sparse_categorical_crossentropy"
                         : "binary_crossentropy takes one 0/1 target per prediction: give y_true the shape of y_pred");
    if (t.dtype() != p.dtype()) t = cast(t, p.dtype());
    if (o_.label_smoothing > 0) t = t * (1 - o_.label_smoothing) + 0.5 * o_.label_smoothing;
    Tensor l;
    if (o_.from_logits) {
      // -t log(sigmoid(x)) - (1 - t) log(1 - sigmoid(x)), each term a softplus: exact for any x.
      l = (1 - t) * softplus(p) + t * softplus(-p);
    } else {
      Tensor q = clip(p, kEpsilon, 1 - kEpsilon);
      l = -(t * log(q) + (1 - t) * log(1 - q));
    }
    return mean(l, o_.axis);
  }
  Json get_config() const override {
    Json c = Loss::get_config();
    c["from_logits"] = o_.from_logits;
    c["label_smoothing"] = o_.label_smoothing;
    c["axis"] = o_.axis;
    return c;
  }

 private:
  CrossentropyOptions o_;
};

class CategoricalCrossentropyLoss final : public Loss {
 public:
  explicit CategoricalCrossentropyLoss(CrossentropyOptions o)
      : Loss("CategoricalCrossentropy", "categorical_crossentropy"), o_(o) {
    check_smoothing(o.label_smoothing, "categorical_crossentropy");
  }
  bool sanitizes_inputs() const override { return true; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    Scope scope(*this);
    Inputs in = sanitize(y_true, y_pred);
    auto [t, p] = squeeze_or_expand_to_same_rank(in.y_true, in.y_pred);
    std::int64_t ax = class_axis(p, o_.axis, name());
    if (!agree(t.shape(), p.shape())) {
      bool sparse_like = t.rank() == p.rank() - 1 || (t.rank() == p.rank() && t.dim(-1) == 1 && p.dim(ax) != 1);
      shape_mismatch(y_true, y_pred,
                     sparse_like ? "y_true looks like integer class labels: use sparse_categorical_crossentropy, "
                                   "or one-hot encode them (lm::one_hot)"
                                 : "categorical_crossentropy takes one-hot (or probability) targets of y_pred's shape");
    }
    std::int64_t classes = p.dim(ax);
    if (classes == 1)
      throw ValueError({.problem = "categorical_crossentropy over a single class is always 0",
                        .expected = "y_pred of shape (batch, ..., classes) with classes > 1",
                        .found = fmt::format("y_pred {}", p.shape().str()),
                        .hint = "for one sigmoid output use binary_crossentropy"});
    if (t.dtype() != p.dtype()) t = cast(t, p.dtype());
    if (o_.label_smoothing > 0) {
      if (classes < 0)
        throw ShapeError({.problem = "label_smoothing needs a known number of classes",
                          .expected = "a known class axis",
                          .found = fmt::format("y_pred {}", p.shape().str()),
                          .hint = "give the output layer a fixed number of units"});
      t = t * (1 - o_.label_smoothing) + o_.label_smoothing / static_cast<double>(classes);
    }
    Tensor lp = log_probs(p, ax, o_.from_logits);
    // Zero targets contribute exactly 0, even where a logit of -inf makes lp -inf.
    return -sum(where(t != 0, t * lp, 0), ax);
  }
  Json get_config() const override {
    Json c = Loss::get_config();
    c["from_logits"] = o_.from_logits;
    c["label_smoothing"] = o_.label_smoothing;
    c["axis"] = o_.axis;
    return c;
  }

 private:
  CrossentropyOptions o_;
};

class SparseCategoricalCrossentropyLoss final : public Loss {
 public:
  explicit SparseCategoricalCrossentropyLoss(SparseCrossentropyOptions o)
      : Loss("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"), o_(o) {}

  bool sanitizes_inputs() const override { return true; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    Scope scope(*this);
    Inputs in = sanitize(y_true, y_pred);
    Tensor t = in.y_true, p = in.y_pred;
    std::int64_t ax = class_axis(p, o_.axis, name());
    if (t.rank() == p.rank() && t.dim(ax) == 1) t = squeeze(t, {ax});
    std::vector<std::int64_t> expected_dims = p.shape().dims();
    expected_dims.erase(expected_dims.begin() + ax);
    Shape expected(expected_dims);
    if (!agree(t.shape(), expected))
      throw ShapeError(
          {.problem = "y_true and y_pred shapes do not match",
           .expected = fmt::format("y_true of shape {} (y_pred {} without its class axis), one integer label each",
                                   expected.str(), p.shape().str()),
           .found = fmt::format("y_true {} and y_pred {}", y_true.shape().str(), y_pred.shape().str()),
           .hint = t.rank() == p.rank() ? "y_true looks one-hot (it has y_pred's rank): use categorical_crossentropy, "
                                          "or lm::argmax(y_true, -1)"
                                        : "give one integer class label per sample (and timestep)"});
    std::int64_t classes = p.dim(ax);
    if (t.dtype() == Bool) t = cast(t, Int32);
    Tensor valid;
    if (o_.ignore_class) valid = t != *o_.ignore_class;
    if (!t.is_symbolic()) check_labels(t, classes);
    if (valid.defined()) t = where(valid, t, 0);
    Tensor labels = is_floating(t.dtype()) ? cast(t, Int64) : t;
    Tensor res;
    if (o_.from_logits && ax == p.rank() - 1 && p.mask_rank() < p.rank()) {
      // The common case in one op: a step's loss costs a few microseconds, not a chain of
      // one_hot, where and sum with their gradients.
      res = detail::sparse_softmax_crossentropy(p, labels);
    } else {
      res = pick_log_probs(p, labels, ax, classes);
    }
    if (valid.defined()) {
      // Ignored labels are masked out, on top of y_pred's mask (Keras sets the same mask).
      Tensor keep = res.has_mask() ? full_mask(res) & valid : valid;
      res = where(keep, res.without_mask(), 0).with_mask(keep);
    }
    return res;
  }

  Json get_config() const override {
    Json c = Loss::get_config();
    c["from_logits"] = o_.from_logits;
    c["ignore_class"] = o_.ignore_class ? Json(*o_.ignore_class) : Json(nullptr);
    c["axis"] = o_.axis;
    return c;
  }

 private:
  // Labels must be integers in [0, classes) (ignore_class aside); masked positions were
  // zeroed by sanitize(), so padding may hold anything.
  void check_labels(const Tensor& t, std::int64_t classes) const {
    std::vector<double> v = t.to_vector<double>();
    for (std::size_t i = 0; i < v.size(); ++i) {
      double x = v[i];
      if (o_.ignore_class && x == static_cast<double>(*o_.ignore_class)) continue;
      bool integral = std::isfinite(x) && x == std::floor(x);
      if (integral && x >= 0 && x < static_cast<double>(classes)) continue;
      throw ValueError(
          {.problem = fmt::format("label {} at y_true{} is {}", x, unravel(static_cast<std::int64_t>(i), t.shape()),
                                  integral ? fmt::format("out of range for {} classes", classes) : "not an integer"),
           .expected = fmt::format("integer labels in [0, {}) (y_pred has {} classes)", classes, classes),
           .found = fmt::format("{}", x),
           .hint = integral ? "labels are class indices 0..classes-1; mask padding positions, or set ignore_class"
                            : "labels must be whole class indices; cast them with lm::cast(y_true, lm::Int32)"});
    }
  }
  // -log p[label] along `ax` by one_hot, where and sum (any axis, any mask).
  Tensor pick_log_probs(const Tensor& p, const Tensor& labels, std::int64_t ax, std::int64_t classes) const {
    Tensor pick = one_hot(labels, classes, Bool);
    if (ax != p.rank() - 1) {  // one_hot puts the classes last: move them to the class axis
      Axes perm;
      for (std::int64_t a = 0; a < ax; ++a) perm.push_back(a);
      perm.push_back(p.rank() - 1);
      for (std::int64_t a = ax; a < p.rank() - 1; ++a) perm.push_back(a);
      pick = transpose(pick, perm);
    }
    return -sum(where(pick, log_probs(p, ax, o_.from_logits), 0), ax);
  }
  SparseCrossentropyOptions o_;
};

}  // namespace

LossRef BinaryCrossentropy(CrossentropyOptions options) {
  return std::make_shared<const BinaryCrossentropyLoss>(options);
}
LossRef CategoricalCrossentropy(CrossentropyOptions options) {
  return std::make_shared<const CategoricalCrossentropyLoss>(options);
}
LossRef SparseCategoricalCrossentropy(SparseCrossentropyOptions options) {
  return std::make_shared<const SparseCategoricalCrossentropyLoss>(options);
}

}  // namespace lamina::losses
