// gather, gather_nd, boolean_mask, where, one_hot. Expected values are worked out by hand
// in the comments next to them.
#include <gmock/gmock.h>

#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

namespace {

// (rows, cols) float32 with values 0, 1, 2, ... row-major.
lm::Tensor iota2(std::int64_t rows, std::int64_t cols) {
  std::vector<float> v;
  for (std::int64_t i = 0; i < rows * cols; ++i) v.push_back(static_cast<float>(i));
  return lm::tensor(v, lm::Shape{rows, cols});
}

}  // namespace

// ---- the seed scenario ---------------------------------------------------------------------

TEST(SeedScenario, BooleanMaskWhereAndTheIntegerMaskError) {
  auto x = lm::tensor({10.f, 20.f, 30.f, 40.f});
  auto product = x * lm::tensor({1, 0, 1, 0});  // int32 promotes to float32
  EXPECT_EQ(product.dtype(), lm::Float32);
  EXPECT_VALUES(product, {10, 0, 30, 0});
  auto keep = lm::tensor({true, false, true, false});
  auto picked = lm::boolean_mask(x, keep);
  EXPECT_SHAPE(picked, lm::Shape{2});
  EXPECT_VALUES(picked, {10, 30});
  EXPECT_EQ(picked.dtype(), lm::Float32);

  auto chosen = lm::where(keep, x, lm::zeros_like(x));
  EXPECT_VALUES(chosen, {10, 0, 30, 0});
  EXPECT_EQ(chosen.dtype(), lm::Float32);

  EXPECT_LAMINA_ERROR(lm::boolean_mask(x, lm::tensor({1, 0, 1, 0})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("boolean_mask"));
    EXPECT_THAT(msg, HasSubstr("int32"));
    EXPECT_THAT(msg, HasSubstr("mask != 0"));
    EXPECT_THAT(msg, HasSubstr("lm::cast(mask, lm::Bool)"));
  });
}

// ---- gather --------------------------------------------------------------------------------

TEST(Gather, RowsAlongAxis0WithRepeats) {
  auto p = iota2(4, 3);  // row r = [3r, 3r+1, 3r+2]
  auto y = lm::gather(p, lm::tensor({2, 0, 2}));
  EXPECT_SHAPE(y, lm::Shape({3, 3}));
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_VALUES(y, {6, 7, 8, 0, 1, 2, 6, 7, 8});
  EXPECT_FALSE(y.has_mask());
}

TEST(Gather, ColumnsAlongAxis1AndNegativeAxis) {
  auto p = iota2(4, 3);
  // columns 2 and 0 of each row r: [3r+2, 3r]
  auto y = lm::gather(p, lm::tensor({2L, 0L}), 1);  // int64 indices
  EXPECT_SHAPE(y, lm::Shape({4, 2}));
  EXPECT_VALUES(y, {2, 0, 5, 3, 8, 6, 11, 9});
  EXPECT_VALUES(lm::gather(p, lm::tensor({2L, 0L}), -1), {2, 0, 5, 3, 8, 6, 11, 9});
}

TEST(Gather, MatrixOfIndicesAndScalarIndex) {
  auto p = lm::tensor({10, 20, 30, 40});  // int32 params keep their dtype
  auto y = lm::gather(p, lm::tensor({{0, 3}, {1, 1}}));
  EXPECT_SHAPE(y, lm::Shape({2, 2}));
  EXPECT_EQ(y.dtype(), lm::Int32);
  EXPECT_VALUES(y, {10, 40, 20, 20});
  // A 0-d index removes the axis: row 1 of a (4,3) is [3, 4, 5].
  auto row = lm::gather(iota2(4, 3), lm::scalar(1));
  EXPECT_SHAPE(row, lm::Shape{3});
  EXPECT_VALUES(row, {3, 4, 5});
}

