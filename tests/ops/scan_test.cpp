// cumsum and cumprod. Small cases are worked out by hand in the comments; larger ones are
// checked against a plain loop written here (ref_scan), never against the op itself.
#include "new_ops_test_helpers.hpp"

namespace lm = lamina;
using lm::testing::filled_at_masked;
using lm::testing::grad_of;
using lm::testing::padding_fills;
using ::testing::HasSubstr;

namespace {

// The scan of a row-major `values` of `shape` along `axis`, by a plain loop. Entries with
// valid[i] false contribute the identity.
std::vector<double> ref_scan(const std::vector<double>& values, const lm::Shape& shape, std::int64_t axis,
                             bool exclusive, bool reverse, bool prod, const std::vector<bool>& valid = {}) {
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (std::int64_t d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  const std::int64_t n = shape[axis];
  std::vector<double> out(values.size());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < inner; ++j) {
      double acc = prod ? 1.0 : 0.0;
      for (std::int64_t p = 0; p < n; ++p) {
        const std::int64_t k = reverse ? n - 1 - p : p;
        const auto i = static_cast<std::size_t>((o * n + k) * inner + j);
        const double v = valid.empty() || valid[i] ? values[i] : (prod ? 1.0 : 0.0);
        if (exclusive) {
          out[i] = acc;
          acc = prod ? acc * v : acc + v;
        } else {
          acc = prod ? acc * v : acc + v;
          out[i] = acc;
        }
      }
    }
  return out;
}

lm::Tensor scan(bool prod, const lm::Tensor& x, std::int64_t axis, bool exclusive, bool reverse) {
  return prod ? lm::cumprod(x, axis, exclusive, reverse) : lm::cumsum(x, axis, exclusive, reverse);
}

}  // namespace

TEST(Cumsum, ValuesByHand) {
  auto x = lm::tensor({1.f, 2.f, 3.f, 4.f});
  EXPECT_VALUES(lm::cumsum(x, 0), {1, 3, 6, 10});
  EXPECT_VALUES(lm::cumsum(x, 0, /*exclusive=*/true), {0, 1, 3, 6});
  EXPECT_VALUES(lm::cumsum(x, 0, false, /*reverse=*/true), {10, 9, 7, 4});
  EXPECT_VALUES(lm::cumsum(x, -1, true, true), {9, 7, 4, 0});
  // (2, 3) along each axis: [[1, 2, 3], [4, 5, 6]].
  auto m = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  EXPECT_VALUES(lm::cumsum(m, 0), {1, 2, 3, 5, 7, 9});
  EXPECT_VALUES(lm::cumsum(m, 1), {1, 3, 6, 4, 9, 15});
  EXPECT_VALUES(lm::cumsum(m, 1, true, true), {5, 3, 0, 11, 6, 0});
}

TEST(Cumprod, ValuesByHand) {
  auto x = lm::tensor({1.0, 2.0, 3.0, 4.0});
  EXPECT_VALUES(lm::cumprod(x, 0), {1, 2, 6, 24});
  EXPECT_VALUES(lm::cumprod(x, 0, true), {1, 1, 2, 6});
  EXPECT_VALUES(lm::cumprod(x, 0, false, true), {24, 24, 12, 4});
  EXPECT_VALUES(lm::cumprod(x, 0, true, true), {24, 12, 4, 1});
  EXPECT_VALUES(lm::cumprod(lm::tensor({2.f, 0.f, 3.f}), 0), {2, 0, 0});
}

