// Every loss against values computed by hand (double-precision formulas written out here)
// and Keras's published docstring examples; gradients by finite differences.
#include <cmath>
#include <functional>

#include "test_util.hpp"

namespace lm = lamina;
namespace L = lamina::losses;
using ::testing::HasSubstr;

namespace {

using Rows = std::vector<std::vector<double>>;

lm::Tensor mat(const Rows& rows, lm::DType dt = lm::Float64) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return lm::tensor(flat, lm::Shape{static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())},
                    dt);
}

double value(const L::LossRef& loss, const lm::Tensor& t, const lm::Tensor& p, const lm::Tensor& sw = {}) {
  return (*loss)(t, p, sw).item<double>();
}

// Mean over rows of f(row of t, row of p).
double mean_rows(const Rows& t, const Rows& p,
                 const std::function<double(const std::vector<double>&, const std::vector<double>&)>& f) {
  double s = 0;
  for (std::size_t i = 0; i < t.size(); ++i) s += f(t[i], p[i]);
  return s / static_cast<double>(t.size());
}

// Mean over the last axis of an elementwise g.
std::function<double(const std::vector<double>&, const std::vector<double>&)> last_mean(
    std::function<double(double, double)> g) {
  return [g](const std::vector<double>& t, const std::vector<double>& p) {
    double s = 0;
    for (std::size_t j = 0; j < t.size(); ++j) s += g(t[j], p[j]);
    return s / static_cast<double>(t.size());
  };
}

void expect_gradcheck(const L::LossRef& loss, const lm::Tensor& t, const lm::Tensor& p, const lm::Tensor& sw = {}) {
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return (*loss)(t, in[0], sw); }, {p});
}

const Rows kT = {{0.2, 0.9, 0.1}, {0.7, 0.3, 0.5}};
const Rows kP = {{0.3, 0.6, 0.25}, {0.4, 0.45, 0.8}};

}  // namespace

TEST(LossValues, MeanSquaredErrorKerasExample) {
  // keras.losses.MeanSquaredError docstring: 0.5.
  EXPECT_NEAR(value(L::MeanSquaredError(), mat({{0, 1}, {0, 0}}), mat({{1, 1}, {1, 0}})), 0.5, 1e-12);
}

TEST(LossValues, RegressionLossesByHand) {
  const double eps = 1e-7;
  struct Case {
    L::LossRef loss;
    std::function<double(double, double)> g;
  } cases[] = {
      {L::MeanSquaredError(), [](double t, double p) { return (t - p) * (t - p); }},
      {L::MeanAbsoluteError(), [](double t, double p) { return std::abs(t - p); }},
      {L::MeanAbsolutePercentageError(),
       [eps](double t, double p) { return 100 * std::abs((t - p) / std::max(std::abs(t), eps)); }},
      {L::MeanSquaredLogarithmicError(),
       [eps](double t, double p) {
         double d = std::log(std::max(p, eps) + 1) - std::log(std::max(t, eps) + 1);
         return d * d;
       }},
      {L::LogCosh(), [](double t, double p) { return std::log(std::cosh(p - t)); }},
      {L::Poisson(), [eps](double t, double p) { return p - t * std::log(p + eps); }},
      {L::Huber(0.2),
       [](double t, double p) {
         double a = std::abs(p - t);
         return a <= 0.2 ? 0.5 * a * a : 0.2 * a - 0.5 * 0.2 * 0.2;
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.loss->name());
    EXPECT_NEAR(value(c.loss, mat(kT), mat(kP)), mean_rows(kT, kP, last_mean(c.g)), 1e-10);
    auto un = c.loss->call(mat(kT), mat(kP));
    EXPECT_SHAPE(un, lm::Shape{2});
    expect_gradcheck(c.loss, mat(kT), mat(kP));
  }
}

TEST(LossValues, HuberKerasExample) {
  // keras.losses.huber docstring: 0.155.
  EXPECT_NEAR(value(L::Huber(), mat({{0, 1}, {0, 0}}), mat({{0.6, 0.4}, {0.4, 0.6}})), 0.155, 1e-9);
  EXPECT_LAMINA_ERROR(L::Huber(0), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("delta")); });
}

TEST(LossValues, KLDivergenceByHand) {
  Rows t = {{0.2, 0.8}, {0.5, 0.5}}, p = {{0.4, 0.6}, {0.9, 0.1}};
  double expected = mean_rows(t, p, [](const auto& a, const auto& b) {
    double s = 0;
    for (std::size_t j = 0; j < a.size(); ++j) s += a[j] * std::log(a[j] / b[j]);
    return s;
  });
  EXPECT_NEAR(value(L::KLDivergence(), mat(t), mat(p)), expected, 1e-12);
  // Zeros are clipped to epsilon: 0 * log(eps / p) -> eps * log(eps / p), tiny but finite.
  double v = value(L::KLDivergence(), mat({{0, 1}}), mat({{0.5, 0.5}}));
  EXPECT_NEAR(v, 1e-7 * std::log(1e-7 / 0.5) + std::log(2.0), 1e-12);
  expect_gradcheck(L::KLDivergence(), mat(t), mat(p));
}

