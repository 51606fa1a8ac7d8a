#pragma once
// Callback: hooks into fit/evaluate/predict, in Keras's order:
//   on_train_begin
//     on_epoch_begin(e)
//       on_train_batch_begin(b) ... on_train_batch_end(b, logs)      for every batch
//       [validation: on_test_begin, on_test_batch_begin/end ..., on_test_end]
//     on_epoch_end(e, logs)          logs hold the epoch's metrics and the val_ ones
//   on_train_end
// Setting model().stop_training() = true (EarlyStopping does) ends fit after the current
// batch's epoch. Built-in callbacks live in train/callbacks/.
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lamina {

class Model;
using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;

  virtual void on_train_begin(const Logs& logs) {}
  virtual void on_train_end(const Logs& logs) {}
  virtual void on_epoch_begin(int epoch, const Logs& logs) {}
  virtual void on_epoch_end(int epoch, const Logs& logs) {}
  virtual void on_train_batch_begin(int batch, const Logs& logs) {}
  virtual void on_train_batch_end(int batch, const Logs& logs) {}
  virtual void on_test_begin(const Logs& logs) {}
  virtual void on_test_end(const Logs& logs) {}
  virtual void on_test_batch_begin(int batch, const Logs& logs) {}
  virtual void on_test_batch_end(int batch, const Logs& logs) {}
  virtual void on_predict_begin(const Logs& logs) {}
  virtual void on_predict_end(const Logs& logs) {}
  virtual void on_predict_batch_begin(int batch, const Logs& logs) {}
  virtual void on_predict_batch_end(int batch, const Logs& logs) {}

  // The model being trained; set by fit/evaluate/predict before the first hook.
  Model& model() const;
  void set_model(Model* model) { model_ = model; }
  bool has_model() const { return model_ != nullptr; }

 private:
  Model* model_ = nullptr;
};

using CallbackRef = std::shared_ptr<Callback>;

}  // namespace lamina
