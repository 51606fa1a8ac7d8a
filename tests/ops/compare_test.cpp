// Comparisons and logical ops: Bool results, promotion, masks, symbolic specs, cuts, errors.
#include <gmock/gmock.h>

#include <cmath>
#include <limits>

#include "elementwise_test_helpers.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

namespace {

struct NamedCompare {
  const char* name;
  lm::testing::BinaryFn f;
  lm::Tensor (*with_scalar)(const lm::Tensor&, lm::Scalar);
  lm::Tensor (*scalar_first)(lm::Scalar, const lm::Tensor&);
  std::vector<bool> on_123_vs_2;  // op([1, 2, 3], 2)
};

std::vector<NamedCompare> comparisons() {
  using T = const lm::Tensor&;
  return {
      {"equal", [](T a, T b) { return lm::equal(a, b); }, lm::equal, lm::equal, {false, true, false}},
      {"not_equal", [](T a, T b) { return lm::not_equal(a, b); }, lm::not_equal, lm::not_equal, {true, false, true}},
      {"less", [](T a, T b) { return lm::less(a, b); }, lm::less, lm::less, {true, false, false}},
      {"less_equal",
       [](T a, T b) { return lm::less_equal(a, b); },
       lm::less_equal,
       lm::less_equal,
       {true, true, false}},
      {"greater", [](T a, T b) { return lm::greater(a, b); }, lm::greater, lm::greater, {false, false, true}},
      {"greater_equal",
       [](T a, T b) { return lm::greater_equal(a, b); },
       lm::greater_equal,
       lm::greater_equal,
       {false, true, true}},
  };
}

std::vector<double> as_doubles(const std::vector<bool>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST(Compare, ValuesTensorTensorAndScalarForms) {
  auto x = lm::tensor({1.f, 2.f, 3.f});
  for (const auto& op : comparisons()) {
    auto expected = as_doubles(op.on_123_vs_2);
    auto y = op.f(x, lm::tensor({2.f, 2.f, 2.f}));
    EXPECT_EQ(y.dtype(), lm::Bool) << op.name;
    EXPECT_VALUES(y, expected) << op.name;
    EXPECT_VALUES(op.f(x, lm::tensor({2.f})), expected) << op.name;  // size-1 broadcast
    EXPECT_VALUES(op.with_scalar(x, 2), expected) << op.name;
    EXPECT_EQ(op.scalar_first(2, x).dtype(), lm::Bool) << op.name;
  }
  // Scalar first: 2 < [1, 2, 3] = [F, F, T]; 2 >= [1, 2, 3] = [T, T, F]; ...
  EXPECT_VALUES(lm::less(2, x), {0, 0, 1});
  EXPECT_VALUES(lm::greater_equal(2, x), {1, 1, 0});
  EXPECT_VALUES(lm::equal(2, x), {0, 1, 0});
  EXPECT_VALUES(lm::not_equal(2.f, x), {1, 0, 1});
  EXPECT_VALUES(lm::less_equal(2, x), {0, 1, 1});
  EXPECT_VALUES(lm::greater(2, x), {1, 0, 0});
}

TEST(Compare, OperatorsAndBroadcasting) {
  auto a = lm::tensor({{1, 5}, {3, 3}});  // (2, 2)
  auto col = lm::tensor({{3}, {4}});      // (2, 1): row 0 against 3, row 1 against 4
  EXPECT_VALUES(a < col, {1, 0, 1, 1});
  EXPECT_VALUES(a >= col, {0, 1, 0, 0});
  EXPECT_VALUES(a == 3, {0, 0, 1, 1});
  EXPECT_VALUES(a != 3, {1, 1, 0, 0});
  EXPECT_VALUES(3 > a, {1, 0, 0, 0});
  EXPECT_VALUES(a <= 3, {1, 0, 1, 1});
  auto r = lm::tensor({{1.0, 2.0, 3.0}});  // (1, 3) against (2, 1)
  auto c = lm::tensor({{2.0}, {0.0}});
  auto y = lm::greater(r, c);
  EXPECT_SHAPE(y, lm::Shape({2, 3}));
  EXPECT_VALUES(y, {0, 0, 1, 1, 1, 1});
}

TEST(Compare, ComparesInThePromotedDtype) {
  // Int32 against 2.5: compared in Float32 ([2, 3] < 2.5 is [T, F]; truncating 2.5 to 2
  // would give [F, F]).
  auto i = lm::tensor({2, 3});
  EXPECT_VALUES(lm::less(i, 2.5), {1, 0});
  EXPECT_VALUES(lm::equal(i, 2.5f), {0, 0});
  EXPECT_VALUES(lm::less(i, lm::tensor({2.5f, 2.5f})), {1, 0});
  // Int32 against Int64 beyond int32's range: compared in Int64.
  auto big = lm::tensor({std::int64_t{1} << 40, std::int64_t{-1} << 40});
  EXPECT_VALUES(lm::greater(i, big), {0, 1});
  // Bool against Int32: true == 1.
  EXPECT_VALUES(lm::equal(lm::tensor({true, false}), lm::tensor({1, 1})), {1, 0});
  EXPECT_VALUES(lm::tensor({true, false}) == true, {1, 0});
  // NaN compares unequal to everything, itself included.
  auto n = lm::tensor({std::numeric_limits<double>::quiet_NaN()});
  EXPECT_VALUES(lm::equal(n, n), {0});
  EXPECT_VALUES(lm::not_equal(n, n), {1});
  EXPECT_VALUES(lm::less(n, 0), {0});
}

TEST(Compare, StrictModeRejectsMixedTensorsButNotScalars) {
  struct Guard {
    bool saved = lm::config().strict_dtypes;
    ~Guard() { lm::config().strict_dtypes = saved; }
  } guard;
  lm::config().strict_dtypes = true;
  EXPECT_LAMINA_ERROR(lm::less(lm::tensor({1}), lm::tensor({1.f})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("less"));
    EXPECT_THAT(msg, HasSubstr("int32 and float32"));
  });
  EXPECT_VALUES(lm::less(lm::tensor({1}), 1.5), {1});
}

TEST(Compare, MaskPropagation) {
  auto m = lm::testing::mask_2x4();
  auto xm = lm::ones({2, 4, 3}).with_mask(m);
  auto plain = lm::zeros({2, 4, 3});
  auto small = lm::ones({4, 3}).with_mask(lm::tensor({true, false, true, true}));
  auto m2 = lm::tensor({{false, true, true, true}, {true, true, true, true}});
  for (const auto& op : comparisons()) {
    EXPECT_MASK(op.f(xm, plain), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false}) << op.name;
    EXPECT_MASK(op.f(xm, plain.with_mask(m2)), lm::Shape({2, 4}), {false, true, false, false, true, true, true, false})
        << op.name;
    EXPECT_MASK(op.f(small, plain), lm::Shape({2, 4}), {true, false, true, true, true, false, true, true}) << op.name;
    EXPECT_MASK(op.with_scalar(xm, 0), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false})
        << op.name;
  }
  auto b = lm::tensor({{true, false, true, false}, {true, true, false, false}}).with_mask(m);
  EXPECT_MASK(lm::logical_not(b), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  EXPECT_MASK(lm::logical_and(b, lm::tensor({true, true, true, true})), lm::Shape({2, 4}),
              {true, true, false, false, true, true, true, false});
  EXPECT_MASK(lm::logical_or(b, b.with_mask(m2)), lm::Shape({2, 4}),
              {false, true, false, false, true, true, true, false});
}

