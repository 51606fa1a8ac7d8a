// matmul and dot. Expected values are worked out by hand in the comments next to them
// (or, for the larger batched case, by a naive triple loop written in the test).
#include <gmock/gmock.h>

#include <array>

#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

namespace {

lm::Tensor iota(const lm::Shape& shape, float start = 0.f) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
  return lm::tensor(v, shape);
}

const lm::Tensor kA = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});       // (2, 3)
const lm::Tensor kB = lm::tensor({{7.f, 8.f}, {9.f, 10.f}, {11.f, 12.f}});  // (3, 2)

}  // namespace

// ---- values ---------------------------------------------------------------------------------

TEST(Matmul, TwoByTwoDimensional) {
  auto c = lm::matmul(kA, kB);
  EXPECT_SHAPE(c, lm::Shape({2, 2}));
  EXPECT_EQ(c.dtype(), lm::Float32);
  // [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
  EXPECT_VALUES(c, {58, 64, 139, 154});
  EXPECT_FALSE(c.has_mask());
}

TEST(Matmul, BatchedAgainstUnbatchedIsOneProductPerRow) {
  auto a = lm::tensor({{{1.f, 2.f}, {3.f, 4.f}}, {{5.f, 6.f}, {7.f, 8.f}}});  // (2, 2, 2)
  auto b = lm::tensor({{1.f, 0.f}, {1.f, 1.f}});                              // (2, 2)
  // row [x, y] -> [x + y, y]
  auto c = lm::matmul(a, b);
  EXPECT_SHAPE(c, lm::Shape({2, 2, 2}));
  EXPECT_VALUES(c, {3, 2, 7, 4, 11, 6, 15, 8});
  // (2, 2) @ (2, 2, 2): b's batches [[1,0],[1,1]] and [[2,0],[0,2]] against [[1,2],[3,4]]
  auto d = lm::matmul(lm::tensor({{1.f, 2.f}, {3.f, 4.f}}),
                      lm::tensor({{{1.f, 0.f}, {1.f, 1.f}}, {{2.f, 0.f}, {0.f, 2.f}}}));
  // batch 0: [1+2, 2; 3+4, 4]; batch 1: [2, 4; 6, 8]
  EXPECT_VALUES(d, {3, 2, 7, 4, 2, 4, 6, 8});
}

TEST(Matmul, BroadcastBatchAxes) {
  // a (2, 1, 1, 2) @ b (3, 2, 1) -> (2, 3, 1, 1): a_i . b_j
  auto a = lm::tensor(std::vector<float>{1, 2, 3, 4}, lm::Shape{2, 1, 1, 2});
  auto b = lm::tensor(std::vector<float>{1, 0, 0, 1, 1, 1}, lm::Shape{3, 2, 1});
  auto c = lm::matmul(a, b);
  EXPECT_SHAPE(c, lm::Shape({2, 3, 1, 1}));
  // [1,2].[1,0]=1, .[0,1]=2, .[1,1]=3; [3,4] -> 3, 4, 7
  EXPECT_VALUES(c, {1, 2, 3, 3, 4, 7});
}

namespace {
// Reference: a naive triple loop over (nb, m, k) @ (nb, k, n).
std::vector<double> naive_bmm(const lm::Tensor& a, const lm::Tensor& b, std::int64_t nb, std::int64_t m, std::int64_t k,
                              std::int64_t n) {
  auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> ref;
  for (std::int64_t t = 0; t < nb; ++t)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (std::int64_t q = 0; q < k; ++q)
          s += av[static_cast<std::size_t>((t * m + i) * k + q)] * bv[static_cast<std::size_t>((t * k + q) * n + j)];
        ref.push_back(s);
      }
  return ref;
}
}  // namespace

TEST(Matmul, ManySmallBatchesMatchANaiveLoop) {
  // 40 tiny products run one after another; 160 products of 16^3 run split across threads.
  for (auto [nb, m, k, n] : {std::array<std::int64_t, 4>{40, 3, 5, 4}, std::array<std::int64_t, 4>{160, 16, 16, 16}}) {
    auto a = lm::random_normal({nb, m, k}, {.seed = 11});
    auto b = lm::random_normal({nb, k, n}, {.seed = 12});
    EXPECT_VALUES(lm::matmul(a, b), naive_bmm(a, b, nb, m, k, n), 1e-4);
  }
}

