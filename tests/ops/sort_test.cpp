// sort, argsort and top_k. Small cases are worked out by hand in the comments; random ones
// are checked against std::stable_sort of each line, written out here.
#include <algorithm>
#include <numeric>

#include "new_ops_test_helpers.hpp"

namespace lm = lamina;
using lm::testing::filled_at_masked;
using lm::testing::grad_of;
using lm::testing::padding_fills;
using ::testing::HasSubstr;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Stable argsort of each line of a row-major (outer, n, inner) array, by a plain loop.
std::vector<double> ref_argsort(const std::vector<double>& v, const lm::Shape& shape, std::int64_t axis, bool desc) {
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (std::int64_t d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  const std::int64_t n = shape[axis];
  std::vector<double> out(v.size());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      auto at = [&](std::int64_t t) { return static_cast<std::size_t>((o * n + t) * inner + i); };
      std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(), [&](std::int64_t a, std::int64_t b) {
        return desc ? v[at(a)] > v[at(b)] : v[at(a)] < v[at(b)];
      });
      for (std::int64_t t = 0; t < n; ++t) out[at(t)] = static_cast<double>(idx[static_cast<std::size_t>(t)]);
    }
  return out;
}

std::vector<double> gather_lines(const std::vector<double>& v, const std::vector<double>& idx, const lm::Shape& shape,
                                 std::int64_t axis) {
  std::int64_t inner = 1;
  for (std::int64_t d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  const std::int64_t n = shape[axis];
  std::vector<double> out(v.size());
  for (std::size_t p = 0; p < v.size(); ++p) {
    const auto flat = static_cast<std::int64_t>(p);
    const std::int64_t t = (flat / inner) % n;
    out[p] = v[static_cast<std::size_t>(flat + (static_cast<std::int64_t>(idx[p]) - t) * inner)];
  }
  return out;
}

lm::Tensor topk_values(const lm::Tensor& t, std::int64_t k) { return lm::top_k(t, k).values; }

}  // namespace

// ---- sort / argsort --------------------------------------------------------------------------

TEST(Sort, ValuesByHand) {
  auto x = lm::tensor({3.f, 1.f, 2.f});
  EXPECT_VALUES(lm::sort(x), {1, 2, 3});
  EXPECT_VALUES(lm::sort(x, 0, true), {3, 2, 1});
  EXPECT_VALUES(lm::argsort(x), {1, 2, 0});
  EXPECT_VALUES(lm::argsort(x, -1, true), {0, 2, 1});
  EXPECT_EQ(lm::argsort(x).dtype(), lm::Int32);
  EXPECT_EQ(lm::sort(x).dtype(), lm::Float32);
  // Stable: equal entries keep their order, ascending and descending.
  auto ties = lm::tensor({2, 1, 2, 1});
  EXPECT_VALUES(lm::argsort(ties), {1, 3, 0, 2});
  EXPECT_VALUES(lm::argsort(ties, 0, true), {0, 2, 1, 3});
  EXPECT_EQ(lm::sort(ties).dtype(), lm::Int32);
  // NaN is larger than +inf.
  auto special = lm::tensor({1.0, kNaN, -kInf, kInf});
  EXPECT_VALUES(lm::argsort(special), {2, 0, 3, 1});
  EXPECT_VALUES(lm::argsort(special, 0, true), {1, 3, 0, 2});
  auto s = lm::sort(special).to_vector<double>();
  EXPECT_EQ(s[0], -kInf);
  EXPECT_EQ(s[2], kInf);
  EXPECT_TRUE(std::isnan(s[3]));
  // Bool: false < true.
  EXPECT_VALUES(lm::argsort(lm::tensor({true, false, true})), {1, 0, 2});
  // (2, 3) along each axis: [[3, 1, 2], [0, 5, 1]].
  auto m = lm::tensor({{3.f, 1.f, 2.f}, {0.f, 5.f, 1.f}});
  EXPECT_VALUES(lm::sort(m, 0), {0, 1, 1, 3, 5, 2});
  EXPECT_VALUES(lm::argsort(m, 0), {1, 0, 1, 0, 1, 0});
  EXPECT_VALUES(lm::sort(m, 1, true), {3, 2, 1, 5, 1, 0});
}

