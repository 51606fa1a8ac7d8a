// Sparse categorical crossentropy from logits over the last axis runs as one fused op
// (src/ops/nn.cpp); every other case composes log_softmax, one_hot, where and sum. The two
// paths must agree: the same losses on the class axis moved to the front (composed), values
// in double by hand, gradients against finite differences and against the composed path,
// masks and NaN padding, and both float dtypes.
#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;
namespace L = lamina::losses;

namespace {

// Random logits (rows..., classes) and labels in [0, classes).
lm::Tensor logits(const lm::Shape& s, lm::DType dt, std::uint64_t seed) {
  lm::Generator g(seed);
  std::vector<double> v(static_cast<std::size_t>(s.numel()));
  for (double& x : v) x = 6 * g.uniform() - 3;
  return lm::cast(lm::tensor(v, s), dt);
}

lm::Tensor labels(const lm::Shape& s, std::int64_t classes, std::uint64_t seed) {
  lm::Generator g(seed);
  std::vector<int> v(static_cast<std::size_t>(s.numel()));
  for (int& x : v) x = static_cast<int>(g.uniform() * static_cast<double>(classes)) % static_cast<int>(classes);
  return lm::tensor(v, s);
}

struct LossAndGrad {
  std::vector<double> per_row, grad;
};

// Per-row losses and d(mean loss)/d logits; `front` runs the composed path by moving the
// classes to axis 0 and giving the loss that axis.
LossAndGrad run(const lm::Tensor& y, const lm::Tensor& z, bool front) {
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true, .axis = front ? 0 : -1});
  lm::Axes to_front{z.rank() - 1};
  for (std::int64_t a = 0; a < z.rank() - 1; ++a) to_front.push_back(a);
  lm::GradientTape tape;
  tape.watch(z);
  lm::Tensor input = front ? lm::transpose(z, to_front) : z;
  if (front && z.has_mask()) input = input.without_mask();  // front-axis masks are not the same rule
  lm::Tensor per_row = loss->call(y, input);
  auto g = tape.gradient((*loss)(y, input), z);
  EXPECT_TRUE(g.has_value());
  return {per_row.without_mask().to_vector<double>(), g ? g->to_vector<double>() : std::vector<double>{}};
}

}  // namespace

TEST(LossFused, SparseCrossentropyFromLogitsEqualsTheComposedPathAndTheValuesByHand) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    const double tol = dt == lm::Float32 ? 2e-6 : 1e-12;
    lm::Tensor z = logits(lm::Shape{7, 5}, dt, 3), y = labels(lm::Shape{7}, 5, 4);
    LossAndGrad fused = run(y, z, false), composed = run(y, z, true);
    auto zv = lm::cast(z, lm::Float64).to_vector<double>();
    auto yv = y.to_vector<int>();
    ASSERT_EQ(fused.per_row.size(), 7u);
    for (std::size_t r = 0; r < 7; ++r) {
      double m = -INFINITY, s = 0;
      for (std::size_t k = 0; k < 5; ++k) m = std::max(m, zv[r * 5 + k]);
      for (std::size_t k = 0; k < 5; ++k) s += std::exp(zv[r * 5 + k] - m);
      const double by_hand = -(zv[r * 5 + static_cast<std::size_t>(yv[r])] - m - std::log(s));
      EXPECT_NEAR(fused.per_row[r], by_hand, tol) << "row " << r;
      EXPECT_NEAR(composed.per_row[r], by_hand, tol) << "row " << r;
      // d mean / d z[r, k] = (softmax(z_r)[k] - [k == y_r]) / rows
      for (std::size_t k = 0; k < 5; ++k) {
        const double expected = (std::exp(zv[r * 5 + k] - m) / s - (static_cast<int>(k) == yv[r] ? 1 : 0)) / 7;
        EXPECT_NEAR(fused.grad[r * 5 + k], expected, tol) << "row " << r << " class " << k;
        EXPECT_NEAR(composed.grad[r * 5 + k], fused.grad[r * 5 + k], tol);
      }
    }
  }
}

