// Data-parallel throughput on the peer LSTM workload (bench/peer_workload.hpp):
// Embedding(20000, 128, mask_zero) -> LSTM(256) -> Dense(2), global batches of 64.
//
//   OMP_NUM_THREADS=2 ./bench_dp_lstm                      # 1 process x 2 threads
//   mpirun -np 2 -x OMP_NUM_THREADS=1 ./bench_dp_lstm      # 2 ranks x 1 thread
//   (bench/distributed/run.sh runs both.)
//
// Reports step time, samples/s, and the share of step time spent inside collectives (the
// time rank 0 waits for them: the buckets' allreduces start during the backward pass, so
// this is the communication the backward did not hide).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "../peer_workload.hpp"
#include "lamina/lamina.hpp"

namespace lm = lamina;
namespace dist = lamina::distributed;
using namespace lamina::layers;
using Clock = std::chrono::steady_clock;

namespace {

// A communicator that forwards to another and adds up the time spent waiting in it.
class Timed final : public dist::Communicator {
 public:
  explicit Timed(dist::CommunicatorRef inner) : inner_(std::move(inner)) {}
  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  std::string describe() const override { return inner_->describe(); }
  [[noreturn]] void abort(int code) override {
    inner_->abort(code);
    std::_Exit(code);  // not reached
  }
  double waited = 0;  // seconds

 protected:
  struct Req final : dist::Request {
    dist::RequestRef inner;
    Timed* owner;
    void wait() override {
      auto t = Clock::now();
      inner->wait();
      owner->waited += std::chrono::duration<double>(Clock::now() - t).count();
    }
    bool test() override { return inner->test(); }
  };
  dist::RequestRef start_allreduce(void* data, std::size_t n, Kind kind, dist::Order order) override {
    auto r = std::make_unique<Req>();
    r->owner = this;
    if (kind == Kind::F32)
      r->inner = inner_->iallreduce(std::span<float>(static_cast<float*>(data), n), order);
    else if (kind == Kind::F64)
      r->inner = inner_->iallreduce(std::span<double>(static_cast<double*>(data), n), order);
    else {
      timed([&] { inner_->allreduce(std::span<std::int64_t>(static_cast<std::int64_t*>(data), n)); });
      r->inner = dist::single_process()->iallreduce(std::span<double>());
    }
    return r;
  }
  void do_broadcast(void* data, std::size_t n, Kind kind, int root) override {
    timed([&] {
      if (kind == Kind::F32) inner_->broadcast(std::span<float>(static_cast<float*>(data), n), root);
      if (kind == Kind::F64) inner_->broadcast(std::span<double>(static_cast<double*>(data), n), root);
      if (kind == Kind::I64) inner_->broadcast(std::span<std::int64_t>(static_cast<std::int64_t*>(data), n), root);
    });
  }
  void do_allgather(const void* data, std::size_t n, void* out, Kind kind) override {
    timed([&] {
      if (kind == Kind::F64) {
        auto v = inner_->allgather(std::span<const double>(static_cast<const double*>(data), n));
        std::copy(v.begin(), v.end(), static_cast<double*>(out));
      } else {
        auto v = inner_->allgather(std::span<const std::int64_t>(static_cast<const std::int64_t*>(data), n));
        std::copy(v.begin(), v.end(), static_cast<std::int64_t*>(out));
      }
    });
  }
  void do_barrier() override {
    timed([&] { inner_->barrier(); });
  }

 private:
  template <class F>
  void timed(F f) {
    auto t = Clock::now();
    f();
    waited += std::chrono::duration<double>(Clock::now() - t).count();
  }
  dist::CommunicatorRef inner_;
};

struct PeerBatches : lm::BatchSource {
  std::vector<lm::Batch> batches;
  std::int64_t size() const override { return static_cast<std::int64_t>(batches.size()); }
  lm::Batch get(std::int64_t i) override { return batches[static_cast<std::size_t>(i)]; }
};

PeerBatches peer_batches() {
  using namespace lamina::bench;
  lm::Generator g(1234);
  PeerBatches src;
  for (int k = 0; k < kPeerBatches; ++k) {
    const int* len = kPeerLengths.data() + k * kPeerBatch;
    const int t_max = *std::max_element(len, len + kPeerBatch);
    std::vector<int> ids(static_cast<std::size_t>(kPeerBatch * t_max), 0), labels(kPeerBatch);
    for (int b = 0; b < kPeerBatch; ++b) {
      for (int t = 0; t < len[b]; ++t) ids[b * t_max + t] = 1 + static_cast<int>(g.uniform() * 19999);
      labels[b] = g.uniform() < 0.5 ? 0 : 1;
    }
    src.batches.push_back(
        {{lm::tensor(ids, lm::Shape{kPeerBatch, t_max})}, {lm::tensor(labels, lm::Shape{kPeerBatch})}, {}});
  }
  return src;
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 3;
  auto timed = std::make_shared<Timed>(dist::world());
  lm::set_seed(1);
  auto tokens = lm::Input({lm::None}, lm::Int32);
  auto x = Embedding(20000, 128, {.mask_zero = true})(tokens);
  x = LSTM(256)(x);
  lm::Model model(tokens, Dense(2)(x));
  model.compile({.optimizer = lm::optimizers::Adam(1e-3),
                 .loss = lm::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  PeerBatches src = peer_batches();
  auto dp = lm::DataParallel({.communicator = timed});
  model.fit(src, {.epochs = 1, .verbose = 0, .distribution = dp});  // warm-up
  timed->waited = 0;
  auto t0 = Clock::now();
  model.fit(src, {.epochs = epochs, .verbose = 0, .distribution = dp});
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double steps = static_cast<double>(epochs) * static_cast<double>(src.size());
  double grad_bytes = 0;
  for (const auto& v : model.trainable_weights()) grad_bytes += 4.0 * static_cast<double>(v.value().numel());
  if (timed->rank() == 0)
    std::printf(
        "ranks %d, threads %d: %.1f ms/step, %.1f samples/s, %.1f MB of gradients per step, "
        "%.1f%% of step time waiting in collectives\n",
        timed->size(), lm::num_threads(), 1e3 * seconds / steps, steps * lamina::bench::kPeerBatch / seconds,
        grad_bytes / 1e6, 100.0 * timed->waited / seconds);
  return 0;
}
