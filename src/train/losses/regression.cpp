// Regression, divergence and hinge losses: one formula each on sanitised, same-shape inputs.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "lamina/core/error.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/train/losses.hpp"

namespace lamina::losses {

namespace {

// A loss that is one formula of (y_true, y_pred) after dense_inputs().
class FormulaLoss final : public Loss {
 public:
  using Formula = std::function<Tensor(const Tensor& t, const Tensor& p)>;
  FormulaLoss(std::string type, std::string name, Formula f, Json options = Json::object())
      : Loss(std::move(type), std::move(name)), f_(std::move(f)), options_(std::move(options)) {}

  bool sanitizes_inputs() const override { return true; }
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    Scope scope(*this);
    Inputs in = dense_inputs(y_true, y_pred);
    return f_(in.y_true, in.y_pred);
  }
  Json get_config() const override {
    Json c = Loss::get_config();
    c.update(options_);
    return c;
  }

 private:
  Formula f_;
  Json options_;
};

LossRef make(std::string type, std::string name, FormulaLoss::Formula f, Json options = Json::object()) {
  return std::make_shared<const FormulaLoss>(std::move(type), std::move(name), std::move(f), std::move(options));
}

// Keras's ops.nn.normalize with order 2: x * rsqrt(max(sum(x^2), epsilon^2)).
Tensor l2_normalize(const Tensor& x, std::int64_t axis) {
  return x / sqrt(maximum(sum(square(x), axis, true), kEpsilon * kEpsilon));
}

// Hinge labels: 0/1 labels become -1/1 when every label is 0 or 1 (Keras decides on the
// whole batch, so -1/1 labels pass unchanged).
Tensor hinge_labels(const Tensor& t) {
  Tensor binary = all((t == 0) | (t == 1));
  return where(binary, t * 2 - 1, t);
}

}  // namespace

LossRef MeanSquaredError() {
  return make("MeanSquaredError", "mean_squared_error",
              [](const Tensor& t, const Tensor& p) { return mean(square(t - p), -1); });
}

LossRef MeanAbsoluteError() {
  return make("MeanAbsoluteError", "mean_absolute_error",
              [](const Tensor& t, const Tensor& p) { return mean(abs(t - p), -1); });
}

LossRef MeanAbsolutePercentageError() {
  return make("MeanAbsolutePercentageError", "mean_absolute_percentage_error", [](const Tensor& t, const Tensor& p) {
    return mean(abs((t - p) / maximum(abs(t), kEpsilon)), -1) * 100;
  });
}

LossRef MeanSquaredLogarithmicError() {
  return make("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", [](const Tensor& t, const Tensor& p) {
    return mean(square(log(maximum(p, kEpsilon) + 1) - log(maximum(t, kEpsilon) + 1)), -1);
  });
}

LossRef Huber(double delta) {
  if (!(delta > 0) || !std::isfinite(delta))
    throw ValueError({.problem = "Huber's delta must be a positive number",
                      .expected = "0 < delta < inf",
                      .found = fmt::format("delta={}", delta),
                      .hint = "delta is where the loss turns from quadratic to linear; Keras's default is 1.0"});
  return make(
      "Huber", "huber_loss",
      [delta](const Tensor& t, const Tensor& p) {
        Tensor e = p - t;
        Tensor a = abs(e);
        return mean(where(a <= delta, square(e) * 0.5, a * delta - 0.5 * delta * delta), -1);
      },
      Json{{"delta", delta}});
}

LossRef LogCosh() {
  return make("LogCosh", "log_cosh", [](const Tensor& t, const Tensor& p) {
    Tensor x = p - t;  // log(cosh(x)) = x + softplus(-2x) - log(2), finite for any |x|
    return mean(x + softplus(x * -2) - std::numbers::ln2, -1);
  });
}

LossRef Poisson() {
  return make("Poisson", "poisson",
              [](const Tensor& t, const Tensor& p) { return mean(p - t * log(p + kEpsilon), -1); });
}

LossRef KLDivergence() {
  return make("KLDivergence", "kl_divergence", [](const Tensor& t, const Tensor& p) {
    Tensor tc = clip(t, kEpsilon, 1);
    Tensor pc = clip(p, kEpsilon, 1);
    return sum(tc * log(tc / pc), -1);
  });
}

LossRef CosineSimilarity(std::int64_t axis) {
  return make(
      "CosineSimilarity", "cosine_similarity",
      [axis](const Tensor& t, const Tensor& p) { return -sum(l2_normalize(t, axis) * l2_normalize(p, axis), axis); },
      Json{{"axis", axis}});
}

LossRef Hinge() {
  return make("Hinge", "hinge",
              [](const Tensor& t, const Tensor& p) { return mean(maximum(1 - hinge_labels(t) * p, 0), -1); });
}

LossRef SquaredHinge() {
  return make("SquaredHinge", "squared_hinge",
              [](const Tensor& t, const Tensor& p) { return mean(square(maximum(1 - hinge_labels(t) * p, 0)), -1); });
}

LossRef CategoricalHinge() {
  return make("CategoricalHinge", "categorical_hinge", [](const Tensor& t, const Tensor& p) {
    Tensor pos = sum(t * p, -1);
    Tensor neg = max((1 - t) * p, -1);
    return maximum(neg - pos + 1, 0);
  });
}

}  // namespace lamina::losses
