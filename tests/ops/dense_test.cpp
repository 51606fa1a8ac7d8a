// lm::dense: activation(dot(x, kernel) + bias) as one op. Values worked out by hand; the
// gradients against finite differences and against the three separate ops (whose own
// gradients are checked in linalg_test and elementwise_test).
#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;
using lm::DenseActivation;

namespace {

const lm::Tensor kX = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});       // (2, 3)
const lm::Tensor kW = lm::tensor({{7.f, 8.f}, {9.f, 10.f}, {11.f, 12.f}});  // (3, 2)
const lm::Tensor kB = lm::tensor({1.f, -200.f});

lm::Tensor composite(const lm::Tensor& x, const lm::Tensor& w, const lm::Tensor& b, DenseActivation a) {
  lm::Tensor y = lm::dot(x, w);
  if (b.defined()) y = y + b;
  return a == DenseActivation::Relu ? lm::relu(y) : y;
}

// d sum(f(x, w, b) * r) / d{x, w, b} through a tape.
lm::TensorList gradients(const lm::Tensor& x, const lm::Tensor& w, const lm::Tensor& b, const lm::Tensor& r,
                         DenseActivation a, bool fused) {
  lm::GradientTape tape;
  tape.watch(x);
  tape.watch(w);
  tape.watch(b);
  auto y = fused ? lm::dense(x, w, b, a) : composite(x, w, b, a);
  auto g = tape.gradient(lm::sum(y * r), lm::TensorList{x, w, b});
  return {*g[0], *g[1], *g[2]};
}

}  // namespace

TEST(Dense, ValuesWithBiasAndRelu) {
  // x . W = [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12] = [58, 64; 139, 154]
  auto lin = lm::dense(kX, kW, kB);
  EXPECT_SHAPE(lin, lm::Shape({2, 2}));
  EXPECT_EQ(lin.dtype(), lm::Float32);
  EXPECT_VALUES(lin, {59, -136, 140, -46});
  EXPECT_VALUES(lm::dense(kX, kW, kB, DenseActivation::Relu), {59, 0, 140, 0});
  EXPECT_VALUES(lm::dense(kX, kW, lm::Tensor()), {58, 64, 139, 154});  // no bias
  EXPECT_FALSE(lin.has_mask());
}

TEST(Dense, SequencesKeepTheirMaskAndPaddingHoldingNaNContributesNothing) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // (2, 2, 3): sample 0 has one valid step; its padded step holds NaN.
  auto x = lm::tensor(std::vector<float>{1.f, 2.f, 3.f, nan, nan, nan, 4.f, 5.f, 6.f, 1.f, 0.f, 0.f}, lm::Shape{2, 2, 3});
  x = x.with_mask(lm::tensor(std::vector<bool>{true, false, true, true}, lm::Shape{2, 2}, lm::Bool));
  auto y = lm::dense(x, kW, kB, DenseActivation::Relu);
  EXPECT_SHAPE(y, lm::Shape({2, 2, 2}));
  EXPECT_MASK(y, lm::Shape({2, 2}), {true, false, true, true});
  // The padded step computes relu(0 . W + b) = relu([1, -200]), as dot + add + relu give;
  // [1, 0, 0] . W = [7, 8] -> [8, -192] -> [8, 0].
  EXPECT_VALUES(y, {59, 0, 1, 0, 140, 0, 8, 0});
  // Gradients: finite everywhere, the padded step's input gets exactly 0.
  lm::GradientTape tape;
  tape.watch(x);
  tape.watch(kW);
  tape.watch(kB);
  auto g = tape.gradient(lm::sum(lm::fill_masked(lm::dense(x, kW, kB, DenseActivation::Relu), 0)),
                         lm::TensorList{x, kW, kB});
  EXPECT_VALUES(*g[0], {7, 9, 11, 0, 0, 0, 7, 9, 11, 7, 9, 11});  // d/dx = W[:, 0] where unit 0 is active
  // kernel: unit 0 active at the three valid steps: column 0 = x0 + x2 + x3 = [6, 7, 9]; unit 1 never.
  EXPECT_VALUES(*g[1], {6, 0, 7, 0, 9, 0});
  EXPECT_VALUES(*g[2], {3, 0});
}

TEST(Dense, SymbolicSpecIsTheThreeOpsSpec) {
  auto x = lm::placeholder({lm::Shape{lm::None, lm::None, 3}, lm::Float32, 2});
  auto y = lm::dense(x, kW, kB, DenseActivation::Relu);
  EXPECT_TRUE(y.is_symbolic());
  EXPECT_EQ(y.shape(), lm::Shape({lm::None, lm::None, 2}));
  EXPECT_EQ(y.mask_rank(), 2);
}

