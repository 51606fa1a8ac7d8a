// Elementwise math: pow, maximum, minimum, abs, log, sqrt, square, sigmoid, relu,
// softplus, erf, round, floor, sign, clip. Reference values are worked out by hand (the
// arithmetic is written next to them), never produced by the op under test.
#include <gmock/gmock.h>

#include <cmath>
#include <limits>

#include "elementwise_test_helpers.hpp"

namespace lm = lamina;
using lm::testing::grid;
using lm::testing::randn;
using lm::testing::randu;
using ::testing::HasSubstr;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct NamedUnary {
  const char* name;
  lm::testing::UnaryFn f;
};
struct NamedBinary {
  const char* name;
  lm::testing::BinaryFn f;
};

// The new unary ops (clip with fixed bounds).
std::vector<NamedUnary> unary_ops() {
  return {{"abs", [](const lm::Tensor& x) { return lm::abs(x); }},
          {"log", [](const lm::Tensor& x) { return lm::log(x); }},
          {"sqrt", [](const lm::Tensor& x) { return lm::sqrt(x); }},
          {"square", [](const lm::Tensor& x) { return lm::square(x); }},
          {"sigmoid", [](const lm::Tensor& x) { return lm::sigmoid(x); }},
          {"relu", [](const lm::Tensor& x) { return lm::relu(x); }},
          {"softplus", [](const lm::Tensor& x) { return lm::softplus(x); }},
          {"erf", [](const lm::Tensor& x) { return lm::erf(x); }},
          {"round", [](const lm::Tensor& x) { return lm::round(x); }},
          {"floor", [](const lm::Tensor& x) { return lm::floor(x); }},
          {"sign", [](const lm::Tensor& x) { return lm::sign(x); }},
          {"clip", [](const lm::Tensor& x) { return lm::clip(x, -1, 1); }}};
}

std::vector<NamedBinary> binary_ops() {
  return {{"pow", [](const lm::Tensor& a, const lm::Tensor& b) { return lm::pow(a, b); }},
          {"maximum", [](const lm::Tensor& a, const lm::Tensor& b) { return lm::maximum(a, b); }},
          {"minimum", [](const lm::Tensor& a, const lm::Tensor& b) { return lm::minimum(a, b); }}};
}

}  // namespace

// ---- pow ---------------------------------------------------------------------------------

TEST(Pow, FloatValuesWithBroadcasting) {
  auto a = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  auto b = lm::tensor({2.f, 0.5f, 3.f});
  auto y = lm::pow(a, b);
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_SHAPE(y, lm::Shape({2, 3}));
  // 1^2, sqrt(2), 3^3, 4^2, sqrt(5), 6^3
  EXPECT_VALUES(y, {1, 1.4142135623730951, 27, 16, 2.23606797749979, 216}, 1e-5);
}

TEST(Pow, SizeOneAxesBroadcastBothWays) {
  auto a = lm::tensor({{2.0}, {3.0}});     // (2, 1)
  auto b = lm::tensor({{0.0, 1.0, 2.0}});  // (1, 3)
  auto y = lm::pow(a, b);
  EXPECT_SHAPE(y, lm::Shape({2, 3}));
  EXPECT_EQ(y.dtype(), lm::Float64);
  EXPECT_VALUES(y, {1, 2, 4, 1, 3, 9});
}

TEST(Pow, IntegerPowStaysInteger) {
  auto y = lm::pow(lm::tensor({2, 3, -2, 0}), 3);
  EXPECT_EQ(y.dtype(), lm::Int32);
  EXPECT_VALUES(y, {8, 27, -8, 0});
  auto z = lm::pow(2, lm::tensor({0, 1, 10}));  // scalar base
  EXPECT_EQ(z.dtype(), lm::Int32);
  EXPECT_VALUES(z, {1, 2, 1024});
  auto w = lm::pow(lm::tensor({0, 5}, lm::Int64), lm::tensor({0, 2}, lm::Int64));  // 0^0 = 1
  EXPECT_EQ(w.dtype(), lm::Int64);
  EXPECT_VALUES(w, {1, 25});
  // Overflow wraps like NumPy: 2^31 in int32 is -2^31.
  EXPECT_VALUES(lm::pow(lm::tensor({2}), 31), {-2147483648.0});
}