TEST(Gather, IndicesMaskRidesAlongLikeTokenIds) {
  // An embedding table: row i = [i, 10 i]; ids (2, 3) padded with 0 and masked.
  auto table = lm::tensor({{0.f, 0.f}, {1.f, 10.f}, {2.f, 20.f}, {3.f, 30.f}, {4.f, 40.f}});
  auto ids = lm::tensor({{1, 2, 0}, {3, 0, 0}}).with_mask(lm::tensor({{true, true, false}, {true, false, false}}));
  auto e = lm::gather(table, ids);
  EXPECT_SHAPE(e, lm::Shape({2, 3, 2}));
  EXPECT_VALUES(e, {1, 10, 2, 20, 0, 0, 3, 30, 0, 0, 0, 0});
  EXPECT_MASK(e, lm::Shape({2, 3}), {true, true, false, true, false, false});
}

TEST(Gather, IndicesMaskOnInnerAxisIsWidenedWithLeadingOnes) {
  // params (2, 4), gather 3 columns: the output is (2, 3); the ids' mask (3,) lands on
  // output axis 1, so the output mask is (2, 3) with the ids' mask in each row.
  auto p = iota2(2, 4);
  auto ids = lm::tensor({3, 0, 1}).with_mask(lm::tensor({true, false, true}));
  auto y = lm::gather(p, ids, 1);
  EXPECT_VALUES(y, {3, 0, 1, 7, 4, 5});
  EXPECT_MASK(y, lm::Shape({2, 3}), {true, false, true, true, false, true});
}

TEST(Gather, AlongAMaskedAxisGathersTheMask) {
  // params (4, 2) with mask (4,) = [T, T, F, T]; take rows 3, 2, 0 -> mask [T, F, T].
  auto p = iota2(4, 2).with_mask(lm::tensor({true, true, false, true}));
  auto y = lm::gather(p, lm::tensor({3, 2, 0}));
  EXPECT_VALUES(y, {6, 7, 4, 5, 0, 1});
  EXPECT_MASK(y, lm::Shape{3}, {true, false, true});

  // (B=2, T=3, F=2) with mask (2, 3); gather time steps [2, 0] (axis 1): mask[:, [2, 0]].
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(i);
  auto seq = lm::tensor(v, lm::Shape{2, 3, 2}).with_mask(lm::tensor({{true, true, false}, {true, false, true}}));
  auto s = lm::gather(seq, lm::tensor({2, 0}), 1);
  // batch 0 steps 2, 0 -> [4, 5, 0, 1]; batch 1 -> [10, 11, 6, 7]
  EXPECT_VALUES(s, {4, 5, 0, 1, 10, 11, 6, 7});
  EXPECT_MASK(s, lm::Shape({2, 2}), {false, true, true, true});

  // Gathering features (axis 2, not masked) keeps the (B, T) mask as it is.
  auto f = lm::gather(seq, lm::tensor({1}), 2);
  EXPECT_SHAPE(f, lm::Shape({2, 3, 1}));
  EXPECT_VALUES(f, {1, 3, 5, 7, 9, 11});
  EXPECT_MASK(f, lm::Shape({2, 3}), {true, true, false, true, false, true});
}

TEST(Gather, ParamsAndIndicesMasksAreAnded) {
  auto p = iota2(3, 1).with_mask(lm::tensor({true, false, true}));
  auto ids = lm::tensor({0, 1, 2, 2}).with_mask(lm::tensor({true, true, true, false}));
  auto y = lm::gather(p, ids);
  EXPECT_VALUES(y, {0, 1, 2, 2});
  // params' validity of rows [0, 1, 2, 2] = [T, F, T, T], AND ids' mask [T, T, T, F].
  EXPECT_MASK(y, lm::Shape{4}, {true, false, true, false});
}

TEST(Gather, OutOfRangeAndWrongDtypeAreTypedErrors) {
  auto p = iota2(4, 3);
  EXPECT_LAMINA_ERROR(lm::gather(p, lm::tensor({0, 4})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("gather"));
    EXPECT_THAT(msg, HasSubstr("index 4"));
    EXPECT_THAT(msg, HasSubstr("[0, 4)"));
    EXPECT_THAT(msg, HasSubstr("indices[1]"));
  });
  EXPECT_LAMINA_ERROR(lm::gather(p, lm::tensor({-1})), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("index -1")); });
  EXPECT_LAMINA_ERROR(lm::gather(p, lm::tensor({0, 3}), 1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("[0, 3)")); });
  EXPECT_LAMINA_ERROR(lm::gather(p, lm::tensor({0.f, 1.f})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("gather"));
    EXPECT_THAT(msg, HasSubstr("float32"));
    EXPECT_THAT(msg, HasSubstr("lm::cast(indices, lm::Int32)"));
  });
  EXPECT_LAMINA_ERROR(lm::gather(p, lm::tensor({0}), 2), lm::ShapeError, {});
  EXPECT_LAMINA_ERROR(lm::gather(lm::scalar(1.f), lm::tensor({0})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("scalar")); });
}