TEST(Sort, MatchesStableSortOfEachLine) {
  const lm::Shape shape{4, 6, 5};
  // Small integers: many ties, so stability is exercised.
  auto x = lm::cast(lm::random_uniform(shape, {.minval = 0, .maxval = 4, .dtype = lm::Int32, .seed = 2}), lm::Float64);
  const auto v = x.to_vector<double>();
  for (std::int64_t axis : {0, 1, 2})
    for (bool desc : {false, true}) {
      auto ref = ref_argsort(v, shape, axis, desc);
      EXPECT_VALUES(lm::argsort(x, axis, desc), ref) << axis << desc;
      EXPECT_VALUES(lm::sort(x, axis, desc), gather_lines(v, ref, shape, axis)) << axis << desc;
    }
  // Many lines (threaded).
  const lm::Shape big{2000, 40};
  auto y = lm::random_normal(big, {.dtype = lm::Float64, .seed = 3});
  EXPECT_VALUES(lm::argsort(y, 1), ref_argsort(y.to_vector<double>(), big, 1, false));
}

TEST(Sort, MaskedEntriesSortLastAndHoldZero) {
  const std::vector<double> v{5, 9, 1, 3, 9, 2, 9, 0};
  const std::vector<bool> mask{true, false, true, true, false, true, false, true};
  for (double fill : padding_fills()) {
    auto x = filled_at_masked(v, {2, 4}, mask, {2, 4}, fill);
    // Row 0: valid 5, 1, 3 -> 1, 3, 5, then masked index 1. Row 1: valid 2 (1), 0 (3).
    auto s = lm::sort(x, 1);
    EXPECT_VALUES(s, {1, 3, 5, 0, 0, 2, 0, 0}) << fill;
    EXPECT_MASK(s, lm::Shape({2, 4}), {true, true, true, false, true, true, false, false});
    auto a = lm::argsort(x, 1);
    EXPECT_VALUES(a, {2, 3, 0, 1, 3, 1, 0, 2}) << fill;
    EXPECT_MASK(a, lm::Shape({2, 4}), {true, true, true, false, true, true, false, false});
    EXPECT_VALUES(lm::sort(x, 1, true), {5, 3, 1, 0, 2, 0, 0, 0}) << fill;
    EXPECT_VALUES(lm::argsort(x, 1, true), {0, 3, 2, 1, 1, 3, 0, 2}) << fill;
    // Along axis 0 (masked too), column by column: [5, m] [m, 2] [1, m] [3, 0].
    auto c = lm::sort(x, 0);
    EXPECT_VALUES(c, {5, 2, 1, 0, 0, 0, 0, 3}) << fill;
    EXPECT_MASK(c, lm::Shape({2, 4}), {true, true, true, true, false, false, false, true});
    EXPECT_VALUES(lm::argsort(x, 0), {0, 1, 0, 1, 1, 0, 1, 0}) << fill;
  }
}

TEST(Sort, MaskedLinesOfAnUnmaskedAxisArePadding) {
  // (2, 3) with mask (2,): row 1 is padding -> zeros, identity order, mask kept.
  for (double fill : padding_fills()) {
    auto x = filled_at_masked({3, 1, 2, 0, 0, 0}, {2, 3}, {true, false}, {2}, fill);
    auto s = lm::sort(x, 1);
    EXPECT_VALUES(s, {1, 2, 3, 0, 0, 0}) << fill;
    EXPECT_MASK(s, lm::Shape({2}), {true, false});
    EXPECT_VALUES(lm::argsort(x, 1), {1, 2, 0, 0, 1, 2}) << fill;
  }
}