TEST(Matmul, OneDimensionalOperandsDropTheirAxis) {
  auto v = lm::tensor({1.f, 2.f, 3.f});
  auto vb = lm::matmul(v, kB);  // [58, 64] (first row of the 2-D case)
  EXPECT_SHAPE(vb, lm::Shape{2});
  EXPECT_VALUES(vb, {58, 64});
  auto av = lm::matmul(kA, lm::tensor({1.f, 0.f, -1.f}));  // [1 - 3, 4 - 6]
  EXPECT_SHAPE(av, lm::Shape{2});
  EXPECT_VALUES(av, {-2, -2});
  auto vv = lm::matmul(v, lm::tensor({4.f, 5.f, 6.f}));  // 4 + 10 + 18
  EXPECT_SHAPE(vv, lm::Shape{});
  EXPECT_VALUES(vv, {32});
  // (3,) @ (2, 3, 2): [1,2,3] against [[1,0],[0,1],[1,1]] -> [4, 5]; [[2,0],[0,2],[0,0]] -> [2, 4]
  auto vb3 = lm::matmul(v, lm::tensor({{{1.f, 0.f}, {0.f, 1.f}, {1.f, 1.f}}, {{2.f, 0.f}, {0.f, 2.f}, {0.f, 0.f}}}));
  EXPECT_SHAPE(vb3, lm::Shape({2, 2}));
  EXPECT_VALUES(vb3, {4, 5, 2, 4});
}

TEST(Matmul, Dtypes) {
  auto i = lm::matmul(lm::tensor({{1, 2}, {3, 4}}), lm::tensor({{1, 0}, {0, 1}}));
  EXPECT_EQ(i.dtype(), lm::Float32);  // integers compute in float32
  EXPECT_VALUES(i, {1, 2, 3, 4});
  auto l = lm::matmul(lm::tensor({1L, 2L}), lm::tensor({3L, 4L}));
  EXPECT_EQ(l.dtype(), lm::Float32);
  EXPECT_VALUES(l, {11});
  auto d = lm::matmul(lm::tensor({{1.0, 2.0}}), lm::tensor({{1.f}, {1.f}}));
  EXPECT_EQ(d.dtype(), lm::Float64);
  EXPECT_VALUES(d, {3});
  EXPECT_LAMINA_ERROR(lm::matmul(lm::tensor({true, false}), lm::tensor({1.f, 2.f})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("matmul"));
    EXPECT_THAT(msg, HasSubstr("bool"));
    EXPECT_THAT(msg, HasSubstr("lm::cast"));
  });
}

TEST(Matmul, ShapeErrorsShowBothShapesAndTheContractedDims) {
  EXPECT_LAMINA_ERROR(lm::matmul(lm::ones({2, 3, 4}), lm::ones({5, 6})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("matmul"));
    EXPECT_THAT(msg, HasSubstr("(2, 3, 4)"));
    EXPECT_THAT(msg, HasSubstr("(5, 6)"));
    EXPECT_THAT(msg, HasSubstr("size 4"));
    EXPECT_THAT(msg, HasSubstr("size 5"));
  });
  EXPECT_LAMINA_ERROR(lm::matmul(lm::ones({2, 3, 4}), lm::ones({3, 4, 5})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("batch"));
    EXPECT_THAT(msg, HasSubstr("(2,) vs (3,)"));
  });
  EXPECT_LAMINA_ERROR(lm::matmul(lm::scalar(2.f), lm::ones({2})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("lm::mul")); });
}

TEST(Matmul, ZeroSize) {
  auto e = lm::matmul(lm::ones({0, 3}), lm::ones({3, 4}));
  EXPECT_SHAPE(e, lm::Shape({0, 4}));
  auto z = lm::matmul(lm::ones({2, 0}), lm::ones({0, 3}));  // K = 0: an empty sum is 0
  EXPECT_SHAPE(z, lm::Shape({2, 3}));
  EXPECT_VALUES(z, {0, 0, 0, 0, 0, 0});
  EXPECT_SHAPE(lm::matmul(lm::ones({0, 2, 3}), lm::ones({3, 4})), lm::Shape({0, 2, 4}));
  EXPECT_SHAPE(lm::matmul(lm::ones({2, 3}), lm::ones({3, 0})), lm::Shape({2, 0}));
  auto za = lm::ones({2, 0});
  auto zb = lm::ones({0, 3});
  lm::GradientTape tape;
  tape.watch(za);
  tape.watch(zb);
  auto g = tape.gradient(lm::sum(lm::matmul(za, zb)), lm::TensorList{za, zb});
  EXPECT_SHAPE(*g[0], lm::Shape({2, 0}));
  EXPECT_SHAPE(*g[1], lm::Shape({0, 3}));
}

