// Gradients at large magnitudes (1e4, 1e6, 3e38) in float32 and float64. A backward that
// reuses a rounded forward output (exp(x - logsumexp(x)) with the output rounded to an ulp
// of 1e6) loses the small part of the result; these tests compare every gradient against
// references computed independently in long double from the same inputs.
#include <cmath>
#include <limits>
#include <vector>

#include "test_util.hpp"

namespace lm = lamina;

namespace {

using LD = long double;

// d sum(f(x) * w) / dx from the tape, as doubles (w = 1 unless given).
std::vector<double> tape_grad(const std::function<lm::Tensor(const lm::Tensor&)>& f, const lm::Tensor& x,
                              const lm::Tensor& w = lm::Tensor()) {
  lm::GradientTape tape;
  tape.watch(x);
  lm::Tensor y = f(x).without_mask();
  lm::Tensor target = lm::sum(w.defined() ? y * w : y);
  lm::Tensor g = lm::cast(*tape.gradient(target, x, {.unconnected = lm::Unconnected::Zero}), lm::Float64);
  return std::vector<double>(g.data<double>(), g.data<double>() + g.numel());
}

// The softmax of v in long double, max-shifted; entries with valid[i] false get 0.
std::vector<LD> softmax_ld(const std::vector<LD>& v, const std::vector<bool>& valid = {}) {
  LD m = -std::numeric_limits<LD>::infinity();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (valid.empty() || valid[i]) m = std::max(m, v[i]);
  std::vector<LD> e(v.size(), 0);
  LD s = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (valid.empty() || valid[i]) s += e[i] = std::exp(v[i] - m);
  for (auto& x : e) x /= s;
  return e;
}

// |got - want| <= rel |want| + floor per entry; floor is the smallest normal number of
// the dtype the gradient was computed in (a value below it underflows).
::testing::AssertionResult close_rel(const std::vector<double>& got, const std::vector<LD>& want, double rel,
                                     double floor = 0) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (std::size_t i = 0; i < got.size(); ++i) {
    const LD err = std::fabs(static_cast<LD>(got[i]) - want[i]);
    if (!(err <= rel * std::fabs(want[i]) + floor))
      return ::testing::AssertionFailure()
             << "entry " << i << ": got " << got[i] << ", want " << static_cast<double>(want[i]) << " (relative error "
             << static_cast<double>(err / std::fabs(want[i])) << ", allowed " << rel << ")";
  }
  return ::testing::AssertionSuccess();
}

// The inputs as the tensor will hold them (rounded to dtype), in long double.
std::vector<LD> held(const lm::Tensor& x) {
  lm::Tensor d = lm::cast(x.without_mask(), lm::Float64);
  return std::vector<LD>(d.data<double>(), d.data<double>() + d.numel());
}

// Relative accuracy expected of a gradient computed in `dt`: a few ulps.
double ulps(lm::DType dt, double n) { return n * (dt == lm::Float32 ? 0x1p-24 : 0x1p-53); }
double tiny(lm::DType dt) {
  return dt == lm::Float32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
}

const std::vector<double> kOffsets = {0, 0.5, -1, 0.25, 2, -0.75};  // exact at 1e6 in float32

}  // namespace

// ---- logsumexp: the gradient is the max-shifted softmax ------------------------------------

TEST(LargeMagnitude, LogSumExpGradientAtTiedHugeValues) {
  // logsumexp([3e38, -3e38, 3e38, 1]) = 3e38 + log 2; its gradient is softmax = [.5, 0, .5, 0].
  // exp(x - out) with out rounded to 3e38 gave [1, 0, 1, 0].
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    auto x = lm::cast(lm::tensor({3e38, -3e38, 3e38, 1.0}), dt);
    auto g = tape_grad([](const lm::Tensor& t) { return lm::logsumexp(t); }, x);
    EXPECT_TRUE(close_rel(g, {0.5L, 0, 0.5L, 0}, ulps(dt, 4))) << lm::dtype_name(dt);
  }
}

