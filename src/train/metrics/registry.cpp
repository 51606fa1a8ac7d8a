// Metrics by Keras name (with "accuracy" resolved from the shapes) and from configs.
#include "lamina/layers/registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>

#include "lamina/core/error.hpp"
#include "lamina/train/losses.hpp"
#include "lamina/train/metrics.hpp"

namespace lamina::metrics {

namespace {

using Factory = std::function<MetricRef()>;

// Loss-valued metrics Keras 3 has under the loss's class name.
const std::vector<std::string>& loss_metric_types() {
  static const std::vector<std::string> t = {"BinaryCrossentropy",
                                             "CategoricalCrossentropy",
                                             "CategoricalHinge",
                                             "Hinge",
                                             "KLDivergence",
                                             "LogCosh",
                                             "MeanAbsoluteError",
                                             "MeanAbsolutePercentageError",
                                             "MeanSquaredError",
                                             "MeanSquaredLogarithmicError",
                                             "Poisson",
                                             "SparseCategoricalCrossentropy",
                                             "SquaredHinge"};
  return t;
}

const std::map<std::string, Factory>& names() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    auto add = [&t](std::initializer_list<const char*> keys, Factory f) {
      for (const char* k : keys) t[k] = f;
    };
    add({"Mean", "mean"}, [] { return Mean(); });
    add({"BinaryAccuracy", "binary_accuracy"}, [] { return BinaryAccuracy(); });
    add({"CategoricalAccuracy", "categorical_accuracy"}, [] { return CategoricalAccuracy(); });
    add({"SparseCategoricalAccuracy", "sparse_categorical_accuracy"}, [] { return SparseCategoricalAccuracy(); });
    add({"TopKCategoricalAccuracy", "top_k_categorical_accuracy"}, [] { return TopKCategoricalAccuracy(); });
    add({"SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy"},
        [] { return SparseTopKCategoricalAccuracy(); });
    add({"Precision", "precision"}, [] { return Precision(); });
    add({"Recall", "recall"}, [] { return Recall(); });
    add({"AUC", "auc"}, [] { return AUC(); });
    // Loss-valued metrics: class name, its snake_case form, and Keras's metric aliases.
    add({"MeanSquaredError", "mean_squared_error", "mse", "MSE"}, [] { return MeanSquaredError(); });
    add({"MeanAbsoluteError", "mean_absolute_error", "mae", "MAE"}, [] { return MeanAbsoluteError(); });
    add({"MeanAbsolutePercentageError", "mean_absolute_percentage_error", "mape", "MAPE"},
        [] { return LossMetric(losses::MeanAbsolutePercentageError()); });
    add({"MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "msle", "MSLE"},
        [] { return LossMetric(losses::MeanSquaredLogarithmicError()); });
    add({"BinaryCrossentropy", "binary_crossentropy", "bce", "BCE"},
        [] { return LossMetric(losses::BinaryCrossentropy()); });
    add({"CategoricalCrossentropy", "categorical_crossentropy"},
        [] { return LossMetric(losses::CategoricalCrossentropy()); });
    add({"SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"},
        [] { return LossMetric(losses::SparseCategoricalCrossentropy()); });
    add({"KLDivergence", "kl_divergence"}, [] { return LossMetric(losses::KLDivergence()); });
    add({"Poisson", "poisson"}, [] { return LossMetric(losses::Poisson()); });
    add({"LogCosh", "log_cosh"}, [] { return LossMetric(losses::LogCosh()); });
    add({"Hinge", "hinge"}, [] { return LossMetric(losses::Hinge()); });
    add({"SquaredHinge", "squared_hinge"}, [] { return LossMetric(losses::SquaredHinge()); });
    add({"CategoricalHinge", "categorical_hinge"}, [] { return LossMetric(losses::CategoricalHinge()); });
    return t;
  }();
  return table;
}

std::vector<std::string> known() {
  std::vector<std::string> out{"accuracy", "acc"};
  for (const auto& [k, f] : names()) out.push_back(k);
  return out;
}

bool is_accuracy(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "accuracy" || lower == "acc";
}

// Keras 3's is_binary_or_sparse_categorical.
MetricRef accuracy_from_shapes(const TensorSpec& y_true, const TensorSpec& y_pred) {
  const Shape& t = y_true.shape;
  const Shape& p = y_pred.shape;
  std::int64_t t_last = t.rank() > 0 ? t[t.rank() - 1] : None;
  std::int64_t p_last = p.rank() > 0 ? p[p.rank() - 1] : None;
  if (p_last == 1) return BinaryAccuracy();
  if (t.rank() < p.rank() || (t_last == 1 && p_last > 1)) return SparseCategoricalAccuracy();
  return CategoricalAccuracy();
}

}  // namespace

