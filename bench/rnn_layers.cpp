// LSTM and GRU layers: batch 64, 128 inputs, 256 units, float32; forward and
// forward+backward; real (unpadded) tokens per second.
//
//   ./build/release/bench/bench_rnn_layers [--benchmark_filter=Peer]
//
// (a) Uniform lengths T in {10, 50, 100, 200}, no mask.
// (b) The peer workload of ../shared/bench/peer/rnn_train.py: the 4 "random" batches of 64
//     from rnn_workload.json, each right-padded to its longest sequence (47% padding),
//     masked. One iteration is one pass over the 4 batches (26,566 real tokens), as one
//     repetition of the peer's script. The peer's numbers also include an Embedding, a
//     Linear head, the loss and Adam; these measure the recurrent layer alone.
//     PeerBiLstmTrain runs Bidirectional(LSTM) (output: both final states concatenated).
// The last argument is the thread count (lm::set_num_threads).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>

#include "lamina/lamina.hpp"
#include "peer_workload.hpp"

namespace lm = lamina;
using namespace lamina::layers;

namespace {

constexpr int kBatch = 64, kFeatures = 128, kUnits = 256;

using lamina::bench::kPeerLengths;

struct Batch {
  lm::Tensor x;  // (64, T_max, 128), masked when padded
  std::int64_t tokens;
};

Batch make_batch(const int* lengths, int t_max, bool masked, std::uint64_t seed) {
  lm::Tensor x = lm::random_normal({kBatch, t_max, kFeatures}, {.seed = seed});
  std::int64_t tokens = 0;
  std::vector<bool> m(static_cast<std::size_t>(kBatch * t_max));
  for (int b = 0; b < kBatch; ++b) {
    tokens += lengths[b];
    for (int t = 0; t < t_max; ++t) m[static_cast<std::size_t>(b * t_max + t)] = t < lengths[b];
  }
  if (masked) x = x.with_mask(lm::tensor(m, lm::Shape{kBatch, t_max}, lm::Bool));
  return {x, tokens};
}

std::vector<Batch> uniform_batches(int T) {
  std::vector<int> lengths(kBatch, T);
  return {make_batch(lengths.data(), T, false, 1)};
}

std::vector<Batch> peer_batches() {
  std::vector<Batch> out;
  for (int k = 0; k < 4; ++k) {
    const int* l = kPeerLengths.data() + k * kBatch;
    out.push_back(make_batch(l, *std::max_element(l, l + kBatch), true, 10 + static_cast<std::uint64_t>(k)));
  }
  return out;
}

// LstmComposite: tanh given as a callable, so the layer runs the step-by-step composite
// path (what any activation the kernels do not fuse costs).
enum class Kind { LSTM, GRU, BiLSTM, LstmComposite };

lm::LayerRef make_layer(Kind kind) {
  if (kind == Kind::GRU) return GRU(kUnits);
  if (kind == Kind::LstmComposite)
    return LSTM(kUnits, {.activation = lm::ActivationSpec([](const lm::Tensor& t) { return lm::tanh(t); }, "tanh_fn")});
  if (kind == Kind::BiLSTM) return Bidirectional(LSTM(kUnits));  // final states of both directions, concatenated
  return LSTM(kUnits);
}

// One pass over the batches: the layer's final output, and with `train` its gradients
// w.r.t. the weights and the input (as when an Embedding feeds it).
void run(benchmark::State& state, const std::vector<Batch>& batches, Kind kind, bool train, std::int64_t threads) {
  lm::set_num_threads(static_cast<int>(threads));
  lm::LayerRef layer = make_layer(kind);
  for (const auto& b : batches) layer(b.x);  // build, warm the allocator cache
  lm::TensorList weights;
  for (const auto& w : layer->trainable_weights()) weights.push_back(w.value());
  std::int64_t tokens = 0;
  for (const auto& b : batches) tokens += b.tokens;
  for (auto _ : state) {
    for (const auto& b : batches) {
      if (!train) {
        benchmark::DoNotOptimize(layer(b.x).raw_data());
        continue;
      }
      lm::GradientTape tape;
      tape.watch(b.x);
      lm::Tensor y = layer(b.x);
      lm::TensorList sources{b.x};
      sources.insert(sources.end(), weights.begin(), weights.end());
      auto g = tape.gradient(y, sources);  // one backward pass: input and weight gradients
      benchmark::DoNotOptimize(g[0]->raw_data());
      benchmark::DoNotOptimize(g[1]->raw_data());
    }
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens * state.iterations()), benchmark::Counter::kIsRate);
  lm::set_num_threads(2);
}