TEST(Compare, SymbolicSpec) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4}, lm::Float32, 1});
  for (const auto& op : comparisons()) {
    EXPECT_EQ(op.f(s, lm::ones({4})).spec().str(), "bool (None, 4) mask (None,)") << op.name;
    EXPECT_EQ(op.with_scalar(s, 0.5).spec().str(), "bool (None, 4) mask (None,)") << op.name;
  }
  auto b = lm::placeholder({lm::Shape{lm::None, 4}, lm::Bool, 1});
  EXPECT_EQ(lm::logical_not(b).spec().str(), "bool (None, 4) mask (None,)");
  EXPECT_EQ(lm::logical_and(b, lm::placeholder({lm::Shape{3, 1, 4}, lm::Bool})).spec().str(),
            "bool (3, None, 4) mask (3, None)");
  EXPECT_EQ((b | (s > 0)).spec().str(), "bool (None, 4) mask (None,)");
  // Replaying the graph on data gives the eager result.
  auto y = lm::less(s, 0.5);
  auto data = lm::tensor({{0.f, 1.f, 0.25f, 0.75f}});
  lm::TensorList inputs = y.node()->inputs;  // the placeholder and the captured scalar
  ASSERT_EQ(inputs.size(), 2u);
  inputs[0] = data;
  EXPECT_VALUES(y.node()->replay(inputs)[0], {1, 0, 1, 0});
}

