#pragma once
// BucketedBatches: a BatchSource of variable-length token sequences that puts sequences of
// similar length in the same batch and pads each batch only to its own longest sequence, so
// little of every batch is padding. Model::fit takes it directly:
//
//   lm::data::BucketedBatches train(ids, lm::data::Targets::labels(y), {.batch_size = 64, .seed = 7});
//   model.fit(train, {.epochs = 5});
//   train.padding_stats().padding_fraction();          // share of padded positions this epoch
//
// Each epoch, decided by (seed, epoch) alone: the examples are shuffled, cut into chunks of
// `chunk_batches` batches, sorted by length inside each chunk (stably), cut into batches, and
// the batches are shuffled. Sorting within chunks instead of globally keeps batches random:
// an example meets different neighbours every epoch, while a chunk of 100 batches holds
// enough lengths that neighbours in the sorted chunk are close. Every example is in exactly
// one batch per epoch; there are ceil(n / batch_size) batches and only one may be partial.
// Without shuffling nothing is random: chunks follow the input order and batches keep
// theirs. `bucketing = false` gives plain batches (the same shuffling, no sorting), for
// comparison; they too are padded only to their own longest sequence.
//
// x is Int32 (B, T) with a Bool mask that is false exactly at the padding (0), T = the
// longest sequence in the batch (1 for a batch of empty sequences, all masked).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"
#include "lamina/train/data.hpp"

namespace lamina::data {

using Sequences = std::vector<std::vector<std::int64_t>>;

// What each batch's y holds.
class Targets {
 public:
  enum class Kind { None, Labels, Rows, PerTimestep };
  Targets() = default;  // no targets (for predict)
  // One sparse label per sequence: y is Int32 (B,).
  static Targets labels(std::vector<std::int64_t> labels);
  // Rows of a tensor whose first dimension is the number of sequences (one-hot, float
  // targets, ...): y is the rows of the batch's examples.
  static Targets rows(Tensor targets);
  // One label per time step, each sequence as long as its input (e.g. the next token, for a
  // language model): y is Int32 (B, T), truncated and padded like x, with x's mask.
  static Targets per_timestep(Sequences labels);

  Kind kind() const { return kind_; }

 private:
  friend class BucketedBatches;
  Kind kind_ = Kind::None;
  std::vector<std::int64_t> labels_;
  Tensor rows_;
  Sequences per_timestep_;
};

struct BucketOptions {
  std::int64_t batch_size = 32;
  bool shuffle = true;
  std::uint64_t seed = 0;
  std::string padding = "post";            // "post" | "pre"
  std::optional<std::int64_t> max_length;  // longer sequences are truncated
  std::string truncating = "post";         // "post" keeps the start | "pre" keeps the end
  bool bucketing = true;                   // false: plain batches
  std::int64_t chunk_batches = 100;        // batches sorted together
};

// Padded and real positions of one epoch's batches.
struct PaddingStats {
  std::int64_t tokens = 0;     // real (unpadded) positions
  std::int64_t positions = 0;  // all positions, sum of B * T over the batches
  double padding_fraction() const { return positions == 0 ? 0.0 : 1.0 - static_cast<double>(tokens) / positions; }
};

class BucketedBatches : public BatchSource {
 public:
  // ValueError for bad options, targets whose count differs from the sequences', a
  // per-timestep label sequence whose length differs from its input's, or ids beyond int32.
  explicit BucketedBatches(Sequences sequences, BucketOptions options = {});
  BucketedBatches(Sequences sequences, Targets targets, BucketOptions options = {});

  std::int64_t size() const override { return static_cast<std::int64_t>(batches_.size()); }
  Batch get(std::int64_t index) override;
  void on_epoch_end() override;  // the next epoch's batches

  // Continue as epoch `epoch` (>= 0) would: a fit resumed with initial_epoch = k calls
  // set_epoch(k) first to see the batches of the uninterrupted run.
  void set_epoch(int epoch);
  int epoch() const { return epoch_; }
  std::int64_t samples() const { return static_cast<std::int64_t>(sequences_.size()); }
  // The examples in batch `index` this epoch, in row order (to map predictions back).
  const std::vector<std::int64_t>& batch_indices(std::int64_t index) const;
  PaddingStats padding_stats() const;
  const BucketOptions& options() const { return options_; }

 private:
  void arrange();
  void check_index(std::int64_t index) const;
  Sequences sequences_;
  Targets targets_;
  BucketOptions options_;
  int epoch_ = 0;
  std::vector<std::vector<std::int64_t>> batches_;
};

}  // namespace lamina::data