TEST(Gather, ZeroSize) {
  auto y = lm::gather(iota2(4, 3), lm::zeros({0}, lm::Int32));
  EXPECT_SHAPE(y, lm::Shape({0, 3}));
  auto z = lm::gather(lm::zeros({0, 3}), lm::zeros({2, 0}, lm::Int64), 0);
  EXPECT_SHAPE(z, lm::Shape({2, 0, 3}));
  // No index fits an empty axis.
  EXPECT_LAMINA_ERROR(lm::gather(lm::zeros({0, 3}), lm::tensor({0})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("[0, 0)")); });
}

TEST(Gather, GradientScatterAddsRepeatedIndices) {
  auto p = iota2(3, 2);
  lm::GradientTape tape;
  tape.watch(p);
  auto y = lm::gather(p, lm::tensor({2, 0, 2}));
  auto g = tape.gradient(lm::sum(y), p);
  ASSERT_TRUE(g.has_value());
  // row 2 taken twice, row 0 once, row 1 never
  EXPECT_VALUES(*g, {1, 1, 0, 0, 2, 2});
}

TEST(Gather, Gradcheck) {
  auto p = lm::random_normal({4, 3}, {.seed = 1});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::gather(in[0], in[1]); },
                   {p, lm::tensor({{3, 1}, {1, 0}, {3, 3}})});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::gather(in[0], in[1], 1); }, {p, lm::tensor({2, 2, 0})});
  auto p3 = lm::random_normal({2, 3, 2}, {.seed = 2});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::gather(in[0], in[1], 1); },
                   {p3, lm::tensor({1, 1, 0, 2})});
}

TEST(Gather, SecondOrderGradientGoesThroughTheScatter) {
  // y = sum(gather(p, idx)^2 ... ) via d/dp of sum(g * gather) where g = grad: for
  // L = sum(gather(p, [0, 0]) * w) with w = p[1]: dL/dp[0] = 2 w, a gather-of-scatter.
  auto p = lm::tensor({{1.f, 2.f}, {3.f, 4.f}});
  lm::GradientTape outer;
  outer.watch(p);
  lm::Tensor g0;
  {
    lm::GradientTape inner;
    inner.watch(p);
    auto y = lm::sum(lm::gather(p, lm::tensor({0, 0})) * lm::gather(p, lm::tensor({0, 0})));
    g0 = *inner.gradient(y, p);  // 2 * 2 * p[0] at row 0 = [4, 8], row 1 = [0, 0]
  }
  EXPECT_VALUES(g0, {4, 8, 0, 0});
  auto gg = outer.gradient(lm::sum(g0), p);  // d/dp sum(4 p[0]) = [4, 4], [0, 0]
  ASSERT_TRUE(gg.has_value());
  EXPECT_VALUES(*gg, {4, 4, 0, 0});
}

TEST(Gather, SymbolicSpec) {
  auto table = lm::placeholder({lm::Shape{100, 8}, lm::Float32, -1});
  auto ids = lm::placeholder({lm::Shape{lm::None, 5}, lm::Int32, 2});
  auto e = lm::gather(table, ids);
  EXPECT_EQ(e.spec().str(), "float32 (None, 5, 8) mask (None, 5)");
  auto seq = lm::placeholder({lm::Shape{lm::None, 7, 3}, lm::Float32, 2});
  EXPECT_EQ(lm::gather(seq, lm::tensor({0, 2}), 1).spec().str(), "float32 (None, 2, 3) mask (None, 2)");
  EXPECT_EQ(lm::gather(seq, lm::tensor({0, 2}), 2).spec().str(), "float32 (None, 7, 2) mask (None, 7)");
  // Concrete results agree with the symbolic spec.
  auto c = lm::gather(lm::zeros({2, 7, 3}).with_mask(lm::ones({2, 7}, lm::Bool)), lm::tensor({0, 2}), 1);
  EXPECT_EQ(c.spec().str(), "float32 (2, 2, 3) mask (2, 2)");
  EXPECT_LAMINA_ERROR(lm::gather(table, lm::placeholder({lm::Shape{lm::None}, lm::Float32, -1})), lm::DTypeError, {});
}

