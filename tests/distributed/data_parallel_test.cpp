// fit with lm::DataParallel(): N ranks train exactly what one process trains on the same global
// batches. The references are computed here without the distributed code: a plain fit, and a
// hand-written loop that takes the shards one by one and sums their gradients in rank order.
// Runs as one process and as 2 and 3 ranks (distributed_mpi_np2, distributed_mpi_np3).
#include "lamina/distributed/data_parallel.hpp"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "lamina/autograd/tape.hpp"
#include "test_util.hpp"

namespace lm = lamina;
namespace dist = lamina::distributed;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

constexpr std::int64_t kN = 12, kT = 8, kBatch = 6;

// Token sequences padded with 0: in every batch of 6 the first three rows are almost all
// padding (1-2 tokens of 8) and the last three almost full (7-8), so the ranks' shards hold
// very different numbers of valid timesteps. Labels at padded steps are garbage on purpose.
struct Corpus {
  lm::Tensor x, y;
};
Corpus corpus() {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> labels;
  for (std::int64_t i = 0; i < kN; ++i) {
    const std::int64_t p = i % kBatch;
    const std::int64_t len = p < 3 ? 1 + i % 2 : kT - i % 2;
    for (std::int64_t t = 0; t < kT; ++t) {
      const auto tok = static_cast<std::int32_t>(1 + (i * 7 + t * 3) % 5);
      ids.push_back(t < len ? tok : 0);
      labels.push_back(t < len ? (tok + static_cast<std::int32_t>(t)) % 3 : 2);
    }
  }
  return {lm::tensor(ids, lm::Shape{kN, kT}), lm::tensor(labels, lm::Shape{kN, kT})};
}

lm::Model masked_lstm() {
  lm::set_seed(11);
  auto tokens = lm::Input({kT}, lm::Int32);
  auto h = Embedding(6, 4, {.mask_zero = true, .name = "embedding"})(tokens);
  h = LSTM(5, {.return_sequences = true, .name = "lstm"})(h);
  return lm::Model(tokens, Dense(3, {.name = "dense"})(h));  // fixed names: BackupAndRestore matches them
}

lm::losses::LossRef loss() { return lm::losses::SparseCategoricalCrossentropy({.from_logits = true}); }

// Every rank's weights, gathered: true when they all equal this rank's bit for bit.
bool same_on_every_rank(const lm::TensorList& w, dist::Communicator& comm) {
  std::vector<double> flat;
  for (const auto& t : w)
    for (float v : t.to_vector<float>()) flat.push_back(v);
  auto all = comm.allgather(std::span<const double>(flat));
  for (int r = 0; r < comm.size(); ++r)
    for (std::size_t i = 0; i < flat.size(); ++i)
      if (all[r * flat.size() + i] != flat[i]) return false;
  return true;
}

double max_abs_diff(const lm::TensorList& a, const lm::TensorList& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    auto x = a[k].to_vector<float>(), y = b[k].to_vector<float>();
    for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(static_cast<double>(x[i]) - y[i]));
  }
  return m;
}

// One process doing what `ranks` ranks do: each global batch split into shards
// [r*n/R, (r+1)*n/R), each shard's loss sum over the GLOBAL valid count, the shards'
// gradients summed in rank order, one optimizer step.
lm::TensorList reference_shards(const lm::TensorList& initial, int ranks, lm::optimizers::OptimizerRef opt,
                                int epochs) {
  lm::Model model = masked_lstm();
  model.set_weights(initial);
  auto l = loss();
  auto [x, y] = corpus();
  auto vars = model.trainable_weights();
  for (int e = 0; e < epochs; ++e)
    for (std::int64_t b0 = 0; b0 < kN; b0 += kBatch) {
      const std::int64_t n = std::min(kBatch, kN - b0);
      auto rows = [&](const lm::Tensor& t, std::int64_t lo, std::int64_t hi) {
        return lm::slice(t, 0, lm::Range{b0 + lo, b0 + hi});
      };
      // The global count of valid (unpadded) timesteps: tokens != 0, counted by hand.
      double count = 0;
      for (auto id : rows(x, 0, n).to_vector<std::int32_t>()) count += id != 0;
      lm::TensorList total;
      for (int r = 0; r < ranks; ++r) {
        const std::int64_t lo = r * n / ranks, hi = (r + 1) * n / ranks;
        lm::GradientTape tape;
        auto pred = model->run({rows(x, lo, hi)}, true);
        auto parts = l->reduce_parts(rows(y, lo, hi), pred[0]);
        auto g = tape.gradient(parts.sum / count, vars);
        for (std::size_t i = 0; i < g.size(); ++i) {
          if (r == 0)
            total.push_back(*g[i]);
          else
            total[i] = total[i] + *g[i];
        }
      }
      opt->apply_gradients(total, vars);
    }
  return model.get_weights();
}

