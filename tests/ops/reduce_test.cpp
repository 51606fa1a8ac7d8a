// Reductions: values, dtypes, masks (incl. all-masked groups), gradients, symbolic specs,
// errors and zero-size inputs. Reference values are worked out by hand in the comments.
#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;

namespace {

#define EXPECT_HAS(msg, text) \
  EXPECT_NE((msg).find(text), std::string::npos) << "message lacks '" << (text) << "':\n" << (msg)

constexpr double kInf = std::numeric_limits<double>::infinity();

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// d sum(f(x)) / dx, computed by the tape.
lm::Tensor grad_of(const std::function<lm::Tensor(const lm::Tensor&)>& f, const lm::Tensor& x) {
  lm::GradientTape tape;
  tape.watch(x);
  lm::Tensor y = f(x);
  auto g = tape.gradient(lm::sum(y.without_mask()), x, {.unconnected = lm::Unconnected::Zero});
  return *g;
}

// The masked example used throughout: row 0 has valid entries 2 and 3 (the 100 is padding),
// row 1 is all padding.
struct Padded {
  lm::Tensor x = lm::tensor({{2.f, 100.f, 3.f}, {5.f, 6.f, 7.f}})
                     .with_mask(bools({true, false, true, false, false, false}, {2, 3}));
};

}  // namespace

// ---- sum (already written: values, dtypes, masks, gradient, errors) ----------------------

TEST(Sum, Values) {
  auto x = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  EXPECT_VALUES(lm::sum(x), {21});  // 1+2+3+4+5+6
  EXPECT_SHAPE(lm::sum(x), lm::Shape{});
  EXPECT_VALUES(lm::sum(x, 0), {5, 7, 9});  // column sums
  EXPECT_VALUES(lm::sum(x, 1), {6, 15});    // row sums
  EXPECT_VALUES(lm::sum(x, -1), {6, 15});
  EXPECT_VALUES(lm::sum(x, lm::Axes{0, 1}), {21});
  auto k = lm::sum(x, 1, /*keepdims=*/true);
  EXPECT_SHAPE(k, lm::Shape({2, 1}));
  EXPECT_VALUES(k, {6, 15});
  // size-1 axes
  auto y = lm::tensor({{{1.f}, {2.f}}});  // (1, 2, 1)
  EXPECT_VALUES(lm::sum(y, 0), {1, 2});
  EXPECT_SHAPE(lm::sum(y, 0), lm::Shape({2, 1}));
  EXPECT_VALUES(lm::sum(y, lm::Axes{0, 2}), {1, 2});
}

