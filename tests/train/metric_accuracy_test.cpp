// Mean and the accuracy / loss-valued metrics: running weighted means over several updates,
// masks (padding may hold anything), sample weights, reset and state merging.
#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace lm = lamina;
namespace M = lamina::metrics;
using ::testing::HasSubstr;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}

TEST(MetricMean, RunningWeightedMean) {
  auto m = M::Mean();
  EXPECT_EQ(m->result(), 0.0);  // before any update
  m->update(lm::tensor({1.0, 3.0, 5.0, 7.0}));
  EXPECT_DOUBLE_EQ(m->result(), 4.0);  // Keras docstring
  m->update(lm::tensor({10.0}), lm::tensor({2.0}));
  EXPECT_DOUBLE_EQ(m->result(), (16.0 + 20.0) / 6.0);
  m->update(2.0, 4.0);
  EXPECT_DOUBLE_EQ(m->result(), (36.0 + 8.0) / 10.0);
  EXPECT_EQ(m->state(), (std::vector<double>{44.0, 10.0}));
  m->reset_state();
  m->update(lm::tensor({1.0, 3.0, 5.0, 7.0}), lm::tensor({1.0, 1.0, 0.0, 0.0}));
  EXPECT_DOUBLE_EQ(m->result(), 2.0);  // Keras docstring
  // A scalar counts once.
  m->reset_state();
  m->update(lm::scalar(3.0));
  m->update(lm::scalar(5.0));
  EXPECT_DOUBLE_EQ(m->result(), 4.0);
}

TEST(MetricMean, MasksAndTimesteps) {
  auto m = M::Mean("token_loss");
  EXPECT_EQ(m->name(), "token_loss");
  // (2, 3) values, (2, 3) mask: each valid step counts once; NaN at padding is skipped.
  auto v = lm::tensor({{1.0, 2.0, kNaN}, {4.0, kNaN, kNaN}})
               .with_mask(lm::tensor({{true, true, false}, {true, false, false}}));
  m->update(v);
  EXPECT_DOUBLE_EQ(m->result(), 7.0 / 3.0);
  // Unmasked (2, 2): one unit per sample, its value the mean of its row.
  m->update(lm::tensor({{2.0, 4.0}, {6.0, 6.0}}));
  EXPECT_DOUBLE_EQ(m->result(), (7.0 + 3.0 + 6.0) / 5.0);
  // (batch,) weights on masked steps.
  m->reset_state();
  m->update(v, lm::tensor({2.0, 0.5}));
  EXPECT_DOUBLE_EQ(m->result(), (2 * 1.0 + 2 * 2.0 + 0.5 * 4.0) / (2 + 2 + 0.5));
  EXPECT_LAMINA_ERROR(m->update(v, lm::ones({3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("token_loss"));
    EXPECT_THAT(msg, HasSubstr("sample_weight"));
  });
  EXPECT_LAMINA_ERROR(m->update_state(v, v), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("update(")); });
}

TEST(MetricMean, StateMerges) {
  auto a = M::Mean(), b = M::Mean(), all = M::Mean();
  a->update(lm::tensor({1.0, 2.0}));
  b->update(lm::tensor({6.0}), lm::tensor({3.0}));
  all->update(lm::tensor({1.0, 2.0}));
  all->update(lm::tensor({6.0}), lm::tensor({3.0}));
  a->merge_state(b->state());
  EXPECT_DOUBLE_EQ(a->result(), all->result());
  EXPECT_DOUBLE_EQ(a->result(), (3.0 + 18.0) / 5.0);
  EXPECT_LAMINA_ERROR(a->merge_state({1.0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("2 accumulators")); });
}