struct Trained {
  lm::TensorList weights;
  lm::History history;
};

// fit on this rank. Ranks other than 0 start from perturbed weights: fit must take rank 0's.
Trained fit_distributed(const lm::TensorList& initial, lm::optimizers::OptimizerRef opt, bool deterministic, int epochs,
                        std::vector<lm::CallbackRef> callbacks = {}) {
  auto comm = dist::world();
  lm::Model model = masked_lstm();
  lm::TensorList start = initial;
  if (comm->rank() != 0) start[0] = start[0] + 0.25f;
  model.set_weights(start);
  model.compile({.optimizer = opt, .loss = loss(), .metrics = {"accuracy"}});
  auto [x, y] = corpus();
  auto h = model.fit(x, y,
                     {.batch_size = kBatch,
                      .epochs = epochs,
                      .verbose = 0,
                      .callbacks = callbacks,
                      .shuffle = false,
                      .distribution = lm::DataParallel({.deterministic = deterministic, .bucket_bytes = 256})});
  return {model.get_weights(), h};
}

}  // namespace

TEST(DataParallel, ShardsPartitionTheGlobalBatch) {
  auto dp = lm::DataParallel();
  const int n = dp->size();
  for (std::int64_t rows : {0, 1, 5, 6, 10}) {
    auto [lo, hi] = dp->shard_range(rows);
    std::vector<std::int64_t> mine = {lo, hi};
    auto all = dp->comm().allgather(std::span<const std::int64_t>(mine));
    EXPECT_EQ(all.front(), 0);
    EXPECT_EQ(all.back(), rows);
    for (int r = 0; r + 1 < n; ++r) EXPECT_EQ(all[2 * r + 1], all[2 * r + 2]) << "gap after rank " << r;
  }
  // 10 rows over 3 ranks: [0, 3), [3, 6), [6, 10).
  if (n == 3) {
    auto [lo, hi] = dp->shard_range(10);
    const std::int64_t want[3][2] = {{0, 3}, {3, 6}, {6, 10}};
    EXPECT_EQ(lo, want[dp->rank()][0]);
    EXPECT_EQ(hi, want[dp->rank()][1]);
  }
}

TEST(DataParallel, DeterministicMaskedLstmEqualsShardsSummedInRankOrder) {
  auto comm = dist::world();
  const lm::TensorList initial = masked_lstm().get_weights();
  Trained run = fit_distributed(initial, lm::optimizers::Adam(0.01), /*deterministic=*/true, 3);
  lm::TensorList want = reference_shards(initial, comm->size(), lm::optimizers::Adam(0.01), 3);
  ASSERT_EQ(run.weights.size(), want.size());
  for (std::size_t k = 0; k < want.size(); ++k)
    EXPECT_EQ(run.weights[k].to_vector<float>(), want[k].to_vector<float>()) << "weight " << k;
  EXPECT_TRUE(same_on_every_rank(run.weights, *comm));
  // Training moved the weights (the comparison is not between two untouched models).
  EXPECT_GT(max_abs_diff(run.weights, initial), 1e-3);
  // A second run gives the same bits.
  Trained again = fit_distributed(initial, lm::optimizers::Adam(0.01), true, 3);
  for (std::size_t k = 0; k < want.size(); ++k)
    EXPECT_EQ(run.weights[k].to_vector<float>(), again.weights[k].to_vector<float>()) << "weight " << k;
}

