// The reduction with masks and sample weights, padding that holds NaN/inf/garbage labels,
// all-padding batches, and the error messages.
#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;
namespace L = lamina::losses;
using ::testing::HasSubstr;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// -log softmax(x)[k], in double.
double nll(const std::vector<double>& x, int k) {
  double m = *std::max_element(x.begin(), x.end()), z = 0;
  for (double v : x) z += std::exp(v - m);
  return -(x[static_cast<std::size_t>(k)] - m - std::log(z));
}

lm::Tensor seq_mask() { return lm::tensor({{true, true, false}, {true, false, false}}); }

// Logits (2, 3, 3); `pad` fills the masked steps (1,2), (1,1), (1,2) -> positions [0][2], [1][1], [1][2].
lm::Tensor seq_logits(double pad) {
  return lm::tensor({{{1.0, 2.0, 0.5}, {0.1, -1.0, 0.3}, {pad, pad, pad}},
                     {{2.0, 0.0, -2.0}, {pad, -pad, pad}, {pad, 0.0, pad}}},
                    lm::Float64)
      .with_mask(seq_mask());
}

std::vector<double> grad(const L::LossRef& loss, const lm::Tensor& t, const lm::Tensor& p, const lm::Tensor& sw = {}) {
  lm::GradientTape tape;
  tape.watch(p);
  auto l = (*loss)(t, p, sw);
  auto g = tape.gradient(l, p);
  EXPECT_TRUE(g.has_value());
  return g ? g->to_vector<double>() : std::vector<double>{};
}

}  // namespace

TEST(LossMasking, SparseCrossentropyPerValidTimestep) {
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true});
  // Labels at padded steps are garbage (out of range, negative): they must not matter.
  auto labels = lm::tensor({{1, 2, 99}, {0, -5, 7}});
  double l00 = nll({1.0, 2.0, 0.5}, 1), l01 = nll({0.1, -1.0, 0.3}, 2), l10 = nll({2.0, 0.0, -2.0}, 0);
  auto parts = loss->reduce_parts(labels, seq_logits(0));
  EXPECT_EQ(parts.count, 3.0);
  EXPECT_NEAR(parts.sum.item<double>(), l00 + l01 + l10, 1e-12);
  EXPECT_NEAR((*loss)(labels, seq_logits(0)).item<double>(), (l00 + l01 + l10) / 3, 1e-12);
  auto un = loss->call(labels, seq_logits(0));
  EXPECT_SHAPE(un, lm::Shape{2, 3});
  EXPECT_MASK(un, (lm::Shape{2, 3}), {true, true, false, true, false, false});
  // NaN and inf at padded positions: same loss, same gradient (0 there).
  for (double pad : {kNaN, kInf, -kInf}) {
    SCOPED_TRACE(pad);
    EXPECT_NEAR((*loss)(labels, seq_logits(pad)).item<double>(), (l00 + l01 + l10) / 3, 1e-12);
    auto g = grad(loss, labels, seq_logits(pad)), g0 = grad(loss, labels, seq_logits(0));
    ASSERT_EQ(g.size(), 18u);
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_DOUBLE_EQ(g[i], g0[i]) << i;
    for (std::size_t i : {6u, 7u, 8u, 12u, 13u, 14u, 15u, 16u, 17u}) EXPECT_EQ(g0[i], 0.0) << i;
  }
}

TEST(LossMasking, SampleWeightsPerSampleAndPerStep) {
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true});
  auto labels = lm::tensor({{1, 2, 0}, {0, 0, 0}});
  double l00 = nll({1.0, 2.0, 0.5}, 1), l01 = nll({0.1, -1.0, 0.3}, 2), l10 = nll({2.0, 0.0, -2.0}, 0);
  // (batch,) weights every step of a sample; the count stays the number of valid steps.
  EXPECT_NEAR((*loss)(labels, seq_logits(kNaN), lm::tensor({2.0, 0.5})).item<double>(),
              (2 * l00 + 2 * l01 + 0.5 * l10) / 3, 1e-12);
  // (batch, 1) is the same (Keras squeezes the 1 against (batch, time) only when ranks differ).
  EXPECT_NEAR((*loss)(labels, seq_logits(kNaN), lm::tensor({{2.0}, {0.5}})).item<double>(),
              (2 * l00 + 2 * l01 + 0.5 * l10) / 3, 1e-12);
  // (batch, time) weights; NaN weights at padded steps are ignored too.
  auto sw = lm::tensor({{1.0, 3.0, kNaN}, {0.5, kNaN, kInf}});
  EXPECT_NEAR((*loss)(labels, seq_logits(kNaN), sw).item<double>(), (l00 + 3 * l01 + 0.5 * l10) / 3, 1e-12);
  auto g = grad(loss, labels, seq_logits(kNaN), sw);
  for (double x : g) EXPECT_TRUE(std::isfinite(x));
  EXPECT_GRADCHECK(
      [&](const lm::TensorList& in) {
        return (*loss)(labels, in[0], lm::tensor({{1.0, 3.0, 0.0}, {0.5, 0.0, 0.0}}));
      },
      {seq_logits(0)});
}