TEST(Dense, GradientsMatchFiniteDifferences) {
  for (auto a : {DenseActivation::Linear, DenseActivation::Relu}) {
    auto x = lm::random_normal({5, 4}, {.dtype = lm::Float64, .seed = 1});
    auto w = lm::random_normal({4, 3}, {.dtype = lm::Float64, .seed = 2});
    auto b = lm::random_normal({3}, {.dtype = lm::Float64, .seed = 3});
    EXPECT_GRADCHECK([a](const lm::TensorList& in) { return lm::dense(in[0], in[1], in[2], a); },
                     lm::TensorList{x, w, b});
    EXPECT_GRADCHECK([a](const lm::TensorList& in) { return lm::dense(in[0], in[1], lm::Tensor(), a); },
                     lm::TensorList{x, w});
  }
}

TEST(Dense, FusedGradientsEqualTheThreeOps) {
  // Rows past a pairwise block (16) and units past a column tile (64) and not a multiple.
  auto x = lm::random_normal({3, 50, 40}, {.seed = 4});
  auto w = lm::random_normal({40, 150}, {.seed = 5});
  auto b = lm::random_normal({150}, {.seed = 6});
  auto r = lm::random_normal({3, 50, 150}, {.seed = 7});
  for (auto a : {DenseActivation::Linear, DenseActivation::Relu}) {
    auto fused = gradients(x, w, b, r, a, true);
    auto reference = gradients(x, w, b, r, a, false);
    EXPECT_VALUES(lm::dense(x, w, b, a), composite(x, w, b, a).to_vector<double>(), 1e-4);
    for (int i = 0; i < 3; ++i) EXPECT_VALUES(fused[i], reference[i].to_vector<double>(), 1e-3) << "input " << i;
  }
}

TEST(Dense, SecondOrderGradientsFlowThroughTheFusedOp) {
  // f = sum(relu(x W + b)^2); df/dx = 2 relu(xW+b) W^T on active units; d sum(df/dx) / dx
  // = 2 (sum_j W_ij for active j) W^T ... compared with the same through the three ops.
  auto x = lm::random_normal({4, 3}, {.dtype = lm::Float64, .seed = 8});
  auto w = lm::random_normal({3, 5}, {.dtype = lm::Float64, .seed = 9});
  auto b = lm::random_normal({5}, {.dtype = lm::Float64, .seed = 10});
  auto second = [&](bool fused) {
    lm::GradientTape outer;
    outer.watch(x);
    lm::Tensor first;
    {
      lm::GradientTape inner;
      inner.watch(x);
      auto y = fused ? lm::dense(x, w, b, DenseActivation::Relu) : composite(x, w, b, DenseActivation::Relu);
      first = *inner.gradient(lm::sum(y * y), x);
    }
    return *outer.gradient(lm::sum(first), x);
  };
  auto fused = second(true);
  auto reference = second(false);
  EXPECT_VALUES(fused, reference.to_vector<double>(), 1e-12);
  // Not trivially zero: the squared relu has a second derivative.
  double norm = 0;
  for (double v : fused.to_vector<double>()) norm += std::abs(v);
  EXPECT_GT(norm, 0.1);
}

TEST(Dense, OtherDtypesAndBadShapesGoThroughTheThreeOps) {
  // Integer inputs compute in float32, as dot does.
  auto xi = lm::tensor({{1, 2, 3}});
  EXPECT_VALUES(lm::dense(xi, kW, kB), {59, -136});
  EXPECT_EQ(lm::dense(xi, kW, kB).dtype(), lm::Float32);
  EXPECT_LAMINA_ERROR(lm::dense(lm::ones({2, 4}), kW, kB), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("op 'dot'"));
    EXPECT_THAT(msg, HasSubstr("(2, 4)"));
  });
  EXPECT_LAMINA_ERROR(lm::dense(kX, kW, lm::ones({3})), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("add")); });
}

TEST(Dense, ReluGradientGatesOnThePreActivation) {
  // relu's own gradient (relu_gate): 1 where x > 0, 0 at x <= 0 and at NaN.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto x = lm::tensor({-1.f, 0.f, 2.f, nan});
  lm::GradientTape tape;
  tape.watch(x);
  auto g = tape.gradient(lm::sum(lm::relu(x) * 3.f), x);
  // d(3 relu(NaN))/dx: relu passes NaN, the product is NaN, but its gradient gate is 0.
  EXPECT_VALUES(*g, {0, 0, 3, 0});
}