// The reducer sums each rank's gradients while the backward runs, bucket by bucket, and gets
// what an allgather of the plain gradients summed in rank order gives, bit for bit. A
// variable with a gradient on rank 0 only gets rank 0's on every rank; one with none
// anywhere stays undefined.
TEST(DataParallel, GradientReducerSumsBucketsDuringTheBackward) {
  auto comm = dist::world();
  const int rank = comm->rank(), ranks = comm->size();
  lm::Model model = masked_lstm();
  auto [x, y] = corpus();
  const lm::Tensor rows = lm::slice(x, 0, lm::Range{2 * rank, 2 * rank + 2});
  const lm::Tensor labels = lm::slice(y, 0, lm::Range{2 * rank, 2 * rank + 2});
  auto vars = model.trainable_weights();
  lm::Variable rank0_only("rank0_only", lm::tensor({1.f, 2.f})), nowhere("nowhere", lm::tensor({3.f}));
  vars.push_back(rank0_only);
  vars.push_back(nowhere);
  auto local_loss = [&] {
    auto pred = model->run({rows}, true);
    lm::Tensor l = loss()->reduce_parts(labels, pred[0]).sum;
    return rank == 0 ? l + lm::sum(rank0_only.value() * 2.f) : l;
  };
  dist::DataParallel dp({.deterministic = true, .bucket_bytes = 64});
  dist::GradientReducer reducer(dp, vars);
  std::vector<std::size_t> order;
  {
    lm::GradientTape tape;
    auto l = local_loss();
    tape.gradient(l, vars, {.on_final = [&](std::size_t i, const lm::Tensor& g) {
                    order.push_back(i);
                    reducer.ready(i, g);
                  }});
  }
  lm::TensorList sums;
  reducer.finish(sums);
  // The dense layer's weights (read last) were final before the embedding's (read first).
  const auto pos = [&](std::size_t i) { return std::find(order.begin(), order.end(), i) - order.begin(); };
  EXPECT_LT(pos(vars.size() - 3), pos(0));
  if (ranks > 1) EXPECT_GE(reducer.started_early(), 1u);  // some allreduce overlapped the backward

  lm::GradientTape tape;
  auto plain = tape.gradient(local_loss(), vars);
  for (std::size_t i = 0; i + 2 < vars.size(); ++i) {
    std::vector<double> mine;
    for (float v : plain[i]->to_vector<float>()) mine.push_back(v);
    auto all = comm->allgather(std::span<const double>(mine));
    std::vector<float> want(mine.size(), 0.f);
    for (int r = 0; r < ranks; ++r)
      for (std::size_t j = 0; j < mine.size(); ++j)
        want[j] = r == 0 ? static_cast<float>(all[j]) : want[j] + static_cast<float>(all[r * mine.size() + j]);
    ASSERT_TRUE(sums[i].defined()) << vars[i].name();
    EXPECT_EQ(sums[i].to_vector<float>(), want) << vars[i].name();
  }
  ASSERT_TRUE(sums[vars.size() - 2].defined());
  EXPECT_EQ(sums[vars.size() - 2].to_vector<float>(), (std::vector<float>{2.f, 2.f}));
  EXPECT_FALSE(sums[vars.size() - 1].defined());
}

// evaluate and predict with a distribution: each rank takes its shard of every batch (batches
// of 5 over 12 rows, so shards are uneven and, with 3 ranks, some are empty); the loss and
// accuracy are the single process's, and every rank gets all predictions, masks included.
TEST(DataParallel, EvaluateAndPredictAreShardedAndGatheredInOrder) {
  auto comm = dist::world();
  lm::Model model = masked_lstm();
  model.compile({.optimizer = "sgd", .loss = loss(), .metrics = {"accuracy"}});
  auto [x, y] = corpus();
  auto single = model.evaluate(x, y, {.batch_size = 5, .verbose = 0});
  auto sharded = model.evaluate(x, y, {.batch_size = 5, .verbose = 0, .distribution = lm::DataParallel()});
  EXPECT_NEAR(sharded.at("loss"), single.at("loss"), 1e-6);
  EXPECT_DOUBLE_EQ(sharded.at("accuracy"), single.at("accuracy"));

  lm::Tensor want = model.predict(x, {.batch_size = 5});
  lm::Tensor got = model.predict(x, {.batch_size = 5, .distribution = lm::DataParallel()});
  ASSERT_EQ(got.shape(), want.shape());
  auto g = got.to_vector<float>(), w = want.to_vector<float>();
  for (std::size_t i = 0; i < w.size(); ++i) ASSERT_NEAR(g[i], w[i], 1e-6) << i;
  ASSERT_TRUE(got.has_mask() && want.has_mask());
  EXPECT_EQ(got.mask().to_vector<bool>(), want.mask().to_vector<bool>());
  EXPECT_TRUE(same_on_every_rank({got.without_mask()}, *comm));
}

