// Precision, Recall and AUC: weighted confusion counts per threshold, as Keras 3's
// update_confusion_matrix_variables, with masked entries excluded.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"
#include "lamina/train/losses.hpp"
#include "lamina/train/metrics.hpp"
#include "train/metrics/metric_support.hpp"

namespace lamina::metrics {

namespace {

// tp, fp, tn, fn per threshold, over flattened predictions (not multi-label).
class ConfusionMetric : public Metric {
 public:
  ConfusionMetric(std::string type, std::string name, std::vector<double> thresholds, bool clip_predictions)
      : Metric(std::move(type), std::move(name)),
        thresholds_(std::move(thresholds)),
        clip_(clip_predictions),
        tp_(thresholds_.size()),
        fp_(thresholds_.size()),
        tn_(thresholds_.size()),
        fn_(thresholds_.size()) {}

  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    NoteScope scope(context());
    ::lamina::detail::PauseRecording pause;
    if (!y_true.defined() || !y_pred.defined() || y_true.is_symbolic() || y_pred.is_symbolic())
      throw ValueError({.problem = fmt::format("metric '{}' needs concrete y_true and y_pred", name()),
                        .expected = "two tensors with values",
                        .found = !y_true.defined() || !y_pred.defined() ? "an undefined tensor" : "a symbolic tensor",
                        .hint = "update metrics with the batch's actual targets and outputs"});
    std::vector<double> ok = detail::valid(y_pred);  // y_pred's elements in row-major order
    auto [t0, p0] = losses::sanitize_masked(y_true, y_pred);
    Tensor p = prepare(p0);
    auto [p1, t] = losses::squeeze_or_expand_to_same_rank(p, t0);
    if (p1.shape() != t.shape())
      throw ShapeError({.problem = fmt::format("y_true and y_pred shapes do not match ({})", type()),
                        .expected = fmt::format("y_true of shape {}", y_pred.shape().str()),
                        .found = fmt::format("y_true {} and y_pred {}", y_true.shape().str(), y_pred.shape().str()),
                        .hint = "one 0/1 label per prediction"});
    std::vector<double> w = detail::weights_for(sample_weight, p1.shape(), name());
    std::vector<double> pv = detail::host(p1), tv = detail::host(t);
    // Compare as the prediction's dtype does (Keras casts the thresholds to float32).
    std::vector<double> th = thresholds_;
    if (p1.dtype() == Float32)
      for (double& x : th) x = static_cast<double>(static_cast<float>(x));
    std::size_t n = th.size();
    std::vector<double> pos(n + 1), neg(n + 1);  // weight by the number of thresholds below the prediction
    for (std::size_t i = 0; i < pv.size(); ++i) {
      double weight = w.empty() ? 1.0 : w[i];
      if (ok[i] == 0 || weight == 0) continue;
      double x = clip_ ? std::clamp(pv[i], 0.0, 1.0) : pv[i];
      std::size_t below =
          std::isnan(x) ? 0 : static_cast<std::size_t>(std::lower_bound(th.begin(), th.end(), x) - th.begin());
      (tv[i] != 0 ? pos : neg)[below] += weight;
    }
    // A prediction is positive at threshold j when it exceeds it: j < below.
    double above_pos = 0, above_neg = 0;
    for (std::size_t j = n; j-- > 0;) {
      above_pos += pos[j + 1];
      above_neg += neg[j + 1];
      tp_[j] += above_pos;
      fp_[j] += above_neg;
    }
    double below_pos = 0, below_neg = 0;
    for (std::size_t j = 0; j < n; ++j) {
      below_pos += pos[j];
      below_neg += neg[j];
      fn_[j] += below_pos;
      tn_[j] += below_neg;
    }
  }

  void reset_state() override {
    for (auto* v : {&tp_, &fp_, &tn_, &fn_}) std::fill(v->begin(), v->end(), 0.0);
  }
  std::vector<double> state() const override {
    std::vector<double> s;
    for (const auto* v : {&tp_, &fp_, &tn_, &fn_}) s.insert(s.end(), v->begin(), v->end());
    return s;
  }
  void merge_state(const std::vector<double>& other) override {
    std::size_t n = thresholds_.size();
    check_state(other, 4 * n);
    std::size_t k = 0;
    for (auto* v : {&tp_, &fp_, &tn_, &fn_})
      for (std::size_t j = 0; j < n; ++j) (*v)[j] += other[k++];
  }

 protected:
  virtual Tensor prepare(const Tensor& p) const { return p; }
  static double divide_no_nan(double a, double b) { return b == 0 ? 0.0 : a / b; }
  std::vector<double> thresholds_;
  bool clip_;
  std::vector<double> tp_, fp_, tn_, fn_;
};

void check_threshold(double t, const char* metric) {
  if (!(t >= 0 && t <= 1))
    throw ValueError({.problem = fmt::format("{}: the threshold must be in [0, 1]", metric),
                      .expected = "0 <= threshold <= 1",
                      .found = fmt::format("threshold={}", t),
                      .hint = "predictions above the threshold count as positive (Keras's default is 0.5)"});
}

class PrecisionRecall final : public ConfusionMetric {
 public:
  PrecisionRecall(bool precision, double threshold)
      : ConfusionMetric(precision ? "Precision" : "Recall", precision ? "precision" : "recall", {threshold}, false),
        precision_(precision) {
    check_threshold(threshold, precision ? "Precision" : "Recall");
  }
  double result() const override { return divide_no_nan(tp_[0], tp_[0] + (precision_ ? fp_[0] : fn_[0])); }
  Json get_config() const override {
    Json c = Metric::get_config();
    c["thresholds"] = thresholds_[0];
    c["top_k"] = nullptr;
    c["class_id"] = nullptr;
    return c;
  }