TEST(Dot, KerasShapesAndValues) {
  auto a = iota({2, 3, 4});  // row r (of 6) = [4r, 4r+1, 4r+2, 4r+3]
  auto s = lm::dot(a, lm::ones({4}));
  EXPECT_SHAPE(s, lm::Shape({2, 3}));
  EXPECT_VALUES(s, {6, 22, 38, 54, 70, 86});  // 16 r + 6
  // (4, 5): identity in the first four columns, a column of ones last
  std::vector<float> w(20, 0.f);
  for (int f = 0; f < 4; ++f) {
    w[static_cast<std::size_t>(f * 5 + f)] = 1.f;
    w[static_cast<std::size_t>(f * 5 + 4)] = 1.f;
  }
  auto y = lm::dot(a, lm::tensor(w, lm::Shape{4, 5}));
  EXPECT_SHAPE(y, lm::Shape({2, 3, 5}));
  std::vector<double> ref;
  for (int r = 0; r < 6; ++r)
    for (double v : {4.0 * r, 4.0 * r + 1, 4.0 * r + 2, 4.0 * r + 3, 16.0 * r + 6}) ref.push_back(v);
  EXPECT_VALUES(y, ref);
}

TEST(Dot, HigherRankRightOperandContractsItsSecondToLastAxis) {
  // (2, 3) . (2, 3, 2) -> (2, 2, 2): out[p, j, :] = a[p] @ b[j]
  auto b = lm::tensor({{{1.f, 0.f}, {0.f, 1.f}, {1.f, 1.f}}, {{2.f, 0.f}, {0.f, 2.f}, {0.f, 0.f}}});
  auto y = lm::dot(kA, b);
  EXPECT_SHAPE(y, lm::Shape({2, 2, 2}));
  // p=0: [1+3, 2+3], [2, 4]; p=1: [4+6, 5+6], [8, 10]
  EXPECT_VALUES(y, {4, 5, 2, 4, 10, 11, 8, 10});
  EXPECT_SHAPE(lm::dot(lm::ones({3}), lm::ones({3, 2})), lm::Shape{2});
  EXPECT_VALUES(lm::dot(lm::tensor({1.f, 2.f}), lm::tensor({3.f, 4.f})), {11});
}

TEST(Dot, ErrorsAndZeroSize) {
  EXPECT_LAMINA_ERROR(lm::dot(lm::ones({2, 3, 4}), lm::ones({3, 5})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("dot"));
    EXPECT_THAT(msg, HasSubstr("(2, 3, 4)"));
    EXPECT_THAT(msg, HasSubstr("(3, 5)"));
    EXPECT_THAT(msg, HasSubstr("first dimension of b"));
  });
  EXPECT_LAMINA_ERROR(lm::dot(lm::ones({2, 4}), lm::ones({2, 3, 5})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("second-to-last")); });
  EXPECT_LAMINA_ERROR(lm::dot(lm::ones({2}), lm::tensor({true, true})), lm::DTypeError,
                      { EXPECT_THAT(msg, HasSubstr("dot")); });
  EXPECT_SHAPE(lm::dot(lm::ones({0, 3}), lm::ones({3})), lm::Shape{0});
  auto z = lm::dot(lm::ones({2, 3, 0}), lm::ones({0, 4}));
  EXPECT_SHAPE(z, lm::Shape({2, 3, 4}));
  EXPECT_VALUES(z, std::vector<double>(24, 0.0));
}

// ---- masks ----------------------------------------------------------------------------------

TEST(LinalgMasks, ContractingFeaturesKeepsTheSequenceMask) {
  auto m = lm::tensor({{true, true, false}, {true, false, false}});
  auto x = iota({2, 3, 2}).with_mask(m);  // (B, T, F) with mask (B, T)
  auto w = lm::tensor({{1.f, 0.f, 1.f}, {0.f, 1.f, 1.f}});
  auto y = lm::matmul(x, w);
  EXPECT_SHAPE(y, lm::Shape({2, 3, 3}));
  // row [x0, x1] -> [x0, x1, x0 + x1]; masked rows hold whatever (here zeros are selected
  // in before the product, so they are 0 -- and NaN there could not leak into a gradient)
  EXPECT_VALUES(y, {0, 1, 1, 2, 3, 5, 0, 0, 0, 6, 7, 13, 0, 0, 0, 0, 0, 0});
  EXPECT_MASK(y, lm::Shape({2, 3}), {true, true, false, true, false, false});
  auto d = lm::dot(x, w);
  EXPECT_MASK(d, lm::Shape({2, 3}), {true, true, false, true, false, false});
  auto dv = lm::dot(x, lm::ones({2}));
  EXPECT_SHAPE(dv, lm::Shape({2, 3}));
  EXPECT_MASK(dv, lm::Shape({2, 3}), {true, true, false, true, false, false});
}

