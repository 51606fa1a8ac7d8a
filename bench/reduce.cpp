// Reductions and softmax, against the memory bandwidth of std::copy.
//
//   ./build/release/bench/bench_reduce
//   LAMINA_NUM_THREADS=1 ./build/release/bench/bench_reduce
//
// Each benchmark reports "bytes/s" = bytes read + written per second; the table at the end
// is the ratio to std::copy of 64 MiB (target: >= 0.5). Every layout of reduce_values is
// covered: the trailing path (sum of everything, rows), the block path (a leading axis,
// time of (B, T, F) with and without a mask), the general path (two separate axes), in
// float32 and float64, plus the softmax rows and logsumexp.
#include <algorithm>
#include <vector>

#include "lamina/lamina.hpp"
#include "ratio_reporter.hpp"

namespace lm = lamina;

namespace {

constexpr std::int64_t kN = std::int64_t{1} << 24;  // elements: 64 MiB of float32, beyond the L3

void set_bytes(benchmark::State& state, double bytes_per_iter) {
  state.counters["bytes/s"] =
      benchmark::Counter(bytes_per_iter * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

std::size_t width(lm::DType dt) { return dt == lm::Float32 ? sizeof(float) : sizeof(double); }

void BM_StdCopy(benchmark::State& state) {
  std::vector<float> src(kN, 1.f), dst(kN);
  for (auto _ : state) {
    std::copy(src.begin(), src.end(), dst.begin());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2.0 * kN * sizeof(float));
}

// Float64 inputs have half the elements, so every benchmark moves 64 MiB.
std::int64_t elements(lm::DType dt) { return dt == lm::Float32 ? kN : kN / 2; }

template <lm::DType dt>
void BM_SumAll(benchmark::State& state) {
  auto x = lm::random_normal({elements(dt)}, {.dtype = dt, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(lm::sum(x).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_SumRows(benchmark::State& state) {  // (rows, 1024) over the last axis
  auto x = lm::random_normal({elements(dt) / 1024, 1024}, {.dtype = dt, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(lm::sum(x, -1).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_SumLeadingAxis(benchmark::State& state) {  // (rows, 256) over axis 0: the column cascade
  auto x = lm::random_normal({elements(dt) / 256, 256}, {.dtype = dt, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(lm::sum(x, 0).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_MeanOverTime(benchmark::State& state) {  // (B, T, F) over T, unmasked
  const std::int64_t B = 64, T = 256, F = elements(dt) / (64 * 256);
  auto x = lm::random_normal({B, T, F}, {.dtype = dt, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(lm::mean(x, 1).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_MaskedSumOverTime(benchmark::State& state) {  // (B, T, F) masked (B, T), over T
  const std::int64_t B = 64, T = 256, F = elements(dt) / (64 * 256);
  auto x = lm::random_normal({B, T, F}, {.dtype = dt, .seed = 1});
  std::vector<bool> m(static_cast<std::size_t>(B * T));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t) m[static_cast<std::size_t>(b * T + t)] = t < 10 + (b * 37) % (T - 10);
  x = x.with_mask(lm::tensor(m, lm::Shape{B, T}));
  for (auto _ : state) benchmark::DoNotOptimize(lm::sum(x, 1).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_MaskedSumAll(benchmark::State& state) {  // (B, T) masked (B, T), everything: element runs
  const std::int64_t B = 256, T = elements(dt) / 256;
  auto x = lm::random_normal({B, T}, {.dtype = dt, .seed = 1});
  std::vector<bool> m(static_cast<std::size_t>(B * T));
  for (std::int64_t i = 0; i < B * T; ++i) m[static_cast<std::size_t>(i)] = (i * 2654435761u) % 7 != 0;
  x = x.with_mask(lm::tensor(m, lm::Shape{B, T}));
  for (auto _ : state) benchmark::DoNotOptimize(lm::sum(x).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_SumTwoAxes(benchmark::State& state) {  // (A, 16, C) over axes 0 and 2: the general path
  const std::int64_t A = 256, C = elements(dt) / (256 * 16);
  auto x = lm::random_normal({A, 16, C}, {.dtype = dt, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(lm::sum(x, lm::Axes{0, 2}).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_SoftmaxRows(benchmark::State& state) {  // (rows, 1024) over the last axis
  auto x = lm::random_normal({elements(dt) / 1024, 1024}, {.dtype = dt, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(lm::softmax(x).raw_data());
  set_bytes(state, 2.0 * static_cast<double>(elements(dt) * width(dt)));
}

template <lm::DType dt>
void BM_LogSumExpRows(benchmark::State& state) {  // (rows, 1024) over the last axis
  auto x = lm::random_normal({elements(dt) / 1024, 1024}, {.dtype = dt, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(lm::logsumexp(x, -1).raw_data());
  set_bytes(state, static_cast<double>(elements(dt) * width(dt)));
}

}  // namespace

BENCHMARK(BM_StdCopy)->UseRealTime()->Unit(benchmark::kMillisecond);
#define LAMINA_BENCH_BOTH(name)                                                                            \
  BENCHMARK_TEMPLATE(name, lm::Float32)->Name(#name "/f32")->UseRealTime()->Unit(benchmark::kMillisecond); \
  BENCHMARK_TEMPLATE(name, lm::Float64)->Name(#name "/f64")->UseRealTime()->Unit(benchmark::kMillisecond);
LAMINA_BENCH_BOTH(BM_SumAll)
LAMINA_BENCH_BOTH(BM_SumRows)
LAMINA_BENCH_BOTH(BM_SumLeadingAxis)
LAMINA_BENCH_BOTH(BM_MeanOverTime)
LAMINA_BENCH_BOTH(BM_MaskedSumOverTime)
LAMINA_BENCH_BOTH(BM_MaskedSumAll)
LAMINA_BENCH_BOTH(BM_SumTwoAxes)
LAMINA_BENCH_BOTH(BM_SoftmaxRows)
LAMINA_BENCH_BOTH(BM_LogSumExpRows)
#undef LAMINA_BENCH_BOTH

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::printf("threads: %d; %s\n", lm::num_threads(), lm::blas_info().c_str());
  const std::string base = "BM_StdCopy/real_time";
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const char* name : {"BM_SumAll", "BM_SumRows", "BM_SumLeadingAxis", "BM_MeanOverTime", "BM_MaskedSumOverTime",
                           "BM_MaskedSumAll", "BM_SumTwoAxes", "BM_SoftmaxRows", "BM_LogSumExpRows"})
    for (const char* dt : {"/f32", "/f64"}) pairs.emplace_back(std::string(name) + dt + "/real_time", base);
  lm::bench::RatioReporter reporter("bytes/s", pairs, 0.5);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
