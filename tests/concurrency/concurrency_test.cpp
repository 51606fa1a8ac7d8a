// Lamina called from several std::threads: the process-wide thread count reaches every
// thread (and the BLAS), a shared model gives bitwise the main thread's results, and the
// global random generator is race-free. These are the tests the `tsan` preset runs under
// ThreadSanitizer (OpenMP at 1 thread there: libgomp is not instrumented, so the cases
// that need more threads skip themselves).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif

// Restores the thread count a test changes.
struct ThreadCountGuard {
  int saved = lm::num_threads();
  ~ThreadCountGuard() { lm::set_num_threads(saved); }
};

// Runs f(i) on `n` std::threads at once and joins them.
template <class F>
void run_threads(int n, F f) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&f, i] { f(i); });
  for (auto& t : threads) t.join();
}

// OpenMP's count in a thread that has made no Lamina call yet (the process default).
int fresh_thread_omp_count() {
  int n = 0;
  std::thread([&] { n = omp_get_max_threads(); }).join();
  return n;
}

std::vector<float> floats(const lm::Tensor& t) {
  lm::Tensor f = lm::cast(t.without_mask(), lm::Float32);
  return std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
}

// Bitwise equality of float vectors (== would call -0 and 0 equal).
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Embedding(mask_zero) -> LSTM -> Dense, big enough that the elementwise kernels, the
// reductions and the BLAS calls all split across threads when there are two.
struct SmallModel {
  static constexpr std::int64_t B = 64, T = 20, V = 100;
  Embedding embed{V, 32, {.mask_zero = true}};
  LSTM lstm{64};
  Dense dense{8};
  lm::Tensor tokens, weights;

  SmallModel() {
    std::vector<std::int32_t> ids(static_cast<std::size_t>(B * T));
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < T; ++t)  // right-padded with 0 to lengths 5..20
        ids[static_cast<std::size_t>(b * T + t)] =
            t < 5 + b % 16 ? static_cast<std::int32_t>(1 + (b * 7 + t * 3) % (V - 1)) : 0;
    tokens = lm::tensor(ids, lm::Shape{B, T});
    weights = lm::random_normal({B, 8}, {.seed = 5});
    run();  // builds the layers, so the threads only read them
  }

  // The output and the gradient of sum(output * weights) for every weight, flattened.
  std::vector<std::vector<float>> run() {
    std::vector<lm::Variable> vars;
    lm::GradientTape tape;
    lm::Tensor y = dense(lstm(embed(tokens)));
    for (const auto& w : embed->trainable_weights()) vars.push_back(w);
    for (const auto& w : lstm->trainable_weights()) vars.push_back(w);
    for (const auto& w : dense->trainable_weights()) vars.push_back(w);
    auto grads = tape.gradient(lm::sum(y * weights), vars);
    std::vector<std::vector<float>> out{floats(y)};
    for (const auto& g : grads) out.push_back(g ? floats(*g) : std::vector<float>{});
    return out;
  }
};

void expect_threads_match_main(int threads) {
  ThreadCountGuard guard;
  lm::set_num_threads(threads);
  SmallModel model;
  const auto reference = model.run();
  ASSERT_EQ(reference.size(), 1u + 1 + 3 + 2);  // y; embeddings; LSTM kernel, recurrent, bias; Dense kernel, bias
  std::vector<std::vector<std::vector<float>>> got(4);
  run_threads(4, [&](int i) {
    for (int rep = 0; rep < 3; ++rep) got[static_cast<std::size_t>(i)] = model.run();
  });
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), reference.size());
    for (std::size_t k = 0; k < reference.size(); ++k)
      EXPECT_TRUE(same_bits(got[i][k], reference[k]))
          << "thread " << i << ", result " << k << ", at " << threads << " threads";
  }
}

}  // namespace

// ---- the thread count is process-wide -------------------------------------------------------