TEST(Sum, Dtypes) {
  auto b = lm::tensor({true, false, true});
  EXPECT_EQ(lm::sum(b).dtype(), lm::Int32);  // Bool counts as Int32
  EXPECT_VALUES(lm::sum(b), {2});
  EXPECT_EQ(lm::sum(lm::tensor({1, 2})).dtype(), lm::Int32);
  EXPECT_EQ(lm::sum(lm::tensor({1L, 2L})).dtype(), lm::Int64);
  EXPECT_EQ(lm::sum(lm::tensor({1.0, 2.0})).dtype(), lm::Float64);
  EXPECT_VALUES(lm::sum(lm::tensor({1, -5, 7})), {3});
  // Integer sums wrap around like NumPy's (no undefined behaviour on overflow).
  const auto big = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(lm::sum(lm::tensor({big, std::int64_t{1}})).item<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(lm::sum(lm::tensor({2147483647, 1})).item<std::int32_t>(), -2147483647 - 1);  // wraps in Int32
}

TEST(Sum, MaskedAxisSkipsPaddingAndDropsMaskWhenNoMaskAxisRemains) {
  // [[1,2,9,9],[4,5,6,9]], valid [[1,1,0,0],[1,1,1,0]] -> [1+2, 4+5+6] = [3, 15]
  auto x = lm::tensor({{1.f, 2.f, 9.f, 9.f}, {4.f, 5.f, 6.f, 9.f}})
               .with_mask(bools({true, true, false, false, true, true, true, false}, {2, 4}));
  auto s = lm::sum(x, 1);
  EXPECT_VALUES(s, {3, 15});
  EXPECT_MASK(s, lm::Shape({2}), {true, true});  // mask axis 0 remains: kept, even all true
  auto all = lm::sum(x);
  EXPECT_VALUES(all, {18});
  EXPECT_FALSE(all.has_mask());  // every mask axis reduced
  // A (2,) mask on (2, 4): reducing the batch axis reduces every mask axis.
  auto b = lm::tensor({{1.f, 2.f}, {3.f, 4.f}}).with_mask(bools({false, true}, {2}));
  auto sb = lm::sum(b, 0);
  EXPECT_VALUES(sb, {3, 4});
  EXPECT_FALSE(sb.has_mask());
}

TEST(Sum, FeatureAxesKeepMaskAndValues) {
  // (2, 2, 2) with mask (2, 2): summing features includes masked rows' values.
  auto x = lm::tensor({{{1.f, 2.f}, {3.f, 4.f}}, {{5.f, 6.f}, {7.f, 8.f}}})
               .with_mask(bools({true, false, true, true}, {2, 2}));
  auto s = lm::sum(x, -1);
  EXPECT_VALUES(s, {3, 7, 11, 15});
  EXPECT_MASK(s, lm::Shape({2, 2}), {true, false, true, true});
}

TEST(Sum, OutputMaskIsAnyValidAndKeptWhenMaskAxesRemain) {
  // x (2, 3, 1), mask (2, 3): reduce axis 1 -> mask (2,) = any valid per batch row.
  auto x = lm::tensor({{{1.f}, {2.f}, {3.f}}, {{4.f}, {5.f}, {6.f}}})
               .with_mask(bools({true, true, true, false, false, false}, {2, 3}));
  auto s = lm::sum(x, 1);
  EXPECT_VALUES(s, {6, 0});  // 1+2+3; second row all padding -> 0
  EXPECT_MASK(s, lm::Shape({2}), {true, false});
  auto k = lm::sum(x, 1, true);
  EXPECT_SHAPE(k, lm::Shape({2, 1, 1}));
  EXPECT_MASK(k, lm::Shape({2, 1}), {true, false});
  // Kept even when all true (decided from shapes): all-valid input
  auto v = lm::ones({2, 3, 1}).with_mask(lm::ones({2, 3}, lm::Bool));
  EXPECT_MASK(lm::sum(v, 1), lm::Shape({2}), {true, true});
  // Reduce the batch axis: mask (3,) = any over the batch
  EXPECT_MASK(lm::sum(x, 0), lm::Shape({3}), {true, true, true});
}

TEST(Sum, GradientIsZeroAtMaskedEntries) {
  auto x =
      lm::tensor({{1.f, 2.f, 9.f}, {4.f, 5.f, 6.f}}).with_mask(bools({true, true, false, false, false, false}, {2, 3}));
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::sum(t, 1); }, x), {1, 1, 0, 0, 0, 0});
  // Reducing a feature axis only: the valid row gets the gradient, the masked row none,
  // although the loss also sums the (masked) output of that row: a masked entry gets no
  // gradient (DESIGN.md section 5), so garbage there cannot make it NaN.
  auto y = lm::ones({2, 2}).with_mask(bools({true, false}, {2}));
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::sum(t, 1); }, y), {1, 1, 0, 0});
}

TEST(Sum, Gradcheck) {
  auto x = lm::random_normal({3, 1, 4}, {.seed = 1});
  for (lm::Axes axes : {lm::Axes{}, lm::Axes{-1}, lm::Axes{0, 2}, lm::Axes{1}})
    for (bool keep : {false, true})
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::sum(in[0], axes, keep); }, {x});
  auto m =
      lm::random_normal({3, 4, 2}, {.seed = 2})
          .with_mask(bools({true, true, false, false, true, true, true, true, false, false, false, false}, {3, 4}));
  for (lm::Axes axes : {lm::Axes{1}, lm::Axes{0, 1}, lm::Axes{-1}, lm::Axes{}})
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::sum(in[0], axes); }, {m});
}

TEST(Sum, Errors) {
  auto x = lm::ones({2, 3});
  EXPECT_LAMINA_ERROR(lm::sum(x, 2), lm::ShapeError, {
    EXPECT_HAS(msg, "sum");
    EXPECT_HAS(msg, "axis 2");
  });
  EXPECT_LAMINA_ERROR(lm::sum(x, lm::Axes{1, -1}), lm::ShapeError, {
    EXPECT_HAS(msg, "sum");
    EXPECT_HAS(msg, "repeated");
  });
  EXPECT_LAMINA_ERROR(lm::sum(lm::Tensor()), lm::ValueError, { EXPECT_HAS(msg, "sum"); });
}

TEST(Sum, ZeroSize) {
  auto x = lm::zeros({2, 0});
  EXPECT_VALUES(lm::sum(x, 1), {0, 0});
  EXPECT_SHAPE(lm::sum(x, 0), lm::Shape({0}));
  EXPECT_VALUES(lm::sum(x), {0});
}