 private:
  bool precision_;
};

std::vector<double> auc_thresholds(int n) {
  std::vector<double> t{0.0 - losses::kEpsilon};
  for (int i = 0; i < n - 2; ++i) t.push_back((i + 1) * 1.0 / (n - 1));
  t.push_back(1.0 + losses::kEpsilon);
  return t;
}

class AUCMetric final : public ConfusionMetric {
 public:
  explicit AUCMetric(AUCOptions o)
      : ConfusionMetric("AUC", "auc", auc_thresholds(std::max(o.num_thresholds, 2)), true), o_(std::move(o)) {}

  double result() const override {
    std::size_t n = thresholds_.size();
    if (o_.curve == "PR" && o_.summation_method == "interpolation") return interpolate_pr();
    std::vector<double> x(n), y(n);
    for (std::size_t j = 0; j < n; ++j) {
      double recall = divide_no_nan(tp_[j], tp_[j] + fn_[j]);
      if (o_.curve == "ROC") {
        x[j] = divide_no_nan(fp_[j], fp_[j] + tn_[j]);
        y[j] = recall;
      } else {
        x[j] = recall;
        y[j] = divide_no_nan(tp_[j], tp_[j] + fp_[j]);
      }
    }
    double area = 0;
    for (std::size_t j = 0; j + 1 < n; ++j) {
      double h = o_.summation_method == "interpolation" ? (y[j] + y[j + 1]) / 2
                 : o_.summation_method == "minoring"    ? std::min(y[j], y[j + 1])
                                                        : std::max(y[j], y[j + 1]);
      area += (x[j] - x[j + 1]) * h;
    }
    return area;
  }

  Json get_config() const override {
    Json c = Metric::get_config();
    c["num_thresholds"] = o_.num_thresholds;
    c["curve"] = o_.curve;
    c["summation_method"] = o_.summation_method;
    c["multi_label"] = false;
    c["num_labels"] = nullptr;
    c["label_weights"] = nullptr;
    c["from_logits"] = o_.from_logits;
    return c;
  }

 protected:
  Tensor prepare(const Tensor& p) const override { return o_.from_logits ? sigmoid(p) : p; }

 private:
  // Keras's interpolate_pr_auc (Davis & Goadrich 2006): precision interpolated linearly in
  // the number of predicted positives between thresholds.
  double interpolate_pr() const {
    std::size_t n = thresholds_.size();
    double area = 0;
    for (std::size_t j = 0; j + 1 < n; ++j) {
      double dtp = tp_[j] - tp_[j + 1];
      double p0 = tp_[j] + fp_[j], p1 = tp_[j + 1] + fp_[j + 1];
      double slope = divide_no_nan(dtp, std::max(p0 - p1, 0.0));
      double intercept = tp_[j + 1] - slope * p1;
      double ratio = p0 > 0 && p1 > 0 ? divide_no_nan(p0, std::max(p1, 0.0)) : 1.0;
      area += divide_no_nan(slope * (dtp + intercept * std::log(ratio)), std::max(tp_[j + 1] + fn_[j + 1], 0.0));
    }
    return area;
  }
  AUCOptions o_;
};

}  // namespace

MetricRef Precision(double threshold) { return std::make_shared<PrecisionRecall>(true, threshold); }
MetricRef Recall(double threshold) { return std::make_shared<PrecisionRecall>(false, threshold); }

MetricRef AUC(int num_thresholds) { return AUC(AUCOptions{.num_thresholds = num_thresholds}); }

MetricRef AUC(AUCOptions options) {
  auto bad = [](std::string problem, std::string expected, std::string found) {
    throw ValueError({.problem = "AUC: " + problem,
                      .expected = expected,
                      .found = found,
                      .hint = "Keras's defaults are num_thresholds=200, curve=\"ROC\", "
                              "summation_method=\"interpolation\""});
  };
  if (options.num_thresholds <= 1)
    bad("num_thresholds must be an integer > 1", "num_thresholds >= 2",
        fmt::format("num_thresholds={}", options.num_thresholds));
  if (options.curve != "ROC" && options.curve != "PR")
    bad("unknown curve", "\"ROC\" or \"PR\"", fmt::format("curve=\"{}\"", options.curve));
  if (options.summation_method != "interpolation" && options.summation_method != "minoring" &&
      options.summation_method != "majoring")
    bad("unknown summation_method", "\"interpolation\", \"minoring\" or \"majoring\"",
        fmt::format("summation_method=\"{}\"", options.summation_method));
  return std::make_shared<AUCMetric>(std::move(options));
}

}  // namespace lamina::metrics
