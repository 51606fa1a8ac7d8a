// Accumulation accuracy over many elements: sums, means, masked sums, logsumexp, softmax
// denominators and the RNN bias gradient are summed pairwise (ops/support/pairwise.hpp),
// so their relative error grows like log(n) ulps, not n. References are computed in long
// double from the values the tensors hold (n copies of v sum to n * v).
#include <cmath>
#include <vector>

#include "test_util.hpp"

namespace lm = lamina;

namespace {

using LD = long double;

constexpr std::int64_t kTenMillion = 10'000'000;

// |got / want - 1| <= rel.
::testing::AssertionResult rel_close(long double got, long double want, double rel) {
  const long double err = std::fabs(got - want) / std::fabs(want);
  if (err <= rel) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << static_cast<double>(got) << ", want " << static_cast<double>(want)
                                       << ": relative error " << static_cast<double>(err) << " > " << rel;
}

double at(const lm::Tensor& t, std::int64_t i) { return lm::cast(t, lm::Float64).data<double>()[i]; }

}  // namespace

TEST(PairwiseSum, TenMillionTenthsInFloat64) {
  // Summed one by one, 1e7 copies of 0.1 are off by 1.6e-10 relative.
  auto x = lm::full({kTenMillion}, 0.1, lm::Float64);
  const LD want = static_cast<LD>(kTenMillion) * static_cast<LD>(0.1);
  EXPECT_TRUE(rel_close(lm::sum(x).item<double>(), want, 1e-15));
  EXPECT_TRUE(rel_close(lm::mean(x).item<double>(), static_cast<LD>(0.1), 1e-15));
}

TEST(PairwiseSum, EveryReductionLayoutInFloat64) {
  // Leading axis (the block path): 1e6 rows of (0.1, 0.3, 0.7).
  const std::int64_t rows = 1'000'000;
  auto col = lm::tensor({0.1, 0.3, 0.7});
  auto x = lm::broadcast_to(col, {rows, 3}) * 1.0;
  auto s = lm::sum(x, 0);
  for (std::int64_t j = 0; j < 3; ++j)
    EXPECT_TRUE(rel_close(at(s, j), rows * static_cast<LD>(at(col, j)), 1e-15)) << "column " << j;
  // Two separate reduced blocks (the general path): axes 0 and 2 of (500, 2, 2000).
  auto y = lm::broadcast_to(lm::tensor({{0.1}, {0.7}}), {500, 2, 2000}) * 1.0;
  auto t = lm::sum(y, lm::Axes{0, 2});
  EXPECT_TRUE(rel_close(at(t, 0), 1'000'000 * static_cast<LD>(0.1), 1e-15));
  EXPECT_TRUE(rel_close(at(t, 1), 1'000'000 * static_cast<LD>(0.7), 1e-15));
  auto u = lm::mean(y, lm::Axes{0, 2});
  EXPECT_TRUE(rel_close(at(u, 1), static_cast<LD>(0.7), 1e-15));
}

TEST(PairwiseSum, MaskedSumsInFloat64) {
  // (2, 2e6): row 0 keeps every other step, row 1 its first 1.5e6 steps; padding holds 1e300.
  const std::int64_t T = 2'000'000;
  std::vector<bool> valid(static_cast<std::size_t>(2 * T));
  std::vector<double> v(static_cast<std::size_t>(2 * T), 1e300);
  std::int64_t n0 = 0, n1 = 0;
  for (std::int64_t t = 0; t < T; ++t) {
    if (t % 2 == 0) {
      valid[static_cast<std::size_t>(t)] = true;
      v[static_cast<std::size_t>(t)] = 0.1;
      ++n0;
    }
    if (t < 1'500'000) {
      valid[static_cast<std::size_t>(T + t)] = true;
      v[static_cast<std::size_t>(T + t)] = 0.3;
      ++n1;
    }
  }
  auto x = lm::tensor(v, lm::Shape{2, T}).with_mask(lm::tensor(valid, lm::Shape{2, T}, lm::Bool));
  auto s = lm::sum(x, 1);
  EXPECT_TRUE(rel_close(at(s, 0), n0 * static_cast<LD>(0.1), 1e-15));
  EXPECT_TRUE(rel_close(at(s, 1), n1 * static_cast<LD>(0.3), 1e-15));
  auto m = lm::mean(x, 1);
  EXPECT_TRUE(rel_close(at(m, 1), static_cast<LD>(0.3), 1e-15));
}