TEST(Pow, FloatOperandMakesItFloat) {
  auto y = lm::pow(lm::tensor({4, 9}), 0.5f);  // Int32 ** weak float -> Float32
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_VALUES(y, {2, 3});
  auto z = lm::pow(lm::tensor({2, 3}), lm::tensor({2.0, -1.0}));  // Int32 ** Float64 -> Float64
  EXPECT_EQ(z.dtype(), lm::Float64);
  EXPECT_VALUES(z, {4, 1.0 / 3});
  auto b = lm::pow(lm::tensor({true, false}), lm::tensor({true, true}));  // Bool computes as Int32
  EXPECT_EQ(b.dtype(), lm::Int32);
  EXPECT_VALUES(b, {1, 0});
}

TEST(Pow, NegativeIntegerExponentIsAValueError) {
  EXPECT_LAMINA_ERROR(lm::pow(lm::tensor({2, 3}), lm::tensor({1, -1})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("pow"));
    EXPECT_THAT(msg, HasSubstr("negative"));
    EXPECT_THAT(msg, HasSubstr("lm::cast"));
  });
  EXPECT_LAMINA_ERROR(lm::pow(lm::tensor({2}), -2), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("pow")); });
  EXPECT_VALUES(lm::pow(lm::tensor({2.f}), -2), {0.25});  // fine in floating point
}

TEST(Pow, GradientIsFiniteAtZero) {
  // d/dx x^0 = 0 (not 0 * 0^-1 = NaN); d/dy 0^y is taken as 0 (log 0 undefined).
  auto x = lm::tensor({0.0, 0.0, 2.0});
  auto y = lm::tensor({0.0, 2.0, 3.0});
  lm::GradientTape tape;
  tape.watch(x);
  tape.watch(y);
  auto loss = lm::sum(lm::pow(x, y));
  auto g = tape.gradient(loss, lm::TensorList{x, y});
  // dx: 0; 2 * 0^1 = 0; 3 * 2^2 = 12.   dy: 0; 0; 2^3 * ln 2 = 8 ln 2
  EXPECT_VALUES(*g[0], {0, 0, 12});
  EXPECT_VALUES(*g[1], {0, 0, 8 * std::log(2.0)}, 1e-12);
}

TEST(Pow, Gradcheck) {
  auto f = [](const lm::TensorList& in) { return lm::pow(in[0], in[1]); };
  EXPECT_GRADCHECK(f, {randu({3, 4}, 1, 0.5, 2.0), randn({4}, 2)});
  EXPECT_GRADCHECK(f, {randu({2, 1, 3}, 3, 0.5, 2.0), randn({1, 4, 1}, 4)});
  EXPECT_GRADCHECK(f, {randu({1}, 5, 0.5, 2.0), randn({2, 3}, 6)});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::pow(in[0], 3); }, {randn({2, 3}, 7)});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::pow(2.5, in[0]); }, {randn({4, 1}, 8)});
}

// ---- maximum / minimum -------------------------------------------------------------------

TEST(MaximumMinimum, ValuesWithBroadcasting) {
  auto a = lm::tensor({{1.f, 5.f, -3.f}, {0.f, 2.f, 7.f}});
  auto b = lm::tensor({2.f, 2.f, 2.f});
  EXPECT_VALUES(lm::maximum(a, b), {2, 5, 2, 2, 2, 7});
  EXPECT_VALUES(lm::minimum(a, b), {1, 2, -3, 0, 2, 2});
  auto c = lm::tensor({{1}, {4}});  // (2, 1) Int32 against (3,) Int32
  auto d = lm::tensor({0, 3, 6});
  auto mx = lm::maximum(c, d);
  EXPECT_EQ(mx.dtype(), lm::Int32);
  EXPECT_VALUES(mx, {1, 3, 6, 4, 4, 6});
  EXPECT_VALUES(lm::minimum(c, d), {0, 1, 1, 0, 3, 4});
}

TEST(MaximumMinimum, ScalarForms) {
  auto x = lm::tensor({-1.5f, 0.5f, 2.f});
  EXPECT_VALUES(lm::maximum(x, 0), {0, 0.5, 2});
  EXPECT_VALUES(lm::minimum(1, x), {-1.5, 0.5, 1});
  auto i = lm::maximum(lm::tensor({1, 4}), 2.5);  // Int32 with weak float -> Float32
  EXPECT_EQ(i.dtype(), lm::Float32);
  EXPECT_VALUES(i, {2.5, 4});
}