// ---- mean -------------------------------------------------------------------------------

TEST(Mean, ValuesAndDtypes) {
  auto x = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 7.f}});
  EXPECT_VALUES(lm::mean(x), {22.0 / 6});  // (1+2+3+4+5+7)/6
  EXPECT_VALUES(lm::mean(x, 0), {2.5, 3.5, 5});
  EXPECT_VALUES(lm::mean(x, -1), {2, 16.0 / 3}, 1e-6);
  auto i = lm::mean(lm::tensor({1, 2}));
  EXPECT_EQ(i.dtype(), lm::Float32);  // integers give Float32
  EXPECT_VALUES(i, {1.5});
  EXPECT_EQ(lm::mean(lm::tensor({true, false})).dtype(), lm::Float32);
  EXPECT_EQ(lm::mean(lm::tensor({1.0, 2.0})).dtype(), lm::Float64);
  EXPECT_SHAPE(lm::mean(x, 1, true), lm::Shape({2, 1}));
}

TEST(Mean, MaskedDividesByValidCount) {
  // The specified case: [[1,2,0,0],[4,5,6,0]] mask [[1,1,0,0],[1,1,1,0]] -> [(1+2)/2, (4+5+6)/3] = [1.5, 5]
  auto x = lm::tensor({{1.f, 2.f, 0.f, 0.f}, {4.f, 5.f, 6.f, 0.f}})
               .with_mask(lm::tensor({{1, 1, 0, 0}, {1, 1, 1, 0}}, lm::Bool));
  auto m = lm::mean(x, 1);
  EXPECT_VALUES(m, {1.5, 5});
  EXPECT_MASK(m, lm::Shape({2}), {true, true});
  EXPECT_FALSE(lm::mean(x, lm::Axes{0, 1}).has_mask());
  // Over a (B, T, F) sequence: mean over valid steps per feature.
  auto s = lm::tensor({{{1.f, 10.f}, {3.f, 30.f}, {99.f, 99.f}}}).with_mask(bools({true, true, false}, {1, 3}));
  EXPECT_VALUES(lm::mean(s, 1), {2, 20});  // (1+3)/2, (10+30)/2
}

TEST(Mean, GradientSpreadsOverValidCount) {
  Padded p;
  // row 0: 2 valid -> 1/2 each at valid positions; row 1: all padding -> 0
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::mean(t, 1); }, p.x), {0.5, 0, 0.5, 0, 0, 0});
  // Unmasked: 1/n everywhere
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::mean(t, 0); }, lm::ones({4, 2})),
                {0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25});
  // Masked (2, 2, 2) over axes {1, 2}: row 0 has 1 valid step x 2 features -> 1/2 on it.
  auto y = lm::ones({2, 2, 2}).with_mask(bools({true, false, true, true}, {2, 2}));
  EXPECT_VALUES(grad_of(
                    [](const lm::Tensor& t) {
                      return lm::mean(t, lm::Axes{1, 2});
                    },
                    y),
                {0.5, 0.5, 0, 0, 0.25, 0.25, 0.25, 0.25});
}

TEST(Mean, Gradcheck) {
  auto x = lm::random_normal({2, 1, 3}, {.seed = 3});
  for (lm::Axes axes : {lm::Axes{}, lm::Axes{-1}, lm::Axes{0, 1}})
    for (bool keep : {false, true})
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::mean(in[0], axes, keep); }, {x});
  auto m =
      lm::random_normal({3, 4, 2}, {.seed = 4})
          .with_mask(bools({true, false, true, false, false, false, false, false, true, true, true, true}, {3, 4}));
  for (lm::Axes axes : {lm::Axes{1}, lm::Axes{-2, -1}, lm::Axes{0}, lm::Axes{}})
    for (bool keep : {false, true})
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::mean(in[0], axes, keep); }, {m});
}

// ---- the all-masked row, for every reduction ------------------------------------------------

