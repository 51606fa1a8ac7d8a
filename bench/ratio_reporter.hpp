#pragma once
// A console reporter that also prints, after the run, each benchmark's rate relative to
// a named baseline benchmark (e.g. lm::matmul vs direct sgemm, lm::add vs std::copy).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace lamina::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // pairs: (benchmark name, baseline name); both must report `counter`.
  RatioReporter(std::string counter, std::vector<std::pair<std::string, std::string>> pairs, double target)
      : counter_(std::move(counter)), pairs_(std::move(pairs)), target_(target) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    // With --benchmark_repetitions the median aggregate wins over single runs.
    for (const auto& r : runs) {
      auto it = r.counters.find(counter_);
      if (it == r.counters.end()) continue;
      bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type == Run::RT_Aggregate && !median) continue;
      std::string name = r.run_name.str();
      if (median || !medians_.count(name)) rates_[name] = it->second.value;
      if (median) medians_.insert(name);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-48s %-40s %8s  %s\n", "benchmark", "baseline", "ratio", "target");
    for (const auto& [name, base] : pairs_) {
      auto a = rates_.find(name), b = rates_.find(base);
      if (a == rates_.end() || b == rates_.end() || b->second <= 0) continue;
      double ratio = a->second / b->second;
      std::printf("%-48s %-40s %8.2f  %s %.2f\n", name.c_str(), base.c_str(), ratio, ratio >= target_ ? ">=" : "BELOW",
                  target_);
    }
  }

 private:
  std::string counter_;
  std::vector<std::pair<std::string, std::string>> pairs_;
  double target_;
  std::map<std::string, double> rates_;
  std::set<std::string> medians_;
};

}  // namespace lamina::bench