TEST(MaximumMinimum, BoolStaysBool) {
  auto a = lm::tensor({true, true, false, false});
  auto b = lm::tensor({true, false, true, false});
  auto mx = lm::maximum(a, b);
  auto mn = lm::minimum(a, b);
  EXPECT_EQ(mx.dtype(), lm::Bool);
  EXPECT_EQ(mn.dtype(), lm::Bool);
  EXPECT_VALUES(mx, {1, 1, 1, 0});  // or
  EXPECT_VALUES(mn, {1, 0, 0, 0});  // and
}

TEST(MaximumMinimum, NaNPropagates) {
  auto a = lm::tensor({kNaN, 1.0, kNaN});
  auto b = lm::tensor({1.0, kNaN, kNaN});
  EXPECT_VALUES(lm::maximum(a, b), {kNaN, kNaN, kNaN});
  EXPECT_VALUES(lm::minimum(a, b), {kNaN, kNaN, kNaN});
}

TEST(MaximumMinimum, GradientGoesToFirstOperandOnTies) {
  auto a = lm::tensor({1.0, 2.0, 3.0});
  auto b = lm::tensor({1.0, 5.0, 0.0});
  {
    lm::GradientTape tape;
    tape.watch(a);
    tape.watch(b);
    auto g = tape.gradient(lm::sum(lm::maximum(a, b)), lm::TensorList{a, b});
    EXPECT_VALUES(*g[0], {1, 0, 1});  // tie at 0 -> a
    EXPECT_VALUES(*g[1], {0, 1, 0});
  }
  {
    lm::GradientTape tape;
    tape.watch(a);
    tape.watch(b);
    auto g = tape.gradient(lm::sum(lm::minimum(a, b)), lm::TensorList{a, b});
    EXPECT_VALUES(*g[0], {1, 1, 0});  // tie at 0 -> a
    EXPECT_VALUES(*g[1], {0, 0, 1});
  }
}

TEST(MaximumMinimum, BroadcastGradientIsSummed) {
  auto a = lm::tensor({{1.0, 5.0}, {3.0, 0.0}});  // (2, 2)
  auto b = lm::tensor({2.0});                     // (1,)
  lm::GradientTape tape;
  tape.watch(b);
  auto g = tape.gradient(lm::sum(lm::maximum(a, b)), b);
  EXPECT_SHAPE(*g, lm::Shape({1}));
  EXPECT_VALUES(*g, {2});  // b wins at 1 (vs 1.0) and at 0.0
}

TEST(MaximumMinimum, Gradcheck) {
  // Grids with offsets 0.02 and 0.07 stay 0.05 apart: no ties within 1e-3.
  for (auto f : {+[](const lm::TensorList& in) { return lm::maximum(in[0], in[1]); },
                 +[](const lm::TensorList& in) { return lm::minimum(in[0], in[1]); }}) {
    EXPECT_GRADCHECK(f, {grid({3, 4}, 1, 0.02), grid({4}, 2, 0.07)});
    EXPECT_GRADCHECK(f, {grid({2, 1, 3}, 3, 0.02), grid({1, 4, 1}, 4, 0.07)});
    EXPECT_GRADCHECK(f, {grid({1}, 5, 0.07), grid({2, 3}, 6, 0.02)});
  }
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::maximum(in[0], 0.0); }, {grid({3, 2}, 7, 0.05)});
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::minimum(0.0, in[0]); }, {grid({3, 2}, 8, 0.05)});
}

// ---- integer overflow wraps (two's complement, as in NumPy), never undefined behaviour ----

TEST(IntegerOverflow, WrapsInEveryArithmeticOp) {
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  EXPECT_VALUES(lm::tensor({kMax}) + 1, {double(kMin)});  // 2^31 - 1 + 1 -> -2^31
  EXPECT_VALUES(lm::tensor({kMin}) - 1, {double(kMax)});  // -2^31 - 1 -> 2^31 - 1
  EXPECT_VALUES(lm::tensor({kMax}) * 2, {-2});            // 2^32 - 2 -> -2
  EXPECT_VALUES(-lm::tensor({kMin}), {double(kMin)});     // -(-2^31) -> -2^31
  constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
  auto big = lm::tensor({kMax64});
  EXPECT_EQ((big + 1).to_vector<std::int64_t>()[0], std::numeric_limits<std::int64_t>::min());
  // Floats are untouched: -0.0 stays -0.0 under neg.
  EXPECT_TRUE(std::signbit((-lm::tensor({0.0})).item<double>()));
}

// ---- unary values ------------------------------------------------------------------------