TEST(AllMasked, GivesZeroNeverNaNAndIsMarkedInvalid) {
  // x = [[2, 100, 3], [5, 6, 7]], mask [[1,0,1],[0,0,0]] (rank 2: reducing axis 1 leaves
  // mask axis 0, so the output mask (2,) is kept).
  Padded p;
  const std::vector<bool> out_mask{true, false};
  auto check = [&](const lm::Tensor& r, std::vector<double> expected) {
    EXPECT_VALUES(r, expected);
    EXPECT_MASK(r, lm::Shape({2}), out_mask);
  };
  check(lm::sum(p.x, 1), {5, 0});     // 2 + 3
  check(lm::mean(p.x, 1), {2.5, 0});  // (2 + 3) / 2
  check(lm::max(p.x, 1), {3, 0});     // 100 is padding
  check(lm::min(p.x, 1), {2, 0});
  check(lm::prod(p.x, 1), {6, 0});                        // 2 * 3
  check(lm::logsumexp(p.x, 1), {3.3132616875182226, 0});  // log(e^2 + e^3) = 3 + log(1 + e^-1)
  check(lm::argmax(p.x, 1), {2, 0});                      // 3 at index 2
  check(lm::argmin(p.x, 1), {0, 0});                      // 2 at index 0
  check(lm::any(p.x, 1), {1, 0});
  check(lm::all(p.x, 1), {1, 0});  // all-masked gives false
  EXPECT_EQ(lm::argmax(p.x, 1).dtype(), lm::Int64);
  for (const auto& r : {lm::mean(p.x, 1), lm::logsumexp(p.x, 1), lm::max(p.x, 1)})
    for (double v : r.to_vector<double>()) EXPECT_TRUE(std::isfinite(v));
}

TEST(AllMasked, GradientsAreExactlyZeroAtMaskedEntries) {
  Padded p;
  auto g = [&](lm::Tensor (*f)(const lm::Tensor&, std::int64_t, bool)) {
    return grad_of([f](const lm::Tensor& t) { return f(t, 1, false); }, p.x);
  };
  EXPECT_VALUES(g(lm::sum), {1, 0, 1, 0, 0, 0});
  EXPECT_VALUES(g(lm::mean), {0.5, 0, 0.5, 0, 0, 0});
  EXPECT_VALUES(g(lm::max), {0, 0, 1, 0, 0, 0});  // the 100 is padding: no gradient
  EXPECT_VALUES(g(lm::min), {1, 0, 0, 0, 0, 0});
  EXPECT_VALUES(g(lm::prod), {3, 0, 2, 0, 0, 0});  // d(2*3)/d2 = 3, d/d3 = 2
  // softmax over valid entries: e^2/(e^2+e^3) = 1/(1+e), e^3/(e^2+e^3) = e/(1+e)
  EXPECT_VALUES(g(lm::logsumexp), {0.2689414213699951, 0, 0.7310585786300049, 0, 0, 0});
}

// ---- max / min ------------------------------------------------------------------------------

TEST(MaxMin, ValuesAndDtypes) {
  auto x = lm::tensor({{1.f, -7.f, 3.f}, {4.f, 0.f, -2.f}});
  EXPECT_VALUES(lm::max(x), {4});
  EXPECT_VALUES(lm::min(x), {-7});
  EXPECT_VALUES(lm::max(x, 0), {4, 0, 3});
  EXPECT_VALUES(lm::min(x, -1), {-7, -2});
  auto i = lm::tensor({3, 9, -1});
  EXPECT_EQ(lm::max(i).dtype(), lm::Int32);
  EXPECT_VALUES(lm::max(i), {9});
  EXPECT_EQ(lm::max(lm::tensor({false, true})).dtype(), lm::Bool);
  EXPECT_VALUES(lm::min(lm::tensor({true, false})), {0});
  EXPECT_VALUES(lm::max(lm::tensor({-kInf, -kInf})), {-kInf});
  EXPECT_TRUE(std::isnan(lm::max(lm::tensor({1.0, std::nan(""), 3.0})).item<double>()));  // NaN propagates
}

TEST(MaxMin, GradientSplitsAmongTies) {
  auto x = lm::tensor({1.f, 3.f, 3.f, 2.f});
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::max(t); }, x), {0, 0.5, 0.5, 0});
  auto y = lm::tensor({{1.f, 1.f, 1.f}, {5.f, 2.f, 2.f}});
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::min(t, 1); }, y),
                {1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0.5, 0.5});
  // A masked tie does not share: [4, 4(padding), 1] -> all gradient to the valid 4.
  auto z = lm::tensor({{4.f, 4.f, 1.f}}).with_mask(bools({true, false, true}, {1, 3}));
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::max(t, 1); }, z), {1, 0, 0});
}

TEST(MaxMin, Gradcheck) {
  auto x = lm::random_normal({3, 1, 4}, {.seed = 5});
  for (lm::Axes axes : {lm::Axes{}, lm::Axes{-1}, lm::Axes{0, 2}})
    for (bool keep : {false, true}) {
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::max(in[0], axes, keep); }, {x});
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::min(in[0], axes, keep); }, {x});
    }
  auto m =
      lm::random_normal({3, 4, 2}, {.seed = 6})
          .with_mask(bools({true, false, true, true, false, false, false, false, false, true, true, false}, {3, 4}));
  for (lm::Axes axes : {lm::Axes{1}, lm::Axes{0, 1}, lm::Axes{-1}}) {
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::max(in[0], axes); }, {m});
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::min(in[0], axes); }, {m});
  }
}

