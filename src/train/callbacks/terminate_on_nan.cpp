// TerminateOnNaN: end training quietly when the loss stops being finite.
#include <cmath>
#include <cstdio>

#include "lamina/model/model.hpp"
#include "lamina/train/callbacks.hpp"

namespace lamina::callbacks {

namespace {

class TerminateOnNaNCallback final : public Callback {
 public:
  void on_train_batch_end(int batch, const Logs& logs) override {
    auto it = logs.find("loss");
    if (it != logs.end() && !std::isfinite(it->second)) {
      std::printf("Batch %d: Invalid loss, terminating training\n", batch);
      model().stop_training() = true;
    }
  }
};

}  // namespace

CallbackRef TerminateOnNaN() { return std::make_shared<TerminateOnNaNCallback>(); }

}  // namespace lamina::callbacks