TEST(Abs, Values) {
  EXPECT_VALUES(lm::abs(lm::tensor({-1.5f, 0.f, 2.f})), {1.5, 0, 2});
  auto i = lm::abs(lm::tensor({-3, 4, 0}));
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {3, 4, 0});
  // |INT32_MIN| wraps to INT32_MIN, as in NumPy (no undefined behaviour).
  auto m = lm::abs(lm::tensor({std::numeric_limits<std::int32_t>::min()}));
  EXPECT_VALUES(m, {-2147483648.0});
}

TEST(Log, ValuesAndIeeeAtZero) {
  auto y = lm::log(lm::tensor({1.0, std::exp(1.0), 0.0, -1.0}));
  EXPECT_VALUES_IEEE(y, {0, 1, -kInf, kNaN});
  auto i = lm::log(lm::tensor({1, 100}));  // integers compute in Float32
  EXPECT_EQ(i.dtype(), lm::Float32);
  EXPECT_VALUES(i, {0, 4.605170185988092}, 1e-6);  // ln 100 = 2 ln 10
}

TEST(Sqrt, ValuesAndIeeeAtZero) {
  auto y = lm::sqrt(lm::tensor({4.f, 2.25f, 0.f, -1.f}));
  EXPECT_VALUES(y, {2, 1.5, 0, kNaN});
  auto i = lm::sqrt(lm::tensor({9, 2}, lm::Int64));
  EXPECT_EQ(i.dtype(), lm::Float32);
  EXPECT_VALUES(i, {3, 1.4142135623730951}, 1e-6);
  // The gradient at 0 is 1 / (2 sqrt 0) = inf: IEEE, no crash.
  auto z = lm::tensor({0.0});
  lm::GradientTape tape;
  tape.watch(z);
  auto g = tape.gradient(lm::sum(lm::sqrt(z)), z);
  EXPECT_VALUES_IEEE(*g, {kInf});
}

TEST(Square, Values) {
  EXPECT_VALUES(lm::square(lm::tensor({-3.f, 0.5f})), {9, 0.25});
  auto i = lm::square(lm::tensor({-4, 7}));
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {16, 49});
  auto b = lm::square(lm::tensor({true, false}));  // Bool computes as Int32
  EXPECT_EQ(b.dtype(), lm::Int32);
  EXPECT_VALUES(b, {1, 0});
  EXPECT_VALUES(lm::square(lm::tensor({65536})), {0});  // 2^32 wraps to 0 in int32
}

TEST(Sigmoid, ValuesAndStabilityAtLargeMagnitudes) {
  auto y = lm::sigmoid(lm::tensor({0.f, 1000.f, -1000.f, 2.f, -2.f}));
  // 1 / (1 + e^-2) = 0.8807970779778823; sigmoid(-2) = 1 - that
  EXPECT_VALUES(y, {0.5, 1, 0, 0.8807970779778823, 0.11920292202211755}, 1e-7);
  // Small results keep their relative accuracy: sigmoid(-30) = e^-30 / (1 + e^-30).
  double e30 = std::exp(-30.0);
  auto s = lm::sigmoid(lm::tensor({-30.0}));
  EXPECT_NEAR(s.item<double>() / (e30 / (1 + e30)), 1.0, 1e-12);
  auto d = lm::sigmoid(lm::tensor({1000.0, -1000.0}));
  EXPECT_VALUES(d, {1, 0});
  EXPECT_EQ(lm::sigmoid(lm::tensor({1, 2})).dtype(), lm::Float32);
  // The gradient at +-1000 is 0, not NaN.
  auto x = lm::tensor({1000.f, -1000.f});
  lm::GradientTape tape;
  tape.watch(x);
  EXPECT_VALUES(*tape.gradient(lm::sum(lm::sigmoid(x)), x), {0, 0});
}

TEST(Relu, ValuesAndZeroGradientAtZero) {
  EXPECT_VALUES(lm::relu(lm::tensor({-2.f, 0.f, 3.f})), {0, 0, 3});
  auto i = lm::relu(lm::tensor({-2, 5}));
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {0, 5});
  auto x = lm::tensor({-1.0, 0.0, 2.0});
  lm::GradientTape tape;
  tape.watch(x);
  EXPECT_VALUES(*tape.gradient(lm::sum(lm::relu(x)), x), {0, 0, 1});
}

