#pragma once
// The one-step functions: a training step (forward, loss, gradients, update, metrics), a test
// step and a predict step, and the running metric values they report (library-internal).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "train/train_state.hpp"

namespace lamina::distributed {
class DataParallel;
}

namespace lamina::train {

using ClassWeights = std::map<std::int64_t, double>;

class Steps {
 public:
  Steps(ModelLayer& model, TrainState& state);

  // Resets the metrics and loss trackers (at the start of an epoch or an evaluation).
  void reset();
  // One optimizer step. Returns false, without updating anything, when the loss is not finite
  // (the caller decides whether to stop or raise; non_finite_report() says where it started).
  bool train(const Batch& batch, const ClassWeights& class_weight);
  void test(const Batch& batch);
  TensorList predict(const TensorList& x);
  // Current values: "loss", per-output losses, metrics (reduced over ranks when distributed).
  Logs logs() const;
  // Data parallel (steps_distributed.cpp): train/test take this rank's shard of each global
  // batch and reduce over ranks; logs() is then a collective. Null: one process.
  void set_distribution(const distributed::DataParallel* dp) { dist_ = dp; }
  // After train() returned false: which layer first produced a non-finite value.
  const std::string& non_finite_report() const { return non_finite_report_; }

 private:
  Tensor total_loss(const TensorList& y_true, const TensorList& y_pred, const Tensor& sample_weight,
                    std::vector<double>& per_output);
  void update_metrics(const TensorList& y_true, const TensorList& y_pred, const Tensor& sample_weight);
  void resolve_metrics(const TensorList& y_true, const TensorList& y_pred);
  void check_targets(const Batch& batch) const;
  std::string diagnose(const Batch& batch, double loss);
  bool train_sharded(const Batch& batch, const ClassWeights& class_weight);
  void test_sharded(const Batch& batch);
  Logs reduced_logs() const;

  ModelLayer& model_;
  TrainState& state_;
  std::string non_finite_report_;
  const distributed::DataParallel* dist_ = nullptr;
};

// Per-entry weights from class_weight and the targets of a single-output model: sparse labels
// (integers) or one-hot / probability targets (argmax over the last axis).
// ValueError unless the model has one output: class_weight keys are classes of that output.
void require_one_output_for_class_weight(std::size_t outputs);
Tensor class_weight_tensor(const ClassWeights& class_weight, const Tensor& y_true);

// The batch's sample weights multiplied by the class weights (either may be undefined).
Tensor combine_weights(const Tensor& sample_weight, const Tensor& class_weights);

}  // namespace lamina::train
