// The C++ half of bench/python_overhead (see run.py there): the peer LSTM workload
// (Embedding(20000, 128, mask_zero) -> LSTM(256) -> Dense(2), Adam, batch 64, the 256 peer
// lengths padded to the longest) trained with Model::fit, and predict on one 1 x 50 sequence.
// Prints one JSON line: {"fit_step_s": median seconds per training step, "predict_us": median
// microseconds per predict call}.
//   build/release/python/bench_python_overhead_cpp [EPOCHS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <lamina/lamina.hpp>
#include <string>
#include <vector>

#include "../peer_workload.hpp"

namespace lm = lamina;
using namespace lamina::layers;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct StepTimer : lm::Callback {
  std::chrono::steady_clock::time_point start;
  std::vector<double> steps;
  void on_train_batch_begin(int, const lm::Logs&) override { start = std::chrono::steady_clock::now(); }
  void on_train_batch_end(int, const lm::Logs&) override {
    steps.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
};

}  // namespace

int main(int argc, char** argv) {
  int epochs = argc > 1 ? std::stoi(argv[1]) : 3;
  const auto& len = lm::bench::kPeerLengths;
  int t_max = *std::max_element(len.begin(), len.end());
  lm::Generator g(1234);
  std::vector<int> ids(len.size() * t_max, 0), labels(len.size());
  for (std::size_t b = 0; b < len.size(); ++b) {
    for (int t = 0; t < len[b]; ++t) ids[b * t_max + t] = 1 + static_cast<int>(g.uniform() * 19999);
    labels[b] = g.uniform() < 0.5 ? 0 : 1;
  }
  auto n = static_cast<std::int64_t>(len.size());
  auto x = lm::tensor(ids, lm::Shape{n, t_max}), y = lm::tensor(labels, lm::Shape{n});
  lm::set_seed(1);
  auto tokens = lm::Input({lm::None}, lm::Int32);
  auto h = LSTM(256)(Embedding(20000, 128, {.mask_zero = true})(tokens));
  lm::Model model(tokens, Dense(2)(h));
  model.compile({.optimizer = "adam", .loss = lm::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  auto timer = std::make_shared<StepTimer>();
  model.fit(x, y, {.batch_size = 64, .epochs = epochs, .verbose = 0, .callbacks = {timer}, .shuffle = false});
  auto one = lm::slice(x, {lm::Range{0, 1}, lm::Range{0, 50}});
  std::vector<double> calls;
  for (int i = 0; i < 300; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    lm::Tensor p = model.predict(one);
    calls.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("{\"fit_step_s\": %.6f, \"predict_us\": %.2f}\n", median(timer->steps), median(calls));
  return 0;
}