// ---- gather_nd -------------------------------------------------------------------------------

TEST(GatherNd, KEquals1And2) {
  auto p = lm::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
  auto rows = lm::gather_nd(p, lm::tensor({{2}, {0}}));  // K = 1: rows 2, 0
  EXPECT_SHAPE(rows, lm::Shape({2, 2}));
  EXPECT_VALUES(rows, {5, 6, 1, 2});
  auto pts = lm::gather_nd(p, lm::tensor({{0, 1}, {2, 0}}));  // K = 2: p[0,1], p[2,0]
  EXPECT_SHAPE(pts, lm::Shape{2});
  EXPECT_VALUES(pts, {2, 5});
  auto one = lm::gather_nd(p, lm::tensor({1L, 1L}));  // indices (2,): a single point p[1,1]
  EXPECT_SHAPE(one, lm::Shape{});
  EXPECT_VALUES(one, {4});
  // batched index rows (2, 2, 1) -> (2, 2, 2)
  auto b = lm::gather_nd(p, lm::tensor({{{0}, {1}}, {{2}, {2}}}));
  EXPECT_SHAPE(b, lm::Shape({2, 2, 2}));
  EXPECT_VALUES(b, {1, 2, 3, 4, 5, 6, 5, 6});
}

TEST(GatherNd, Masks) {
  // params mask (3,) = [T, F, T]; rows [1, 2] -> [F, T].
  auto p = lm::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}}).with_mask(lm::tensor({true, false, true}));
  auto r = lm::gather_nd(p, lm::tensor({{1}, {2}}));
  EXPECT_MASK(r, lm::Shape{2}, {false, true});
  // full params mask (3, 2), K = 1: rows of the mask are gathered -> (2, 2)
  auto pf = lm::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}})
                .with_mask(lm::tensor({{true, false}, {true, true}, {false, true}}));
  EXPECT_MASK(lm::gather_nd(pf, lm::tensor({{2}, {0}})), lm::Shape({2, 2}), {false, true, true, false});
  // K = 2 with a (3,) mask: entry valid iff its row is: points (0,1), (1,0) -> [T, F]
  EXPECT_MASK(lm::gather_nd(p, lm::tensor({{0, 1}, {1, 0}})), lm::Shape{2}, {true, false});
  // indices' mask over the index rows passes to the output rows
  auto ids = lm::tensor({{0}, {2}, {1}}).with_mask(lm::tensor({true, true, false}));
  auto q = lm::gather_nd(lm::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}}), ids);
  EXPECT_MASK(q, lm::Shape{3}, {true, true, false});
  // a mask over the coordinate axis: a row is valid only when all K coordinates are
  auto ids2 = lm::tensor({{0, 1}, {2, 0}}).with_mask(lm::tensor({{true, true}, {true, false}}));
  EXPECT_MASK(lm::gather_nd(pf.without_mask(), ids2), lm::Shape{2}, {true, false});
}

TEST(GatherNd, ErrorsAndZeroSize) {
  auto p = lm::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
  EXPECT_LAMINA_ERROR(lm::gather_nd(p, lm::tensor({{0, 2}})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("gather_nd"));
    EXPECT_THAT(msg, HasSubstr("index 2"));
    EXPECT_THAT(msg, HasSubstr("[0, 2)"));
    EXPECT_THAT(msg, HasSubstr("axis 1"));
  });
  EXPECT_LAMINA_ERROR(lm::gather_nd(p, lm::tensor({{0, 1, 0}})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("(1, 3)")); });
  EXPECT_LAMINA_ERROR(lm::gather_nd(p, lm::tensor({{0.5}})), lm::DTypeError, {});
  auto z = lm::gather_nd(p, lm::zeros({0, 1}, lm::Int32));
  EXPECT_SHAPE(z, lm::Shape({0, 2}));
}