TEST(Softplus, ValuesAndStabilityAtLargeMagnitudes) {
  auto y = lm::softplus(lm::tensor({0.f, 1000.f, -1000.f, 1.f}));
  // ln 2; 1000 + ln(1 + e^-1000) = 1000; ln(1 + e^-1000) = 0; ln(1 + e) = 1.3132616875182228
  EXPECT_VALUES(y, {0.6931471805599453, 1000, 0, 1.3132616875182228}, 1e-5);
  // softplus(-20) = ln(1 + e^-20) = e^-20 - e^-40/2 + ...: relative accuracy kept.
  auto s = lm::softplus(lm::tensor({-20.0}));
  EXPECT_NEAR(s.item<double>() / std::exp(-20.0), 1.0, 1e-8);
  EXPECT_EQ(lm::softplus(lm::tensor({1})).dtype(), lm::Float32);
  auto x = lm::tensor({1000.0, -1000.0, 0.0});
  lm::GradientTape tape;
  tape.watch(x);
  EXPECT_VALUES(*tape.gradient(lm::sum(lm::softplus(x)), x), {1, 0, 0.5});  // sigmoid(x)
}

TEST(Erf, TabulatedValuesAndGradient) {
  // Abramowitz & Stegun table 7.1: erf(0.5) = 0.5204998778, erf(1) = 0.8427007929,
  // erf(2) = 0.9953222650; erf is odd.
  EXPECT_VALUES(lm::erf(lm::tensor({0.0, 0.5, 1.0, -2.0})),
                {0, 0.5204998778130465, 0.8427007929497149, -0.9953222650189527}, 1e-12);
  EXPECT_EQ(lm::erf(lm::tensor({1})).dtype(), lm::Float32);
  auto x = lm::tensor({0.0, 1.0});
  lm::GradientTape tape;
  tape.watch(x);
  // 2/sqrt(pi) e^{-x^2}: 1.1283791671 at 0, 0.4151074974 at 1.
  EXPECT_VALUES(*tape.gradient(lm::sum(lm::erf(x)), x), {1.1283791670955126, 0.41510749742059477}, 1e-12);
}

TEST(Round, HalfToEven) {
  auto y = lm::round(lm::tensor({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, 2.6f, -2.6f, 3.f}));
  EXPECT_VALUES(y, {0, 2, 2, 0, -2, 2, 3, -3, 3});
  EXPECT_VALUES(lm::round(lm::tensor({-2.5, 4.5, 1e15 + 0.5})), {-2, 4, 1e15});
  auto i = lm::round(lm::tensor({7, -3}));
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {7, -3});
}

TEST(Floor, Values) {
  EXPECT_VALUES(lm::floor(lm::tensor({1.5f, -1.5f, 2.f, -0.2f, 0.5f, -0.5f, 2.5f})), {1, -2, 2, -1, 0, -1, 2});
  // Edge cases: -0 stays -0; infinities and NaN pass through; 2^52 - 0.5 -> 2^52 - 1.
  auto e = lm::floor(lm::tensor({-0.0, kInf, -kInf, kNaN, 4503599627370495.5, -4503599627370495.5}));
  EXPECT_VALUES_IEEE(e, {0, kInf, -kInf, kNaN, 4503599627370495.0, -4503599627370496.0});
  EXPECT_TRUE(std::signbit(e.to_vector<double>()[0]));
  auto i = lm::floor(lm::tensor({5, -5}, lm::Int64));
  EXPECT_EQ(i.dtype(), lm::Int64);
  EXPECT_VALUES(i, {5, -5});
}

TEST(Sign, Values) {
  EXPECT_VALUES(lm::sign(lm::tensor({-3.f, 0.f, 2.5f})), {-1, 0, 1});
  EXPECT_VALUES(lm::sign(lm::tensor({kNaN})), {kNaN});
  auto i = lm::sign(lm::tensor({-5, 0, 7}));
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {-1, 0, 1});
}

