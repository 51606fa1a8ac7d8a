// var and std: values worked out by hand, accuracy at large offsets and over many
// elements, masks (incl. all-masked groups and garbage at masked positions), ddof,
// gradients (by hand, gradcheck, second order), symbolic specs, errors, zero-size inputs.
#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;

namespace {

#define EXPECT_HAS(msg, text) \
  EXPECT_NE((msg).find(text), std::string::npos) << "message lacks '" << (text) << "':\n" << (msg)

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// d sum(f(x) * w) / dx from the tape (w = 1 unless given).
lm::Tensor grad_of(const std::function<lm::Tensor(const lm::Tensor&)>& f, const lm::Tensor& x,
                   const lm::Tensor& w = lm::Tensor()) {
  lm::GradientTape tape;
  tape.watch(x);
  lm::Tensor y = f(x).without_mask();
  auto g = tape.gradient(lm::sum(w.defined() ? y * w : y), x, {.unconnected = lm::Unconnected::Zero});
  return *g;
}

}  // namespace

TEST(Var, ValuesByHand) {
  // [1, 2, 3, 4]: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5.
  auto x = lm::tensor({1.0, 2.0, 3.0, 4.0});
  EXPECT_VALUES(lm::var(x), {1.25}, 1e-15);                           // 5 / 4
  EXPECT_VALUES(lm::var(x, lm::Axes{}, false, 1), {5.0 / 3}, 1e-15);  // 5 / 3
  EXPECT_VALUES(lm::std(x), {std::sqrt(1.25)}, 1e-15);
  EXPECT_VALUES(lm::std(x, lm::Axes{}, false, 1), {std::sqrt(5.0 / 3)}, 1e-15);
  // [[1, 2, 6], [4, 4, 4]]: rows -> var [14/3, 0] (mean 3: 4 + 1 + 9 = 14), columns -> [2.25, 1, 1]
  auto m = lm::tensor({{1.f, 2.f, 6.f}, {4.f, 4.f, 4.f}});
  EXPECT_VALUES(lm::var(m, 1), {14.0 / 3, 0}, 1e-6);
  EXPECT_VALUES(lm::var(m, 0), {2.25, 1, 1}, 1e-6);
  auto k = lm::std(m, 1, /*keepdims=*/true);
  EXPECT_SHAPE(k, lm::Shape({2, 1}));
  EXPECT_VALUES(k, {std::sqrt(14.0 / 3), 0}, 1e-6);
  // All six: mean 21/6 = 3.5; deviations 6.25 + 2.25 + 6.25 + 0.25 * 3 = 15.5; 15.5 / 6
  EXPECT_VALUES(lm::var(m, lm::Axes{0, 1}), {15.5 / 6}, 1e-6);
}

TEST(Var, DtypesAndIntegers) {
  EXPECT_EQ(lm::var(lm::tensor({1, 2, 4})).dtype(), lm::Float32);  // integers give Float32
  EXPECT_EQ(lm::std(lm::tensor({1.0, 2.0})).dtype(), lm::Float64);
  EXPECT_EQ(lm::var(lm::tensor({1.f, 2.f})).dtype(), lm::Float32);
  // [1, 2, 4]: mean 7/3, deviations 16/9 + 1/9 + 25/9 = 42/9; / 3 = 14/9
  EXPECT_VALUES(lm::var(lm::tensor({1, 2, 4})), {14.0 / 9}, 1e-6);
  EXPECT_VALUES(lm::var(lm::tensor({true, false, true, true})), {3.0 / 16}, 1e-7);  // p(1 - p), p = 3/4
}