// Uniform: args (T, threads). Peer: args (threads).
int T(const benchmark::State& s) { return static_cast<int>(s.range(0)); }
void BM_LstmForward(benchmark::State& s) { run(s, uniform_batches(T(s)), Kind::LSTM, false, s.range(1)); }
void BM_LstmTrain(benchmark::State& s) { run(s, uniform_batches(T(s)), Kind::LSTM, true, s.range(1)); }
void BM_GruForward(benchmark::State& s) { run(s, uniform_batches(T(s)), Kind::GRU, false, s.range(1)); }
void BM_GruTrain(benchmark::State& s) { run(s, uniform_batches(T(s)), Kind::GRU, true, s.range(1)); }
void BM_PeerLstmForward(benchmark::State& s) { run(s, peer_batches(), Kind::LSTM, false, s.range(0)); }
void BM_PeerLstmTrain(benchmark::State& s) { run(s, peer_batches(), Kind::LSTM, true, s.range(0)); }
void BM_PeerGruForward(benchmark::State& s) { run(s, peer_batches(), Kind::GRU, false, s.range(0)); }
void BM_PeerGruTrain(benchmark::State& s) { run(s, peer_batches(), Kind::GRU, true, s.range(0)); }
void BM_PeerBiLstmTrain(benchmark::State& s) { run(s, peer_batches(), Kind::BiLSTM, true, s.range(0)); }
void BM_PeerLstmCompositeTrain(benchmark::State& s) { run(s, peer_batches(), Kind::LstmComposite, true, s.range(0)); }

void uniform_args(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2})
    for (int T : {10, 50, 100, 200}) b->Args({T, threads});
  b->ArgNames({"T", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}
void peer_args(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(2)->ArgNames({"threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

// Inference latency of one sequence (batch 1, length 50), as the peer's rnn_infer.py.
void BM_LstmLatency(benchmark::State& s) {
  lm::set_num_threads(static_cast<int>(s.range(0)));
  lm::LayerRef layer = LSTM(kUnits);
  lm::Tensor x = lm::random_normal({1, 50, kFeatures}, {.seed = 3});
  layer(x);
  for (auto _ : s) benchmark::DoNotOptimize(layer(x).raw_data());
  lm::set_num_threads(2);
}

BENCHMARK(BM_PeerLstmTrain)->Apply(peer_args);
BENCHMARK(BM_PeerGruTrain)->Apply(peer_args);
BENCHMARK(BM_PeerBiLstmTrain)->Apply(peer_args);
BENCHMARK(BM_PeerLstmCompositeTrain)->Apply(peer_args);
BENCHMARK(BM_PeerLstmForward)->Apply(peer_args);
BENCHMARK(BM_PeerGruForward)->Apply(peer_args);
BENCHMARK(BM_LstmLatency)->Arg(1)->Arg(2)->ArgNames({"threads"})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_LstmForward)->Apply(uniform_args);
BENCHMARK(BM_LstmTrain)->Apply(uniform_args);
BENCHMARK(BM_GruForward)->Apply(uniform_args);
BENCHMARK(BM_GruTrain)->Apply(uniform_args);

}  // namespace

BENCHMARK_MAIN();
