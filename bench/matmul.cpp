// float32 matmul: lm::matmul against cblas_sgemm called directly on the same buffers.
//
//   ./build/release/bench/bench_matmul [google-benchmark flags]
//
// Three variants per size, all timed in wall-clock time (the BLAS is multi-threaded):
//   lamina/<size>        lm::matmul(a, b): checks, a fresh output tensor, one sgemm
//   direct/<size>        cblas_sgemm into one preallocated output buffer
//   direct+alloc/<size>  cblas_sgemm into a freshly allocated buffer each time (what
//                        lm::matmul must do), to separate allocation costs from overhead
// Each reports a `flops` rate counter and the minor page faults per call (`faults`: a
// fresh output buffer that the allocator had returned to the OS faults in page by page);
// the table printed at the end gives GFLOP/s (median and best over repetitions) and the
// ratio lamina/direct per size. Repetitions run randomly interleaved by default, so load
// from other processes hits all variants alike. `--threads=N` sets the BLAS threads;
// `--cpu_time` times by process CPU time instead of wall-clock time: with --threads=1 that
// is immune to other processes competing for the cores (use it on a loaded machine).
// Finally a paired table alternates single lamina and direct calls (`--paired_seconds=S`
// per size, 0 to skip): its ratio compares the two under the same load at each moment.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
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

double flops(const Case& c) {
  return 2.0 * static_cast<double>(c.m) * static_cast<double>(c.n) * static_cast<double>(c.k);
}

struct Operands {
  lm::Tensor a, b;
  explicit Operands(const Case& c)
      : a(lm::random_normal({c.m, c.k}, {.seed = 1})), b(lm::random_normal({c.k, c.n}, {.seed = 2})) {}
};

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

void set_counters(benchmark::State& state, const Case& c, long faults_before) {
  const auto iters = static_cast<double>(state.iterations());
  state.counters["flops"] = benchmark::Counter(flops(c) * iters, benchmark::Counter::kIsRate);
  state.counters["faults"] = static_cast<double>(minor_faults() - faults_before) / iters;
}

void sgemm(const Case& c, const float* a, const float* b, float* out) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<blasint>(c.m), static_cast<blasint>(c.n),
              static_cast<blasint>(c.k), 1.0f, a, static_cast<blasint>(c.k), b, static_cast<blasint>(c.n), 0.0f, out,
              static_cast<blasint>(c.n));
}

void bench_lamina(benchmark::State& state, const Case& c) {
  Operands x(c);
  const long faults = minor_faults();
  for (auto _ : state) {
    lm::Tensor y = lm::matmul(x.a, x.b);
    benchmark::DoNotOptimize(y.raw_data());
  }
  set_counters(state, c, faults);
}

void bench_direct(benchmark::State& state, const Case& c) {
  Operands x(c);
  std::vector<float> out(static_cast<std::size_t>(c.m * c.n));
  const long faults = minor_faults();
  for (auto _ : state) {
    sgemm(c, x.a.data<float>(), x.b.data<float>(), out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, c, faults);
}

void bench_direct_alloc(benchmark::State& state, const Case& c) {
  Operands x(c);
  const std::size_t bytes = static_cast<std::size_t>(c.m * c.n) * sizeof(float);
  const long faults = minor_faults();
  for (auto _ : state) {
    auto* out = static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
    sgemm(c, x.a.data<float>(), x.b.data<float>(), out);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
    std::free(out);
  }
  set_counters(state, c, faults);
}

// Console output as usual, plus every run's flop rate kept for the summary table.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, std::vector<double>> rates;   // "lamina/256" -> flop/s per repetition
  std::map<std::string, std::vector<double>> faults;  // minor page faults per call

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      auto it = r.counters.find("flops");
      if (it != r.counters.end()) rates[r.run_name.function_name].push_back(it->second.value);
      auto f = r.counters.find("faults");
      if (f != r.counters.end()) faults[r.run_name.function_name].push_back(f->second.value);
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
  auto faults = [&](const std::string& name) {
    auto it = rep.faults.find(name);
    return it == rep.faults.end() ? 0.0 : median(it->second);
  };
  std::printf("\nfloat32 matmul, GFLOP/s (median of repetitions; best in brackets)\n");
  std::printf("%-18s %16s %16s %16s %7s %11s %14s\n", "size", "lamina", "direct sgemm", "sgemm+alloc", "ratio",
              "ratio(best)", "faults/call");
  for (const auto& c : cases()) {
    auto l = get("lamina/" + c.label), d = get("direct/" + c.label), da = get("direct+alloc/" + c.label);
    if (l.empty() || d.empty()) continue;
    auto cell = [](const std::vector<double>& v) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f [%.1f]", median(v) / 1e9, best(v) / 1e9);
      return std::string(buf);
    };
    char fl[48];
    std::snprintf(fl, sizeof fl, "%.0f/%.0f/%.0f", faults("lamina/" + c.label), faults("direct/" + c.label),
                  faults("direct+alloc/" + c.label));
    std::printf("%-18s %16s %16s %16s %7.3f %11.3f %14s\n", c.label.c_str(), cell(l).c_str(), cell(d).c_str(),
                da.empty() ? "-" : cell(da).c_str(), median(l) / median(d), best(l) / best(d), fl);
  }
  std::printf("ratio = lamina / direct sgemm (acceptance: >= 0.9); faults/call = lamina/direct/sgemm+alloc\n");
}