TEST(Var, AccurateAtLargeOffsets) {
  // 1e9 + [1, 2, 3, 4] in float64 and 1e4 + [0.5, 1, 1.5, 2] in float32: E[x^2] - E[x]^2
  // loses every digit here; two passes keep them (values exact in the dtype).
  auto x = lm::tensor({1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4});
  EXPECT_EQ(lm::var(x).item<double>(), 1.25);
  auto y = lm::tensor({1e4f + 0.5f, 1e4f + 1.f, 1e4f + 1.5f, 1e4f + 2.f});
  EXPECT_EQ(lm::var(y).item<float>(), 0.3125f);  // deviations 0.5625 + 0.0625 + 0.0625 + 0.5625 = 1.25; / 4
  // 1e6 entries alternating 1e8 + 0.1 and 1e8 + 0.3 (float64): var = 0.01 within 1e-9 (the
  // inputs themselves are only held to 1.5e-8 absolute).
  std::vector<double> v(1'000'000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 1e8 + (i % 2 ? 0.3 : 0.1);
  const double d = ((1e8 + 0.3) - (1e8 + 0.1)) / 2;  // the held half-difference
  EXPECT_NEAR(lm::var(lm::tensor(v)).item<double>(), d * d, 1e-15);
}

TEST(Var, MaskedAxisCountsValidEntriesOnly) {
  // Row 0: valid 2 and 3 (the 100 is padding) -> var 0.25; row 1 all padding -> 0, marked invalid.
  auto x = lm::tensor({{2.f, 100.f, 3.f}, {5.f, 6.f, 7.f}})
               .with_mask(bools({true, false, true, false, false, false}, {2, 3}));
  auto v = lm::var(x, 1);
  EXPECT_VALUES(v, {0.25, 0});
  EXPECT_MASK(v, lm::Shape({2}), {true, false});
  EXPECT_VALUES(lm::std(x, 1), {0.5, 0});
  EXPECT_VALUES(lm::var(x, 1, false, 1), {0.5, 0});  // ddof 1: 0.5 / 1; the empty row stays 0
  auto all = lm::var(x);                             // valid entries {2, 3} of the whole tensor
  EXPECT_VALUES(all, {0.25});
  EXPECT_FALSE(all.has_mask());
  // Reducing only feature axes keeps the mask and ignores it (every entry counts).
  auto seq = lm::tensor({{{1.f, 3.f}, {2.f, 2.f}}}).with_mask(bools({true, false}, {1, 2}));
  auto f = lm::var(seq, -1);
  EXPECT_VALUES(f, {1, 0});
  EXPECT_MASK(f, lm::Shape({1, 2}), {true, false});
  // A group with one valid entry and ddof 1 has nothing to divide by: NaN, as NumPy.
  auto one = lm::tensor({{2.0, 9.0}}).with_mask(bools({true, false}, {1, 2}));
  EXPECT_TRUE(std::isnan(lm::var(one, 1, false, 1).item<double>()));
}

TEST(Var, GarbageAtMaskedPositionsActsAsZeros) {
  // NaN, +inf and -inf at every masked position: values and gradients equal those with 0 there.
  const std::vector<bool> m = {true, false, true, true, false, false, false, false};
  for (double bad : {kNaN, kInf, -kInf}) {
    auto clean = lm::tensor({{1.0, 0.0, 4.0, 2.0}, {0.0, 0.0, 0.0, 0.0}}).with_mask(bools(m, {2, 4}));
    auto dirty = lm::tensor({{1.0, bad, 4.0, 2.0}, {bad, bad, bad, bad}}).with_mask(bools(m, {2, 4}));
    for (bool root : {false, true}) {
      auto f = [root](const lm::Tensor& t) { return root ? lm::std(t, 1) : lm::var(t, 1); };
      EXPECT_EQ(f(dirty).to_vector<double>(), f(clean).to_vector<double>()) << bad << " root " << root;
      EXPECT_EQ(grad_of(f, dirty).to_vector<double>(), grad_of(f, clean).to_vector<double>())
          << bad << " root " << root;
    }
  }
}

TEST(Var, GradientByHand) {
  // d var / dx_i = 2 (x_i - mean) / (n - ddof): [1, 2, 3, 4] -> 2 * [-1.5, -0.5, 0.5, 1.5] / 4.
  auto x = lm::tensor({1.0, 2.0, 3.0, 4.0});
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::var(t); }, x), {-0.75, -0.25, 0.25, 0.75}, 1e-15);
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::var(t, lm::Axes{}, false, 1); }, x),
                {-1, -1.0 / 3, 1.0 / 3, 1}, 1e-15);
  // d std = d var / (2 std): std = sqrt(1.25).
  const double s = std::sqrt(1.25);
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::std(t); }, x),
                {-0.75 / (2 * s), -0.25 / (2 * s), 0.25 / (2 * s), 0.75 / (2 * s)}, 1e-15);
  // Masked: row 0 valid {2, 3} (mean 2.5, n 2) -> [-0.5, 0, 0.5]; the padding row gets 0.
  auto p = lm::tensor({{2.0, 100.0, 3.0}, {5.0, 6.0, 7.0}})
               .with_mask(bools({true, false, true, false, false, false}, {2, 3}));
  EXPECT_VALUES(grad_of([](const lm::Tensor& t) { return lm::var(t, 1); }, p), {-0.5, 0, 0.5, 0, 0, 0}, 1e-15);
  // std of a constant group: 0, with gradient 0 (not NaN).
  auto c = lm::tensor({{3.0, 3.0, 3.0}, {1.0, 2.0, 3.0}});
  auto gc = grad_of([](const lm::Tensor& t) { return lm::std(t, 1); }, c);
  // row 1: var 2/3, std sqrt(2/3); d/dx = (x - 2) / (3 std)
  const double s1 = std::sqrt(2.0 / 3);
  EXPECT_VALUES(gc, {0, 0, 0, -1 / (3 * s1), 0, 1 / (3 * s1)}, 1e-15);
}