TEST(Concurrency, ThreadCountReachesThreadsTheUserStarts) {
  if (kThreadSanitizer) GTEST_SKIP() << "needs OpenMP with more than one thread";
  ThreadCountGuard guard;
  // A count no fresh thread has by default, so a thread that ignored it would show.
  const int n = fresh_thread_omp_count() + 1;
  lm::set_num_threads(n);
  int omp_after = 0;
  std::string blas_after;
  std::thread([&] {
    auto a = lm::random_normal({128, 128}, {.seed = 1});
    auto c = lm::matmul(a, a);  // big enough for OpenBLAS to use threads
    (void)c;
    omp_after = omp_get_max_threads();
    blas_after = lm::blas_info();
  }).join();
  EXPECT_EQ(omp_after, n);  // what OpenBLAS's OpenMP build reads on each call
  EXPECT_NE(blas_after.find("threads=" + std::to_string(n)), std::string::npos) << blas_after;
}

TEST(Concurrency, SharedModelFromFourThreadsMatchesMainAtOneThread) { expect_threads_match_main(1); }

TEST(Concurrency, SharedModelFromFourThreadsMatchesMainAtTwoThreads) {
  if (kThreadSanitizer) GTEST_SKIP() << "needs OpenMP with more than one thread";
  expect_threads_match_main(2);
}

// ---- random generators -------------------------------------------------------------------

TEST(Concurrency, UnseededDrawsFromFourThreadsNeverRepeat) {
  // 4 x 200,000 64-bit draws: a repeat by chance has probability ~1e-8. A generator shared
  // without synchronisation repeats values by the thousand (threads read the same state).
  constexpr int kDraws = 200'000;
  std::vector<std::vector<std::uint64_t>> draws(4);
  run_threads(4, [&](int i) {
    auto& d = draws[static_cast<std::size_t>(i)];
    d.reserve(kDraws);
    for (int k = 0; k < kDraws; ++k) d.push_back(lm::global_generator().next_u64());
  });
  std::vector<std::uint64_t> all;
  for (const auto& d : draws) all.insert(all.end(), d.begin(), d.end());
  for (int k = 0; k < 1000; ++k) all.push_back(lm::global_generator().next_u64());  // and the main thread's
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a value was drawn twice";
}

TEST(Concurrency, LayersCreatedConcurrentlyGetDistinctWeights) {
  std::vector<std::vector<Dense>> layers(4);
  run_threads(4, [&](int i) {
    for (int k = 0; k < 50; ++k) layers[static_cast<std::size_t>(i)].push_back(Dense(4));
  });
  std::set<std::vector<float>> kernels;
  std::set<std::string> names;
  for (auto& per_thread : layers)
    for (auto& d : per_thread) {
      d(lm::ones({1, 3}));  // builds: the kernel comes from the layer's own seed
      kernels.insert(floats(d->weights()[0].value()));
      names.insert(d->name());
    }
  EXPECT_EQ(kernels.size(), 200u);  // no two layers share initial weights
  EXPECT_EQ(names.size(), 200u);
}

TEST(Concurrency, SeededRunsStayReproducible) {
  // The thread that seeds gets Generator(seed) itself, as a single global generator did.
  lm::set_seed(123);
  lm::Generator ref(123);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(lm::global_generator().next_u64(), ref.next_u64());
  // A thread started after set_seed gets the next stream: the same values on every run
  // with the same order of events, and not the seeding thread's values.
  auto worker_draws = [] {
    std::vector<std::uint64_t> d;
    std::thread([&] {
      for (int k = 0; k < 5; ++k) d.push_back(lm::global_generator().next_u64());
    }).join();
    return d;
  };
  lm::set_seed(123);
  auto first = worker_draws();
  auto main_after = lm::global_generator().next_u64();
  lm::set_seed(123);
  auto second = worker_draws();
  EXPECT_EQ(first, second);
  EXPECT_EQ(lm::global_generator().next_u64(), main_after);
  EXPECT_EQ(main_after, lm::Generator(123).next_u64());  // the worker did not consume main's stream
  EXPECT_NE(first[0], main_after);
  // Explicit seeds do not depend on the thread at all.
  std::vector<std::vector<float>> seeded(4);
  run_threads(4, [&](int i) { seeded[static_cast<std::size_t>(i)] = floats(lm::random_normal({1000}, {.seed = 77})); });
  for (const auto& s : seeded) EXPECT_TRUE(same_bits(s, floats(lm::random_normal({1000}, {.seed = 77}))));
  lm::set_seed(0);
}