MetricRef get(const std::string& name) {
  if (is_accuracy(name))
    throw ValueError({.problem = fmt::format("metric '{}' depends on the shapes of y_true and y_pred", name),
                      .expected = "metrics::get(name, y_true_spec, y_pred_spec)",
                      .found = fmt::format("'{}' without shapes", name),
                      .hint = "pass the specs, or name the accuracy: \"binary_accuracy\", "
                              "\"sparse_categorical_accuracy\", \"categorical_accuracy\""});
  auto it = names().find(name);
  if (it == names().end())
    throw ValueError({.problem = fmt::format("unknown metric '{}'", name),
                      .expected = fmt::format("a Keras metric name or alias: {}", fmt::join(known(), ", ")),
                      .found = fmt::format("'{}'", name),
                      .hint = "names are case-sensitive, as in Keras (\"accuracy\", \"mse\", \"auc\")"});
  MetricRef m = it->second();
  m->set_name(name);  // Keras names a metric after its identifier
  return m;
}

MetricRef get(const std::string& name, const TensorSpec& y_true, const TensorSpec& y_pred) {
  if (!is_accuracy(name)) return get(name);
  MetricRef m = accuracy_from_shapes(y_true, y_pred);
  m->set_name(name);
  return m;
}

MetricRef get(const std::string& name, const TensorSpec& y_true, const TensorSpec& y_pred,
              const losses::LossRef& loss) {
  if (!is_accuracy(name) || !loss) return get(name, y_true, y_pred);
  MetricRef m;
  if (loss->type() == "BinaryCrossentropy")
    m = BinaryAccuracy();
  else if (loss->type() == "CategoricalCrossentropy")
    m = CategoricalAccuracy();
  else if (loss->type() == "SparseCategoricalCrossentropy")
    m = SparseCategoricalAccuracy();
  else
    return get(name, y_true, y_pred);
  m->set_name(name);
  return m;
}

MetricRef metric_from_config(const Json& config) {
  Json c = config;
  if (c.is_object() && c.contains("class_name") && c.contains("config") && c["config"].is_object() &&
      c["class_name"].is_string()) {  // Keras's serialised form
    Json inner = c["config"];
    inner["type"] = c["class_name"];
    c = inner;
  }
  if (!c.is_object() || !c.contains("type") || !c["type"].is_string())
    throw ValueError({.problem = "a metric config must be a JSON object with a string field 'type'",
                      .expected = R"({"type": "BinaryAccuracy", "name": ..., "dtype": ..., ...options})",
                      .found = config.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 80),
                      .hint = "rebuild from the output of Metric::get_config()"});
  layers::ConfigReader r(c);
  const std::string& type = r.type();
  std::string name = r.string("name");
  r.string("dtype");
  MetricRef m;
  auto threshold = [&r] {
    const Json& v = r.at("thresholds");
    if (v.is_null()) return 0.5;
    if (v.is_array() && v.size() == 1 && v[0].is_number()) return v[0].get<double>();
    return r.number("thresholds");
  };
  if (type == "Mean")
    m = Mean();
  else if (type == "BinaryAccuracy")
    m = BinaryAccuracy(r.number("threshold"));
  else if (type == "CategoricalAccuracy")
    m = CategoricalAccuracy();
  else if (type == "SparseCategoricalAccuracy")
    m = SparseCategoricalAccuracy();
  else if (type == "TopKCategoricalAccuracy")
    m = TopKCategoricalAccuracy(static_cast<int>(r.integer("k")));
  else if (type == "SparseTopKCategoricalAccuracy")
    m = SparseTopKCategoricalAccuracy(static_cast<int>(r.integer("k")));
  else if (type == "Precision")
    m = Precision(threshold());
  else if (type == "Recall")
    m = Recall(threshold());
  else if (type == "AUC") {
    if (r.boolean("multi_label"))
      r.fail("multi_label", {.problem = "is not supported", .expected = "false (one AUC over all labels)"});
    m = AUC(AUCOptions{.num_thresholds = static_cast<int>(r.integer("num_thresholds")),
                       .curve = r.string("curve"),
                       .summation_method = r.string("summation_method"),
                       .from_logits = r.boolean("from_logits")});
  } else if (std::find(loss_metric_types().begin(), loss_metric_types().end(), type) != loss_metric_types().end()) {
    // The loss's own options are the metric's other fields.
    Json lc = c;
    lc.erase("dtype");
    lc["name"] = losses::get(type)->name();
    lc["reduction"] = "sum_over_batch_size";
    m = LossMetric(losses::loss_from_config(lc));
  } else {
    throw ValueError({.problem = fmt::format("unknown metric type '{}'", type),
                      .expected = "a Keras metric class name (BinaryAccuracy, AUC, MeanSquaredError, ...)",
                      .found = fmt::format("'{}'", type),
                      .hint = "'type' is the Keras class name, as get_config() writes it"});
  }
  m->set_name(name);
  return m;
}

}  // namespace lamina::metrics