TEST(LossValues, CosineSimilarityByHand) {
  // Keras docstring: cosine_similarity([[0,1],[1,1],[1,1]], [[1,0],[1,1],[-1,-1]]) = [0, -1, 1].
  auto un = L::CosineSimilarity()->call(mat({{0, 1}, {1, 1}, {1, 1}}), mat({{1, 0}, {1, 1}, {-1, -1}}));
  EXPECT_VALUES(un, {0.0, -1.0, 1.0}, 1e-9);
  Rows t = {{1, 2, 2}, {0, 3, 4}}, p = {{2, 1, 2}, {1, 1, 0}};
  double expected = mean_rows(t, p, [](const auto& a, const auto& b) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t j = 0; j < a.size(); ++j) ab += a[j] * b[j], aa += a[j] * a[j], bb += b[j] * b[j];
    return -ab / std::sqrt(aa * bb);
  });
  EXPECT_NEAR(value(L::CosineSimilarity(), mat(t), mat(p)), expected, 1e-12);
  // A zero vector gives 0, not NaN.
  EXPECT_NEAR(value(L::CosineSimilarity(), mat({{0, 0}}), mat({{1, 2}})), 0.0, 1e-12);
  expect_gradcheck(L::CosineSimilarity(), mat(t), mat(p));
  // axis 0: one value per column.
  EXPECT_SHAPE(L::CosineSimilarity(0)->call(mat(t), mat(p)), lm::Shape{3});
}

TEST(LossValues, HingeLossesByHand) {
  // 0/1 labels become -1/1; -1/1 labels pass unchanged.
  Rows t01 = {{0, 1}, {1, 0}}, tpm = {{-1, 1}, {1, -1}}, p = {{0.3, 0.8}, {-0.4, -2.0}};
  auto hinge = [](double t, double p) { return std::max(1 - t * p, 0.0); };
  double h = mean_rows(tpm, p, last_mean(hinge));
  EXPECT_NEAR(value(L::Hinge(), mat(t01), mat(p)), h, 1e-12);
  EXPECT_NEAR(value(L::Hinge(), mat(tpm), mat(p)), h, 1e-12);
  double sh = mean_rows(tpm, p, last_mean([&](double t, double p) { return hinge(t, p) * hinge(t, p); }));
  EXPECT_NEAR(value(L::SquaredHinge(), mat(t01), mat(p)), sh, 1e-12);
  // categorical hinge: max(max((1-t) p) - sum(t p) + 1, 0).
  Rows t = {{0, 1, 0}, {1, 0, 0}}, q = {{0.2, 0.5, 0.3}, {0.1, 0.7, 0.2}};
  double ch = mean_rows(t, q, [](const auto& a, const auto& b) {
    double pos = 0, neg = -1e300;
    for (std::size_t j = 0; j < a.size(); ++j) pos += a[j] * b[j], neg = std::max(neg, (1 - a[j]) * b[j]);
    return std::max(neg - pos + 1, 0.0);
  });
  EXPECT_NEAR(value(L::CategoricalHinge(), mat(t), mat(q)), ch, 1e-12);
  expect_gradcheck(L::Hinge(), mat(tpm), mat(p));
  expect_gradcheck(L::SquaredHinge(), mat(tpm), mat(p));
  expect_gradcheck(L::CategoricalHinge(), mat(t), mat(q));
}

TEST(LossValues, BinaryCrossentropyKerasExamples) {
  auto bce = L::BinaryCrossentropy({.from_logits = true});
  // keras.losses.BinaryCrossentropy docstring: 0.8654, with sample_weight [0.8, 0.2]: 0.243.
  EXPECT_NEAR(value(bce, lm::tensor({0., 1., 0., 0.}), lm::tensor({-18.6, 0.51, 2.94, -12.8})), 0.8654, 1e-4);
  auto t = mat({{0, 1}, {0, 0}}), p = mat({{-18.6, 0.51}, {2.94, -12.8}});
  EXPECT_NEAR(value(bce, t, p), 0.8654, 1e-4);
  EXPECT_NEAR(value(bce, t, p, lm::tensor({0.8, 0.2})), 0.243, 1e-3);
  EXPECT_VALUES(bce->call(t, p), {0.235, 1.496}, 1e-3);
}