TEST(MaxMin, ZeroSizeAxisIsAnError) {
  auto x = lm::zeros({2, 0});
  EXPECT_LAMINA_ERROR(lm::max(x, 1), lm::ValueError, {
    EXPECT_HAS(msg, "op 'max'");
    EXPECT_HAS(msg, "axis 1 has size 0");
  });
  EXPECT_LAMINA_ERROR(lm::min(x), lm::ValueError, { EXPECT_HAS(msg, "op 'min'"); });
  // Reducing a non-empty axis of an empty tensor is fine: no groups.
  EXPECT_SHAPE(lm::max(x, 0), lm::Shape({0}));
  // Raised on the spec too: a model with a known empty axis fails when built.
  auto s = lm::placeholder({lm::Shape{lm::None, 0}, lm::Float32, -1});
  EXPECT_LAMINA_ERROR(lm::max(s, 1), lm::ValueError, { EXPECT_HAS(msg, "max"); });
}

// ---- prod ---------------------------------------------------------------------------------

TEST(Prod, ValuesAndDtypes) {
  auto x = lm::tensor({{1.f, 2.f, 3.f}, {4.f, -5.f, 0.5f}});
  EXPECT_VALUES(lm::prod(x), {-60});  // (1*2*3) * (4*-5*0.5) = 6 * -10
  EXPECT_VALUES(lm::prod(x, 0), {4, -10, 1.5});
  EXPECT_VALUES(lm::prod(x, 1), {6, -10});
  EXPECT_EQ(lm::prod(lm::tensor({true, true})).dtype(), lm::Int32);  // Bool -> Int32
  EXPECT_VALUES(lm::prod(lm::tensor({true, false})), {0});
  EXPECT_EQ(lm::prod(lm::tensor({2, 3})).dtype(), lm::Int32);
  EXPECT_VALUES(lm::prod(lm::tensor({2, -3, 7})), {-42});
  EXPECT_VALUES(lm::prod(lm::tensor({1L << 20, 1L << 20})), {double(1L << 40)});
}

TEST(Prod, GradientWithZeros) {
  // no zero: [2,3,4] -> [3*4, 2*4, 2*3]
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::prod(t); }, lm::tensor({2.f, 3.f, 4.f})), {12, 8, 6});
  // exactly one zero: the zero gets the product of the others (2*3*4), the rest 0
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::prod(t); }, lm::tensor({2.f, 0.f, 3.f, 4.f})),
                {0, 24, 0, 0});
  // two zeros: all 0
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::prod(t); }, lm::tensor({0.f, 2.f, 0.f})), {0, 0, 0});
  // along axis 0 of a (2, 2): columns [1, 5] and [0, 3] -> [[5, 3], [1, 0]]
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::prod(t, 0); }, lm::tensor({{1.f, 0.f}, {5.f, 3.f}})),
                {5, 3, 1, 0});
}

TEST(Prod, SecondOrderGradient) {
  // f = abc at (0, 3, 5). df = (bc, ac, ab) = (15, 0, 0); d(sum df)/dx = (b+c, a+c, a+b) = (8, 5, 3).
  auto x = lm::tensor({0.0, 3.0, 5.0});
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor first;
  {
    lm::GradientTape inner;
    inner.watch(x);
    first = *inner.gradient(lm::prod(x), x);
  }
  EXPECT_VALUES(first, {15, 0, 0});
  auto second = outer.gradient(lm::sum(first), x);
  ASSERT_TRUE(second.has_value());
  EXPECT_VALUES(*second, {8, 5, 3});
}

TEST(Prod, Gradcheck) {
  auto x = lm::random_normal({3, 1, 4}, {.seed = 7});
  for (lm::Axes axes : {lm::Axes{}, lm::Axes{-1}, lm::Axes{0, 2}, lm::Axes{0}})
    for (bool keep : {false, true})
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::prod(in[0], axes, keep); }, {x});
  auto m =
      lm::random_normal({3, 4, 2}, {.seed = 8})
          .with_mask(bools({true, true, true, false, false, false, false, false, true, false, true, true}, {3, 4}));
  for (lm::Axes axes : {lm::Axes{1}, lm::Axes{0, 1}, lm::Axes{-1}, lm::Axes{}})
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::prod(in[0], axes); }, {m});
  // Gradient of prod through a zero, checked numerically as well.
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::prod(in[0], 1); },
                   {lm::tensor({{1.5, 0.0, -2.0}, {0.0, 0.0, 3.0}})});
}

