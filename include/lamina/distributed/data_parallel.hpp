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
//     over ranks, in buckets of bucket_bytes whose allreduces start during the backward pass
//     (GradientReducer);
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
  // The inverse of shard: every rank's shard of a batch of `global_rows` rows (this rank's is
  // `mine`, the same tensors in the same order on every rank), joined in rank order on every
  // rank, masks included. Values travel exactly (floats as doubles, integers as int64).
  TensorList gather(const TensorList& mine, std::int64_t global_rows) const;

  // Sum over ranks, in place, in the configured order.
  void sum(std::span<double> values) const;
  // grads[i] belongs to vars[i]. Undefined gradients count as zeros when another rank has one;
  // a gradient undefined on every rank stays undefined. All at once; GradientReducer sums
  // them while the backward pass runs.
  void sum_gradients(TensorList& grads, const std::vector<Variable>& vars) const;
  // Rank 0's values into every rank's variables (any dtype of 4 or 8 bytes, or bool/int).
  void broadcast(const std::vector<Variable>& vars) const;
  void broadcast(std::span<double> values) const { comm_->broadcast(values, 0); }
  void broadcast(std::span<std::int64_t> values) const { comm_->broadcast(values, 0); }

 private:
  DataParallelOptions options_;
  CommunicatorRef comm_;
};

// Sums one step's gradients over ranks while the backward pass is still running:
//
//   GradientReducer reducer(dp, vars);
//   tape.gradient(loss, vars, {.on_final = [&](std::size_t i, const Tensor& g) { reducer.ready(i, g); }});
//   reducer.finish(grads);  // grads[i]: the sum over ranks of vars[i]'s gradient
//
// The variables are planned into buckets of bucket_bytes (one dtype each) in reverse order,
// the order a backward pass usually finishes them, the same plan on every rank. A bucket's
// non-blocking allreduce starts as soon as all its gradients are ready and every earlier
// bucket has started (every rank starts them in the same order); waiting buckets are
// progressed at each ready(). Each bucket also sums a "defined" flag per gradient, so a
// gradient undefined on every rank stays undefined, with no extra collective.
class GradientReducer {
 public:
  GradientReducer(const DataParallel& dp, const std::vector<Variable>& vars);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // vars[i]'s local gradient is final (undefined: none on this rank). ValueError when its
  // shape or dtype is not the variable's; each i at most once.
  void ready(std::size_t i, const Tensor& grad);
  // Marks the gradients never reported as undefined, starts what has not started, waits, and
  // writes the sums into grads (resized to the variables).
  void finish(TensorList& grads);
  // Buckets whose allreduce started before finish() (for tests and the benchmark).
  std::size_t started_early() const { return started_early_; }

 private:
  struct Bucket;
  void launch_ready_buckets();
  const DataParallel& dp_;
  std::vector<Variable> vars_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<std::size_t> bucket_of_, slot_of_;  // variable -> its bucket, its place in it
  std::vector<std::pair<std::size_t, Tensor>> single_;  // one process: the gradients as reported
  std::vector<bool> reported_;
  std::size_t next_launch_ = 0;
  std::size_t started_early_ = 0;
  bool finished_ = false;
};

}  // namespace distributed

using DistributionRef = std::shared_ptr<const distributed::DataParallel>;

// The data-parallel distribution, for FitOptions::distribution.
DistributionRef DataParallel(DataParallelOptions options = {});

}  // namespace lamina