TEST(LossValues, BinaryCrossentropyByHand) {
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  const double eps = 1e-7;
  auto bce = [&](double t, double q) {
    q = std::clamp(q, eps, 1 - eps);
    return -(t * std::log(q) + (1 - t) * std::log(1 - q));
  };
  Rows t = {{1, 0, 1}, {0, 0, 1}}, logits = {{2.0, -1.0, 0.5}, {3.0, -0.2, -4.0}};
  Rows probs = logits;
  for (auto& r : probs)
    for (auto& x : r) x = sig(x);
  for (double ls : {0.0, 0.2}) {
    SCOPED_TRACE(ls);
    auto smooth = [ls](double t) { return t * (1 - ls) + 0.5 * ls; };
    double expected = mean_rows(t, probs, last_mean([&](double a, double q) { return bce(smooth(a), q); }));
    EXPECT_NEAR(value(L::BinaryCrossentropy({.label_smoothing = ls}), mat(t), mat(probs)), expected, 1e-9);
    EXPECT_NEAR(value(L::BinaryCrossentropy({.from_logits = true, .label_smoothing = ls}), mat(t), mat(logits)),
                expected, 1e-9);
    expect_gradcheck(L::BinaryCrossentropy({.label_smoothing = ls}), mat(t), mat(probs));
    expect_gradcheck(L::BinaryCrossentropy({.from_logits = true, .label_smoothing = ls}), mat(t), mat(logits));
  }
  // Probabilities are clipped: p = 0 for a positive label costs -log(1e-7), not inf.
  EXPECT_NEAR(value(L::BinaryCrossentropy(), mat({{1}}), mat({{0}})), -std::log(1e-7), 1e-6);
  // Logits are exact far out: log(1 + e^-40) ~ 4.2e-18, where 1 - sigmoid would round to 0.
  EXPECT_NEAR(value(L::BinaryCrossentropy({.from_logits = true}), mat({{1}}), mat({{40}})), std::exp(-40.0), 1e-25);
  EXPECT_NEAR(value(L::BinaryCrossentropy({.from_logits = true}), mat({{0}}), mat({{200}})), 200.0, 1e-9);
  // (batch,) labels with (batch, 1) predictions are expanded, as Keras.
  EXPECT_NEAR(value(L::BinaryCrossentropy(), lm::tensor({1.0, 0.0}), mat({{0.8}, {0.4}})),
              (bce(1, 0.8) + bce(0, 0.4)) / 2, 1e-12);
}

TEST(LossValues, CategoricalCrossentropyKerasExample) {
  // keras.losses.CategoricalCrossentropy docstring: 1.177, unreduced [0.0513, 2.303].
  auto t = mat({{0, 1, 0}, {0, 0, 1}}), p = mat({{0.05, 0.95, 0}, {0.1, 0.8, 0.1}});
  EXPECT_NEAR(value(L::CategoricalCrossentropy(), t, p), 1.177, 1e-3);
  EXPECT_VALUES(L::CategoricalCrossentropy()->call(t, p), {0.0513, 2.303}, 1e-3);
}

TEST(LossValues, CategoricalCrossentropyByHand) {
  Rows t = {{0, 1, 0}, {0.2, 0.3, 0.5}}, logits = {{1.0, 2.0, -1.0}, {0.5, -0.5, 3.0}};
  for (double ls : {0.0, 0.3}) {
    SCOPED_TRACE(ls);
    auto ce = [&](const std::vector<double>& a, const std::vector<double>& x) {
      double m = *std::max_element(x.begin(), x.end()), z = 0;
      for (double v : x) z += std::exp(v - m);
      double s = 0;
      for (std::size_t j = 0; j < a.size(); ++j) s -= (a[j] * (1 - ls) + ls / 3) * (x[j] - m - std::log(z));
      return s;
    };
    double expected = mean_rows(t, logits, ce);
    EXPECT_NEAR(value(L::CategoricalCrossentropy({.from_logits = true, .label_smoothing = ls}), mat(t), mat(logits)),
                expected, 1e-10);
    // The same through probabilities (softmax written out; rows already sum to 1).
    Rows probs = logits;
    for (auto& r : probs) {
      double z = 0;
      for (double v : r) z += std::exp(v);
      for (double& v : r) v = std::exp(v) / z;
    }
    EXPECT_NEAR(value(L::CategoricalCrossentropy({.label_smoothing = ls}), mat(t), mat(probs)), expected, 1e-9);
    expect_gradcheck(L::CategoricalCrossentropy({.from_logits = true, .label_smoothing = ls}), mat(t), mat(logits));
    expect_gradcheck(L::CategoricalCrossentropy({.label_smoothing = ls}), mat(t), mat(probs));
  }
  // Probabilities are renormalised, then clipped: [2, 2] is [0.5, 0.5].
  EXPECT_NEAR(value(L::CategoricalCrossentropy(), mat({{1, 0}}), mat({{2, 2}})), std::log(2.0), 1e-12);
  // Axis 0 is the class axis here.
  auto cols =
      L::CategoricalCrossentropy({.from_logits = true, .axis = 0})->call(mat({{1, 0}, {0, 1}}), mat({{0, 0}, {0, 0}}));
  EXPECT_VALUES(cols, {std::log(2.0), std::log(2.0)}, 1e-12);
}