// ---- logsumexp ------------------------------------------------------------------------------

TEST(LogSumExp, ValuesStableAndDtypes) {
  // log(e^0 + e^0) = log 2
  EXPECT_VALUES(lm::logsumexp(lm::tensor({0.f, 0.f})), {0.6931471805599453});
  // Large values do not overflow: 1000 + log 2; small ones do not underflow: -1000 + log 2
  EXPECT_VALUES(lm::logsumexp(lm::tensor({{1000.0, 1000.0}, {-1000.0, -1000.0}}), 1),
                {1000.6931471805599453, -999.3068528194400547}, 1e-9);
  // log(e^1 + e^2 + e^3) = 3 + log(1 + e^-1 + e^-2) = 3.40760596444438
  EXPECT_VALUES(lm::logsumexp(lm::tensor({1.0, 2.0, 3.0})), {3.40760596444438}, 1e-12);
  EXPECT_VALUES(lm::logsumexp(lm::tensor({-kInf, 0.0})), {0});
  EXPECT_EQ(lm::logsumexp(lm::tensor({1, 2})).dtype(), lm::Float32);
  EXPECT_EQ(lm::logsumexp(lm::tensor({1.0, 2.0})).dtype(), lm::Float64);
}

TEST(LogSumExp, Gradcheck) {
  auto x = lm::random_normal({3, 1, 4}, {.seed = 9});
  for (lm::Axes axes : {lm::Axes{}, lm::Axes{-1}, lm::Axes{0, 2}})
    for (bool keep : {false, true})
      EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::logsumexp(in[0], axes, keep); }, {x});
  // Huge values at masked positions must not leak (exp would overflow).
  auto m = lm::tensor({{{1.0}, {800.0}, {-2.0}}, {{900.0}, {-900.0}, {1e300}}})
               .with_mask(bools({true, false, true, false, false, false}, {2, 3}));
  auto lse = lm::logsumexp(m, 1);
  EXPECT_VALUES(lse, {1 + std::log1p(std::exp(-3.0)), 0}, 1e-12);  // log(e^1 + e^-2)
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::logsumexp(in[0], 1); }, {m});
  auto r =
      lm::random_normal({3, 4, 2}, {.seed = 10})
          .with_mask(bools({true, false, true, false, false, false, false, false, true, true, true, true}, {3, 4}));
  for (lm::Axes axes : {lm::Axes{1}, lm::Axes{0, 1}, lm::Axes{}})
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::logsumexp(in[0], axes); }, {r});
}

// ---- any / all ------------------------------------------------------------------------------

TEST(AnyAll, ValuesOnEveryDtype) {
  auto x = lm::tensor({{0.f, 0.5f}, {0.f, 0.f}});
  EXPECT_EQ(lm::any(x).dtype(), lm::Bool);
  EXPECT_VALUES(lm::any(x, 1), {1, 0});
  EXPECT_VALUES(lm::all(x, 0), {0, 0});
  EXPECT_VALUES(lm::all(lm::tensor({1, -2, 3})), {1});
  EXPECT_VALUES(lm::all(lm::tensor({1L, 0L})), {0});
  EXPECT_VALUES(lm::any(lm::tensor({false, true})), {1});
  EXPECT_VALUES(lm::all(lm::tensor({true, true})), {1});
  EXPECT_EQ(lm::all(lm::tensor({1.0})).dtype(), lm::Bool);
}

TEST(AnyAll, CutTheGradientPath) {
  for (bool use_any : {true, false}) {
    auto x = lm::tensor({1.f, 2.f});
    lm::GradientTape tape;
    tape.watch(x);
    auto target = lm::cast(use_any ? lm::any(x) : lm::argmax(x), lm::Float32) * 1.f;
    auto cuts = tape.cuts(target, {x});
    ASSERT_EQ(cuts.size(), 1u);
    EXPECT_HAS(cuts[0].describe(), use_any ? "op 'any'" : "op 'argmax'");
  }
}

// ---- argmax / argmin ------------------------------------------------------------------------