TEST(MetricAccuracy, BinaryAccuracy) {
  auto m = M::BinaryAccuracy();
  EXPECT_EQ(m->name(), "binary_accuracy");
  m->update_state(lm::tensor({{1.0}, {0.0}, {1.0}, {0.0}}), lm::tensor({{0.7}, {0.6}, {0.4}, {0.1}}));
  EXPECT_DOUBLE_EQ(m->result(), 2.0 / 4.0);
  m->update_state(lm::tensor({1, 1}), lm::tensor({{0.9}, {0.8}}));  // (batch,) int labels expand
  EXPECT_DOUBLE_EQ(m->result(), 4.0 / 6.0);
  m->reset_state();
  m->update_state(lm::tensor({{1.0}, {0.0}, {1.0}, {0.0}}), lm::tensor({{0.7}, {0.6}, {0.4}, {0.1}}),
                  lm::tensor({1.0, 2.0, 3.0, 4.0}));
  EXPECT_DOUBLE_EQ(m->result(), (1.0 + 4.0) / 10.0);
  auto t = M::BinaryAccuracy(0.65);
  t->update_state(lm::tensor({{1.0}, {0.0}, {1.0}, {0.0}}), lm::tensor({{0.7}, {0.6}, {0.4}, {0.1}}));
  EXPECT_DOUBLE_EQ(t->result(), 3.0 / 4.0);
  // Multi-label (batch, 3): each sample is the mean of its labels' matches.
  auto ml = M::BinaryAccuracy();
  ml->update_state(lm::tensor({{1.0, 0.0, 1.0}, {0.0, 0.0, 1.0}}), lm::tensor({{0.9, 0.2, 0.1}, {0.3, 0.8, 0.7}}));
  EXPECT_DOUBLE_EQ(ml->result(), (2.0 / 3 + 2.0 / 3) / 2);
}

TEST(MetricAccuracy, SparseCategoricalPerValidTimestep) {
  auto m = M::SparseCategoricalAccuracy();
  auto mask = lm::tensor({{true, true, false}, {true, false, false}});
  // argmax per step: [1, 2, -], [0, -, -]; padding holds NaN and labels are garbage there.
  auto p = lm::tensor({{{0.1, 0.8, 0.1}, {0.2, 0.3, 0.5}, {kNaN, kNaN, kNaN}},
                       {{0.6, 0.3, 0.1}, {kNaN, 0.0, 1.0}, {kNaN, kNaN, kNaN}}},
                      lm::Float64)
               .with_mask(mask);
  auto labels = lm::tensor({{1, 0, 99}, {0, -3, 7}});
  m->update_state(labels, p);
  EXPECT_DOUBLE_EQ(m->result(), 2.0 / 3.0);  // steps (0,0) and (1,0) right, (0,1) wrong
  // A second, unmasked batch of 2 samples with (batch, 1) labels: 1 right.
  m->update_state(lm::tensor({{2}, {0}}), lm::tensor({{0.1, 0.2, 0.7}, {0.3, 0.6, 0.1}}));
  EXPECT_DOUBLE_EQ(m->result(), 3.0 / 5.0);
  // (batch,) sample weights weight each valid step of the sample.
  m->reset_state();
  m->update_state(labels, p, lm::tensor({2.0, 5.0}));
  EXPECT_DOUBLE_EQ(m->result(), (2.0 * 1 + 2.0 * 0 + 5.0 * 1) / (2.0 + 2.0 + 5.0));
  // (batch, time) weights, NaN at padding.
  m->reset_state();
  m->update_state(labels, p, lm::tensor({{1.0, 3.0, kNaN}, {0.5, kNaN, kNaN}}));
  EXPECT_DOUBLE_EQ(m->result(), (1.0 + 0.5) / (1.0 + 3.0 + 0.5));
  // An all-padding batch adds nothing.
  m->update_state(labels, p.with_mask(lm::zeros({2, 3}, lm::Bool)));
  EXPECT_DOUBLE_EQ(m->result(), (1.0 + 0.5) / (1.0 + 3.0 + 0.5));
  EXPECT_LAMINA_ERROR(m->update_state(lm::one_hot(lm::tensor({1, 0}), 3), lm::ones({2, 3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("sparse_categorical_accuracy"));
    EXPECT_THAT(msg, HasSubstr("categorical_accuracy"));
  });
}

TEST(MetricAccuracy, CategoricalAccuracy) {
  auto m = M::CategoricalAccuracy();
  // Keras docstring: [[0,0,1],[0,1,0]] vs [[0.1,0.9,0.8],[0.05,0.95,0]] -> 0.5; weights [0.7, 0.3] -> 0.3.
  auto t = lm::tensor({{0.0, 0.0, 1.0}, {0.0, 1.0, 0.0}}), p = lm::tensor({{0.1, 0.9, 0.8}, {0.05, 0.95, 0.0}});
  m->update_state(t, p);
  EXPECT_DOUBLE_EQ(m->result(), 0.5);
  m->reset_state();
  m->update_state(t, p, lm::tensor({0.7, 0.3}));
  EXPECT_NEAR(m->result(), 0.3, 1e-12);
  // Ties pick the first maximum: [0.4, 0.4, 0.2] predicts class 0.
  m->reset_state();
  m->update_state(lm::tensor({{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}}), lm::tensor({{0.4, 0.4, 0.2}, {0.4, 0.4, 0.2}}));
  EXPECT_DOUBLE_EQ(m->result(), 0.5);
  EXPECT_LAMINA_ERROR(m->update_state(lm::tensor({2, 1}), p), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("sparse_categorical_accuracy")); });
  EXPECT_LAMINA_ERROR(m->update_state(lm::tensor({{2}, {1}}), p), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("sparse_categorical_accuracy")); });
}

