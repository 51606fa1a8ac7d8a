#pragma once
// Data-parallel training: the same fit on N processes (docs/distributed.md).
//
//   model.fit(x, y, {.batch_size = 64, .distribution = lm::DataParallel()});
//   // mpirun -np 4 ./train   -- each rank trains on 16 rows of every global batch of 64
//
// Semantics (every rank holds the same data and calls fit with the same options):
//   - fit starts from rank 0's weights and optimizer state (broadcast; so a BackupAndRestore
//     resume on rank 0 resumes every rank) and rank 0's shuffle seed;
//   - global batch b is what a single process would train on; rank r takes its rows
//     [floor(r*n/N), floor((r+1)*n/N)), so the shards' union is exactly that batch;
//   - the loss is globally normalised: sum(loss * weight over valid entries, all ranks) /
//     count(valid entries, all ranks) -- a rank holding more padding does not weigh more --
//     and rank r differentiates its part, sum_r / global_count; the gradients are summed
//     over ranks, in buckets of bucket_bytes;
//   - metrics and the loss are reduced over ranks before anyone sees them;
//   - callbacks and the progress bar run on rank 0 only; what they decide (stop_training,
//     a new learning rate) is broadcast after every batch and epoch, so EarlyStopping stops
//     every rank together and only rank 0 writes checkpoints and logs;
//   - validation is sharded the same way and reduced;
//   - an exception on any rank prints "lamina: <rank> failed: ..." and aborts the whole job
//     (abort_on_error), so no rank is left waiting; collectives time out (IOError) otherwise.
// deterministic = true sums in rank order (Order::RankOrder): two runs are bit-identical, and
// N ranks equal one process summing the N shards' gradients in rank order.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "lamina/core/tensor.hpp"
#include "lamina/core/variable.hpp"
#include "lamina/distributed/communicator.hpp"
#include "lamina/train/data.hpp"

namespace lamina {

struct DataParallelOptions {
  distributed::CommunicatorRef communicator;  // default: distributed::world()
  bool deterministic = false;
  std::size_t bucket_bytes = std::size_t{4} << 20;  // gradient bytes per allreduce
  bool abort_on_error = true;
};

namespace distributed {

class DataParallel {
 public:
  explicit DataParallel(DataParallelOptions options = {});

  Communicator& comm() const { return *comm_; }
  int rank() const { return comm_->rank(); }
  int size() const { return comm_->size(); }
  bool chief() const { return comm_->rank() == 0; }
  const DataParallelOptions& options() const { return options_; }
  Order order() const { return options_.deterministic ? Order::RankOrder : Order::Any; }

  // This rank's rows [first, second) of a global batch of n rows.
  std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t n) const;
  // This rank's shard of every tensor of the batch (x, y, sample_weight), masks included.
  Batch shard(const Batch& global) const;

  // Sum over ranks, in place, in the configured order.
  void sum(std::span<double> values) const;
  // grads[i] belongs to vars[i]. Undefined gradients count as zeros when another rank has one;
  // a gradient undefined on every rank stays undefined. Float32/float64 gradients are packed
  // in buckets of bucket_bytes, each summed by one non-blocking allreduce.
  void sum_gradients(TensorList& grads, const std::vector<Variable>& vars) const;
  // Rank 0's values into every rank's variables (any dtype of 4 or 8 bytes, or bool/int).
  void broadcast(const std::vector<Variable>& vars) const;
  void broadcast(std::span<double> values) const { comm_->broadcast(values, 0); }
  void broadcast(std::span<std::int64_t> values) const { comm_->broadcast(values, 0); }

 private:
  DataParallelOptions options_;
  CommunicatorRef comm_;
};

}  // namespace distributed

using DistributionRef = std::shared_ptr<const distributed::DataParallel>;

// The data-parallel distribution, for FitOptions::distribution.
DistributionRef DataParallel(DataParallelOptions options = {});

}  // namespace lamina