TEST(PairwiseSum, Float32AccumulatesAccurately) {
  // float32 sums accumulate in double: 1e7 copies of 0.1f give the float nearest 1e7 * 0.1f.
  auto x = lm::full({kTenMillion}, 0.1, lm::Float32);
  const LD want = static_cast<LD>(kTenMillion) * static_cast<LD>(0.1f);
  EXPECT_EQ(lm::sum(x).item<float>(), static_cast<float>(want));
  EXPECT_EQ(lm::mean(x).item<float>(), 0.1f);
  // Leading axis too.
  auto y = lm::broadcast_to(lm::tensor({0.1f, 0.3f}), {2'000'000, 2}) * 1.0f;
  auto s = lm::sum(y, 0);
  EXPECT_EQ(s.data<float>()[0], static_cast<float>(2'000'000 * static_cast<LD>(0.1f)));
  EXPECT_EQ(s.data<float>()[1], static_cast<float>(2'000'000 * static_cast<LD>(0.3f)));
}

TEST(PairwiseSum, LogSumExpOfManyElements) {
  // x = [0, log(0.1) x (n - 1)]: exp(x - max) = [1, 0.1...]; logsumexp = log(1 + sum 0.1...).
  const std::int64_t n = 2'000'000;
  const double l = std::log(0.1);
  std::vector<double> v(static_cast<std::size_t>(n), l);
  v[0] = 0;
  auto x = lm::tensor(v);
  const LD e = std::exp(static_cast<LD>(l));  // what exp(log(0.1)) rounds near; 1 ulp of slack below
  const LD want = std::log(1 + (n - 1) * e);
  EXPECT_TRUE(rel_close(lm::logsumexp(x).item<double>(), want, 4e-16));
}

TEST(PairwiseSum, SoftmaxDenominatorsOverLongRows) {
  // softmax of [0, log(0.1) x (n - 1)]: p0 = 1 / (1 + (n - 1) 0.1), along the last axis and
  // along a leading one (the strided kernel).
  const std::int64_t n = 2'000'000;
  const double l = std::log(0.1);
  std::vector<double> v(static_cast<std::size_t>(n), l);
  v[0] = 0;
  const LD e = std::exp(static_cast<LD>(l));
  const LD p0 = 1 / (1 + (n - 1) * e);
  auto x = lm::tensor(v);
  auto p = lm::softmax(x);
  EXPECT_TRUE(rel_close(p.data<double>()[0], p0, 4e-15));
  auto lp = lm::log_softmax(x);
  EXPECT_TRUE(rel_close(lp.data<double>()[0], std::log(p0), 4e-15));
  auto xc = lm::reshape(lm::tensor(v), {n / 2, 2});  // column 0: 0 then l..., column 1: all l
  auto pc = lm::softmax(xc, 0);
  const LD p0c = 1 / (1 + (n / 2 - 1) * e);
  EXPECT_TRUE(rel_close(pc.data<double>()[0], p0c, 4e-15));
}

TEST(PairwiseSum, RnnBiasGradientOverManyTokens) {
  // A linear SimpleRNN with zero weights outputs its bias at every step, so the bias
  // gradient of sum(0.1 * y) is the sum of 0.1 over all B * T tokens: 1e6 * 0.1f. Summed
  // one by one in float32 that is about 1% off.
  const std::int64_t B = 1000, T = 1000;
  auto x = lm::zeros({B, T, 1}, lm::Float32);
  auto k = lm::zeros({1, 1}, lm::Float32), r = lm::zeros({1, 1}, lm::Float32);
  auto b = lm::zeros({1}, lm::Float32);
  lm::GradientTape tape;
  tape.watch(b);
  auto y = lm::simple_rnn_sequence(x, lm::Tensor(), lm::Tensor(), k, r, b,
                                   {.activation = "linear", .return_sequences = true})[0];
  auto g = *tape.gradient(lm::sum(y * 0.1f), b);
  EXPECT_EQ(g.data<float>()[0], static_cast<float>(B * T * static_cast<LD>(0.1f)));
}

TEST(PairwiseSum, GatherGradientOfARepeatedIndex) {
  // An Embedding's gradient: row 1 of the table is looked up 1e6 times (a frequent token),
  // so its gradient adds 1e6 rows of 0.1f; row 0 is never used and gets exactly 0. Added
  // one by one in float32 that sum is about 1% off.
  const std::int64_t n = 1'000'000;
  auto table = lm::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n), 1);
  ids[7] = 2;  // row 2 once
  auto idx = lm::tensor(ids, lm::Shape{n});
  lm::GradientTape tape;
  tape.watch(table);
  auto g = *tape.gradient(lm::sum(lm::gather(table, idx, 0) * 0.1f), table);
  const float want = static_cast<float>((n - 1) * static_cast<LD>(0.1f));
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{0.f, 0.f, want, want, 0.1f, 0.1f}));
  // gather_nd takes the same path.
  auto nd = lm::reshape(idx, {n, 1});
  lm::GradientTape tape2;
  tape2.watch(table);
  auto g2 = *tape2.gradient(lm::sum(lm::gather_nd(table, nd) * 0.1f), table);
  EXPECT_EQ(g2.to_vector<float>(), (std::vector<float>{0.f, 0.f, want, want, 0.1f, 0.1f}));
}