TEST(Compare, NoGradientAndTheTapeSaysWhy) {
  auto x = lm::tensor({0.5f, 1.5f});
  for (const auto& op : comparisons()) {
    std::string why = lm::testing::cut_description([&](const lm::Tensor& t) { return op.with_scalar(t, 1); }, x);
    EXPECT_THAT(why, HasSubstr(std::string("cut by op '") + op.name + "'"));
  }
  lm::GradientTape tape;
  tape.watch(x);
  auto loss = lm::sum(lm::cast(x > 1, lm::Float32) * x);  // a gate: the gradient flows via x only
  EXPECT_VALUES(*tape.gradient(loss, x), {0, 1});
}

TEST(Logical, TruthTablesAndOperators) {
  auto a = lm::tensor({true, true, false, false});
  auto b = lm::tensor({true, false, true, false});
  EXPECT_VALUES(lm::logical_and(a, b), {1, 0, 0, 0});
  EXPECT_VALUES(lm::logical_or(a, b), {1, 1, 1, 0});
  EXPECT_VALUES(lm::logical_not(a), {0, 0, 1, 1});
  EXPECT_VALUES(a & b, {1, 0, 0, 0});
  EXPECT_VALUES(a | b, {1, 1, 1, 0});
  EXPECT_VALUES(!b, {0, 1, 0, 1});
  EXPECT_EQ((a & b).dtype(), lm::Bool);
  // Broadcasting: (2, 1) against (3,).
  auto c = lm::tensor({{true}, {false}});
  auto d = lm::tensor({true, false, true});
  auto y = c | d;
  EXPECT_SHAPE(y, lm::Shape({2, 3}));
  EXPECT_VALUES(y, {1, 1, 1, 1, 0, 1});
  EXPECT_VALUES(c & d, {1, 0, 1, 0, 0, 0});
  // Composed with comparisons: 1 < x <= 3.
  auto x = lm::tensor({0, 1, 2, 3, 4});
  EXPECT_VALUES((x > 1) & (x <= 3), {0, 0, 1, 1, 0});
  EXPECT_THAT(lm::testing::cut_description([](const lm::Tensor& t) { return !(t > 1.f); }, lm::tensor({2.f})),
              HasSubstr("cut by op 'greater'"));
}

TEST(Logical, NonBoolOperandsAreDTypeErrorsWithTheFix) {
  auto i = lm::tensor({1, 0});
  auto b = lm::tensor({true, false});
  EXPECT_LAMINA_ERROR(lm::logical_and(i, b), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("op 'logical_and'"));
    EXPECT_THAT(msg, HasSubstr("int32"));
    EXPECT_THAT(msg, HasSubstr("x != 0"));
    EXPECT_THAT(msg, HasSubstr("lm::cast(x, lm::Bool)"));
  });
  EXPECT_LAMINA_ERROR(lm::logical_or(b, lm::tensor({1.f, 0.f})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("op 'logical_or'"));
    EXPECT_THAT(msg, HasSubstr("float32"));
    EXPECT_THAT(msg, HasSubstr("second operand"));
  });
  EXPECT_LAMINA_ERROR(!lm::tensor({1.0}), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("op 'logical_not'"));
    EXPECT_THAT(msg, HasSubstr("float64"));
  });
  // Symbolic operands are checked too, at build time.
  auto s = lm::placeholder({lm::Shape{lm::None, 4}, lm::Int32});
  EXPECT_LAMINA_ERROR(lm::logical_not(s), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("int32")); });
  // The suggested fix works.
  EXPECT_VALUES(lm::logical_and(i != 0, b), {1, 0});
  EXPECT_VALUES(lm::logical_and(lm::cast(i, lm::Bool), b), {1, 0});
}

TEST(CompareAndLogical, ShapeErrorsAndZeroSize) {
  EXPECT_LAMINA_ERROR(lm::less(lm::ones({2, 3}), lm::ones({2})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("op 'less'"));
    EXPECT_THAT(msg, HasSubstr("(2, 3)"));
    EXPECT_THAT(msg, HasSubstr("(2,)"));
  });
  EXPECT_LAMINA_ERROR(lm::logical_or(lm::ones({3}, lm::Bool), lm::ones({4}, lm::Bool)), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("op 'logical_or'")); });
  for (const auto& op : comparisons()) {
    auto y = op.f(lm::zeros({0, 3}), lm::ones({3}));
    EXPECT_SHAPE(y, lm::Shape({0, 3}));
    EXPECT_EQ(y.dtype(), lm::Bool);
    EXPECT_SHAPE(op.with_scalar(lm::zeros({3, 0}, lm::Int32), 1), lm::Shape({3, 0}));
  }
  auto z = lm::zeros({0, 3}, lm::Bool);
  EXPECT_SHAPE(lm::logical_and(z, lm::ones({1, 3}, lm::Bool)), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::logical_or(z, z), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::logical_not(z), lm::Shape({0, 3}));
}
