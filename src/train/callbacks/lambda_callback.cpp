// LambdaCallback: hooks given as functions.
#include "lamina/train/callbacks.hpp"

namespace lamina::callbacks {

namespace {

class LambdaCallbackImpl final : public Callback {
 public:
  explicit LambdaCallbackImpl(LambdaCallbackOptions o) : o_(std::move(o)) {}
  void on_epoch_begin(int e, const Logs& l) override {
    if (o_.on_epoch_begin) o_.on_epoch_begin(e, l);
  }
  void on_epoch_end(int e, const Logs& l) override {
    if (o_.on_epoch_end) o_.on_epoch_end(e, l);
  }
  void on_train_batch_begin(int b, const Logs& l) override {
    if (o_.on_train_batch_begin) o_.on_train_batch_begin(b, l);
  }
  void on_train_batch_end(int b, const Logs& l) override {
    if (o_.on_train_batch_end) o_.on_train_batch_end(b, l);
  }
  void on_train_begin(const Logs& l) override {
    if (o_.on_train_begin) o_.on_train_begin(l);
  }
  void on_train_end(const Logs& l) override {
    if (o_.on_train_end) o_.on_train_end(l);
  }

 private:
  LambdaCallbackOptions o_;
};

}  // namespace

CallbackRef LambdaCallback(LambdaCallbackOptions options) {
  return std::make_shared<LambdaCallbackImpl>(std::move(options));
}

}  // namespace lamina::callbacks