TEST(GatherNd, GradientAndGradcheck) {
  auto p = lm::tensor({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
  lm::GradientTape tape;
  tape.watch(p);
  auto g = tape.gradient(lm::sum(lm::gather_nd(p, lm::tensor({{0, 1}, {0, 1}, {2, 0}}))), p);
  EXPECT_VALUES(*g, {0, 2, 0, 0, 1, 0});  // (0,1) twice, (2,0) once
  auto q = lm::random_normal({3, 2, 2}, {.seed = 3});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::gather_nd(in[0], in[1]); },
                   {q, lm::tensor({{2}, {0}, {2}})});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::gather_nd(in[0], in[1]); },
                   {q, lm::tensor({{{1, 1}, {0, 0}}, {{1, 1}, {2, 1}}})});
}

TEST(GatherNd, SymbolicSpec) {
  auto p = lm::placeholder({lm::Shape{lm::None, 6, 4}, lm::Float32, 2});
  auto idx = lm::placeholder({lm::Shape{lm::None, 2}, lm::Int64, -1});
  // rows keep the (B, T) mask value of each point: mask rank 1 (the index rows)
  EXPECT_EQ(lm::gather_nd(p, idx).spec().str(), "float32 (None, 4) mask (None,)");
  auto idx1 = lm::placeholder({lm::Shape{3, 1}, lm::Int32, -1});
  EXPECT_EQ(lm::gather_nd(p, idx1).spec().str(), "float32 (3, 6, 4) mask (3, 6)");
  auto c = lm::gather_nd(lm::zeros({2, 6, 4}).with_mask(lm::ones({2, 6}, lm::Bool)), lm::tensor({{1}, {0}, {1}}));
  EXPECT_EQ(c.spec().str(), "float32 (3, 6, 4) mask (3, 6)");
  EXPECT_LAMINA_ERROR(lm::gather_nd(p, lm::placeholder({lm::Shape{2, lm::None}, lm::Int32, -1})), lm::ShapeError, {});
}

// ---- boolean_mask ----------------------------------------------------------------------------

TEST(BooleanMask, SubTensorsAndTwoDimensionalMasks) {
  auto x = iota2(3, 2);  // rows [0,1], [2,3], [4,5]
  auto r = lm::boolean_mask(x, lm::tensor({false, true, true}));
  EXPECT_SHAPE(r, lm::Shape({2, 2}));
  EXPECT_VALUES(r, {2, 3, 4, 5});
  // A (3, 2) mask picks single entries in row-major order.
  auto e = lm::boolean_mask(x, lm::tensor({{true, false}, {false, false}, {true, true}}));
  EXPECT_SHAPE(e, lm::Shape{3});
  EXPECT_VALUES(e, {0, 4, 5});
  auto none = lm::boolean_mask(x, lm::tensor({false, false, false}));
  EXPECT_SHAPE(none, lm::Shape({0, 2}));
}

TEST(BooleanMask, GathersTheMaskOfX) {
  // x (2, 3, 1) with a (2, 3) mask; a (2,) boolean mask keeps batch 1 with its (3,) mask.
  auto x = lm::tensor(std::vector<float>{0, 1, 2, 3, 4, 5}, lm::Shape{2, 3, 1})
               .with_mask(lm::tensor({{true, true, false}, {true, false, false}}));
  auto b = lm::boolean_mask(x, lm::tensor({false, true}));
  EXPECT_SHAPE(b, lm::Shape({1, 3, 1}));
  EXPECT_VALUES(b, {3, 4, 5});
  EXPECT_MASK(b, lm::Shape({1, 3}), {true, false, false});
  // x's mask (2,) is shorter than a (2, 3) boolean mask: widened to (2, 3) first.
  auto xs = lm::tensor(std::vector<float>{0, 1, 2, 3, 4, 5}, lm::Shape{2, 3}).with_mask(lm::tensor({false, true}));
  auto s = lm::boolean_mask(xs, lm::tensor({{true, false, true}, {false, true, true}}));
  EXPECT_VALUES(s, {0, 2, 4, 5});
  EXPECT_MASK(s, lm::Shape{4}, {false, false, true, true});
  // The boolean mask's own mask marks the entries it picked as invalid.
  auto cond = lm::tensor({true, true, false, true}).with_mask(lm::tensor({true, false, true, true}));
  auto c = lm::boolean_mask(lm::tensor({10.f, 20.f, 30.f, 40.f}), cond);
  EXPECT_VALUES(c, {10, 20, 40});
  EXPECT_MASK(c, lm::Shape{3}, {true, false, true});
}