TEST(LossValues, SparseCategoricalCrossentropyKerasExample) {
  // keras.losses.SparseCategoricalCrossentropy docstring: 1.177; sample_weight [0.3, 0.7]: 0.814.
  auto t = lm::tensor({1, 2}), p = mat({{0.05, 0.95, 0}, {0.1, 0.8, 0.1}});
  EXPECT_NEAR(value(L::SparseCategoricalCrossentropy(), t, p), 1.177, 1e-3);
  EXPECT_NEAR(value(L::SparseCategoricalCrossentropy(), t, p, lm::tensor({0.3, 0.7})), 0.814, 1e-3);
}

TEST(LossValues, SparseCategoricalCrossentropyByHand) {
  Rows logits = {{1.0, 2.0, -1.0}, {0.5, -0.5, 3.0}, {0.0, 0.0, 0.0}};
  std::vector<int> labels = {1, 0, 2};
  double expected = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    double z = 0;
    for (double v : logits[i]) z += std::exp(v);
    expected -= (logits[i][static_cast<std::size_t>(labels[i])] - std::log(z)) / 3;
  }
  auto p = mat(logits);
  EXPECT_NEAR(value(L::SparseCategoricalCrossentropy({.from_logits = true}), lm::tensor({1, 0, 2}), p), expected,
              1e-12);
  // (batch, 1) labels, float labels and int64 labels are all accepted.
  EXPECT_NEAR(value(L::SparseCategoricalCrossentropy({.from_logits = true}),
                    lm::tensor(std::vector<double>{1, 0, 2}, lm::Shape{3, 1}), p),
              expected, 1e-12);
  EXPECT_NEAR(value(L::SparseCategoricalCrossentropy({.from_logits = true}), lm::tensor({1L, 0L, 2L}), p), expected,
              1e-12);
  expect_gradcheck(L::SparseCategoricalCrossentropy({.from_logits = true}), lm::tensor({1, 0, 2}), p);
  auto probs = mat({{0.2, 0.5, 0.3}, {0.6, 0.1, 0.3}});
  expect_gradcheck(L::SparseCategoricalCrossentropy(), lm::tensor({2, 0}), probs);
  EXPECT_NEAR(value(L::SparseCategoricalCrossentropy(), lm::tensor({2, 0}), probs),
              -(std::log(0.3) + std::log(0.6)) / 2, 1e-12);
}

TEST(LossValues, SparseCategoricalCrossentropyIgnoreClass) {
  // Label -1 is ignored: it neither adds to the sum nor to the count.
  auto p = mat({{0.2, 0.8}, {0.6, 0.4}, {0.5, 0.5}});
  auto loss = L::SparseCategoricalCrossentropy({.ignore_class = -1});
  EXPECT_NEAR(value(loss, lm::tensor({1, -1, 0}), p), -(std::log(0.8) + std::log(0.5)) / 2, 1e-12);
  auto un = loss->call(lm::tensor({1, -1, 0}), p);
  EXPECT_MASK(un, (lm::Shape{3}), {true, false, true});
  auto parts = loss->reduce_parts(lm::tensor({1, -1, 0}), p);
  EXPECT_EQ(parts.count, 2.0);
}

TEST(LossValues, SequenceShapes) {
  // (batch, time, classes) gives (batch, time); (batch, time, 1) regression gives (batch, time).
  auto p = lm::ones({2, 3, 4}, lm::Float64) * 0.25;
  auto scce = L::SparseCategoricalCrossentropy()->call(lm::zeros({2, 3}, lm::Int32), p);
  EXPECT_SHAPE(scce, lm::Shape{2, 3});
  EXPECT_NEAR(lm::mean(scce).item<double>(), std::log(4.0), 1e-12);
  EXPECT_SHAPE(L::MeanSquaredError()->call(lm::zeros({2, 3, 1}), lm::ones({2, 3, 1})), lm::Shape{2, 3});
  // As Keras: (batch, time) labels squeeze a (batch, time, 1) prediction, and the mean over
  // the last axis then gives one value per sample; (batch, time, 1) labels keep the steps.
  EXPECT_SHAPE(L::BinaryCrossentropy()->call(lm::zeros({2, 3}), lm::ones({2, 3, 1}) * 0.5), lm::Shape{2});
  EXPECT_SHAPE(L::BinaryCrossentropy()->call(lm::zeros({2, 3, 1}), lm::ones({2, 3, 1}) * 0.5), lm::Shape{2, 3});
}