TEST(LinalgMasks, ContractingTimeExcludesMaskedSteps) {
  // x (B=2, T=3, F=2), steps masked as [[T, T, F], [T, F, F]] and filled with garbage;
  // xt is x transposed to (B, F, T) (built directly), whose mask is the (B, T) mask
  // broadcast over F, as transpose produces; y (B, T, U=1) carries the (B, T) mask.
  auto xt = lm::tensor({{{1.f, 3.f, 100.f}, {2.f, 4.f, 100.f}}, {{5.f, 100.f, 100.f}, {6.f, 100.f, 100.f}}})
                .with_mask(lm::tensor(
                    {{{true, true, false}, {true, true, false}}, {{true, false, false}, {true, false, false}}}));
  auto y = lm::tensor({{{1.f}, {2.f}, {1000.f}}, {{3.f}, {1000.f}, {1000.f}}})
               .with_mask(lm::tensor({{true, true, false}, {true, false, false}}));
  auto z = lm::matmul(xt, y);
  EXPECT_SHAPE(z, lm::Shape({2, 2, 1}));
  // Valid steps only: batch 0 f0 = 1*1 + 3*2 = 7, f1 = 2*1 + 4*2 = 10;
  //                   batch 1 f0 = 5*3 = 15, f1 = 6*3 = 18.
  EXPECT_VALUES(z, {7, 10, 15, 18});
  // (B, F) from xt's mask ("any valid step"), AND (B,) from y's: all valid here.
  EXPECT_MASK(z, lm::Shape({2, 2}), {true, true, true, true});

  // One operand masked is enough to exclude the steps (y unmasked but finite garbage).
  auto z1 = lm::matmul(xt, y.without_mask());
  EXPECT_VALUES(z1, {7, 10, 15, 18});
  EXPECT_MASK(z1, lm::Shape({2, 2}), {true, true, true, true});
  auto z2 = lm::matmul(xt.without_mask(), y);
  EXPECT_VALUES(z2, {7, 10, 15, 18});
  EXPECT_MASK(z2, lm::Shape{2}, {true, true});  // y's mask leaves only its batch axis

  // A fully masked sequence gives zeros and an invalid output row.
  auto ym = lm::tensor({{{1.f}, {2.f}, {1000.f}}, {{3.f}, {1000.f}, {1000.f}}})
                .with_mask(lm::tensor({{true, true, false}, {false, false, false}}));
  auto z3 = lm::matmul(xt.without_mask(), ym);
  EXPECT_VALUES(z3, {7, 10, 0, 0});
  EXPECT_MASK(z3, lm::Shape{2}, {true, false});
}

TEST(LinalgMasks, MaskedColumnsOfTheRightOperand) {
  auto a = lm::tensor({{1.f, 2.f}, {3.f, 4.f}});
  // b's full mask covers K (zeroed entries) and N (kept as "any valid" per column).
  auto b =
      lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}).with_mask(lm::tensor({{true, false, false}, {true, true, false}}));
  auto c = lm::matmul(a, b);
  // b with masked entries zeroed: [[1, 0, 0], [4, 5, 0]]
  // row 0: [1 + 8, 10, 0]; row 1: [3 + 16, 20, 0]
  EXPECT_VALUES(c, {9, 10, 0, 19, 20, 0});
  EXPECT_MASK(c, lm::Shape({2, 3}), {true, true, false, true, true, false});
  // A mask on b's rows only (the contracted axis) zeroes them and leaves no mask.
  auto r = lm::matmul(a, b.without_mask().with_mask(lm::tensor({true, false})));
  EXPECT_VALUES(r, {1, 2, 3, 3, 6, 9});
  EXPECT_FALSE(r.has_mask());
  // A masked vector contracted away leaves no mask either.
  auto v = lm::matmul(lm::tensor({1.f, 1.f}).with_mask(lm::tensor({false, true})), b.without_mask());
  EXPECT_VALUES(v, {4, 5, 6});
  EXPECT_FALSE(v.has_mask());
}