TEST(BooleanMask, ShapeErrors) {
  auto x = iota2(3, 2);
  EXPECT_LAMINA_ERROR(lm::boolean_mask(x, lm::tensor({true, false})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("boolean_mask"));
    EXPECT_THAT(msg, HasSubstr("(2,)"));
    EXPECT_THAT(msg, HasSubstr("(3, 2)"));
  });
  EXPECT_LAMINA_ERROR(lm::boolean_mask(x, lm::scalar(true)), lm::ShapeError, {});
}

TEST(BooleanMask, GradientScattersBack) {
  auto x = iota2(3, 2);
  lm::GradientTape tape;
  tape.watch(x);
  auto y = lm::boolean_mask(x, lm::tensor({true, false, true}));
  auto g = tape.gradient(lm::sum(y * lm::tensor({{1.f, 2.f}, {3.f, 4.f}})), x);
  EXPECT_VALUES(*g, {1, 2, 0, 0, 3, 4});
  auto r = lm::random_normal({2, 3, 2}, {.seed = 4});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::boolean_mask(in[0], in[1]); },
                   {r, lm::tensor({{true, false, true}, {false, false, true}})});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::boolean_mask(in[0], in[1]); },
                   {r, lm::tensor({true, false})});
}

TEST(BooleanMask, SymbolicLengthIsUnknown) {
  auto x = lm::placeholder({lm::Shape{lm::None, 5, 3}, lm::Float32, 2});
  auto m = lm::placeholder({lm::Shape{lm::None, 5}, lm::Bool, -1});
  EXPECT_EQ(lm::boolean_mask(x, m).spec().str(), "float32 (None, 3) mask (None,)");
  auto xb = lm::placeholder({lm::Shape{lm::None, 5, 3}, lm::Float32, 2});
  auto mb = lm::placeholder({lm::Shape{lm::None}, lm::Bool, -1});
  EXPECT_EQ(lm::boolean_mask(xb, mb).spec().str(), "float32 (None, 5, 3) mask (None, 5)");
  EXPECT_LAMINA_ERROR(lm::boolean_mask(x, lm::placeholder({lm::Shape{lm::None, 5}, lm::Int32, -1})), lm::DTypeError,
                      { EXPECT_THAT(msg, HasSubstr("int32")); });
}

// ---- where ---------------------------------------------------------------------------------

TEST(Where, BroadcastsAndPromotes) {
  auto cond = lm::tensor({{true}, {false}});                // (2, 1)
  auto a = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});  // (2, 3)
  auto b = lm::tensor({-1, -2, -3});                        // (3,) int32 -> float32
  auto y = lm::where(cond, a, b);
  EXPECT_SHAPE(y, lm::Shape({2, 3}));
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_VALUES(y, {1, 2, 3, -1, -2, -3});
  auto s = lm::where(lm::tensor({true, false}), lm::tensor({1, 2}), 7);
  EXPECT_EQ(s.dtype(), lm::Int32);
  EXPECT_VALUES(s, {1, 7});
  auto t = lm::where(lm::tensor({true, false}), 0.5, lm::tensor({1.f, 2.f}));
  EXPECT_EQ(t.dtype(), lm::Float32);
  EXPECT_VALUES(t, {0.5, 2});
  auto bools = lm::where(lm::tensor({true, false}), lm::tensor({false, false}), lm::tensor({true, true}));
  EXPECT_EQ(bools.dtype(), lm::Bool);
  EXPECT_VALUES(bools, {0, 1});
}

TEST(Where, MasksAreAnded) {
  auto cond = lm::tensor({{true, false}, {false, true}}).with_mask(lm::tensor({true, false}));
  auto a = lm::ones({2, 2}).with_mask(lm::tensor({{true, false}, {true, true}}));
  auto y = lm::where(cond, a, lm::zeros({2}));
  EXPECT_VALUES(y, {1, 0, 0, 1});
  // cond (2,) rows [T, F] widened to (2, 2), AND a's (2, 2) mask
  EXPECT_MASK(y, lm::Shape({2, 2}), {true, false, false, false});
}

