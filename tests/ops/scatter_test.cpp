// scatter and scatter_add. Values by hand, from the TensorFlow documentation's examples of
// tf.scatter_nd / tf.tensor_scatter_nd_add, from a plain loop, and from the identity
// <gather_nd(p, i), u> = <p, scatter(i, u)> (scatter is gather_nd's adjoint).
#include "new_ops_test_helpers.hpp"

namespace lm = lamina;
using lm::testing::filled_at_masked;
using lm::testing::grad_of;
using lm::testing::padding_fills;
using ::testing::HasSubstr;

TEST(Scatter, ValuesByHand) {
  // Repeated index rows add up: 10 + 30 land on 1.
  auto s = lm::scatter(lm::tensor({{1}, {3}, {1}}), lm::tensor({10.f, 20.f, 30.f}), {5});
  EXPECT_VALUES(s, {0, 40, 0, 20, 0});
  EXPECT_EQ(s.dtype(), lm::Float32);
  EXPECT_FALSE(s.has_mask());
  // K = 2: single entries of a (2, 3).
  EXPECT_VALUES(lm::scatter(lm::tensor({{0, 1}, {1, 2}}), lm::tensor({5.f, 7.f}), {2, 3}), {0, 5, 0, 0, 0, 7});
  // K = 1 into (3, 2): whole rows.
  EXPECT_VALUES(lm::scatter(lm::tensor({{2}, {0}}), lm::tensor({{1.f, 2.f}, {3.f, 4.f}}), {3, 2}), {3, 4, 0, 0, 1, 2});
  // Batched index rows (2, 2, 1) with updates (2, 2).
  EXPECT_VALUES(lm::scatter(lm::tensor({{{0}, {2}}, {{2}, {1}}}), lm::tensor({{1.0, 2.0}, {3.0, 4.0}}), {3}),
                {1, 4, 5});
  // tf.scatter_nd documentation: indices [[4], [3], [1], [7]], updates [9, 10, 11, 12], shape [8].
  EXPECT_VALUES(lm::scatter(lm::tensor({{4}, {3}, {1}, {7}}), lm::tensor({9, 10, 11, 12}), {8}),
                {0, 11, 0, 10, 9, 0, 0, 12});
  // Dtypes: integers stay, Bool counts, Int64 indices work.
  EXPECT_EQ(lm::scatter(lm::tensor({{0}}), lm::tensor({3}), {2}).dtype(), lm::Int32);
  auto b = lm::scatter(lm::tensor({{0L}, {0L}, {1L}}), lm::tensor({true, true, false}), {2});
  EXPECT_EQ(b.dtype(), lm::Int32);
  EXPECT_VALUES(b, {2, 0});
}