TEST(LinalgMasks, GradientIsZeroAtMaskedContractedEntries) {
  auto x =
      lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}).with_mask(lm::tensor({{true, true, false}, {true, false, true}}));
  auto w = lm::tensor({{1.f}, {2.f}, {3.f}});
  lm::GradientTape tape;
  tape.watch(x);
  tape.watch(w);
  auto g = tape.gradient(lm::sum(lm::matmul(x, w)), lm::TensorList{x, w});
  // d/dx = w^T per row, zeroed where masked: [1, 2, 0], [1, 0, 3]
  EXPECT_VALUES(*g[0], {1, 2, 0, 1, 0, 3});
  // d/dw = column sums of x with masked entries zeroed: [1 + 4, 2 + 0, 0 + 6]
  EXPECT_VALUES(*g[1], {5, 2, 6});
}

// ---- gradients ----------------------------------------------------------------------------

TEST(LinalgGradients, Gradcheck) {
  auto f = [](const lm::TensorList& in) { return lm::matmul(in[0], in[1]); };
  EXPECT_GRADCHECK(f, {lm::random_normal({3, 4}, {.seed = 1}), lm::random_normal({4, 2}, {.seed = 2})});
  EXPECT_GRADCHECK(f, {lm::random_normal({2, 3, 4}, {.seed = 3}), lm::random_normal({4, 2}, {.seed = 4})});
  EXPECT_GRADCHECK(f, {lm::random_normal({3, 4}, {.seed = 5}), lm::random_normal({2, 4, 2}, {.seed = 6})});
  EXPECT_GRADCHECK(f, {lm::random_normal({2, 1, 3, 2}, {.seed = 7}), lm::random_normal({3, 2, 1}, {.seed = 8})});
  EXPECT_GRADCHECK(f, {lm::random_normal({4}, {.seed = 9}), lm::random_normal({2, 4, 3}, {.seed = 10})});
  EXPECT_GRADCHECK(f, {lm::random_normal({2, 4}, {.seed = 11}), lm::random_normal({4}, {.seed = 12})});
  EXPECT_GRADCHECK(f, {lm::random_normal({4}, {.seed = 13}), lm::random_normal({4}, {.seed = 14})});
  // masked contraction: x (B, T, F) mask (B, T) contracted over T against y (B, T, U)
  auto xt = lm::random_normal({2, 2, 3}, {.seed = 15})
                .with_mask(lm::tensor(
                    {{{true, true, false}, {true, true, false}}, {{true, false, false}, {true, false, false}}}));
  auto y =
      lm::random_normal({2, 3, 2}, {.seed = 16}).with_mask(lm::tensor({{true, true, false}, {true, false, false}}));
  EXPECT_GRADCHECK(f, {xt, y});
  EXPECT_GRADCHECK(f, {xt.without_mask(), y});
}

TEST(LinalgGradients, DotGradcheck) {
  auto f = [](const lm::TensorList& in) { return lm::dot(in[0], in[1]); };
  EXPECT_GRADCHECK(f, {lm::random_normal({2, 3, 4}, {.seed = 21}), lm::random_normal({4}, {.seed = 22})});
  EXPECT_GRADCHECK(f, {lm::random_normal({2, 3, 4}, {.seed = 23}), lm::random_normal({4, 5}, {.seed = 24})});
  EXPECT_GRADCHECK(f, {lm::random_normal({3, 2}, {.seed = 25}), lm::random_normal({2, 2, 3}, {.seed = 26})});
  auto masked =
      lm::random_normal({2, 3, 4}, {.seed = 27}).with_mask(lm::tensor({{true, false, true}, {false, true, true}}));
  EXPECT_GRADCHECK(f, {masked, lm::random_normal({4, 2}, {.seed = 28})});
  auto masked_b = lm::random_normal({4, 2}, {.seed = 29})
                      .with_mask(lm::tensor({{true, false}, {true, true}, {false, true}, {false, false}}));
  EXPECT_GRADCHECK(f, {lm::random_normal({3, 4}, {.seed = 30}), masked_b});
}