TEST(LossMasking, MaskedMeanOverTheLastAxis) {
  // MSE over a masked last axis: a masked mean per sample, and the any-valid mask.
  auto p = lm::tensor({{1.0, 2.0, kNaN}, {kNaN, kInf, -kInf}})
               .with_mask(lm::tensor({{true, true, false}, {false, false, false}}));
  auto t = lm::tensor({{0.0, 0.0, 5.0}, {1.0, 1.0, 1.0}});
  auto un = L::MeanSquaredError()->call(t, p);
  EXPECT_SHAPE(un, lm::Shape{2});
  EXPECT_MASK(un, (lm::Shape{2}), {true, false});
  auto parts = L::MeanSquaredError()->reduce_parts(t, p);
  EXPECT_EQ(parts.count, 1.0);
  EXPECT_NEAR(parts.sum.item<double>(), (1.0 + 4.0) / 2, 1e-12);
}

TEST(LossMasking, AllPaddingBatchGivesZero) {
  auto mask = lm::tensor({{false, false, false}, {false, false, false}});
  auto p = lm::tensor({{{kNaN, 1.0, 2.0}, {kInf, 0.0, 0.0}, {1.0, 1.0, 1.0}},
                       {{kNaN, kNaN, kNaN}, {0.0, -kInf, 0.0}, {3.0, 2.0, 1.0}}},
                      lm::Float64)
               .with_mask(mask);
  auto labels = lm::tensor({{-1, 50, 0}, {0, 1, 2}});
  for (const auto& loss :
       {L::SparseCategoricalCrossentropy({.from_logits = true}), L::SparseCategoricalCrossentropy()}) {
    auto parts = loss->reduce_parts(labels, p, lm::tensor({1.0, 2.0}));
    EXPECT_EQ(parts.count, 0.0);
    auto v = (*loss)(labels, p);
    EXPECT_EQ(v.item<double>(), 0.0);
    for (double x : grad(loss, labels, p)) EXPECT_EQ(x, 0.0);
  }
  auto dense = lm::tensor({{1.0, kNaN}, {kInf, 2.0}}).with_mask(lm::tensor({false, false}));
  for (const auto& loss : {L::MeanSquaredError(), L::BinaryCrossentropy(), L::CategoricalCrossentropy(),
                           L::KLDivergence(), L::CosineSimilarity(), L::Huber()}) {
    SCOPED_TRACE(loss->name());
    EXPECT_EQ((*loss)(lm::tensor({{1.0, 0.0}, {0.0, 1.0}}), dense).item<double>(), 0.0);
    for (double x : grad(loss, lm::tensor({{1.0, 0.0}, {0.0, 1.0}}), dense)) EXPECT_EQ(x, 0.0);
  }
}