TEST(MetricAccuracy, TopK) {
  auto p = lm::tensor({{0.5, 0.5, 0.1, 0.0}, {0.1, 0.2, 0.3, 0.4}, {0.4, 0.3, 0.2, 0.1}});
  // k = 2: label 1 in row 0 ties for first (in); label 1 in row 1 is third (out); label 1 in row 2 second (in).
  auto sparse = M::SparseTopKCategoricalAccuracy(2);
  sparse->update_state(lm::tensor({1, 1, 1}), p);
  EXPECT_DOUBLE_EQ(sparse->result(), 2.0 / 3.0);
  auto dense = M::TopKCategoricalAccuracy(2);
  dense->update_state(lm::one_hot(lm::tensor({1, 1, 1}), 4), p);
  EXPECT_DOUBLE_EQ(dense->result(), 2.0 / 3.0);
  // Label 2 in row 0 has two larger scores: out at k = 2, in at k = 3.
  auto k3 = M::SparseTopKCategoricalAccuracy(3);
  k3->update_state(lm::tensor({2}), lm::tensor({{0.5, 0.5, 0.1, 0.0}}));
  EXPECT_DOUBLE_EQ(k3->result(), 1.0);
  sparse->reset_state();
  sparse->update_state(lm::tensor({2}), lm::tensor({{0.5, 0.5, 0.1, 0.0}}));
  EXPECT_DOUBLE_EQ(sparse->result(), 0.0);
  // A NaN score at the label never counts; masked rows do not count at all.
  sparse->reset_state();
  sparse->update_state(
      lm::tensor({0, 9}),
      lm::tensor({{kNaN, 0.1, 0.2, 0.3}, {kNaN, kNaN, kNaN, kNaN}}).with_mask(lm::tensor({true, false})));
  EXPECT_DOUBLE_EQ(sparse->result(), 0.0);
  EXPECT_EQ(sparse->state()[1], 1.0);
  EXPECT_LAMINA_ERROR(sparse->update_state(lm::tensor({4}), lm::tensor({{0.5, 0.5, 0.1, 0.0}})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("label 4")); });
  EXPECT_LAMINA_ERROR(M::TopKCategoricalAccuracy(0), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("k")); });
}

TEST(MetricAccuracy, LossMetricsArePerStepMeans) {
  auto m = M::MeanSquaredError();
  EXPECT_EQ(m->name(), "mean_squared_error");
  EXPECT_EQ(m->type(), "MeanSquaredError");
  // (2, 3, 1) targets and predictions with a (2, 3) mask: per-step squared errors.
  auto mask = lm::tensor({{true, true, false}, {true, false, false}});
  auto p = lm::tensor({{{1.0}, {2.0}, {kNaN}}, {{0.5}, {kNaN}, {kNaN}}}, lm::Float64).with_mask(mask);
  auto t = lm::tensor({{{0.0}, {0.0}, {0.0}}, {{0.0}, {0.0}, {0.0}}}, lm::Float64);
  m->update_state(t, p);
  EXPECT_DOUBLE_EQ(m->result(), (1.0 + 4.0 + 0.25) / 3.0);
  m->update_state(lm::tensor({{1.0, 1.0}}), lm::tensor({{0.0, 2.0}}));
  EXPECT_DOUBLE_EQ(m->result(), (5.25 + 1.0) / 4.0);
  auto bce = M::get("bce");
  bce->update_state(lm::tensor({{1.0}, {0.0}}), lm::tensor({{0.8}, {0.4}}));
  EXPECT_NEAR(bce->result(), -(std::log(0.8) + std::log(0.6)) / 2, 1e-7);
}