TEST(Clip, ValuesAndDtypes) {
  EXPECT_VALUES(lm::clip(lm::tensor({-2.f, 0.5f, 3.f}), 0, 1), {0, 0.5, 1});
  auto i = lm::clip(lm::tensor({-5, 1, 9}), 0, 2);
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {0, 1, 2});
  auto f = lm::clip(lm::tensor({-5, 1, 9}), 0, 2.5);  // a float bound makes it Float32
  EXPECT_EQ(f.dtype(), lm::Float32);
  EXPECT_VALUES(f, {0, 1, 2.5});
  // Integer bounds beyond the dtype's range saturate instead of wrapping.
  EXPECT_VALUES(lm::clip(lm::tensor({-5, 9}), -10, 10'000'000'000LL), {-5, 9});
  EXPECT_VALUES(lm::clip(lm::tensor({1.f, 2.f}), 1.5, 1.5), {1.5, 1.5});  // lo == hi is fine
  EXPECT_VALUES(lm::clip(lm::tensor({kNaN}), 0, 1), {kNaN});
}

TEST(Clip, BadBoundsAreValueErrors) {
  EXPECT_LAMINA_ERROR(lm::clip(lm::tensor({1.f}), 2, 1), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("clip"));
    EXPECT_THAT(msg, HasSubstr("lo = 2, hi = 1"));
  });
  EXPECT_LAMINA_ERROR(lm::clip(lm::tensor({1.f}), 0.5, 0.25), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("clip")); });
  EXPECT_LAMINA_ERROR(lm::clip(lm::tensor({1.f}), kNaN, 1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("NaN")); });
}

TEST(Clip, GradientIsOneStrictlyInside) {
  auto x = lm::tensor({-1.0, 0.0, 0.5, 1.0, 2.0});
  lm::GradientTape tape;
  tape.watch(x);
  EXPECT_VALUES(*tape.gradient(lm::sum(lm::clip(x, 0, 1)), x), {0, 0, 1, 0, 0});
}

// ---- every unary op: dtypes, masks, symbolic, zero-size, gradients -----------------------

TEST(UnaryOps, ResultDtypes) {
  using lm::Bool, lm::Int32, lm::Int64, lm::Float32, lm::Float64;
  // Input dtypes Bool, Int32, Int64, Float32, Float64 -> result, per op.
  struct Row {
    const char* op;
    std::vector<lm::DType> out;
  };
  const std::vector<Row> table = {
      {"abs", {Int32, Int32, Int64, Float32, Float64}},        // arithmetic: Bool -> Int32
      {"log", {Float32, Float32, Float32, Float32, Float64}},  // float math: ints -> Float32
      {"sqrt", {Float32, Float32, Float32, Float32, Float64}},
      {"square", {Int32, Int32, Int64, Float32, Float64}},
      {"sigmoid", {Float32, Float32, Float32, Float32, Float64}},
      {"relu", {Int32, Int32, Int64, Float32, Float64}},
      {"softplus", {Float32, Float32, Float32, Float32, Float64}},
      {"erf", {Float32, Float32, Float32, Float32, Float64}},
      {"round", {Int32, Int32, Int64, Float32, Float64}},
      {"floor", {Int32, Int32, Int64, Float32, Float64}},
      {"sign", {Int32, Int32, Int64, Float32, Float64}},
      {"clip", {Int32, Int32, Int64, Float32, Float64}},  // int bounds: Bool -> Int32 (weak int)
  };
  auto ops = unary_ops();
  ASSERT_EQ(ops.size(), table.size());
  for (std::size_t k = 0; k < ops.size(); ++k) {
    ASSERT_STREQ(ops[k].name, table[k].op);
    for (std::size_t d = 0; d < 5; ++d) {
      auto x = lm::ones({2}, lm::kAllDTypes[d]);
      EXPECT_EQ(ops[k].f(x).dtype(), table[k].out[d]) << ops[k].name << " on " << lm::kAllDTypes[d];
      auto s = lm::placeholder({lm::Shape{lm::None, 2}, lm::kAllDTypes[d]});
      EXPECT_EQ(ops[k].f(s).dtype(), table[k].out[d]) << ops[k].name << " symbolic on " << lm::kAllDTypes[d];
    }
  }
}

TEST(UnaryOps, MaskPassesThrough) {
  auto x = lm::ones({2, 4, 3}).with_mask(lm::testing::mask_2x4());
  for (const auto& op : unary_ops()) {
    auto y = op.f(x);
    EXPECT_SHAPE(y, lm::Shape({2, 4, 3}));
    EXPECT_MASK(y, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false}) << op.name;
    EXPECT_FALSE(op.f(lm::ones({2, 3})).has_mask()) << op.name;
  }
}

TEST(UnaryOps, SymbolicSpec) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4}, lm::Float32, 1});
  for (const auto& op : unary_ops()) {
    auto y = op.f(s);
    EXPECT_TRUE(y.is_symbolic()) << op.name;
    EXPECT_EQ(y.spec().str(), "float32 (None, 4) mask (None,)") << op.name;
  }
  auto i = lm::placeholder({lm::Shape{lm::None, 4}, lm::Int32, -1});
  EXPECT_EQ(lm::sqrt(i).spec().str(), "float32 (None, 4)");
  EXPECT_EQ(lm::clip(i, 0, 1.5).spec().str(), "float32 (None, 4)");
}