TEST(Sort, GradientGoesBackThroughThePermutation) {
  // sort([3, 1, 2]) takes indices [1, 2, 0]: with weights w = [10, 20, 30] the gradient is
  // w placed at those indices: x1 <- 10, x2 <- 20, x0 <- 30.
  auto w = lm::tensor({10.0, 20.0, 30.0});
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::sort(t); }, lm::tensor({3.0, 1.0, 2.0}), w), {30, 10, 20});
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::sort(t, 0, true); }, lm::tensor({3.0, 1.0, 2.0}), w),
                {10, 30, 20});
  // Masked entry (index 1) sorts last and gets no gradient: [5, m, 1, 3] -> [1, 3, 5, m].
  auto w4 = lm::tensor({10.0, 20.0, 30.0, 40.0});
  for (double fill : padding_fills()) {
    auto x = filled_at_masked({5, 0, 1, 3}, {4}, {true, false, true, true}, {4}, fill);
    EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::sort(t); }, x, w4), {30, 0, 10, 20}) << fill;
  }
  auto r = lm::random_normal({3, 4, 2}, {.dtype = lm::Float64, .seed = 8});
  for (std::int64_t axis : {0, 1, 2})
    for (bool desc : {false, true})
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::sort(in[0], axis, desc); }, {r});
  auto rm =
      r.with_mask(lm::tensor({{true, false, true, true}, {false, false, false, false}, {true, true, true, false}}));
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::sort(in[0], 1); }, {rm});
}

TEST(Sort, ArgsortCutsTheGradientPath) {
  lm::Variable w("w", lm::tensor({0.5, 1.5, -1.0}));
  lm::GradientTape tape;
  auto loss = lm::sum(lm::cast(lm::argsort(w.value()), lm::Float64));
  EXPECT_FALSE(tape.gradient(loss, std::vector<lm::Variable>{w})[0].has_value());
  auto cuts = tape.cuts(loss, std::vector<lm::Variable>{w});
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_EQ(cuts[0].cut_by, std::vector<std::string>{"op 'argsort'"});
}

TEST(Sort, SymbolicSpecZeroSizeAndBadInput) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4}, lm::Float32, 2});
  auto data = lm::random_normal({3, 4}, {.seed = 1}).with_mask(lm::random_uniform({3, 4}, {.seed = 2}) > 0.3);
  for (std::int64_t axis : {0, 1}) {
    EXPECT_SYMBOLIC_AGREES([&](const lm::Tensor& t) { return lm::sort(t, axis); }, s, data);
    EXPECT_SYMBOLIC_AGREES([&](const lm::Tensor& t) { return lm::argsort(t, axis, true); }, s, data);
  }
  for (const lm::Shape& shape : {lm::Shape{0}, lm::Shape{0, 3}, lm::Shape{3, 0}}) {
    for (std::int64_t axis = 0; axis < shape.rank(); ++axis) {
      EXPECT_SHAPE(lm::sort(lm::zeros(shape), axis), shape);
      EXPECT_SHAPE(lm::argsort(lm::zeros(shape), axis), shape);
    }
  }
  EXPECT_OP_ERROR(lm::sort(lm::scalar(1.f)), lm::ShapeError, "sort");
  EXPECT_OP_ERROR(lm::argsort(lm::scalar(1.f)), lm::ShapeError, "argsort");
  EXPECT_OP_ERROR(lm::sort(lm::ones({2, 3}), 2), lm::ShapeError, "sort");
  EXPECT_OP_ERROR(lm::argsort(lm::ones({2, 3}), -3), lm::ShapeError, "argsort");
  EXPECT_OP_ERROR(lm::sort(lm::Tensor()), lm::ValueError, "sort");
  // An axis longer than Int32 indices reach (checked on the spec, before any data).
  const std::int64_t huge = std::int64_t{1} << 33;
  auto s_huge = lm::placeholder({lm::Shape{lm::None, huge}, lm::Float32, -1});
  EXPECT_OP_ERROR(lm::argsort(s_huge), lm::ValueError, "argsort");
  EXPECT_OP_ERROR(lm::top_k(s_huge, 2), lm::ValueError, "top_k");
  // ... but with no elements there is nothing to index.
  EXPECT_SHAPE(lm::argsort(lm::zeros({0, huge}), 1), lm::Shape({0, huge}));
}

// ---- top_k -----------------------------------------------------------------------------------