TEST(ScatterAdd, ValuesByHand) {
  // tf.tensor_scatter_nd_add documentation: [1..8] + updates [9, 10, 11, 12] at [[4], [3], [1], [7]].
  auto x = lm::tensor({1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_VALUES(lm::scatter_add(x, lm::tensor({{4}, {3}, {1}, {7}}), lm::tensor({9, 10, 11, 12})),
                {1, 13, 3, 14, 14, 6, 7, 20});
  // Repeats add; dtypes promote (int32 x, float32 updates -> float32).
  auto y = lm::scatter_add(lm::tensor({1, 2, 3, 4}), lm::tensor({{0}, {0}, {3}}), lm::tensor({10.f, 5.f, 1.f}));
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_VALUES(y, {16, 2, 3, 5});
}

TEST(Scatter, IsTheAdjointOfGatherNd) {
  // For random p, u: sum(gather_nd(p, i) * u) == sum(p * scatter(i, u, p.shape)).
  auto p = lm::random_normal({4, 3, 2}, {.dtype = lm::Float64, .seed = 1});
  auto i = lm::random_uniform({5, 2}, {.minval = 0, .maxval = 3, .dtype = lm::Int32, .seed = 2});
  auto u = lm::random_normal({5, 2}, {.dtype = lm::Float64, .seed = 3});
  const double lhs = lm::sum(lm::gather_nd(p, i) * u).item<double>();
  const double rhs = lm::sum(p * lm::scatter(i, u, p.shape())).item<double>();
  EXPECT_NEAR(lhs, rhs, 1e-12);
  // And against a plain loop, with many repeated rows (threads split the columns).
  auto idx = lm::random_uniform({400, 1}, {.minval = 0, .maxval = 7, .dtype = lm::Int32, .seed = 4});
  auto upd = lm::random_normal({400, 300}, {.dtype = lm::Float64, .seed = 5});
  std::vector<double> want(7 * 300, 0.0);
  auto iv = idx.to_vector<std::int64_t>();
  auto uv = upd.to_vector<double>();
  for (std::size_t r = 0; r < 400; ++r)
    for (std::size_t j = 0; j < 300; ++j) want[static_cast<std::size_t>(iv[r]) * 300 + j] += uv[r * 300 + j];
  EXPECT_VALUES(lm::scatter(idx, upd, {7, 300}), want, 1e-9);
}

TEST(Scatter, MaskedRowsAndEntriesContributeNothing) {
  // Index row 1 is padding holding a garbage index: skipped, not checked.
  auto idx = lm::tensor({{2}, {-7}, {0}}).with_mask(lm::tensor({true, false, true}));
  EXPECT_VALUES(lm::scatter(idx, lm::tensor({1.f, 2.f, 3.f}), {3}), {3, 0, 1});
  // A per-coordinate mask: a row needs all K coordinates valid.
  auto idx2 = lm::tensor({{0, 1}, {1, 99}}).with_mask(lm::tensor({{true, true}, {true, false}}));
  EXPECT_VALUES(lm::scatter(idx2, lm::tensor({5.f, 7.f}), {2, 2}), {0, 5, 0, 0});
  for (double fill : padding_fills()) {
    // updates' mask over the rows: row 1 skipped, whatever it holds.
    auto u = filled_at_masked({1, 2, 3}, {3}, {true, false, true}, {3}, fill);
    auto s = lm::scatter(lm::tensor({{0}, {1}, {1}}), u, {2});
    EXPECT_VALUES(s, {1, 3}) << fill;
    EXPECT_FALSE(s.has_mask());
    // A mask over the slice entries too: entry (0, 1) is padding.
    auto u2 = filled_at_masked({1, 2, 3, 4}, {2, 2}, {true, false, true, true}, {2, 2}, fill);
    EXPECT_VALUES(lm::scatter(lm::tensor({{1}, {1}}), u2, {2, 2}), {0, 0, 4, 4}) << fill;
    // scatter_add: x's masked entries read as 0 and stay masked.
    auto x = filled_at_masked({1, 2, 3}, {3}, {true, false, true}, {3}, fill);
    auto y = lm::scatter_add(x, lm::tensor({{1}, {2}}), lm::tensor({10.0, 20.0}));
    EXPECT_VALUES(y, {1, 10, 23}) << fill;
    EXPECT_MASK(y, lm::Shape({3}), {true, false, true});
  }
}

TEST(Scatter, Gradients) {
  // d sum(scatter(i, u) * w) / du = w at each row's index: i = [1, 3, 1], w = 1..5.
  auto w = lm::tensor({1.0, 2.0, 3.0, 4.0, 5.0});
  auto idx = lm::tensor({{1}, {3}, {1}});
  EXPECT_VALUES(grad_of([&](const lm::Tensor& u) { return lm::scatter(idx, u, {5}); }, lm::tensor({0.0, 0.0, 0.0}), w),
                {2, 4, 2});
  // Masked rows and entries get no gradient, whatever they hold.
  for (double fill : padding_fills()) {
    auto u = filled_at_masked({1, 2, 3}, {3}, {true, false, true}, {3}, fill);
    EXPECT_VALUES(grad_of([&](const lm::Tensor& t) { return lm::scatter(idx, t, {5}); }, u, w), {2, 0, 2}) << fill;
    auto x = filled_at_masked({1, 2, 3, 4, 5}, {5}, {true, false, true, true, true}, {5}, fill);
    EXPECT_VALUES(grad_of(
                      [&](const lm::Tensor& t) {
                        return lm::scatter_add(t, idx, lm::tensor({1.0, 1.0, 1.0}));
                      },
                      x, w),
                  {1, 0, 3, 4, 5})
        << fill;
  }
  auto i3 = lm::tensor({{0, 1}, {2, 0}, {0, 1}});
  auto u = lm::random_normal({3, 4}, {.dtype = lm::Float64, .seed = 6});
  auto x = lm::random_normal({3, 2, 4}, {.dtype = lm::Float64, .seed = 7});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::scatter(i3, in[0], {3, 2, 4}); }, {u});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::scatter_add(in[0], i3, in[1]); }, {x, u});
  auto um =
      u.with_mask(lm::tensor({{true, false, true, true}, {true, true, true, true}, {false, false, false, false}}));
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::scatter(i3, in[0], {3, 2, 4}); }, {um});
}

TEST(Scatter, SecondOrderGoesThroughTheGather) {
  // L = sum(scatter(i, u)^2) with i = [0, 0]: out[0] = u0 + u1, dL/du = 2 (u0 + u1) each;
  // d(sum dL/du)/du = (4, 4).
  auto u = lm::tensor({1.0, 2.0});
  lm::GradientTape outer;
  outer.watch(u);
  lm::Tensor first;
  {
    lm::GradientTape inner;
    inner.watch(u);
    auto s = lm::scatter(lm::tensor({{0}, {0}}), u, {2});
    first = *inner.gradient(lm::sum(s * s), u);
  }
  EXPECT_VALUES(first, {6, 6});
  auto second = outer.gradient(lm::sum(first), u);
  ASSERT_TRUE(second.has_value());
  EXPECT_VALUES(*second, {4, 4});
}

