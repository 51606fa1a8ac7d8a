#pragma once
// What compile() resolves and fit/evaluate keep between calls (library-internal).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lamina/model/model.hpp"
#include "lamina/train/loss.hpp"
#include "lamina/train/metric.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina::train {

// One model output's loss and metrics.
struct OutputTarget {
  std::string name;
  losses::LossRef loss;  // null: this output is not trained (no loss given for it)
  double loss_weight = 1.0;
  std::vector<MetricArg> metric_args, weighted_metric_args;  // resolved on the first batch
  std::vector<metrics::MetricRef> metrics, weighted_metrics;
  std::vector<std::string> metric_names;  // as reported: metrics first, then weighted ones
  bool metrics_resolved = false;
};

// A running mean of per-batch values weighted by batch size (Keras's loss tracker).
struct RunningMean {
  double total = 0, count = 0;
  void add(double value, double weight) {
    total += value * weight;
    count += weight;
  }
  double result() const { return count > 0 ? total / count : 0.0; }
};

struct TrainState {
  CompileOptions options;
  optimizers::OptimizerRef optimizer;
  std::vector<OutputTarget> outputs;
  RunningMean loss;                  // "loss"
  std::vector<RunningMean> output_loss;  // "<output>_loss" for multi-output models
  bool gradients_checked = false;  // fit checks the gradient paths on its first step
  bool stop_training = false;
  std::optional<int> resume_epoch;  // set by BackupAndRestore in on_train_begin
  std::uint64_t shuffle_seed = 0;  // drawn at compile; saved, so a resumed fit shuffles the same way
};


}  // namespace lamina::train