TEST(Where, ConditionMustBeBool) {
  EXPECT_LAMINA_ERROR(lm::where(lm::tensor({1, 0}), lm::tensor({1.f, 2.f}), 0.f), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("where"));
    EXPECT_THAT(msg, HasSubstr("int32"));
    EXPECT_THAT(msg, HasSubstr("cond != 0"));
    EXPECT_THAT(msg, HasSubstr("lm::cast(cond, lm::Bool)"));
  });
  EXPECT_LAMINA_ERROR(lm::where(lm::tensor({true, false}), lm::ones({3}), lm::ones({2})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("where")); });
}

TEST(Where, GradientRoutesByCondition) {
  auto a = lm::tensor({{1.f, 2.f}, {3.f, 4.f}});
  auto b = lm::tensor({10.f, 20.f});  // broadcast over rows
  auto cond = lm::tensor({{true, false}, {false, false}});
  lm::GradientTape tape;
  tape.watch(a);
  tape.watch(b);
  auto g = tape.gradient(lm::sum(lm::where(cond, a, b)), lm::TensorList{a, b});
  EXPECT_VALUES(*g[0], {1, 0, 0, 0});
  // b[0] is taken at (1, 0) only; b[1] at (0, 1) and (1, 1)
  EXPECT_VALUES(*g[1], {1, 2});
  auto ra = lm::random_normal({2, 3}, {.seed = 5});
  auto rb = lm::random_normal({3}, {.seed = 6});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::where(in[0], in[1], in[2]); },
                   {lm::tensor({{true, false, true}, {false, false, true}}), ra, rb});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::where(in[0], in[1], 2.0); },
                   {lm::tensor({{true}, {false}}), ra});
}

TEST(Where, SymbolicAndZeroSize) {
  auto c = lm::placeholder({lm::Shape{lm::None, 4}, lm::Bool, 1});
  auto a = lm::placeholder({lm::Shape{4}, lm::Float32, -1});
  EXPECT_EQ(lm::where(c, a, 0.f).spec().str(), "float32 (None, 4) mask (None,)");
  auto z = lm::where(lm::zeros({0, 3}, lm::Bool), lm::ones({3}), 0.f);
  EXPECT_SHAPE(z, lm::Shape({0, 3}));
}

// ---- one_hot --------------------------------------------------------------------------------

TEST(OneHot, ValuesOutOfRangeRowsAndDtype) {
  auto y = lm::one_hot(lm::tensor({0, 2, 5, -1}), 3);
  EXPECT_SHAPE(y, lm::Shape({4, 3}));
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_VALUES(y, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
  auto i = lm::one_hot(lm::tensor({{1L}, {0L}}), 2, lm::Int32);
  EXPECT_SHAPE(i, lm::Shape({2, 1, 2}));
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {0, 1, 1, 0});
}

TEST(OneHot, MaskPassesThrough) {
  auto ids = lm::tensor({{1, 0}, {2, 2}}).with_mask(lm::tensor({{true, false}, {true, true}}));
  auto y = lm::one_hot(ids, 3);
  EXPECT_VALUES(y, {0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1});
  EXPECT_MASK(y, lm::Shape({2, 2}), {true, false, true, true});
  auto s = lm::one_hot(lm::placeholder({lm::Shape{lm::None, 7}, lm::Int32, 2}), 5);
  EXPECT_EQ(s.spec().str(), "float32 (None, 7, 5) mask (None, 7)");
}

TEST(OneHot, ErrorsZeroSizeAndNoGradient) {
  EXPECT_LAMINA_ERROR(lm::one_hot(lm::tensor({1.f}), 3), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("one_hot"));
    EXPECT_THAT(msg, HasSubstr("float32"));
  });
  EXPECT_LAMINA_ERROR(lm::one_hot(lm::tensor({1}), -2), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("-2")); });
  EXPECT_SHAPE(lm::one_hot(lm::zeros({0}, lm::Int32), 4), lm::Shape({0, 4}));
  EXPECT_SHAPE(lm::one_hot(lm::tensor({1, 2}), 0), lm::Shape({2, 0}));
}