TEST(LargeMagnitude, LogSumExpGradientNearLargeLogits) {
  for (lm::DType dt : {lm::Float32, lm::Float64})
    for (double base : {1e4, 1e6, -1e6, 1e15}) {
      if (dt == lm::Float32 && std::fabs(base) > 1e7) continue;  // offsets not representable
      std::vector<double> v;
      for (double o : kOffsets) v.push_back(base + o);
      auto x = lm::cast(lm::tensor(v), dt);
      auto g = tape_grad([](const lm::Tensor& t) { return lm::logsumexp(t); }, x);
      EXPECT_TRUE(close_rel(g, softmax_ld(held(x)), ulps(dt, 8))) << lm::dtype_name(dt) << " at " << base;
    }
}

TEST(LargeMagnitude, LogSumExpGradientAlongLeadingAxisWithWeights) {
  // (6, 2), reduced over axis 0 (the block path), an upstream gradient of [2, -3].
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    std::vector<double> v;
    for (double o : kOffsets) {
      v.push_back(1e6 + o);
      v.push_back(-1e4 - 2 * o);
    }
    auto x = lm::cast(lm::tensor(v, lm::Shape{6, 2}), dt);
    auto w = lm::cast(lm::tensor({2.0, -3.0}), dt);
    auto g = tape_grad([](const lm::Tensor& t) { return lm::logsumexp(t, 0); }, x, w);
    std::vector<LD> col0, col1, h = held(x);
    for (std::size_t i = 0; i < 6; ++i) {
      col0.push_back(h[2 * i]);
      col1.push_back(h[2 * i + 1]);
    }
    auto p0 = softmax_ld(col0), p1 = softmax_ld(col1);
    std::vector<LD> want;
    for (std::size_t i = 0; i < 6; ++i) {
      want.push_back(2 * p0[i]);
      want.push_back(-3 * p1[i]);
    }
    EXPECT_TRUE(close_rel(g, want, ulps(dt, 8))) << lm::dtype_name(dt);
  }
}

TEST(LargeMagnitude, MaskedLogSumExpGradientIgnoresPaddingAtLargeValues) {
  // Row 0 has valid 1e6 + {0, 0.5, 0.25}; padding holds NaN, inf and -inf; row 1 is all
  // padding and gets a zero gradient.
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    auto mask = lm::tensor(std::vector<bool>{true, false, true, false, true, false, false, false, false, false},
                           lm::Shape{2, 5}, lm::Bool);
    auto x = lm::cast(lm::tensor(std::vector<double>{1e6, nan, 1e6 + 0.5, inf, 1e6 + 0.25, 1.0, nan, -inf, inf, 2.0},
                                 lm::Shape{2, 5}),
                      dt)
                 .with_mask(mask);
    auto g = tape_grad([](const lm::Tensor& t) { return lm::logsumexp(t, 1); }, x);
    auto p = softmax_ld({1e6L, 1e6L + 0.5L, 1e6L + 0.25L});
    EXPECT_TRUE(close_rel(g, {p[0], 0, p[1], 0, p[2], 0, 0, 0, 0, 0}, ulps(dt, 8))) << lm::dtype_name(dt);
  }
}

TEST(LargeMagnitude, LogSumExpGradientOfAllMinusInfinityIsZero) {
  // Nothing to weigh: 0, not 0/0.
  const double inf = std::numeric_limits<double>::infinity();
  auto g = tape_grad([](const lm::Tensor& t) { return lm::logsumexp(t); }, lm::tensor({-inf, -inf}));
  EXPECT_TRUE(close_rel(g, {0, 0}, 0));
}

TEST(LargeMagnitude, LogSumExpSecondOrderGradient) {
  // d/dx_j of sum_i w_i p_i = p_j (w_j - sum_i w_i p_i), at logits near 1e6 (float64).
  std::vector<double> v;
  for (double o : kOffsets) v.push_back(1e6 + o);
  auto x = lm::tensor(v);
  const std::vector<double> w = {1, -2, 3, 0.5, -1, 2};
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor dot;
  {
    lm::GradientTape inner;
    inner.watch(x);
    auto g = *inner.gradient(lm::logsumexp(x), x);
    dot = lm::sum(g * lm::tensor(w));
  }
  auto h = *outer.gradient(dot, x);
  auto p = softmax_ld(held(x));
  LD wp = 0;
  for (std::size_t i = 0; i < w.size(); ++i) wp += w[i] * p[i];
  std::vector<LD> want;
  for (std::size_t i = 0; i < w.size(); ++i) want.push_back(p[i] * (w[i] - wp));
  std::vector<double> got(h.data<double>(), h.data<double>() + h.numel());
  EXPECT_TRUE(close_rel(got, want, 1e-12));
}

