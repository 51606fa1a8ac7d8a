// A full training step through the public API (Model::train_on_batch: forward, loss,
// backward, Adam), and how much of it is the framework's own cost.
//
//   ./build/release/bench/bench_train_step [--benchmark_filter=Lstm]
//
// Lstm: Embedding(20000, 128, mask_zero) -> LSTM(256) -> Dense(2), sparse crossentropy from
//   logits, Adam(1e-3), batch 64, on the peer workload's 4 right-padded batches (lengths of
//   ../shared/bench/peer/rnn_workload.json, 26,566 real tokens, 47% padding). One iteration is
//   one pass over the 4 batches; real_tok/s counts unpadded tokens.
// Mlp: 784-512-512-10 (relu), batch 128, sparse crossentropy from logits, Adam; samples/s.
//
// framework_share: after the timed run, more passes (>= 0.5 s) with lamina::profile on measure the
// time inside the kernels that do the arithmetic -- BLAS GEMMs, the fused recurrent kernels
// (forward and backward, their own GEMMs and gate activations included), the fused dense
// op's bias and relu passes and their gradient (dense_share, Dense's own activations as the
// recurrent kernel's are its own) and the optimizer's update -- and reports 1 - kernel time /
// step time: everything else (graph replay, mask handling, the tape, the loss, embedding
// gather/scatter, allocation) is the framework's cost. Target: < 5%. framework_share +
// dense_share is the share with Dense's passes counted as framework.
// The last argument is the thread count.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>

#include "lamina/core/profile.hpp"
#include "lamina/lamina.hpp"
#include "peer_workload.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using lamina::bench::kPeerBatch;
using lamina::bench::kPeerBatches;
using lamina::bench::kPeerLengths;

namespace {

struct Batch {
  lm::Tensor x, y;
  std::int64_t count;  // real tokens (LSTM) or samples (MLP)
};

std::vector<Batch> peer_batches() {
  lm::Generator g(1234);
  std::vector<Batch> out;
  for (int k = 0; k < kPeerBatches; ++k) {
    const int* len = kPeerLengths.data() + k * kPeerBatch;
    const int t_max = *std::max_element(len, len + kPeerBatch);
    std::vector<int> ids(static_cast<std::size_t>(kPeerBatch * t_max), 0), labels(kPeerBatch);
    std::int64_t tokens = 0;
    for (int b = 0; b < kPeerBatch; ++b) {
      for (int t = 0; t < len[b]; ++t) ids[b * t_max + t] = 1 + static_cast<int>(g.uniform() * 19999);
      labels[b] = g.uniform() < 0.5 ? 0 : 1;
      tokens += len[b];
    }
    out.push_back({lm::tensor(ids, lm::Shape{kPeerBatch, t_max}), lm::tensor(labels, lm::Shape{kPeerBatch}), tokens});
  }
  return out;
}

lm::Model lstm_model() {
  auto tokens = lm::Input({lm::None}, lm::Int32);
  auto x = Embedding(20000, 128, {.mask_zero = true})(tokens);
  x = LSTM(256)(x);
  lm::Model model(tokens, Dense(2)(x));
  model.compile({.optimizer = lm::optimizers::Adam(1e-3),
                 .loss = lm::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  return model;
}

lm::Model mlp_model() {
  lm::Sequential model({lm::Input({784}), Dense(512, {.activation = "relu"}), Dense(512, {.activation = "relu"}),
                        Dense(10)});
  model.compile({.optimizer = lm::optimizers::Adam(1e-3),
                 .loss = lm::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  return model;
}

void run(benchmark::State& state, lm::Model model, const std::vector<Batch>& batches, const char* unit) {
  lm::set_num_threads(static_cast<int>(state.range(0)));
  for (const auto& b : batches) model.train_on_batch(b.x, b.y);  // warm-up: builds the optimizer
  std::int64_t count = 0;
  for (auto _ : state)
    for (const auto& b : batches) {
      model.train_on_batch(b.x, b.y);
      count += b.count;
    }
  state.counters[unit] = benchmark::Counter(static_cast<double>(count), benchmark::Counter::kIsRate);

  // More passes with the kernel account on, for at least half a second (one MLP step is a
  // few milliseconds: a single one would make the share noise).
  lm::profile::reset();
  lm::profile::enable(true);
  auto t0 = std::chrono::steady_clock::now();
  double wall = 0;
  do {
    for (const auto& b : batches) model.train_on_batch(b.x, b.y);
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (wall < 0.5);
  lm::profile::enable(false);
  using lm::profile::Kind;
  const double kernels = lm::profile::seconds(Kind::Gemm) + lm::profile::seconds(Kind::Recurrent) +
                         lm::profile::seconds(Kind::Optimizer) + lm::profile::seconds(Kind::Dense);
  state.counters["gemm_share"] = lm::profile::seconds(Kind::Gemm) / wall;
  state.counters["rnn_share"] = lm::profile::seconds(Kind::Recurrent) / wall;
  state.counters["adam_share"] = lm::profile::seconds(Kind::Optimizer) / wall;
  state.counters["dense_share"] = lm::profile::seconds(Kind::Dense) / wall;
  state.counters["framework_share"] = 1.0 - kernels / wall;
}

void BM_TrainStepLstm(benchmark::State& state) {
  lm::set_seed(1);
  run(state, lstm_model(), peer_batches(), "real_tok/s");
}

void BM_TrainStepMlp(benchmark::State& state) {
  lm::set_seed(1);
  lm::Generator g(7);
  std::vector<int> labels(128);
  for (auto& l : labels) l = static_cast<int>(g.uniform() * 10);
  std::vector<Batch> batches{{lm::random_normal({128, 784}, {.seed = 3}), lm::tensor(labels, lm::Shape{128}), 128}};
  run(state, mlp_model(), batches, "samples/s");
}

}  // namespace

BENCHMARK(BM_TrainStepLstm)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStepMlp)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