TEST(Var, Gradcheck) {
  auto x = lm::random_normal({3, 1, 4}, {.seed = 21});
  for (lm::Axes axes : {lm::Axes{}, lm::Axes{-1}, lm::Axes{0, 2}, lm::Axes{1}})
    for (bool keep : {false, true})
      for (std::int64_t ddof : {0, 1}) {
        if (ddof == 1 && axes == lm::Axes{1}) continue;  // one entry per group: an error
        EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::var(in[0], axes, keep, ddof); }, {x});
        EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::std(in[0], axes, keep, ddof); }, {x});
      }
  auto r =
      lm::random_normal({3, 4, 2}, {.seed = 22})
          .with_mask(bools({true, false, true, false, false, false, false, false, true, true, true, true}, {3, 4}));
  for (lm::Axes axes : {lm::Axes{1}, lm::Axes{0, 1}, lm::Axes{}, lm::Axes{2}, lm::Axes{0, 2}}) {
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::var(in[0], axes); }, {r});
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return lm::std(in[0], axes); }, {r});
  }
}

TEST(Var, SecondOrderGradient) {
  // var([a, b]) = (a - b)^2 / 4, grad = [(a - b) / 2, (b - a) / 2];
  // d/d[a, b] sum(grad * w) = [(w0 - w1) / 2, (w1 - w0) / 2] = [-1.5, 1.5] for w = [1, 4].
  auto x = lm::tensor({5.0, 2.0});
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor first;
  {
    lm::GradientTape inner;
    inner.watch(x);
    first = *inner.gradient(lm::var(x), x);
  }
  EXPECT_VALUES(first, {1.5, -1.5}, 1e-15);
  auto second = outer.gradient(lm::sum(first * lm::tensor({1.0, 4.0})), x);
  ASSERT_TRUE(second.has_value());
  EXPECT_VALUES(*second, {-1.5, 1.5}, 1e-15);
}

TEST(Var, SymbolicSpecs) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4, 3}, lm::Float32, 2});
  EXPECT_EQ(lm::var(s, 1).spec().str(), "float32 (None, 3) mask (None,)");
  EXPECT_EQ(lm::std(s, 2, true).spec().str(), "float32 (None, 4, 1) mask (None, 4)");
  EXPECT_EQ(lm::var(s).spec().str(), "float32 ()");
  auto i = lm::placeholder({lm::Shape{lm::None, 5}, lm::Int32, -1});
  EXPECT_EQ(lm::std(i, 1, false, 1).spec().str(), "float32 (None,)");
  // Replay computes the op: var of [1, 2, 4] rows.
  auto y = lm::var(lm::placeholder({lm::Shape{lm::None, 3}, lm::Float64, -1}), 1);
  auto out = y.node()->replay({lm::tensor({{1.0, 2.0, 4.0}, {3.0, 3.0, 3.0}})});
  EXPECT_VALUES(out[0], {14.0 / 9, 0}, 1e-15);
}

TEST(Var, Errors) {
  auto x = lm::tensor({{1.f, 2.f}, {3.f, 4.f}});
  EXPECT_LAMINA_ERROR(lm::var(x, lm::Axes{}, false, -1), lm::ValueError, {
    EXPECT_HAS(msg, "var");
    EXPECT_HAS(msg, "ddof = -1");
  });
  EXPECT_LAMINA_ERROR(lm::std(x, 1, false, 2), lm::ValueError, {
    EXPECT_HAS(msg, "std");
    EXPECT_HAS(msg, "2 entries per group");
  });
  EXPECT_LAMINA_ERROR(lm::var(x, lm::Axes{0, 0}), lm::ShapeError, {
    EXPECT_HAS(msg, "var");
    EXPECT_HAS(msg, "twice");
  });
  EXPECT_LAMINA_ERROR(lm::std(x, 2), lm::ShapeError, { EXPECT_HAS(msg, "std"); });
  EXPECT_LAMINA_ERROR(lm::var(lm::Tensor()), lm::Error, { EXPECT_HAS(msg, "var"); });
  // Known from the spec, before any data: a symbolic (None, 1) over axis 1 with ddof 1.
  EXPECT_LAMINA_ERROR(lm::var(lm::placeholder({lm::Shape{lm::None, 1}, lm::Float32, -1}), 1, false, 1), lm::ValueError,
                      { EXPECT_HAS(msg, "var"); });
}

TEST(Var, ZeroSize) {
  // An empty axis gives 0 (like mean), not NaN.
  auto e = lm::zeros({2, 0});
  EXPECT_VALUES(lm::var(e, 1), {0, 0});
  EXPECT_VALUES(lm::std(e, 1, false, 1), {0, 0});
  EXPECT_SHAPE(lm::var(e, 0), lm::Shape({0}));
}