TEST(DataParallel, MaskedLstmMatchesSingleProcessFit) {
  auto comm = dist::world();
  const lm::TensorList initial = masked_lstm().get_weights();
  auto sgd = [] { return lm::optimizers::SGD(0.5, {.momentum = 0.9}); };
  Trained run = fit_distributed(initial, sgd(), /*deterministic=*/false, 4);
  // The plain single-process fit on the same global batches (no distribution at all).
  lm::Model single = masked_lstm();
  single.set_weights(initial);
  single.compile({.optimizer = sgd(), .loss = loss(), .metrics = {"accuracy"}});
  auto [x, y] = corpus();
  auto h = single.fit(x, y, {.batch_size = kBatch, .epochs = 4, .verbose = 0, .shuffle = false});
  EXPECT_GT(max_abs_diff(run.weights, initial), 1e-2);
  EXPECT_LT(max_abs_diff(run.weights, single.get_weights()), 1e-6);
  EXPECT_TRUE(same_on_every_rank(run.weights, *comm));
  // Loss and accuracy are global: the same as the single process's, on every rank.
  ASSERT_EQ(run.history["loss"].size(), 4u);
  for (int e = 0; e < 4; ++e) {
    EXPECT_NEAR(run.history["loss"][e], h["loss"][e], 1e-5) << "epoch " << e;
    EXPECT_NEAR(run.history["accuracy"][e], h["accuracy"][e], 1e-9) << "epoch " << e;
  }
}

TEST(DataParallel, ValidationIsShardedAndReduced) {
  const lm::TensorList initial = masked_lstm().get_weights();
  lm::Model model = masked_lstm();
  model.set_weights(initial);
  model.compile({.optimizer = lm::optimizers::SGD(0.1), .loss = loss(), .metrics = {"accuracy"}});
  auto [x, y] = corpus();
  auto h = model.fit(x, y,
                     {.batch_size = kBatch,
                      .epochs = 1,
                      .verbose = 0,
                      .validation_data = lm::ValidationData{x, y},
                      .shuffle = false,
                      .distribution = lm::DataParallel()});
  // The validation ran with the final weights: evaluate them in this process alone.
  auto logs = model.evaluate(x, y, {.batch_size = kBatch, .verbose = 0});
  EXPECT_NEAR(h["val_loss"][0], logs["loss"], 1e-6);
  EXPECT_NEAR(h["val_accuracy"][0], logs["accuracy"], 1e-9);
}

namespace {
struct StopAfterSecondEpoch : lm::Callback {
  int batches = 0;
  void on_train_batch_end(int, const lm::Logs&) override { ++batches; }
  void on_epoch_end(int epoch, const lm::Logs&) override {
    if (epoch == 1) model().stop_training() = true;
  }
};
}  // namespace

TEST(DataParallel, CallbacksRunOnRankZeroAndTheirStopReachesEveryRank) {
  auto comm = dist::world();
  auto cb = std::make_shared<StopAfterSecondEpoch>();
  Trained run = fit_distributed(masked_lstm().get_weights(), lm::optimizers::SGD(0.1), false, 6, {cb});
  EXPECT_EQ(run.history.epochs, (std::vector<int>{0, 1})) << "rank " << comm->rank();
  EXPECT_EQ(cb->batches, comm->rank() == 0 ? 4 : 0);  // 2 epochs of 2 batches, rank 0 only
}

