#pragma once
// Batches of in-memory tensors for fit/evaluate/predict: ceil(n / batch_size) batches, the last
// one partial, in a fresh seeded order every epoch when shuffling (library-internal).
#include <cstdint>
#include <vector>

#include "lamina/train/data.hpp"

namespace lamina::train {

class ArraySource final : public BatchSource {
 public:
  // `seed` and the epoch number decide each epoch's order, so a fit resumed at epoch k
  // shuffles exactly as the uninterrupted one did.
  ArraySource(TensorList x, TensorList y, Tensor sample_weight, std::int64_t batch_size, bool shuffle,
              std::uint64_t seed, int first_epoch = 0);
  std::int64_t size() const override;
  Batch get(std::int64_t index) override;
  void on_epoch_end() override;
  std::int64_t samples() const { return n_; }
  // Continue as epoch `epoch` would (a resumed fit).
  void set_epoch(int epoch);

 private:
  void shuffle_for(int epoch);
  TensorList x_, y_;
  Tensor sample_weight_;
  std::int64_t n_ = 0, batch_size_ = 32;
  bool shuffle_ = false;
  std::uint64_t seed_ = 0;
  int epoch_ = 0;
  std::vector<std::int64_t> order_;
};

// Rows [begin, end) of every tensor (masks follow), for validation_split.
TensorList take_rows(const TensorList& xs, std::int64_t begin, std::int64_t end);
// The common first dimension of all defined tensors; ValueError naming the odd one.
std::int64_t sample_count(const TensorList& x, const TensorList& y, const Tensor& sample_weight);

}  // namespace lamina::train