TEST(Scan, MatchesAPlainLoopOnEveryAxisAndFlag) {
  const lm::Shape shape{3, 4, 5};
  auto x = lm::random_uniform(shape, {.minval = -1.5, .maxval = 1.5, .dtype = lm::Float64, .seed = 3});
  const auto v = x.to_vector<double>();
  for (bool prod : {false, true})
    for (std::int64_t axis : {0, 1, 2})
      for (bool excl : {false, true})
        for (bool rev : {false, true})
          EXPECT_VALUES(scan(prod, x, axis, excl, rev), ref_scan(v, shape, axis, excl, rev, prod), 1e-12)
              << "prod " << prod << " axis " << axis << " excl " << excl << " rev " << rev;
  // Big enough to run on several threads (outer rows split), and a long single row.
  const lm::Shape big{64, 300, 7};
  auto y = lm::random_normal(big, {.dtype = lm::Float64, .seed = 4});
  EXPECT_VALUES(lm::cumsum(y, 1), ref_scan(y.to_vector<double>(), big, 1, false, false, false), 1e-9);
  auto row = lm::random_normal({100000}, {.dtype = lm::Float64, .seed = 5});
  EXPECT_VALUES(lm::cumsum(row, 0, true, true),
                ref_scan(row.to_vector<double>(), lm::Shape{100000}, 0, true, true, false), 1e-8);
}

TEST(Scan, Dtypes) {
  auto i = lm::tensor({1, 2, 3});
  EXPECT_EQ(lm::cumsum(i, 0).dtype(), lm::Int32);
  EXPECT_VALUES(lm::cumprod(i, 0), {1, 2, 6});
  auto b = lm::tensor({true, false, true, true});
  EXPECT_EQ(lm::cumsum(b, 0).dtype(), lm::Int32);  // Bool counts
  EXPECT_VALUES(lm::cumsum(b, 0), {1, 1, 2, 3});
  EXPECT_VALUES(lm::cumprod(b, 0), {1, 0, 0, 0});
  EXPECT_EQ(lm::cumsum(lm::tensor({1L, 2L}), 0).dtype(), lm::Int64);
  EXPECT_EQ(lm::cumprod(lm::tensor({1.0, 2.0}), 0).dtype(), lm::Float64);
  // int32 overflow wraps like NumPy: 2^30 + 2^30 = 2^31 -> -2^31; + 2^30 = -2^30.
  auto big = lm::tensor({1 << 30, 1 << 30, 1 << 30});
  EXPECT_VALUES(lm::cumsum(big, 0), {1073741824.0, -2147483648.0, -1073741824.0});
  // 65536^2 = 2^32 -> 0 in int32.
  EXPECT_VALUES(lm::cumprod(lm::tensor({65536, 65536, 3}), 0), {65536, 0, 0});
}

TEST(Scan, MaskedStepsContributeTheIdentityWhateverTheyHold) {
  // Row 0 valid at t = 0, 1, 3; row 1 valid at t = 1, 2.
  const std::vector<double> v{1, 2, 7, 4, 9, 3, 5, 8};
  const std::vector<bool> mask{true, true, false, true, false, true, true, false};
  for (double fill : padding_fills()) {
    auto x = filled_at_masked(v, {2, 4}, mask, {2, 4}, fill);
    // cumsum row 0: 1, 3, 3 (masked: carried), 7; row 1: 0, 3, 8, 8.
    auto s = lm::cumsum(x, 1);
    EXPECT_VALUES(s, {1, 3, 3, 7, 0, 3, 8, 8}) << fill;
    EXPECT_MASK(s, lm::Shape({2, 4}), mask);
    // cumprod row 0: 1, 2, 2, 8; row 1: 1, 3, 15, 15.
    EXPECT_VALUES(lm::cumprod(x, 1), {1, 2, 2, 8, 1, 3, 15, 15}) << fill;
    // exclusive reverse cumsum row 0: [2+4, 4, 4, 0] = [6, 4, 4, 0]; row 1: [8, 5, 0, 0].
    EXPECT_VALUES(lm::cumsum(x, 1, true, true), {6, 4, 4, 0, 8, 5, 0, 0}) << fill;
    // Along the unmasked axis 0 of a (2, 4) mask covering both axes: per column.
    // column 0: [1, masked] -> 1, 1; column 2: [masked, 5] -> 0, 5.
    EXPECT_VALUES(lm::cumsum(x, 0), {1, 2, 0, 4, 1, 5, 5, 4}) << fill;
  }
}