TEST(LossFused, SparseCrossentropyGradientPassesFiniteDifferences) {
  lm::Tensor z = logits(lm::Shape{2, 3, 4}, lm::Float64, 9), y = labels(lm::Shape{2, 3}, 4, 10);
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true});
  auto r = lm::gradcheck([&](const lm::TensorList& in) { return loss->call(y, in[0]); }, {z});
  EXPECT_TRUE(r.ok) << r.message;
  // Second order: d/dz of sum(dL/dz * w) exists (the backward uses public ops).
  lm::GradientTape outer;
  outer.watch(z);
  lm::Tensor g;
  {
    lm::GradientTape inner;
    inner.watch(z);
    g = *inner.gradient((*loss)(y, z), z);
  }
  auto h = outer.gradient(lm::sum(g * g), z);
  ASSERT_TRUE(h.has_value());
  EXPECT_GT(lm::sum(lm::abs(*h)).item<double>(), 0.0);
}

TEST(LossFused, MaskedRowsHoldingNaNGetNoLossAndNoGradient) {
  lm::Tensor base = logits(lm::Shape{2, 3, 4}, lm::Float64, 5);
  auto v = base.to_vector<double>();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < 4; ++k) v[(0 * 3 + 2) * 4 + k] = v[(1 * 3 + 1) * 4 + k] = v[(1 * 3 + 2) * 4 + k] = nan;
  lm::Tensor mask = lm::tensor({{true, true, false}, {true, false, false}});
  lm::Tensor z = lm::tensor(v, lm::Shape{2, 3, 4}).with_mask(mask);
  lm::Tensor y = labels(lm::Shape{2, 3}, 4, 6);
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true});
  lm::Tensor per_row = loss->call(y, z);
  EXPECT_TRUE(per_row.has_mask());
  EXPECT_EQ(per_row.mask().to_vector<bool>(), mask.to_vector<bool>());
  lm::GradientTape tape;
  tape.watch(z);
  lm::Tensor mean = (*loss)(y, z);
  auto g = tape.gradient(mean, z)->to_vector<double>();
  // The same three valid rows, unmasked and alone, give the same mean and gradients.
  std::vector<double> rows{v.begin(), v.begin() + 8};
  rows.insert(rows.end(), v.begin() + 12, v.begin() + 16);
  lm::Tensor z3 = lm::tensor(rows, lm::Shape{3, 4});
  auto yall = y.to_vector<int>();
  lm::Tensor y3 = lm::tensor(std::vector<int>{yall[0], yall[1], yall[3]}, lm::Shape{3});
  lm::GradientTape tape3;
  tape3.watch(z3);
  lm::Tensor mean3 = (*loss)(y3, z3);
  auto g3 = tape3.gradient(mean3, z3)->to_vector<double>();
  EXPECT_NEAR(mean.item<double>(), mean3.item<double>(), 1e-12);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(g[0 * 4 + k], g3[k], 1e-12);
    EXPECT_NEAR(g[1 * 4 + k], g3[4 + k], 1e-12);
    EXPECT_NEAR(g[3 * 4 + k], g3[8 + k], 1e-12);
    for (std::size_t masked_row : {2u, 4u, 5u}) EXPECT_EQ(g[masked_row * 4 + k], 0.0);
  }
}

TEST(LossFused, SymbolicSpecMatchesTheConcreteResult) {
  lm::Tensor z = lm::Input({lm::None, 4}, lm::Float32);
  lm::Tensor y = lm::Input({lm::None}, lm::Int32);
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true});
  lm::Tensor s = loss->call(y, z);
  EXPECT_TRUE(s.is_symbolic());
  lm::Tensor c = loss->call(labels(lm::Shape{3, 2}, 4, 1), logits(lm::Shape{3, 2, 4}, lm::Float32, 2));  // Input adds the batch axis
  EXPECT_EQ(s.dtype(), c.dtype());
  EXPECT_EQ(s.rank(), c.rank());
  EXPECT_EQ(s.mask_rank(), c.mask_rank());
}
