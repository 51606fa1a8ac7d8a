#pragma once
// Options of fit / evaluate / predict, and the History fit returns. Defaults and meanings are
// Keras 3's: validation_split takes the LAST samples before shuffling; an epoch has
// ceil(n / batch_size) batches, the last one partial; `epochs` is the index of the final epoch,
// so training runs epochs initial_epoch .. epochs-1; class_weight applies in training only.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lamina/train/callback.hpp"
#include "lamina/train/data.hpp"

namespace lamina {

namespace distributed {
class DataParallel;
}

struct ValidationData {
  Data x;
  Data y;
  Tensor sample_weight;
  BatchSource* source = nullptr;  // instead of x/y
};

struct FitOptions {
  std::optional<std::int64_t> batch_size;  // default 32; not with a BatchSource
  int epochs = 1;
  int verbose = 1;  // 0 silent, 1 progress bar (one line per epoch when stdout is not a terminal), 2 one line per epoch
  std::vector<CallbackRef> callbacks;
  double validation_split = 0.0;
  std::optional<ValidationData> validation_data;
  bool shuffle = true;
  std::map<std::int64_t, double> class_weight;
  Tensor sample_weight;  // (n,) or (n, timesteps)
  int initial_epoch = 0;
  std::optional<std::int64_t> steps_per_epoch;
  std::optional<std::int64_t> validation_steps;
  int validation_freq = 1;
  std::optional<std::int64_t> validation_batch_size;
  // lm::DataParallel(): train as one of the ranks of an MPI job (docs/distributed.md).
  std::shared_ptr<const distributed::DataParallel> distribution;
};

struct EvaluateOptions {
  std::optional<std::int64_t> batch_size;
  int verbose = 1;
  Tensor sample_weight;
  std::optional<std::int64_t> steps;
  std::vector<CallbackRef> callbacks;
  // Each rank evaluates its shard of every batch; the loss and metrics are reduced over ranks
  // (every rank gets the global values; callbacks and the bar on rank 0). Every rank must hold
  // the same weights, as after a distributed fit or load_model.
  std::shared_ptr<const distributed::DataParallel> distribution;
};

struct PredictOptions {
  std::optional<std::int64_t> batch_size;
  int verbose = 0;  // Keras prints a bar by default ("auto"); Lamina stays quiet unless asked
  std::optional<std::int64_t> steps;
  std::vector<CallbackRef> callbacks;
  // Each rank predicts its shard of every batch; the shards are gathered in rank order, so
  // every rank returns the whole predictions, equal to a single process's.
  std::shared_ptr<const distributed::DataParallel> distribution;
};

// Per-epoch values of every metric ("loss", "accuracy", "val_loss", ...), as Keras's History.
struct History {
  std::vector<int> epochs;
  std::map<std::string, std::vector<double>> history;
  const std::vector<double>& operator[](const std::string& key) const;
};

// Outputs of predict: one tensor per model output; converts to a Tensor for single-output models.
class Outputs : public TensorList {
 public:
  using TensorList::TensorList;
  Outputs(TensorList list) : TensorList(std::move(list)) {}
  operator Tensor() const;  // ValueError unless there is exactly one output
};

}  // namespace lamina
