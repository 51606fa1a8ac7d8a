// ReduceLROnPlateau: multiply the learning rate by `factor` after `patience` epochs without improvement.
#include <fmt/format.h>

#include <cstdio>

#include "lamina/core/error.hpp"
#include "lamina/model/model.hpp"
#include "lamina/train/callbacks.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina::callbacks {

namespace {

class ReduceLROnPlateauCallback final : public Callback {
 public:
  explicit ReduceLROnPlateauCallback(ReduceLROnPlateauOptions o)
      : o_(std::move(o)), monitor_(o_.monitor, o_.mode, o_.min_delta, "ReduceLROnPlateau") {
    if (!(o_.factor < 1.0) || !(o_.factor >= 0))
      throw ValueError({.op = "ReduceLROnPlateau",
                        .problem = "factor must be in [0, 1)",
                        .expected = "0 <= factor < 1 (the rate is multiplied by it)",
                        .found = fmt::format("{}", o_.factor),
                        .hint = "0.1 divides the rate by 10"});
  }
  void on_train_begin(const Logs&) override {
    best_ = monitor_.worst();
    cooldown_counter_ = 0;
    wait_ = 0;
  }
  void on_epoch_end(int epoch, const Logs& logs) override {
    auto current = monitor_.value(logs);
    if (!current) return;
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      wait_ = 0;
    }
    if (monitor_.improved(*current, best_)) {
      best_ = *current;
      wait_ = 0;
    } else if (cooldown_counter_ == 0 && ++wait_ >= o_.patience) {
      auto opt = model().optimizer();
      double old_lr = opt->learning_rate();
      if (old_lr > o_.min_lr) {
        double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
        opt->set_learning_rate(new_lr);
        if (o_.verbose > 0)
          std::printf("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch + 1,
                      fmt::format("{}", new_lr).c_str());
        cooldown_counter_ = o_.cooldown;
        wait_ = 0;
      }
    }
  }

 private:
  ReduceLROnPlateauOptions o_;
  Monitor monitor_;
  double best_ = 0;
  int cooldown_counter_ = 0, wait_ = 0;
};

}  // namespace

CallbackRef ReduceLROnPlateau(ReduceLROnPlateauOptions options) {
  return std::make_shared<ReduceLROnPlateauCallback>(std::move(options));
}

}  // namespace lamina::callbacks