TEST(UnaryOps, SymbolicReplayMatchesEager) {
  auto x = lm::tensor({{-1.5f, 0.25f, 2.f, 4.f}});
  auto s = lm::placeholder({lm::Shape{lm::None, 4}, lm::Float32});
  for (const auto& op : unary_ops()) {
    auto y = op.f(s);
    ASSERT_TRUE(y.node());
    auto replayed = y.node()->replay({x})[0];
    auto eager = op.f(x);
    EXPECT_EQ(replayed.spec(), eager.spec()) << op.name;
    EXPECT_VALUES(replayed, eager.to_vector<double>()) << op.name;
  }
}

TEST(UnaryOps, ZeroSizeTensors) {
  for (const auto& op : unary_ops()) {
    for (auto shape : {lm::Shape{0, 3}, lm::Shape{3, 0}, lm::Shape{0}}) {
      auto y = op.f(lm::zeros(shape));
      EXPECT_SHAPE(y, shape);
      EXPECT_EQ(y.numel(), 0) << op.name;
    }
  }
}

TEST(UnaryOps, Gradcheck) {
  // Smooth ops on any input (log and sqrt on positive ones).
  auto shapes = {lm::Shape{3, 4}, lm::Shape{2, 1, 3}, lm::Shape{1}, lm::Shape{}};
  std::uint64_t seed = 10;
  for (const auto& shape : shapes) {
    ++seed;
    auto x = randn(shape, seed);
    auto pos = randu(shape, seed, 0.2, 3.0);
    auto kinky = grid(shape, seed, 0.05);  // 0.05 away from 0, +-0.5 and +-1
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::log(in[0]); }, {pos});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::sqrt(in[0]); }, {pos});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::square(in[0]); }, {x});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::sigmoid(in[0]); }, {x * 3});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::softplus(in[0]); }, {x * 3});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::erf(in[0]); }, {x * 2});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::abs(in[0]); }, {kinky});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::relu(in[0]); }, {kinky});
    EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::clip(in[0], -0.5, 0.5); }, {kinky});
  }
  // A masked input: gradients are elementwise, the mask does not change them.
  auto xm = randn({2, 4, 3}, 99).with_mask(lm::testing::mask_2x4());
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::sigmoid(in[0]) * lm::square(in[0]); }, {xm});
}

TEST(UnaryOps, SecondOrderGradient) {
  // d2/dx2 softplus(x) = sigmoid(x) (1 - sigmoid(x)); at 0 that is 1/4.
  auto x = lm::tensor({0.0, 2.0});
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor g;
  {
    lm::GradientTape inner;
    inner.watch(x);
    g = *inner.gradient(lm::sum(lm::softplus(x)), x);
  }
  auto h = outer.gradient(lm::sum(g), x);
  ASSERT_TRUE(h.has_value());
  double s2 = 1 / (1 + std::exp(-2.0));
  EXPECT_VALUES(*h, {0.25, s2 * (1 - s2)}, 1e-12);
}

TEST(UnaryOps, RoundFloorSignCutTheGradientPath) {
  auto x = lm::tensor({0.4f, 1.6f});
  EXPECT_THAT(lm::testing::cut_description([](const lm::Tensor& t) { return lm::round(t); }, x),
              HasSubstr("cut by op 'round'"));
  EXPECT_THAT(lm::testing::cut_description([](const lm::Tensor& t) { return lm::floor(t); }, x),
              HasSubstr("cut by op 'floor'"));
  EXPECT_THAT(lm::testing::cut_description([](const lm::Tensor& t) { return lm::sign(t); }, x),
              HasSubstr("cut by op 'sign'"));
  EXPECT_EQ(lm::testing::cut_description([](const lm::Tensor& t) { return lm::sigmoid(t); }, x), "connected");
  lm::GradientTape tape;
  tape.watch(x);
  auto loss = lm::sum(lm::round(x) * x);  // only the direct path carries a gradient
  EXPECT_VALUES(*tape.gradient(loss, x), {0, 2});
}