TEST(DataParallel, EarlyStoppingStopsEveryRankTogether) {
  auto comm = dist::world();
  // min_delta so large that no epoch counts as an improvement: stops after patience + 1.
  auto stop = lm::callbacks::EarlyStopping({.monitor = "loss", .min_delta = 100.0, .patience = 1});
  Trained run = fit_distributed(masked_lstm().get_weights(), lm::optimizers::SGD(0.1), false, 8, {stop});
  std::vector<std::int64_t> epochs = {static_cast<std::int64_t>(run.history.epochs.size())};
  auto all = comm->allgather(std::span<const std::int64_t>(epochs));
  for (auto e : all) EXPECT_EQ(e, 2);
}

namespace {
// Batches of the corpus; on rank 1, batch 3 kills the process or throws (LAMINA_TEST_FAILURE).
struct FailingSource : lm::BatchSource {
  std::string mode;
  Corpus c = corpus();
  std::int64_t size() const override { return 6; }
  lm::Batch get(std::int64_t i) override {
    if (i == 3 && dist::world()->rank() == 1) {
      if (mode == "kill") std::raise(SIGKILL);
      throw lm::IOError({.op = "FailingSource::get",
                         .problem = "the disk went away",
                         .expected = "a batch",
                         .found = "no disk",
                         .hint = "this is the test's injected failure"});
    }
    auto rows = [&](const lm::Tensor& t) { return lm::slice(t, 0, lm::Range{(i % 2) * kBatch, (i % 2 + 1) * kBatch}); };
    return {{rows(c.x)}, {rows(c.y)}, {}};
  }
};
}  // namespace

// Run by tests/distributed/expect_rank_failure.sh as 2 ranks; skipped otherwise.
TEST(DataParallelFailure, RankFailsMidEpoch) {
  const char* mode = std::getenv("LAMINA_TEST_FAILURE");
  if (!mode || dist::world()->size() < 2) GTEST_SKIP() << "run by expect_rank_failure.sh under mpirun";
  lm::Model model = masked_lstm();
  model.compile({.optimizer = "sgd", .loss = loss()});
  FailingSource src;
  src.mode = mode;
  model.fit(src, {.epochs = 2, .verbose = 0, .distribution = lm::DataParallel()});
  ADD_FAILURE() << "fit returned although rank 1 failed";
}

// BackupAndRestore runs on rank 0 only; its restore must still reach every rank (fit broadcasts
// rank 0's weights, optimizer state and resume epoch after on_train_begin).
TEST(DataParallel, BackupAndRestoreResumesEveryRank) {
  auto comm = dist::world();
  std::vector<std::int64_t> id = {static_cast<std::int64_t>(::getpid())};
  comm->broadcast(std::span<std::int64_t>(id), 0);  // one directory name for the whole job
  const std::string dir = "/tmp/lamina_dp_backup_" + std::to_string(id[0]);
  const lm::TensorList initial = masked_lstm().get_weights();
  auto backup = [&](bool keep) { return lm::callbacks::BackupAndRestore(dir, {.delete_checkpoint = !keep}); };
  // Interrupted after 2 of 4 epochs (the backup of epoch 1 stays behind) ...
  fit_distributed(initial, lm::optimizers::Adam(0.01), true, 2, {backup(true)});
  // ... then resumed from fresh weights: trains epochs 2 and 3 only.
  Trained resumed = fit_distributed(initial, lm::optimizers::Adam(0.01), true, 4, {backup(false)});
  Trained whole = fit_distributed(initial, lm::optimizers::Adam(0.01), true, 4);
  EXPECT_EQ(resumed.history.epochs, (std::vector<int>{2, 3})) << "rank " << comm->rank();
  for (std::size_t k = 0; k < whole.weights.size(); ++k)
    EXPECT_EQ(resumed.weights[k].to_vector<float>(), whole.weights[k].to_vector<float>()) << "weight " << k;
  comm->barrier();
  if (comm->rank() == 0) std::filesystem::remove_all(dir);
}