TEST(ArgMaxMin, Values) {
  auto x = lm::tensor({{1.f, 9.f, 9.f}, {-4.f, -8.f, -8.f}});
  auto a = lm::argmax(x);  // axis -1
  EXPECT_EQ(a.dtype(), lm::Int64);
  EXPECT_VALUES(a, {1, 0});  // first of the tied maxima
  EXPECT_VALUES(lm::argmin(x), {0, 1});
  EXPECT_VALUES(lm::argmax(x, 0), {0, 0, 0});
  EXPECT_VALUES(lm::argmin(x, 0), {1, 1, 1});
  auto k = lm::argmax(x, 1, true);
  EXPECT_SHAPE(k, lm::Shape({2, 1}));
  EXPECT_VALUES(lm::argmax(lm::tensor({3, 7, 7, 1})), {1});
  EXPECT_VALUES(lm::argmax(lm::tensor({1.0, std::nan(""), 3.0})), {1});  // NaN wins, like NumPy
  // (2, 2, 2) along the middle axis
  auto y = lm::tensor({{{1.f, 8.f}, {5.f, 2.f}}, {{0.f, 0.f}, {-1.f, 3.f}}});
  EXPECT_VALUES(lm::argmax(y, 1), {1, 0, 0, 1});
  EXPECT_VALUES(lm::argmin(y, -2), {0, 1, 1, 0});
}

TEST(ArgMaxMin, MaskedSkipsPadding) {
  // [[9(pad), 1, 5], [2, 7, 7(pad)]] over axis 1 -> argmax [2, 1], argmin [1, 0]
  auto x =
      lm::tensor({{9.f, 1.f, 5.f}, {2.f, 7.f, 7.f}}).with_mask(bools({false, true, true, true, true, false}, {2, 3}));
  auto a = lm::argmax(x, 1);
  EXPECT_VALUES(a, {2, 1});
  EXPECT_MASK(a, lm::Shape({2}), {true, true});
  EXPECT_VALUES(lm::argmin(x, 1), {1, 0});
  // argmax over a feature axis keeps the mask and looks at every entry
  auto f = lm::tensor({{{3.f, 4.f}}, {{6.f, 5.f}}}).with_mask(bools({true, false}, {2}));
  auto af = lm::argmax(f, -1);
  EXPECT_VALUES(af, {1, 0});
  EXPECT_MASK(af, lm::Shape({2}), {true, false});
}

TEST(ArgMaxMin, Errors) {
  EXPECT_LAMINA_ERROR(lm::argmax(lm::zeros({3, 0})), lm::ValueError, {
    EXPECT_HAS(msg, "op 'argmax'");
    EXPECT_HAS(msg, "size 0");
  });
  EXPECT_LAMINA_ERROR(lm::argmin(lm::zeros({0})), lm::ValueError, { EXPECT_HAS(msg, "op 'argmin'"); });
  EXPECT_LAMINA_ERROR(lm::argmax(lm::ones({2, 3}), 2), lm::ShapeError, {
    EXPECT_HAS(msg, "argmax");
    EXPECT_HAS(msg, "axis 2");
  });
  EXPECT_SHAPE(lm::argmax(lm::zeros({0, 3}), 1), lm::Shape({0}));
}

// ---- zero-size inputs -----------------------------------------------------------------------

TEST(ZeroSize, EmptyReductionsGiveTheIdentity) {
  auto x = lm::zeros({2, 0});
  EXPECT_VALUES(lm::prod(x, 1), {1, 1});
  EXPECT_VALUES(lm::mean(x, 1), {0, 0});  // not NaN, like an all-masked group
  EXPECT_VALUES(lm::mean(x), {0});
  EXPECT_VALUES(lm::logsumexp(x, 1), {-kInf, -kInf});  // log(0), like NumPy
  EXPECT_VALUES(lm::any(x, 1), {0, 0});
  EXPECT_VALUES(lm::all(x, 1), {1, 1});
  using Reduce = lm::Tensor (*)(const lm::Tensor&, const lm::Axes&, bool);
  for (Reduce f : std::vector<Reduce>{lm::sum, lm::mean, lm::prod, lm::logsumexp, lm::any, lm::all, lm::max, lm::min}) {
    auto r = f(x, lm::Axes{0}, false);
    EXPECT_SHAPE(r, lm::Shape({0}));
  }
  // The gradient of an empty reduction is an empty tensor.
  auto g = grad_of([](const lm::Tensor& t) { return lm::mean(t, 1); }, x);
  EXPECT_SHAPE(g, lm::Shape({2, 0}));
  auto gp = grad_of([](const lm::Tensor& t) { return lm::prod(t, 1); }, x);
  EXPECT_SHAPE(gp, lm::Shape({2, 0}));
}

// ---- symbolic specs -------------------------------------------------------------------------