TEST(TopK, ValuesByHand) {
  auto x = lm::tensor({1.f, 3.f, 2.f, 3.f, 0.f});
  auto [v, i] = lm::top_k(x, 2);
  EXPECT_VALUES(v, {3, 3});
  EXPECT_VALUES(i, {1, 3});  // the tie goes to the lower index first
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_EQ(v.dtype(), lm::Float32);
  auto three = lm::top_k(x, 3);
  EXPECT_VALUES(three.values, {3, 3, 2});
  EXPECT_VALUES(three.indices, {1, 3, 2});
  auto unsorted = lm::top_k(x, 3, /*sorted=*/false);  // the same entries, by position
  EXPECT_VALUES(unsorted.indices, {1, 2, 3});
  EXPECT_VALUES(unsorted.values, {3, 2, 3});
  EXPECT_VALUES(lm::top_k(x, 5).indices, {1, 3, 2, 0, 4});
  EXPECT_SHAPE(lm::top_k(x, 0).values, lm::Shape{0});
  // NaN counts as the largest.
  auto n = lm::top_k(lm::tensor({1.0, kNaN, 5.0}), 2);
  EXPECT_VALUES(n.indices, {1, 2});
  EXPECT_TRUE(std::isnan(n.values.to_vector<double>()[0]));
  // Rows of a (2, 2, 3): each row along the last axis.
  auto b = lm::tensor({{{1, 9, 4}, {7, 7, 2}}, {{0, -1, -2}, {5, 6, 6}}});
  auto tb = lm::top_k(b, 2);
  EXPECT_SHAPE(tb.values, lm::Shape({2, 2, 2}));
  EXPECT_VALUES(tb.values, {9, 4, 7, 7, 0, -1, 6, 6});
  EXPECT_VALUES(tb.indices, {1, 2, 0, 1, 0, 1, 1, 2});
}

TEST(TopK, MatchesStableDescendingSort) {
  const lm::Shape shape{300, 17};
  auto x = lm::cast(lm::random_uniform(shape, {.minval = 0, .maxval = 6, .dtype = lm::Int32, .seed = 4}), lm::Float64);
  const auto v = x.to_vector<double>();
  auto ref = ref_argsort(v, shape, 1, true);
  auto r = lm::top_k(x, 5);
  std::vector<double> want_i, want_v;
  for (std::int64_t row = 0; row < 300; ++row)
    for (std::int64_t j = 0; j < 5; ++j) {
      want_i.push_back(ref[static_cast<std::size_t>(row * 17 + j)]);
      want_v.push_back(v[static_cast<std::size_t>(row * 17 + static_cast<std::int64_t>(want_i.back()))]);
    }
  EXPECT_VALUES(r.indices, want_i);
  EXPECT_VALUES(r.values, want_v);
}

TEST(TopK, MaskedEntriesArePickedOnlyWhenFewerThanKAreValid) {
  const std::vector<double> v{5, 9, 1, 3, 9, 2, 9, 9};
  const std::vector<bool> mask{true, false, true, true, false, true, false, false};
  for (double fill : padding_fills()) {
    auto x = filled_at_masked(v, {2, 4}, mask, {2, 4}, fill);
    // Row 0 has 3 valid: 5 (0), 3 (3). Row 1 has one valid, 2 (1); then masked index 0.
    auto [val, idx] = lm::top_k(x, 2);
    EXPECT_VALUES(val, {5, 3, 2, 0}) << fill;
    EXPECT_VALUES(idx, {0, 3, 1, 0}) << fill;
    EXPECT_MASK(val, lm::Shape({2, 2}), {true, true, true, false});
    EXPECT_MASK(idx, lm::Shape({2, 2}), {true, true, true, false});
    auto three = lm::top_k(x, 3);
    EXPECT_VALUES(three.values, {5, 3, 1, 2, 0, 0}) << fill;
    EXPECT_VALUES(three.indices, {0, 3, 2, 1, 0, 2}) << fill;
    EXPECT_MASK(three.values, lm::Shape({2, 3}), {true, true, true, true, false, false});
    auto by_position = lm::top_k(x, 3, false);
    EXPECT_VALUES(by_position.indices, {0, 2, 3, 0, 1, 2}) << fill;
    EXPECT_MASK(by_position.values, lm::Shape({2, 3}), {true, true, true, false, true, false});
  }
  // A mask over the leading axis only: a masked row is all padding (zeros, first indices).
  for (double fill : padding_fills()) {
    auto x = filled_at_masked({1, 4, 2, 0, 0, 0, 6, 5, 7}, {3, 3}, {true, false, true}, {3}, fill);
    auto r = lm::top_k(x, 2);
    EXPECT_VALUES(r.values, {4, 2, 0, 0, 7, 6}) << fill;
    EXPECT_VALUES(r.indices, {1, 2, 0, 1, 2, 0}) << fill;
    EXPECT_MASK(r.values, lm::Shape({3}), {true, false, true});
  }
}