TEST(Scan, MaskedRowsOfAFeatureScanGiveTheIdentity) {
  // (2, 3, 2) with a (2, 3) time mask; scanning the features (axis 2) of a masked step
  // sees only masked entries: cumsum gives 0s, cumprod 1s.
  std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const std::vector<bool> mask{true, false, true, true, true, false};
  for (double fill : padding_fills()) {
    auto x = filled_at_masked(v, {2, 3, 2}, mask, {2, 3}, fill);
    EXPECT_VALUES(lm::cumsum(x, 2), {1, 3, 0, 0, 5, 11, 7, 15, 9, 19, 0, 0}) << fill;
    EXPECT_VALUES(lm::cumprod(x, 2), {1, 2, 1, 1, 5, 30, 7, 56, 9, 90, 1, 1}) << fill;
    // Over time (axis 1): row 0 skips t = 1: [1,2], [1,2], [6,8].
    EXPECT_VALUES(lm::cumsum(x, 1), {1, 2, 1, 2, 6, 8, 7, 8, 16, 18, 16, 18}) << fill;
    EXPECT_MASK(lm::cumsum(x, 1), lm::Shape({2, 3}), mask);
  }
}

TEST(Scan, GradientsByHand) {
  auto sum_of = [](bool prod, bool excl, bool rev) {
    return [=](const lm::Tensor& t) { return scan(prod, t, 0, excl, rev); };
  };
  auto x = lm::tensor({1.0, 2.0, 3.0});
  // d sum(cumsum(x)) / dx_j = number of outputs x_j reaches: [3, 2, 1]; exclusive [2, 1, 0].
  EXPECT_VALUES(grad_of(sum_of(false, false, false), x), {3, 2, 1});
  EXPECT_VALUES(grad_of(sum_of(false, true, false), x), {2, 1, 0});
  EXPECT_VALUES(grad_of(sum_of(false, false, true), x), {1, 2, 3});
  EXPECT_VALUES(grad_of(sum_of(false, true, true), x), {0, 1, 2});
  // cumprod of (a, b, c) = (a, ab, abc): grad (1 + b + bc, a + ac, ab). With zeros:
  // (2, 0, 3): (1, 2 + 6, 0) = (1, 8, 0); (0, 0, 3): (1, 0, 0); (2, 3, 0): (1 + 3, 2, 6).
  EXPECT_VALUES(grad_of(sum_of(true, false, false), lm::tensor({2.0, 0.0, 3.0})), {1, 8, 0});
  EXPECT_VALUES(grad_of(sum_of(true, false, false), lm::tensor({0.0, 0.0, 3.0})), {1, 0, 0});
  EXPECT_VALUES(grad_of(sum_of(true, false, false), lm::tensor({2.0, 3.0, 0.0})), {4, 2, 6});
  // exclusive (1, a, ab): grad (1 + b, a, 0) at (2, 0, 3): (1, 2, 0).
  EXPECT_VALUES(grad_of(sum_of(true, true, false), lm::tensor({2.0, 0.0, 3.0})), {1, 2, 0});
  // reverse (abc, bc, c): grad (bc, ac + c, ab + b + 1) at (2, 0, 3): (0, 9, 1).
  EXPECT_VALUES(grad_of(sum_of(true, false, true), lm::tensor({2.0, 0.0, 3.0})), {0, 9, 1});
  // exclusive reverse (bc, c, 1): grad (0, c, b + 1) at (2, 0, 3): (0, 3, 1).
  EXPECT_VALUES(grad_of(sum_of(true, true, true), lm::tensor({2.0, 0.0, 3.0})), {0, 3, 1});
}

TEST(Scan, GradientIsZeroAtMaskedEntriesWhateverTheyHold) {
  // x = (2, masked, 3): cumprod = (2, 2, 6), grad (1 + 1 + 3, 0, 2) = (5, 0, 2);
  // cumsum = (2, 2, 5), grad (3, 0, 1).
  for (double fill : padding_fills()) {
    auto x = filled_at_masked({2, 0, 3}, {3}, {true, false, true}, {3}, fill);
    EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::cumprod(t, 0); }, x), {5, 0, 2}) << fill;
    EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::cumsum(t, 0); }, x), {3, 0, 1}) << fill;
  }
}