TEST(LossMasking, EveryLossIgnoresWhatPaddingHolds) {
  // Per-step targets (2, 3, 2) with a (2, 3) mask; padding in y_pred is NaN / inf.
  auto mask = seq_mask();
  auto make = [&](double a, double b) {
    return lm::tensor({{{0.3, 0.7}, {0.6, 0.4}, {a, b}}, {{0.2, 0.8}, {b, a}, {a, a}}}, lm::Float64).with_mask(mask);
  };
  auto t = lm::tensor({{{0.0, 1.0}, {1.0, 0.0}, {0.0, 1.0}}, {{1.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}}}, lm::Float64);
  for (const auto& loss :
       {L::MeanSquaredError(), L::MeanAbsoluteError(), L::MeanAbsolutePercentageError(),
        L::MeanSquaredLogarithmicError(), L::Huber(), L::LogCosh(), L::Poisson(), L::KLDivergence(),
        L::CosineSimilarity(), L::Hinge(), L::SquaredHinge(), L::CategoricalHinge(), L::BinaryCrossentropy(),
        L::BinaryCrossentropy({.from_logits = true}), L::CategoricalCrossentropy(),
        L::CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.1})}) {
    SCOPED_TRACE(loss->name());
    auto ref = (*loss)(t, make(0, 0)).item<double>();
    EXPECT_TRUE(std::isfinite(ref));
    auto g0 = grad(loss, t, make(0, 0));
    for (auto [a, b] : {std::pair{kNaN, kInf}, std::pair{-kInf, kNaN}}) {
      EXPECT_DOUBLE_EQ((*loss)(t, make(a, b)).item<double>(), ref);
      auto g = grad(loss, t, make(a, b));
      ASSERT_EQ(g.size(), g0.size());
      for (std::size_t i = 0; i < g.size(); ++i) EXPECT_DOUBLE_EQ(g[i], g0[i]) << i;
    }
    // Padded entries (flat 4, 5 and 8..11) get exactly zero gradient.
    for (std::size_t i : {4u, 5u, 8u, 9u, 10u, 11u}) EXPECT_EQ(g0[i], 0.0) << i;
    // MAPE divides by epsilon at zero targets; its gradcheck, on non-zero targets, is in loss_values_test.
    if (loss->name() != "mean_absolute_percentage_error")
      EXPECT_GRADCHECK(
          [&](const lm::TensorList& in) {
            return (*loss)(t, in[0], lm::tensor({1.5, 0.5}));
          },
          {make(0.5, 0.5)});
  }
}

TEST(LossMasking, ReducePartsAddUpAcrossBatches) {
  // Two batches reduced separately and normalised globally equal one batch with both.
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true});
  auto labels = lm::tensor({{1, 2, 0}, {0, 0, 0}});
  auto a = loss->reduce_parts(labels, seq_logits(0));
  auto b = loss->reduce_parts(lm::tensor({2, 1}), lm::tensor({{0.0, 1.0, 2.0}, {1.0, 1.0, -1.0}}, lm::Float64));
  EXPECT_EQ(b.count, 2.0);
  double global = (a.sum.item<double>() + b.sum.item<double>()) / (a.count + b.count);
  double expected = (nll({1.0, 2.0, 0.5}, 1) + nll({0.1, -1.0, 0.3}, 2) + nll({2.0, 0.0, -2.0}, 0) +
                     nll({0.0, 1.0, 2.0}, 2) + nll({1.0, 1.0, -1.0}, 1)) /
                    5;
  EXPECT_NEAR(global, expected, 1e-12);
}

TEST(LossMasking, SymbolicTensorsGiveASymbolicScalar) {
  auto p = lm::placeholder({lm::Shape{lm::None, 4, 3}, lm::Float32, 2});
  auto t = lm::placeholder({lm::Shape{lm::None, 4}, lm::Int32, -1});
  auto v = (*L::SparseCategoricalCrossentropy())(t, p);
  EXPECT_TRUE(v.is_symbolic());
  EXPECT_EQ(v.rank(), 0);
  EXPECT_LAMINA_ERROR(L::SparseCategoricalCrossentropy()->reduce_parts(t, p), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("concrete")); });
}

