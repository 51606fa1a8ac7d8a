// Elementwise ops and a masked reduction, against the memory bandwidth of std::copy.
//
//   ./build/release/bench/bench_elementwise
//
// Each benchmark reports "bytes/s" = bytes read + written per second. The table at the
// end is the ratio to std::copy of the same number of elements (target: >= 0.5).
#include <algorithm>
#include <vector>

#include "lamina/lamina.hpp"
#include "ratio_reporter.hpp"

namespace lm = lamina;

namespace {

constexpr std::int64_t kN = std::int64_t{1} << 24;  // 64 MiB of float32: well beyond the L3

void set_bytes(benchmark::State& state, double bytes_per_iter) {
  state.counters["bytes/s"] =
      benchmark::Counter(bytes_per_iter * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_StdCopy(benchmark::State& state) {
  std::vector<float> src(kN, 1.f), dst(kN);
  for (auto _ : state) {
    std::copy(src.begin(), src.end(), dst.begin());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2.0 * kN * sizeof(float));
}

void BM_Add(benchmark::State& state) {
  auto a = lm::random_normal({kN}, {.seed = 1});
  auto b = lm::random_normal({kN}, {.seed = 2});
  for (auto _ : state) benchmark::DoNotOptimize(lm::add(a, b).raw_data());
  set_bytes(state, 3.0 * kN * sizeof(float));
}

void BM_MulScalar(benchmark::State& state) {
  auto a = lm::random_normal({kN}, {.seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize((a * 0.5f).raw_data());
  set_bytes(state, 2.0 * kN * sizeof(float));
}

void BM_BroadcastAddRow(benchmark::State& state) {  // (rows, 1024) + (1024,): a bias add
  auto a = lm::random_normal({kN / 1024, 1024}, {.seed = 1});
  auto b = lm::random_normal({1024}, {.seed = 2});
  for (auto _ : state) benchmark::DoNotOptimize((a + b).raw_data());
  set_bytes(state, 2.0 * kN * sizeof(float));
}

void BM_Chain(benchmark::State& state) {  // (a * b + a) * 0.5: three ops, three passes
  auto a = lm::random_normal({kN}, {.seed = 1});
  auto b = lm::random_normal({kN}, {.seed = 2});
  for (auto _ : state) benchmark::DoNotOptimize(((a * b + a) * 0.5f).raw_data());
  set_bytes(state, (3.0 + 3.0 + 2.0) * kN * sizeof(float));
}

void BM_MaskedSumOverTime(benchmark::State& state) {  // (B, T, F) masked (B, T), sum over T
  const std::int64_t B = 64, T = 256, F = kN / (64 * 256);
  auto x = lm::random_normal({B, T, F}, {.seed = 1});
  std::vector<bool> m(static_cast<std::size_t>(B * T));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t) m[static_cast<std::size_t>(b * T + t)] = t < 10 + (b * 37) % (T - 10);
  x = x.with_mask(lm::tensor(m, lm::Shape{B, T}));
  for (auto _ : state) benchmark::DoNotOptimize(lm::sum(x, 1).raw_data());
  set_bytes(state, 1.0 * kN * sizeof(float));
}

}  // namespace

BENCHMARK(BM_StdCopy)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Add)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MulScalar)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BroadcastAddRow)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Chain)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskedSumOverTime)->UseRealTime()->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::printf("threads: %d; %s\n", lm::num_threads(), lm::blas_info().c_str());
  const std::string base = "BM_StdCopy/real_time";
  lm::bench::RatioReporter reporter("bytes/s",
                                    {{"BM_Add/real_time", base},
                                     {"BM_MulScalar/real_time", base},
                                     {"BM_BroadcastAddRow/real_time", base},
                                     {"BM_Chain/real_time", base},
                                     {"BM_MaskedSumOverTime/real_time", base}},
                                    0.5);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
