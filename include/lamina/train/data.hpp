#pragma once
// What fit/evaluate/predict read: tensors held in memory (one or several inputs, by position
// or by name), or a BatchSource that yields batches of its own shapes -- so variable-length
// batches, each padded to its own longest sequence, train without rebuilding anything.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina {

// One tensor, several by position, or several by model input/output name.
class Data {
 public:
  Data() = default;
  Data(const Tensor& t) : list_{t} {}
  Data(std::initializer_list<Tensor> list) : list_(list) {}
  Data(TensorList list) : list_(std::move(list)) {}
  Data(std::map<std::string, Tensor> by_name) : by_name_(std::move(by_name)) {}

  bool empty() const { return list_.empty() && by_name_.empty(); }
  bool named() const { return !by_name_.empty(); }
  const TensorList& list() const { return list_; }
  const std::map<std::string, Tensor>& by_name() const { return by_name_; }

 private:
  TensorList list_;
  std::map<std::string, Tensor> by_name_;
};

// One batch: inputs, targets (empty for predict), and optional per-sample (n,) or
// per-timestep (n, T) weights applied to every output.
struct Batch {
  TensorList x;
  TensorList y;
  Tensor sample_weight;
};

// A dataset read batch by batch (like Keras's PyDataset): size() batches per epoch, get(i)
// returns batch i. Batches may differ in their shapes (e.g. padded to their own longest
// sequence). on_epoch_end() lets a source reshuffle.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::int64_t size() const = 0;
  virtual Batch get(std::int64_t index) = 0;
  virtual void on_epoch_end() {}
};

}  // namespace lamina