TEST(LossErrors, ShapeMismatchNamesTheLossAndBothShapes) {
  EXPECT_LAMINA_ERROR((*L::MeanSquaredError())(lm::zeros({4, 3}), lm::zeros({4, 2})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("mean_squared_error"));
    EXPECT_THAT(msg, HasSubstr("(4, 3)"));
    EXPECT_THAT(msg, HasSubstr("(4, 2)"));
  });
  // Sparse labels given to categorical crossentropy: the hint names the sparse loss.
  for (auto labels : {lm::tensor({1, 0, 2, 1}), lm::tensor({{1}, {0}, {2}, {1}})})
    EXPECT_LAMINA_ERROR((*L::CategoricalCrossentropy())(labels, lm::ones({4, 3}) / 3.f), lm::ShapeError, {
      EXPECT_THAT(msg, HasSubstr("categorical_crossentropy"));
      EXPECT_THAT(msg, HasSubstr("use sparse_categorical_crossentropy"));
    });
  // One-hot labels given to sparse categorical crossentropy: the hint names the other loss.
  EXPECT_LAMINA_ERROR((*L::SparseCategoricalCrossentropy())(lm::one_hot(lm::tensor({1, 0}), 3), lm::ones({2, 3}) / 3.f),
                      lm::ShapeError, {
                        EXPECT_THAT(msg, HasSubstr("sparse_categorical_crossentropy"));
                        EXPECT_THAT(msg, HasSubstr("use categorical_crossentropy"));
                        EXPECT_THAT(msg, HasSubstr("(2, 3)"));
                      });
  EXPECT_LAMINA_ERROR((*L::BinaryCrossentropy())(lm::tensor({1, 0}), lm::ones({2, 3}) / 2.f), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("binary_crossentropy"));
    EXPECT_THAT(msg, HasSubstr("sparse_categorical_crossentropy"));
  });
  EXPECT_LAMINA_ERROR((*L::CategoricalCrossentropy())(lm::ones({2, 1}), lm::ones({2, 1})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("binary_crossentropy")); });
}

TEST(LossErrors, LabelsOutOfRange) {
  auto p = lm::ones({2, 3}) / 3.f;
  EXPECT_LAMINA_ERROR((*L::SparseCategoricalCrossentropy())(lm::tensor({1, 3}), p), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("label 3"));
    EXPECT_THAT(msg, HasSubstr("3 classes"));
    EXPECT_THAT(msg, HasSubstr("[1]"));
  });
  EXPECT_LAMINA_ERROR((*L::SparseCategoricalCrossentropy())(lm::tensor({-1, 0}), p), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("label -1")); });
  EXPECT_LAMINA_ERROR((*L::SparseCategoricalCrossentropy())(lm::tensor({0.5, 1.0}), p), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("not an integer")); });
  // Out-of-range labels at masked positions are fine.
  EXPECT_NO_THROW((*L::SparseCategoricalCrossentropy())(lm::tensor({1, 3}), p.with_mask(lm::tensor({true, false}))));
}

TEST(LossErrors, SampleWeightShape) {
  auto loss = L::SparseCategoricalCrossentropy({.from_logits = true});
  auto labels = lm::tensor({{1, 2, 0}, {0, 0, 0}});
  for (auto sw : {lm::ones({3}), lm::ones({2, 4}), lm::ones({2, 3, 2})})
    EXPECT_LAMINA_ERROR((*loss)(labels, seq_logits(0), sw), lm::ShapeError, {
      EXPECT_THAT(msg, HasSubstr("sparse_categorical_crossentropy"));
      EXPECT_THAT(msg, HasSubstr("sample_weight"));
      EXPECT_THAT(msg, HasSubstr("(2, 3)"));
    });
  EXPECT_LAMINA_ERROR((*loss)(lm::Tensor(), seq_logits(0)), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("y_true")); });
}

namespace {
// A custom loss that does no sanitising of its own: the base class does it.
class SquaredError final : public L::Loss {
 public:
  SquaredError() : Loss("SquaredError", "squared_error") {}
  lm::Tensor call(const lm::Tensor& t, const lm::Tensor& p) const override { return lm::square(p - t); }
};
}  // namespace

TEST(LossMasking, CustomLossesGetSanitisedInputs) {
  auto loss = std::make_shared<const SquaredError>();
  auto mask = lm::tensor({true, false, true});
  auto p = [&](double pad) { return lm::tensor({1.0, pad, 3.0}).with_mask(mask); };
  auto t = lm::tensor({0.0, 0.0, 1.0});
  EXPECT_DOUBLE_EQ((*loss)(t, p(kNaN)).item<double>(), (1.0 + 4.0) / 2);
  EXPECT_EQ(grad(loss, t, p(kNaN)), (std::vector<double>{1.0, 0.0, 2.0}));  // d/dp (p - t)^2 / 2
  EXPECT_EQ(loss->get_config()["type"], "SquaredError");
}