TEST(TopK, GradientScattersToThePickedEntries) {
  auto w = lm::tensor({10.0, 20.0});
  // [1, 3, 2, 3, 0], k = 2 picks indices 1 and 3.
  EXPECT_VALUES(
      grad_of([](const lm::Tensor& t) { return topk_values(t, 2); }, lm::tensor({1.0, 3.0, 2.0, 3.0, 0.0}), w),
      {0, 10, 0, 20, 0});
  // A masked entry picked to fill the row gets no gradient: row [m, 2, m, m], k = 2 picks
  // 1 (valid) and 0 (masked).
  for (double fill : padding_fills()) {
    auto x = filled_at_masked({0, 2, 0, 0}, {4}, {false, true, false, false}, {4}, fill);
    EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return topk_values(t, 2); }, x, w), {0, 10, 0, 0}) << fill;
  }
  auto r = lm::random_normal({3, 5}, {.dtype = lm::Float64, .seed = 6});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return topk_values(in[0], 2); }, {r});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::top_k(in[0], 3, false).values; }, {r});
  auto rm = r.with_mask(lm::tensor(
      {{true, false, true, true, false}, {false, false, false, false, true}, {true, true, true, true, true}}));
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return topk_values(in[0], 3); }, {rm});
}

TEST(TopK, SymbolicSpec) {
  auto s = lm::placeholder({lm::Shape{lm::None, 6}, lm::Float32, 2});
  auto data = lm::random_normal({3, 6}, {.seed = 1}).with_mask(lm::random_uniform({3, 6}, {.seed = 2}) > 0.3);
  EXPECT_SYMBOLIC_AGREES([](const lm::Tensor& t) { return lm::top_k(t, 2).values; }, s, data);
  EXPECT_SYMBOLIC_AGREES([](const lm::Tensor& t) { return lm::top_k(t, 4, false).indices; }, s, data);
  auto r = lm::top_k(lm::placeholder({lm::Shape{lm::None, lm::None}, lm::Float64, 1}), 3);
  EXPECT_EQ(r.values.spec(), (lm::TensorSpec{lm::Shape{lm::None, 3}, lm::Float64, 1}));
  EXPECT_EQ(r.indices.spec(), (lm::TensorSpec{lm::Shape{lm::None, 3}, lm::Int32, 1}));
}

TEST(TopK, ZeroSizeAndBadInput) {
  EXPECT_SHAPE(lm::top_k(lm::zeros({0, 5}), 2).values, lm::Shape({0, 2}));
  EXPECT_SHAPE(lm::top_k(lm::zeros({3, 0}), 0).indices, lm::Shape({3, 0}));
  EXPECT_OP_ERROR(lm::top_k(lm::ones({2, 3}), 4), lm::ValueError, "top_k");
  EXPECT_OP_ERROR(lm::top_k(lm::ones({2, 3}), -1), lm::ValueError, "top_k");
  EXPECT_OP_ERROR(lm::top_k(lm::zeros({3, 0}), 1), lm::ValueError, "top_k");
  EXPECT_OP_ERROR(lm::top_k(lm::scalar(1.f), 1), lm::ShapeError, "top_k");
  EXPECT_OP_ERROR(lm::top_k(lm::Tensor(), 1), lm::ValueError, "top_k");
  EXPECT_LAMINA_ERROR(lm::top_k(lm::ones({2, 3}), 4), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("k = 4"));
    EXPECT_THAT(msg, HasSubstr("(2, 3)"));
  });
}
