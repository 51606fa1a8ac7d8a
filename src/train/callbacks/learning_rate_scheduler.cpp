// LearningRateScheduler: sets the learning rate before each epoch from a function.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "lamina/core/error.hpp"
#include "lamina/model/model.hpp"
#include "lamina/train/callbacks.hpp"
#include "lamina/train/optimizer.hpp"

namespace lamina::callbacks {

namespace {

class LearningRateSchedulerCallback final : public Callback {
 public:
  LearningRateSchedulerCallback(std::function<double(int, double)> schedule, int verbose)
      : schedule_(std::move(schedule)), verbose_(verbose) {
    if (!schedule_)
      throw ValueError({.op = "LearningRateScheduler",
                        .problem = "the schedule is an empty function",
                        .expected = "a function (epoch, lr) -> lr",
                        .found = "an empty std::function",
                        .hint = "pass a lambda: [](int epoch, double lr) { return lr * 0.9; }"});
  }
  void on_epoch_begin(int epoch, const Logs&) override {
    auto opt = model().optimizer();
    double lr = schedule_(epoch, opt->learning_rate());
    if (!std::isfinite(lr) || lr < 0)
      throw ValueError({.op = "LearningRateScheduler",
                        .problem = fmt::format("the schedule returned an invalid learning rate for epoch {}", epoch),
                        .expected = "a finite rate >= 0",
                        .found = fmt::format("{}", lr),
                        .hint = "check the schedule function"});
    opt->set_learning_rate(lr);
    if (verbose_ > 0) std::printf("\nEpoch %d: LearningRateScheduler setting learning rate to %s.\n", epoch + 1,
                                  fmt::format("{}", lr).c_str());
  }

 private:
  std::function<double(int, double)> schedule_;
  int verbose_;
};

}  // namespace

CallbackRef LearningRateScheduler(std::function<double(int epoch, double lr)> schedule, int verbose) {
  return std::make_shared<LearningRateSchedulerCallback>(std::move(schedule), verbose);
}

}  // namespace lamina::callbacks