TEST(LinalgGradients, SecondOrder) {
  // L = sum((A B)^2), A (1, 2), B = [[1], [2]]: dL/dA = 2 (A B) B^T. Then
  // d/dA sum(dL/dA) = 2 * ones(1, 1) @ ... = 2 * [1, 1] @ (B B^T) = 2 * [3, 6] = [6, 12].
  auto a = lm::tensor({{0.5f, -1.f}});
  auto b = lm::tensor({{1.f}, {2.f}});
  lm::GradientTape outer;
  outer.watch(a);
  lm::Tensor ga;
  {
    lm::GradientTape inner;
    inner.watch(a);
    auto p = lm::matmul(a, b);
    ga = *inner.gradient(lm::sum(p * p), a);
  }
  // A B = 0.5 - 2 = -1.5; dL/dA = 2 * -1.5 * [1, 2] = [-3, -6]
  EXPECT_VALUES(ga, {-3, -6});
  auto gg = outer.gradient(lm::sum(ga), a);
  ASSERT_TRUE(gg.has_value());
  EXPECT_VALUES(*gg, {6, 12});
}

// ---- symbolic --------------------------------------------------------------------------------

TEST(LinalgSymbolic, SpecsMatchConcreteResults) {
  auto spec = [](lm::Shape s, std::int64_t mr) { return lm::placeholder({s, lm::Float32, mr}); };
  EXPECT_EQ(lm::matmul(spec({lm::None, 5, 3}, 2), spec({3, 4}, -1)).spec().str(),
            "float32 (None, 5, 4) mask (None, 5)");
  EXPECT_EQ(lm::matmul(spec({lm::None, 3, 5}, 3), spec({lm::None, 5, 4}, 2)).spec().str(),
            "float32 (None, 3, 4) mask (None, 3)");
  EXPECT_EQ(lm::matmul(spec({2, 3}, -1), spec({3, 4}, 2)).spec().str(), "float32 (2, 4) mask (2, 4)");
  EXPECT_EQ(lm::matmul(spec({2, 3}, -1), spec({3, 4}, 1)).spec().str(), "float32 (2, 4)");
  EXPECT_EQ(lm::matmul(spec({3}, -1), spec({lm::None, 3, 4}, 3)).spec().str(), "float32 (None, 4) mask (None, 4)");
  EXPECT_EQ(lm::matmul(spec({lm::None, 3}, -1), spec({3}, -1)).spec().str(), "float32 (None,)");
  EXPECT_EQ(lm::dot(spec({lm::None, 7, 8}, 2), spec({8, 16}, -1)).spec().str(), "float32 (None, 7, 16) mask (None, 7)");
  EXPECT_EQ(lm::dot(spec({lm::None, 7, 8}, 2), spec({8}, -1)).spec().str(), "float32 (None, 7) mask (None, 7)");
  EXPECT_EQ(lm::dot(spec({4, 8}, -1), spec({2, 8, 3}, 2)).spec().str(), "float32 (4, 2, 3) mask (4, 2)");
  auto ints = lm::placeholder({lm::Shape{2, 3}, lm::Int32, -1});
  EXPECT_EQ(lm::matmul(ints, lm::placeholder({lm::Shape{3, 2}, lm::Int64, -1})).dtype(), lm::Float32);
  EXPECT_LAMINA_ERROR(lm::matmul(spec({lm::None, 3}, -1), spec({4, 2}, -1)), lm::ShapeError, {});

  // The concrete results have the same specs (with the unknown dims filled in).
  auto x = [](lm::Shape s, std::int64_t mr) {
    lm::Tensor t = lm::ones(s);
    return mr < 0 ? t : t.with_mask(lm::ones(s.prefix(mr), lm::Bool));
  };
  EXPECT_EQ(lm::matmul(x({2, 5, 3}, 2), x({3, 4}, -1)).spec().str(), "float32 (2, 5, 4) mask (2, 5)");
  EXPECT_EQ(lm::matmul(x({2, 3, 5}, 3), x({2, 5, 4}, 2)).spec().str(), "float32 (2, 3, 4) mask (2, 3)");
  EXPECT_EQ(lm::matmul(x({2, 3}, -1), x({3, 4}, 2)).spec().str(), "float32 (2, 4) mask (2, 4)");
  EXPECT_EQ(lm::matmul(x({2, 3}, -1), x({3, 4}, 1)).spec().str(), "float32 (2, 4)");
  EXPECT_EQ(lm::matmul(x({3}, -1), x({2, 3, 4}, 3)).spec().str(), "float32 (2, 4) mask (2, 4)");
  EXPECT_EQ(lm::dot(x({2, 7, 8}, 2), x({8, 16}, -1)).spec().str(), "float32 (2, 7, 16) mask (2, 7)");
  EXPECT_EQ(lm::dot(x({4, 8}, -1), x({2, 8, 3}, 2)).spec().str(), "float32 (4, 2, 3) mask (4, 2)");
}