TEST(UnaryOps, UndefinedInputIsAValueError) {
  EXPECT_LAMINA_ERROR(lm::sigmoid(lm::Tensor()), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("sigmoid")); });
  EXPECT_LAMINA_ERROR(lm::clip(lm::Tensor(), 0, 1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("clip")); });
}

// ---- every binary op: masks, symbolic, zero-size, errors ---------------------------------

TEST(BinaryOps, MaskPropagation) {
  auto m = lm::testing::mask_2x4();
  auto xm = lm::full({2, 4, 3}, 2.f).with_mask(m);
  auto plain = lm::full({2, 4, 3}, 3.f);
  // (4, 3) with mask (4,): aligned to the (2, 4, 3) output its mask covers axis 1.
  auto small = lm::full({4, 3}, 1.5f).with_mask(lm::tensor({true, false, true, true}));
  for (const auto& op : binary_ops()) {
    EXPECT_MASK(op.f(xm, plain), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false}) << op.name;
    EXPECT_MASK(op.f(plain, xm), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false}) << op.name;
    auto m2 = lm::tensor({{false, true, true, true}, {true, true, true, true}});
    EXPECT_MASK(op.f(xm, plain.with_mask(m2)), lm::Shape({2, 4}), {false, true, false, false, true, true, true, false})
        << op.name;  // AND
    auto y = op.f(small, plain);
    EXPECT_SHAPE(y, lm::Shape({2, 4, 3}));
    EXPECT_MASK(y, lm::Shape({2, 4}), {true, false, true, true, true, false, true, true}) << op.name;
    EXPECT_MASK(op.f(small, xm), lm::Shape({2, 4}), {true, false, false, false, true, false, true, false}) << op.name;
    EXPECT_FALSE(op.f(plain, plain).has_mask()) << op.name;
  }
  // Scalar forms keep the tensor's mask.
  EXPECT_MASK(lm::pow(xm, 2), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  EXPECT_MASK(lm::maximum(0.5, xm), lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
}

TEST(BinaryOps, SymbolicSpec) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4}, lm::Float32, 1});
  for (const auto& op : binary_ops()) {
    auto y = op.f(s, lm::ones({4}));
    EXPECT_TRUE(y.is_symbolic());
    EXPECT_EQ(y.spec().str(), "float32 (None, 4) mask (None,)") << op.name;
    EXPECT_EQ(op.f(lm::ones({3, 1, 4}), s).spec().str(), "float32 (3, None, 4) mask (3, None)") << op.name;
  }
  EXPECT_EQ(lm::pow(s, 2).spec().str(), "float32 (None, 4) mask (None,)");
  EXPECT_EQ(lm::minimum(2.5, s).spec().str(), "float32 (None, 4) mask (None,)");
  auto i = lm::placeholder({lm::Shape{lm::None, 4}, lm::Int32});
  EXPECT_EQ(lm::pow(i, 2).spec().str(), "int32 (None, 4)");  // no data: the sign check waits
  EXPECT_EQ(lm::maximum(i, 0.5).spec().str(), "float32 (None, 4)");
}

TEST(BinaryOps, ZeroSizeTensors) {
  for (const auto& op : binary_ops()) {
    EXPECT_SHAPE(op.f(lm::zeros({0, 3}), lm::ones({3})), lm::Shape({0, 3}));
    EXPECT_SHAPE(op.f(lm::zeros({0, 3}), lm::ones({1, 3})), lm::Shape({0, 3}));
    EXPECT_SHAPE(op.f(lm::ones({2, 1}), lm::zeros({0})), lm::Shape({2, 0}));
    EXPECT_SHAPE(op.f(lm::zeros({0, 3}), lm::scalar(2.f)), lm::Shape({0, 3}));
  }
  EXPECT_SHAPE(lm::pow(lm::zeros({0}, lm::Int32), lm::zeros({0}, lm::Int32)), lm::Shape({0}));
}

TEST(BinaryOps, ShapeMismatchNamesOpAndBothShapes) {
  for (const auto& op : binary_ops()) {
    EXPECT_LAMINA_ERROR(op.f(lm::ones({2, 3}), lm::ones({4})), lm::ShapeError, {
      EXPECT_THAT(msg, HasSubstr(std::string("op '") + op.name + "'"));
      EXPECT_THAT(msg, HasSubstr("(2, 3)"));
      EXPECT_THAT(msg, HasSubstr("(4,)"));
    });
  }
  EXPECT_LAMINA_ERROR(lm::maximum(lm::Tensor(), lm::ones({2})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("maximum")); });
}
