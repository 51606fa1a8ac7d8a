// EarlyStopping: stop when the monitored value has not improved for `patience` epochs.
#include <cstdio>

#include "lamina/model/model.hpp"
#include "lamina/train/callbacks.hpp"

namespace lamina::callbacks {

namespace {

class EarlyStoppingCallback final : public Callback {
 public:
  explicit EarlyStoppingCallback(EarlyStoppingOptions o)
      : o_(std::move(o)), monitor_(o_.monitor, o_.mode, o_.min_delta, "EarlyStopping") {}

  void on_train_begin(const Logs&) override {
    wait_ = 0;
    stopped_epoch_ = -1;
    best_ = monitor_.worst();
    best_weights_.clear();
    best_epoch_ = 0;
  }

  void on_epoch_end(int epoch, const Logs& logs) override {
    auto current = monitor_.value(logs);
    if (!current || epoch < o_.start_from_epoch) return;
    if (o_.restore_best_weights && best_weights_.empty()) best_weights_ = model().get_weights();
    ++wait_;
    if (monitor_.improved(*current, best_)) {
      best_ = *current;
      best_epoch_ = epoch;
      if (o_.restore_best_weights) best_weights_ = model().get_weights();
      if (!o_.baseline || monitor_.improved(*current, *o_.baseline)) wait_ = 0;
      return;
    }
    if (wait_ >= o_.patience && epoch > 0) {
      stopped_epoch_ = epoch;
      model().stop_training() = true;
      if (o_.restore_best_weights && !best_weights_.empty()) {
        if (o_.verbose > 0) std::printf("Restoring model weights from the end of the best epoch: %d.\n", best_epoch_ + 1);
        model().set_weights(best_weights_);
      }
    }
  }

  void on_train_end(const Logs&) override {
    if (stopped_epoch_ >= 0 && o_.verbose > 0) std::printf("Epoch %d: early stopping\n", stopped_epoch_ + 1);
  }

 private:
  EarlyStoppingOptions o_;
  Monitor monitor_;
  int wait_ = 0, stopped_epoch_ = -1, best_epoch_ = 0;
  double best_ = 0;
  TensorList best_weights_;
};

}  // namespace

CallbackRef EarlyStopping(EarlyStoppingOptions options) {
  return std::make_shared<EarlyStoppingCallback>(std::move(options));
}

}  // namespace lamina::callbacks