// Alternates single lm::matmul and direct sgemm calls (ABBA order) for about `budget`
// seconds and compares the medians of the per-call wall times. Both variants see the same
// machine load at the same moments, so on a shared machine this ratio is the reliable one.
void print_paired_table(double budget) {
  using Clock = std::chrono::steady_clock;
  std::printf("\npaired calls (alternating lamina and direct sgemm): wall time per call, median [fastest]\n");
  std::printf("%-18s %6s %16s %16s %12s %12s %7s %10s\n", "size", "pairs", "lamina ms", "direct ms", "lamina GF/s",
              "direct GF/s", "ratio", "ratio(min)");
  for (const auto& c : cases()) {
    Operands x(c);
    std::vector<float> out(static_cast<std::size_t>(c.m * c.n));
    auto time_lamina = [&] {
      auto t0 = Clock::now();
      {
        lm::Tensor y = lm::matmul(x.a, x.b);  // freed inside the timed scope, as in a loop
        benchmark::DoNotOptimize(y.raw_data());
      }
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    auto time_direct = [&] {
      auto t0 = Clock::now();
      sgemm(c, x.a.data<float>(), x.b.data<float>(), out.data());
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    time_lamina();  // warm up both
    time_direct();
    std::vector<double> tl, td;
    const auto start = Clock::now();
    while (tl.size() < 10 ||
           (std::chrono::duration<double>(Clock::now() - start).count() < budget && tl.size() < 2000)) {
      if (tl.size() % 2 == 0) {
        tl.push_back(time_lamina());
        td.push_back(time_direct());
      } else {
        td.push_back(time_direct());
        tl.push_back(time_lamina());
      }
    }
    const double ml = median(tl), md = median(td);
    const double fl = *std::min_element(tl.begin(), tl.end()), fd = *std::min_element(td.begin(), td.end());
    char cl[40], cd[40];
    std::snprintf(cl, sizeof cl, "%.3f [%.3f]", ml * 1e3, fl * 1e3);
    std::snprintf(cd, sizeof cd, "%.3f [%.3f]", md * 1e3, fd * 1e3);
    std::printf("%-18s %6zu %16s %16s %12.1f %12.1f %7.3f %10.3f\n", c.label.c_str(), tl.size(), cl, cd,
                flops(c) / ml / 1e9, flops(c) / md / 1e9, md / ml, fd / fl);
  }
  std::printf(
      "ratio = lamina GFLOP/s / direct GFLOP/s from the medians; ratio(min) from the fastest calls,\n"
      "which are the ones no other process interrupted (acceptance: >= 0.9)\n");
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
  bool cpu_time = false;
  double paired_seconds = 3.0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0)
      lm::set_num_threads(std::atoi(arg.c_str() + 10));
    else if (arg.rfind("--paired_seconds=", 0) == 0)
      paired_seconds = std::atof(arg.c_str() + 17);
    else if (arg == "--cpu_time")
      cpu_time = true;
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());

  std::printf("BLAS: %s, lamina threads: %d, timing: %s\n", lm::blas_info().c_str(), lm::num_threads(),
              cpu_time ? "process CPU time" : "wall-clock time");
  for (const auto& c : cases()) {
    using Fn = void (*)(benchmark::State&, const Case&);
    const std::pair<std::string, Fn> variants[] = {
        {"lamina/", bench_lamina}, {"direct/", bench_direct}, {"direct+alloc/", bench_direct_alloc}};
    for (const auto& [name, fn] : variants) {
      auto* b = benchmark::RegisterBenchmark((name + c.label).c_str(), fn, c)->Unit(benchmark::kMillisecond);
      if (cpu_time)
        b->MeasureProcessCPUTime();
      else
        b->UseRealTime();
    }
  }
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  print_table(reporter);
  if (paired_seconds > 0) print_paired_table(paired_seconds);
  return 0;
}
