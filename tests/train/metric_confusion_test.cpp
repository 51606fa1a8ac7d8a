// Precision, Recall and AUC against Keras's docstring examples and hand-computed counts.
#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;
namespace M = lamina::metrics;
using ::testing::HasSubstr;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}

TEST(MetricConfusion, PrecisionAndRecallKerasExamples) {
  auto t = lm::tensor({0, 1, 1, 1}), p = lm::tensor({1.f, 0.f, 1.f, 1.f});
  auto prec = M::Precision(), rec = M::Recall();
  prec->update_state(t, p);
  rec->update_state(t, p);
  EXPECT_NEAR(prec->result(), 2.0 / 3.0, 1e-12);  // tp 2, fp 1
  EXPECT_NEAR(rec->result(), 2.0 / 3.0, 1e-12);   // tp 2, fn 1
  prec->reset_state();
  rec->reset_state();
  prec->update_state(t, p, lm::tensor({0.f, 0.f, 1.f, 0.f}));
  rec->update_state(t, p, lm::tensor({0.f, 0.f, 1.f, 0.f}));
  EXPECT_DOUBLE_EQ(prec->result(), 1.0);
  EXPECT_DOUBLE_EQ(rec->result(), 1.0);
}

TEST(MetricConfusion, RunningCountsThresholdAndMask) {
  auto prec = M::Precision(0.3);
  // Batch 1: scores > 0.3 are positive: preds [1, 1, 0, 1], labels [1, 0, 0, 1] -> tp 2, fp 1.
  prec->update_state(lm::tensor({{1.0}, {0.0}, {0.0}, {1.0}}), lm::tensor({{0.9}, {0.35}, {0.3}, {0.31}}));
  EXPECT_DOUBLE_EQ(prec->result(), 2.0 / 3.0);
  // Batch 2, masked (2, 2) with NaN at padding: valid entries (0,0) pos/label 1 and (1,1) pos/label 0.
  auto p = lm::tensor({{0.8, kNaN}, {kNaN, 0.9}}).with_mask(lm::tensor({{true, false}, {false, true}}));
  prec->update_state(lm::tensor({{1.0, 1.0}, {1.0, 0.0}}), p);
  EXPECT_DOUBLE_EQ(prec->result(), 3.0 / 5.0);
  auto rec = M::Recall(0.3);
  rec->update_state(lm::tensor({{1.0, 1.0}, {1.0, 0.0}}), p);
  EXPECT_DOUBLE_EQ(rec->result(), 1.0);  // the label-1 entries at padding do not count as misses
  // No positive predictions yet: 0, not NaN.
  EXPECT_EQ(M::Precision()->result(), 0.0);
  // state/merge_state: two halves merged equal one pass.
  auto a = M::Recall(), b = M::Recall(), all = M::Recall();
  auto t1 = lm::tensor({1, 1, 0}), p1 = lm::tensor({0.9, 0.2, 0.7});
  auto t2 = lm::tensor({1, 0}), p2 = lm::tensor({0.6, 0.1});
  a->update_state(t1, p1);
  b->update_state(t2, p2);
  all->update_state(t1, p1);
  all->update_state(t2, p2);
  a->merge_state(b->state());
  EXPECT_DOUBLE_EQ(a->result(), all->result());
  EXPECT_DOUBLE_EQ(a->result(), 2.0 / 3.0);
  EXPECT_LAMINA_ERROR(a->merge_state({1.0, 2.0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("4 accumulators")); });
  EXPECT_LAMINA_ERROR(M::Precision(1.5), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("threshold")); });
}

TEST(MetricConfusion, AUCKerasExample) {
  // keras.metrics.AUC docstring: thresholds [-1e-7, 0.5, 1 + 1e-7], tp [2, 1, 0], fp [2, 0, 0],
  // fn [0, 1, 2], tn [0, 2, 2] -> 0.75; sample_weight [1, 0, 0, 1] -> 1.0.
  auto m = M::AUC(3);
  auto t = lm::tensor({0, 0, 1, 1}), p = lm::tensor({0.f, 0.5f, 0.3f, 0.9f});
  m->update_state(t, p);
  EXPECT_EQ(m->state(), (std::vector<double>{2, 1, 0, 2, 0, 0, 0, 2, 2, 0, 1, 2}));
  EXPECT_DOUBLE_EQ(m->result(), 0.75);
  m->reset_state();
  m->update_state(t, p, lm::tensor({1.f, 0.f, 0.f, 1.f}));
  EXPECT_DOUBLE_EQ(m->result(), 1.0);
}

