// float32 matmul: lm::matmul against cblas_sgemm called directly on the same buffers.
//
//   ./build/release/bench/bench_matmul [google-benchmark flags]
//
// Three variants per size, all timed in wall-clock time (the BLAS is multi-threaded):
//   lamina/<size>        lm::matmul(a, b): checks, a fresh output tensor, one sgemm
//   direct/<size>        cblas_sgemm into one preallocated output buffer
//   direct+alloc/<size>  cblas_sgemm into a freshly allocated buffer each time (what
//                        lm::matmul must do), to separate allocation costs from overhead
// Each reports a `flops` rate counter; the table printed at the end gives GFLOP/s (median
// over repetitions) and the ratio lamina/direct per size. Repetitions run randomly
// interleaved by default, so load from other processes hits all variants alike.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "lamina/lamina.hpp"

namespace lm = lamina;

namespace {

struct Case {
  std::int64_t m, k, n;
  std::string label;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {{256, 256, 256, "256"},
                                      {512, 512, 512, "512"},
                                      {1024, 1024, 1024, "1024"},
                                      {2048, 2048, 2048, "2048"},
                                      {64, 384, 1024, "64x384@384x1024"}};
  return c;
}

double flops(const Case& c) { return 2.0 * static_cast<double>(c.m) * static_cast<double>(c.n) * static_cast<double>(c.k); }

struct Operands {
  lm::Tensor a, b;
  explicit Operands(const Case& c)
      : a(lm::random_normal({c.m, c.k}, {.seed = 1})), b(lm::random_normal({c.k, c.n}, {.seed = 2})) {}
};

void sgemm(const Case& c, const float* a, const float* b, float* out) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<blasint>(c.m), static_cast<blasint>(c.n),
              static_cast<blasint>(c.k), 1.0f, a, static_cast<blasint>(c.k), b, static_cast<blasint>(c.n), 0.0f, out,
              static_cast<blasint>(c.n));
}

void bench_lamina(benchmark::State& state, const Case& c) {
  Operands x(c);
  for (auto _ : state) {
    lm::Tensor y = lm::matmul(x.a, x.b);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.counters["flops"] = benchmark::Counter(flops(c) * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

void bench_direct(benchmark::State& state, const Case& c) {
  Operands x(c);
  std::vector<float> out(static_cast<std::size_t>(c.m * c.n));
  for (auto _ : state) {
    sgemm(c, x.a.data<float>(), x.b.data<float>(), out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["flops"] = benchmark::Counter(flops(c) * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

void bench_direct_alloc(benchmark::State& state, const Case& c) {
  Operands x(c);
  const std::size_t bytes = static_cast<std::size_t>(c.m * c.n) * sizeof(float);
  for (auto _ : state) {
    auto* out = static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
    sgemm(c, x.a.data<float>(), x.b.data<float>(), out);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
    std::free(out);
  }
  state.counters["flops"] = benchmark::Counter(flops(c) * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

// Console output as usual, plus every run's flop rate kept for the summary table.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, std::vector<double>> rates;  // "lamina/256" -> flop/s per repetition

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      auto it = r.counters.find("flops");
      if (it != r.counters.end()) rates[r.run_name.function_name].push_back(it->second.value);
    }
  }
};

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double best(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

void print_table(const CollectingReporter& rep) {
  auto get = [&](const std::string& name) {
    auto it = rep.rates.find(name);
    return it == rep.rates.end() ? std::vector<double>{} : it->second;
  };
  std::printf("\nfloat32 matmul, GFLOP/s (median of repetitions; best in brackets)\n");
  std::printf("%-18s %18s %18s %18s %10s %10s\n", "size", "lamina", "direct sgemm", "sgemm+alloc", "ratio",
              "ratio(best)");
  for (const auto& c : cases()) {
    auto l = get("lamina/" + c.label), d = get("direct/" + c.label), da = get("direct+alloc/" + c.label);
    if (l.empty() || d.empty()) continue;
    auto cell = [](const std::vector<double>& v) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f [%.1f]", median(v) / 1e9, best(v) / 1e9);
      return std::string(buf);
    };
    std::printf("%-18s %18s %18s %18s %10.3f %10.3f\n", c.label.c_str(), cell(l).c_str(), cell(d).c_str(),
                da.empty() ? "-" : cell(da).c_str(), median(l) / median(d), best(l) / best(d));
  }
  std::printf("ratio = lamina / direct sgemm (acceptance: >= 0.9)\n");
}

}  // namespace

int main(int argc, char** argv) {
  // Defaults first, so flags given on the command line override them.
  std::vector<char*> args{argv[0]};
  std::string reps = "--benchmark_repetitions=5", interleave = "--benchmark_enable_random_interleaving=true",
              min_time = "--benchmark_min_time=0.3";
  args.push_back(reps.data());
  args.push_back(interleave.data());
  args.push_back(min_time.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  int n = static_cast<int>(args.size());

  std::printf("BLAS: %s, lamina threads: %d\n", lm::blas_info().c_str(), lm::num_threads());
  for (const auto& c : cases()) {
    benchmark::RegisterBenchmark(("lamina/" + c.label).c_str(), bench_lamina, c)->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("direct/" + c.label).c_str(), bench_direct, c)->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("direct+alloc/" + c.label).c_str(), bench_direct_alloc, c)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  print_table(reporter);
  return 0;
}