TEST(Symbolic, SpecsMatchConcreteResults) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4, 3}, lm::Float32, 2});
  auto c = lm::random_normal({5, 4, 3}, {.seed = 11}).with_mask(lm::ones({5, 4}, lm::Bool));
  struct Case {
    std::function<lm::Tensor(const lm::Tensor&)> f;
    std::string spec;
  };
  std::vector<Case> cases{
      {[](const lm::Tensor& t) { return lm::sum(t, 1); }, "float32 (None, 3) mask (None,)"},
      {[](const lm::Tensor& t) { return lm::sum(t, 1, true); }, "float32 (None, 1, 3) mask (None, 1)"},
      {[](const lm::Tensor& t) { return lm::mean(t, 2); }, "float32 (None, 4) mask (None, 4)"},
      {[](const lm::Tensor& t) {
         return lm::max(t, lm::Axes{1, 2});
       },
       "float32 (None,) mask (None,)"},
      {[](const lm::Tensor& t) { return lm::min(t, 0); }, "float32 (4, 3) mask (4,)"},
      {[](const lm::Tensor& t) { return lm::prod(t, -1); }, "float32 (None, 4) mask (None, 4)"},
      {[](const lm::Tensor& t) { return lm::logsumexp(t, 1); }, "float32 (None, 3) mask (None,)"},
      {[](const lm::Tensor& t) { return lm::any(t, 2); }, "bool (None, 4) mask (None, 4)"},
      {[](const lm::Tensor& t) { return lm::all(t); }, "bool ()"},
      {[](const lm::Tensor& t) { return lm::argmax(t, 1); }, "int64 (None, 3) mask (None,)"},
      {[](const lm::Tensor& t) { return lm::argmin(t, 2, true); }, "int64 (None, 4, 1) mask (None, 4)"},
  };
  for (const auto& k : cases) {
    auto y = k.f(s);
    EXPECT_TRUE(y.is_symbolic());
    EXPECT_EQ(y.spec().str(), k.spec);
    auto z = k.f(c);  // concrete: same dtype, mask rank and known dims
    EXPECT_EQ(z.dtype(), y.dtype());
    EXPECT_EQ(z.mask_rank(), y.mask_rank()) << k.spec;
    ASSERT_EQ(z.rank(), y.rank());
    for (std::int64_t i = 0; i < y.rank(); ++i)
      if (y.shape()[i] >= 0) {
        EXPECT_EQ(z.shape()[i], y.shape()[i]);
      }
  }
  // A mask of rank 1 on (None, 4, 3): reducing features keeps it, reducing the batch drops it.
  auto s1 = lm::placeholder({lm::Shape{lm::None, 4, 3}, lm::Float32, 1});
  EXPECT_EQ(lm::mean(s1, lm::Axes{1, 2}).spec().str(), "float32 (None,) mask (None,)");
  EXPECT_EQ(lm::mean(s1, 0).spec().str(), "float32 (4, 3)");
  EXPECT_LAMINA_ERROR(lm::sum(s, 3), lm::ShapeError, { EXPECT_HAS(msg, "sum"); });
}

TEST(Symbolic, ReplayComputesTheOp) {
  auto s = lm::placeholder({lm::Shape{lm::None, 3}, lm::Float32, -1});
  auto y = lm::mean(s, 1);
  auto out = y.node()->replay({lm::tensor({{1.f, 2.f, 3.f}, {4.f, 4.f, 7.f}})});
  EXPECT_VALUES(out[0], {2, 5});
}

// ---- big inputs (threaded paths) --------------------------------------------------------------

TEST(Large, ThreadedReductionsAndMasks) {
  const std::int64_t n = 200000;
  std::vector<float> v(static_cast<std::size_t>(2 * n));
  std::vector<bool> m(static_cast<std::size_t>(2 * n));
  for (std::int64_t i = 0; i < 2 * n; ++i) {
    v[static_cast<std::size_t>(i)] = static_cast<float>(i % 7);
    m[static_cast<std::size_t>(i)] = (i / 2) % 3 != 0;  // rows divisible by 3 are all padding
  }
  auto x = lm::tensor(v, lm::Shape{n, 2}).with_mask(bools(m, {n, 2}));
  auto s = lm::sum(x, 1);  // mask axis 0 remains: output mask (n,)
  auto got = s.to_vector<double>();
  auto mask = s.mask().to_vector<bool>();
  for (std::int64_t r = 0; r < n; ++r) {
    double expect = r % 3 == 0 ? 0 : double((2 * r) % 7 + (2 * r + 1) % 7);
    ASSERT_EQ(got[static_cast<std::size_t>(r)], expect) << r;
    ASSERT_EQ(mask[static_cast<std::size_t>(r)], r % 3 != 0) << r;
  }
}