TEST(Scatter, SymbolicSpec) {
  auto idx = lm::tensor({{1, 0}, {0, 2}});
  auto sym_u = lm::placeholder({lm::Shape{lm::None}, lm::Float32, -1});
  auto y = lm::scatter(idx, sym_u, {2, 3});
  EXPECT_EQ(y.spec(), (lm::TensorSpec{lm::Shape{2, 3}, lm::Float32, -1}));
  EXPECT_SYMBOLIC_AGREES(
      [&](const lm::Tensor& t) {
        return lm::scatter(idx, t, {2, 3});
      },
      sym_u, lm::tensor({1.f, 2.f}));
  auto sym_x = lm::placeholder({lm::Shape{lm::None, 3}, lm::Float32, 1});
  auto data = lm::random_normal({4, 3}, {.seed = 1}).with_mask(lm::tensor({true, false, true, true}));
  EXPECT_SYMBOLIC_AGREES(
      [&](const lm::Tensor& t) {
        return lm::scatter_add(t, idx, lm::tensor({5.f, 6.f}));
      },
      sym_x, data);
  auto z = lm::scatter_add(sym_x, lm::placeholder({lm::Shape{lm::None, 1}, lm::Int64, -1}),
                           lm::placeholder({lm::Shape{lm::None, 3}, lm::Float64, -1}));
  EXPECT_EQ(z.spec(), (lm::TensorSpec{lm::Shape{lm::None, 3}, lm::Float64, 1}));
}

TEST(Scatter, ZeroSize) {
  EXPECT_VALUES(lm::scatter(lm::zeros({0, 1}, lm::Int32), lm::zeros({0}), {3}), {0, 0, 0});
  EXPECT_SHAPE(lm::scatter(lm::tensor({{1}, {2}}), lm::zeros({2, 0}), {3, 0}), lm::Shape({3, 0}));
  EXPECT_SHAPE(lm::scatter_add(lm::zeros({0, 2}), lm::zeros({0, 1}, lm::Int32), lm::zeros({0, 2})), lm::Shape({0, 2}));
  // K = 0: every update is the whole output.
  EXPECT_VALUES(lm::scatter(lm::zeros({2, 0}, lm::Int32), lm::tensor({{1.f, 2.f}, {3.f, 4.f}}), {2}), {4, 6});
}

TEST(Scatter, BadInput) {
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{1.f}}), lm::tensor({1.f}), {3}), lm::DTypeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{5}}), lm::tensor({1.f}), {3}), lm::ValueError, "scatter");
  EXPECT_LAMINA_ERROR(lm::scatter(lm::tensor({{0}, {5}}), lm::tensor({1.f, 2.f}), {3}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("index 5"));
    EXPECT_THAT(msg, HasSubstr("indices[1, 0]"));
    EXPECT_THAT(msg, HasSubstr("[0, 3)"));
  });
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{-1}}), lm::tensor({1.f}), {3}), lm::ValueError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{0, 0, 0}}), lm::tensor({1.f}), {3, 3}), lm::ShapeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{0}}), lm::tensor({1.f, 2.f}), {3}), lm::ShapeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{0}}), lm::tensor({{1.f, 2.f}}), {3, 3}), lm::ShapeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::tensor(std::vector<int>{0}), lm::tensor({1.f}), {3}), lm::ShapeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::scalar(0), lm::tensor({1.f}), {3}), lm::ShapeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{0}}), lm::tensor({1.f}), {lm::None}), lm::ShapeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::tensor({{0}}), lm::tensor({1.f}), {-3}), lm::ShapeError, "scatter");
  EXPECT_OP_ERROR(lm::scatter(lm::Tensor(), lm::tensor({1.f}), {3}), lm::ValueError, "scatter");
  // An output whose element count overflows int64: a typed error, not a wrapped allocation.
  const std::int64_t big = std::int64_t{1} << 40;
  EXPECT_LAMINA_ERROR(lm::scatter(lm::zeros({0, 1}, lm::Int32), lm::zeros({0, big}), {big, big}), lm::Error,
                      { EXPECT_THAT(msg, HasSubstr("op 'scatter'")); });
  EXPECT_OP_ERROR(lm::scatter_add(lm::zeros({3}), lm::tensor({{3}}), lm::tensor({1.f})), lm::ValueError, "scatter_add");
  EXPECT_OP_ERROR(lm::scatter_add(lm::zeros({3}), lm::tensor({{0}}), lm::tensor({{1.f}})), lm::ShapeError,
                  "scatter_add");
  EXPECT_OP_ERROR(lm::scatter_add(lm::Tensor(), lm::tensor({{0}}), lm::tensor({1.f})), lm::ValueError, "scatter_add");
  {
    lm::config().strict_dtypes = true;
    EXPECT_OP_ERROR(lm::scatter_add(lm::zeros({3}), lm::tensor({{0}}), lm::tensor({1.0})), lm::DTypeError,
                    "scatter_add");
    lm::config().strict_dtypes = false;
  }
}