TEST(Scan, Gradcheck) {
  auto x = lm::random_uniform({3, 4, 2}, {.minval = -2, .maxval = 2, .dtype = lm::Float64, .seed = 9});
  for (bool prod : {false, true})
    for (std::int64_t axis : {0, 1, -1})
      for (bool excl : {false, true})
        for (bool rev : {false, true})
          EXPECT_GRADCHECK([&](const lm::TensorList& in) { return scan(prod, in[0], axis, excl, rev); }, {x});
  // Zeros inside (no division by x) and a size-1 axis.
  auto z = lm::tensor({{0.5, 0.0, -2.0, 0.0, 1.5}}, lm::Float64);
  for (std::int64_t axis : {0, 1})
    for (bool excl : {false, true})
      for (bool rev : {false, true})
        EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::cumprod(in[0], axis, excl, rev); }, {z});
  // Masked input (gradcheck keeps the mask).
  auto m = x.with_mask(lm::tensor({{true, false, true, true}, {false, false, true, false}, {true, true, true, true}}));
  for (bool prod : {false, true})
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return scan(prod, in[0], 1, false, false); }, {m});
}

TEST(Cumprod, SecondOrderGradient) {
  // f = sum(cumprod(a, b, c)) = a + ab + abc; df = (1 + b + bc, a + ac, ab);
  // d(sum df) = (1 + b + c, 1 + a + c, a + b): at (0, 3, 5) that is (9, 6, 3).
  auto x = lm::tensor({0.0, 3.0, 5.0});
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor first;
  {
    lm::GradientTape inner;
    inner.watch(x);
    first = *inner.gradient(lm::sum(lm::cumprod(x, 0)), x);
  }
  EXPECT_VALUES(first, {1 + 3 + 15, 0, 0});
  auto second = outer.gradient(lm::sum(first), x);
  ASSERT_TRUE(second.has_value());
  EXPECT_VALUES(*second, {9, 6, 3});
}

TEST(Scan, SymbolicSpec) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4, 3}, lm::Float32, 2});
  auto data = lm::random_normal({2, 4, 3}, {.seed = 1})
                  .with_mask(lm::tensor({{true, false, true, true}, {true, true, false, false}}));
  for (bool prod : {false, true})
    for (std::int64_t axis : {0, 1, 2})
      EXPECT_SYMBOLIC_AGREES([&](const lm::Tensor& t) { return scan(prod, t, axis, true, false); }, s, data);
  auto y = lm::cumsum(lm::placeholder({lm::Shape{lm::None, 5}, lm::Bool, -1}), 1);
  EXPECT_EQ(y.spec(), (lm::TensorSpec{lm::Shape{lm::None, 5}, lm::Int32, -1}));
}

TEST(Scan, ZeroSize) {
  for (const lm::Shape& shape : {lm::Shape{0}, lm::Shape{0, 3}, lm::Shape{2, 0}, lm::Shape{2, 0, 3}}) {
    auto x = lm::zeros(shape);
    for (std::int64_t axis = 0; axis < shape.rank(); ++axis) {
      EXPECT_SHAPE(lm::cumsum(x, axis), shape);
      EXPECT_SHAPE(lm::cumprod(x, axis, true, true), shape);
      EXPECT_SHAPE(grad_of([&](const lm::Tensor& t) { return lm::cumprod(t, axis); }, x), shape);
    }
  }
}

TEST(Scan, BadInput) {
  EXPECT_OP_ERROR(lm::cumsum(lm::scalar(1.f), 0), lm::ShapeError, "cumsum");
  EXPECT_OP_ERROR(lm::cumprod(lm::scalar(1.f), 0), lm::ShapeError, "cumprod");
  EXPECT_OP_ERROR(lm::cumsum(lm::ones({2, 3}), 2), lm::ShapeError, "cumsum");
  EXPECT_OP_ERROR(lm::cumprod(lm::ones({2, 3}), -3), lm::ShapeError, "cumprod");
  EXPECT_OP_ERROR(lm::cumsum(lm::Tensor(), 0), lm::ValueError, "cumsum");
  EXPECT_LAMINA_ERROR(lm::cumsum(lm::ones({2, 3}), 5), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("axis 5"));
    EXPECT_THAT(msg, HasSubstr("rank-2"));
  });
}