// ---- softmax and log_softmax: backwards from outputs that are exact enough -----------------

TEST(LargeMagnitude, SoftmaxAndLogSoftmaxGradients) {
  // d sum(w * log_softmax(x)) / dx = w - p sum(w);  d sum(w * softmax(x)) / dx = p (w - sum(w p)).
  const std::vector<double> w = {1, -2, 3, 0.5, -1, 2};
  for (lm::DType dt : {lm::Float32, lm::Float64})
    for (double base : {1e4, 1e6, -1e6}) {
      std::vector<double> v;
      for (double o : kOffsets) v.push_back(base + o);
      auto x = lm::cast(lm::tensor(v), dt);
      auto wt = lm::cast(lm::tensor(w), dt);
      auto p = softmax_ld(held(x));
      LD sw = 0, swp = 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        sw += w[i];
        swp += w[i] * p[i];
      }
      std::vector<LD> want_log, want_soft;
      for (std::size_t i = 0; i < w.size(); ++i) {
        want_log.push_back(w[i] - p[i] * sw);
        want_soft.push_back(p[i] * (w[i] - swp));
      }
      EXPECT_TRUE(
          close_rel(tape_grad([](const lm::Tensor& t) { return lm::log_softmax(t); }, x, wt), want_log, ulps(dt, 32)))
          << lm::dtype_name(dt) << " at " << base;
      EXPECT_TRUE(
          close_rel(tape_grad([](const lm::Tensor& t) { return lm::softmax(t); }, x, wt), want_soft, ulps(dt, 32)))
          << lm::dtype_name(dt) << " at " << base;
    }
  // Huge ties: log_softmax([3e38, -3e38, 3e38, 1]) has gradient (w = 1) 1 - 4 p = [-1, 1, -1, 1].
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    auto x = lm::cast(lm::tensor({3e38, -3e38, 3e38, 1.0}), dt);
    EXPECT_TRUE(
        close_rel(tape_grad([](const lm::Tensor& t) { return lm::log_softmax(t); }, x), {-1, 1, -1, 1}, ulps(dt, 4)))
        << lm::dtype_name(dt);
  }
}

// ---- activations: derivatives that keep their relative accuracy ----------------------------

TEST(LargeMagnitude, ActivationGradientsKeepRelativeAccuracy) {
  // sigmoid'(x) = s(x) s(-x), tanh'(x) = 1 - tanh(x)^2 = 4 s(2x) s(-2x), softplus'(x) = s(x),
  // in long double. s(x)(1 - s(x)) from the rounded output gives 0 for x >= 17 in float32.
  auto sig = [](LD v) { return 1 / (1 + std::exp(-v)); };
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    const std::vector<double> v = {-1e6, -3e38, -60, -20, -3, 0.5, 17, 20, 30, 60, 1e4, 3e38};
    auto x = lm::cast(lm::tensor(v), dt);
    std::vector<LD> ds, dt_, dp;
    for (LD h : held(x)) {
      ds.push_back(sig(h) * sig(-h));
      dt_.push_back(4 * sig(2 * h) * sig(-2 * h));
      dp.push_back(sig(h));
    }
    EXPECT_TRUE(close_rel(tape_grad([](const lm::Tensor& t) { return lm::sigmoid(t); }, x), ds, ulps(dt, 8), tiny(dt)))
        << "sigmoid " << lm::dtype_name(dt);
    EXPECT_TRUE(close_rel(tape_grad([](const lm::Tensor& t) { return lm::tanh(t); }, x), dt_, ulps(dt, 8), tiny(dt)))
        << "tanh " << lm::dtype_name(dt);
    EXPECT_TRUE(close_rel(tape_grad([](const lm::Tensor& t) { return lm::softplus(t); }, x), dp, ulps(dt, 8), tiny(dt)))
        << "softplus " << lm::dtype_name(dt);
  }
}