TEST(MetricConfusion, AUCMatchesTheExactROCArea) {
  // Scores far apart from each other's buckets: the 200-threshold trapezoid is the exact
  // Mann-Whitney AUC, the fraction of (positive, negative) pairs ranked right.
  auto m = M::AUC();
  m->update_state(lm::tensor({0, 0, 1}), lm::tensor({0.1, 0.4, 0.35}));
  m->update_state(lm::tensor({1, 0}), lm::tensor({0.8, 0.62}));
  // positives {0.35, 0.8}, negatives {0.1, 0.4, 0.62}: 0.35 beats 1, 0.8 beats 3 -> 4 / 6.
  EXPECT_NEAR(m->result(), 4.0 / 6.0, 1e-12);
  // from_logits applies a sigmoid first: logit(x) gives the same area.
  auto l = M::AUC(M::AUCOptions{.from_logits = true});
  auto logit = [](double x) { return std::log(x / (1 - x)); };
  l->update_state(lm::tensor({0, 0, 1, 1, 0}),
                  lm::tensor({logit(0.1), logit(0.4), logit(0.35), logit(0.8), logit(0.62)}));
  EXPECT_NEAR(l->result(), 4.0 / 6.0, 1e-12);
  // Masked entries (NaN there) are excluded.
  auto masked = M::AUC();
  masked->update_state(lm::tensor({0, 1, 1}), lm::tensor({0.2, kNaN, 0.7}).with_mask(lm::tensor({true, false, true})));
  EXPECT_NEAR(masked->result(), 1.0, 1e-12);
}

TEST(MetricConfusion, AUCCurvesAndSummation) {
  // Counts from the docstring example: tp [2, 1, 0], fp [2, 0, 0], fn [0, 1, 2], tn [0, 2, 2].
  auto t = lm::tensor({0, 0, 1, 1}), p = lm::tensor({0.f, 0.5f, 0.3f, 0.9f});
  auto run = [&](M::AUCOptions o) {
    o.num_thresholds = 3;
    auto m = M::AUC(o);
    m->update_state(t, p);
    return m->result();
  };
  // ROC points (fpr, tpr): (1, 1), (0, 0.5), (0, 0). minoring: 1 * min(1, 0.5); majoring: 1 * 1.
  EXPECT_DOUBLE_EQ(run({.summation_method = "minoring"}), 0.5);
  EXPECT_DOUBLE_EQ(run({.summation_method = "majoring"}), 1.0);
  // PR, interpolated as Davis & Goadrich (Keras's interpolate_pr_auc), by hand:
  // interval 0: dtp 1, P 4 -> 1, slope 1/3, intercept 1 - 1/3 = 2/3: (1/3)(1 + (2/3) ln 4) / 2;
  // interval 1: dtp 1, P 1 -> 0, slope 1, intercept 0, ratio 1: 1 / 2.
  EXPECT_NEAR(run({.curve = "PR"}), (1.0 / 3) * (1 + (2.0 / 3) * std::log(4.0)) / 2 + 0.5, 1e-12);
  // PR with minoring: points (recall, precision) (1, 0.5), (0.5, 1), (0, 0): 0.5 * 0.5 + 0.5 * 0.
  EXPECT_DOUBLE_EQ(run({.curve = "PR", .summation_method = "minoring"}), 0.25);
  EXPECT_LAMINA_ERROR(M::AUC(1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("num_thresholds")); });
  EXPECT_LAMINA_ERROR(M::AUC(M::AUCOptions{.curve = "XY"}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("curve")); });
  EXPECT_LAMINA_ERROR(M::AUC(3)->update_state(lm::tensor({0, 1}), lm::tensor({0.1, 0.2, 0.3})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("auc")); });
}
