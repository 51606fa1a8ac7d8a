#pragma once
// The built-in metrics, with Keras 3's names, formulas and configs
// (docs/losses-and-metrics.md). All honour y_pred's mask.
#include <string>

#include "lamina/train/loss.hpp"
#include "lamina/train/metric.hpp"

namespace lamina::metrics {

// Running mean of values given to update(values, sample_weight) (e.g. the loss).
MeanRef Mean(std::string name = "mean");

// Accuracies (MeanMetricWrapper semantics: the running weighted mean of 0/1 matches).
MetricRef BinaryAccuracy(double threshold = 0.5);  // y_pred > threshold equals y_true
MetricRef CategoricalAccuracy();                   // argmax(y_pred) == argmax(y_true), one-hot y_true
MetricRef SparseCategoricalAccuracy();             // argmax(y_pred) == y_true, integer labels
MetricRef TopKCategoricalAccuracy(int k = 5);      // argmax(y_true) among the k largest of y_pred (ties count)
MetricRef SparseTopKCategoricalAccuracy(int k = 5);

// Confusion-count metrics, as Keras 3: a prediction is positive when y_pred > threshold, a
// label when y_true != 0; the counts are weighted by sample_weight.
MetricRef Precision(double threshold = 0.5);  // tp / (tp + fp), 0 when there is no positive prediction
MetricRef Recall(double threshold = 0.5);     // tp / (tp + fn), 0 when there is no positive label

struct AUCOptions {
  int num_thresholds = 200;                        // > 1; thresholds -eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps
  std::string curve = "ROC";                       // "ROC" or "PR"
  std::string summation_method = "interpolation";  // "interpolation", "minoring" or "majoring"
  bool from_logits = false;                        // apply a sigmoid to y_pred first
};
MetricRef AUC(int num_thresholds = 200);
MetricRef AUC(AUCOptions options);

// The running mean of a loss's unreduced values, as Keras's metric classes of the same
// names (MeanSquaredError, BinaryCrossentropy, ...): type and name are the loss's.
MetricRef LossMetric(losses::LossRef loss);
MetricRef MeanSquaredError();
MetricRef MeanAbsoluteError();

// "accuracy" / "acc" resolved from the shapes as Keras 3's compile_utils.get_metric does:
// y_pred's last dim 1 -> BinaryAccuracy; y_true of lower rank, or y_true's last dim 1 with
// y_pred's > 1 -> SparseCategoricalAccuracy; otherwise CategoricalAccuracy. Other names:
// Keras class names, their snake_case forms and aliases ("mse", "mae", "bce", "auc", ...).
// The metric is named after the identifier, as in Keras.
MetricRef get(const std::string& name, const TensorSpec& y_true, const TensorSpec& y_pred);
// The same, with the compiled loss deciding the accuracy first (as tf.keras did): binary
// crossentropy -> BinaryAccuracy (multi-label outputs too), categorical -> Categorical,
// sparse categorical -> SparseCategorical; other losses fall back to the shapes.
MetricRef get(const std::string& name, const TensorSpec& y_true, const TensorSpec& y_pred, const losses::LossRef& loss);
// Names that need no shapes (not "accuracy").
MetricRef get(const std::string& name);

// Rebuilds a metric from its get_config() (every field required and type-checked).
MetricRef metric_from_config(const Json& config);

}  // namespace lamina::metrics
