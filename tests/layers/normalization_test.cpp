// LayerNormalization and BatchNormalization: values (incl. masked statistics), training vs
// inference, the moving-statistics update, gradients, symbolic specs and errors.
// Reference values are worked out by hand in the comments (epsilon = 1e-3, Keras's default).
#include "lamina/layers/normalization.hpp"

#include <cmath>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }
constexpr double kTol = 1e-5;  // float32 results
// Variables are handles: assigning through a copy changes the layer's weight.
void set(lm::Variable v, const lm::Tensor& value) { v.assign(value); }

}  // namespace

// ---- LayerNormalization ------------------------------------------------------------------

TEST(LayerNormalization, Values) {
  auto x = lm::tensor({{1.f, 2.f, 3.f}, {2.f, 2.f, 2.f}});
  // row 0: mean 2, variance ((1-2)^2 + 0 + (3-2)^2) / 3 = 2/3 -> (x - 2) * s
  // row 1: constant -> variance 0 -> all zeros
  const double s = 1 / std::sqrt(2.0 / 3 + 1e-3);
  auto ln = LayerNormalization();
  EXPECT_VALUES(ln(x), {-s, 0, s, 0, 0, 0}, kTol);
  ASSERT_EQ(ln->weights().size(), 2u);
  EXPECT_EQ(ln->gamma().name(), ln->name() + "/gamma");
  EXPECT_SHAPE(ln->gamma().value(), lm::Shape({3}));
  // gamma = (1, 2, 3), beta = (0.5, 0, -0.5): y = normalised * gamma + beta
  set(ln->gamma(), lm::tensor({1.f, 2.f, 3.f}));
  set(ln->beta(), lm::tensor({0.5f, 0.f, -0.5f}));
  EXPECT_VALUES(ln(x), {-s + 0.5, 0, 3 * s - 0.5, 0.5, 0, -0.5}, kTol);
  // No center/scale: no weights, plain normalisation.
  auto bare = LayerNormalization({.center = false, .scale = false});
  EXPECT_VALUES(bare(x), {-s, 0, s, 0, 0, 0}, kTol);
  EXPECT_TRUE(bare->weights().empty());
}

TEST(LayerNormalization, RmsScalingIsRmsNorm) {
  // Row (3, 4): mean square (9 + 16) / 2 = 12.5, so y = x / sqrt(12.5 + 1e-3) * gamma; no
  // centring (the mean 3.5 is not subtracted) and no beta even with center = true.
  auto x = lm::tensor({{3.f, 4.f}, {-1.f, 1.f}});
  const double s = 1 / std::sqrt(12.5 + 1e-3), t = 1 / std::sqrt(1.0 + 1e-3);
  auto rms = LayerNormalization({.rms_scaling = true});
  EXPECT_VALUES(rms(x), {3 * s, 4 * s, -t, t}, kTol);
  ASSERT_EQ(rms->weights().size(), 1u);
  EXPECT_EQ(rms->gamma().name(), rms->name() + "/gamma");
  set(rms->gamma(), lm::tensor({2.f, -1.f}));
  EXPECT_VALUES(rms(x), {6 * s, -4 * s, -2 * t, -t}, kTol);
  // gamma exists even with scale = false (Keras: center and scale are ignored).
  EXPECT_EQ(LayerNormalization({.scale = false, .rms_scaling = true})(x).shape(), x.shape());
  auto x64 = lm::tensor({{1.0, 2.5, -3.0}, {0.5, 2.0, 4.0}});
  auto rms64 = LayerNormalization({.rms_scaling = true});
  rms64(x64);
  set(rms64->gamma(), lm::tensor({1.5f, -0.5f, 2.f}));
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return rms64(in[0]); }, {x64});
  auto c = rms->get_config();
  EXPECT_EQ(c["rms_scaling"], true);
}

TEST(LayerNormalization, MaskPassesThroughUnchanged) {
  // (2, 2, 3) with mask {T, F, T, T}; each (batch, time) row is normalised over its features.
  auto x = lm::tensor({{{1.f, 2.f, 3.f}, {4.f, 4.f, 4.f}}, {{0.f, 0.f, 6.f}, {-1.f, 1.f, 0.f}}})
               .with_mask(bools({true, false, true, true}, {2, 2}));
  const double s = 1 / std::sqrt(2.0 / 3 + 1e-3);  // rows with variance 2/3
  const double r = 1 / std::sqrt(8.0 + 1e-3);      // (0, 0, 6): mean 2, variance (4 + 4 + 16) / 3 = 8
  auto y = LayerNormalization()(x);
  EXPECT_VALUES(y, {-s, 0, s, 0, 0, 0, -2 * r, -2 * r, 4 * r, -s, s, 0}, kTol);
  EXPECT_MASK(y, lm::Shape({2, 2}), {true, false, true, true});
  EXPECT_FALSE(LayerNormalization()(x.without_mask()).has_mask());
}

TEST(LayerNormalization, OverAMaskedAxisSkipsPadding) {
  // Normalising over (time, features) with time step 1 padded: the statistics use 1 and 3
  // only: mean 2, variance ((1-2)^2 + (3-2)^2) / 2 = 1. (The 100s are padding; they are
  // normalised with those statistics too: (100 - 2) / sqrt(1.001).)
  auto x = lm::tensor({{{1.f, 3.f}, {100.f, 100.f}}}).with_mask(bools({true, false}, {1, 2}));
  const double s = 1 / std::sqrt(1.0 + 1e-3);
  auto ln = LayerNormalization({.axis = {1, 2}});
  auto y = ln(x);
  EXPECT_VALUES(y, {-s, s, 98 * s, 98 * s}, kTol);
  EXPECT_MASK(y, lm::Shape({1, 2}), {true, false});
  EXPECT_SHAPE(ln->gamma().value(), lm::Shape({2, 2}));
}

TEST(LayerNormalization, Gradients) {
  auto x = lm::tensor({{1.0, 2.5, -3.0}, {0.5, 2.0, 4.0}});
  auto ln = LayerNormalization();
  ln(x);  // build, then give gamma a non-trivial value
  set(ln->gamma(), lm::tensor({1.5f, -0.5f, 2.f}));
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return ln(in[0]); }, {x});
  auto masked = lm::tensor({{{1.0, 3.0}, {2.0, -1.0}}, {{0.5, 0.25}, {7.0, 7.0}}})
                    .with_mask(bools({true, false, true, true}, {2, 2}));
  auto ln2 = LayerNormalization({.axis = {1, 2}});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return ln2(in[0]); }, {masked});
}

// ---- BatchNormalization ------------------------------------------------------------------

TEST(BatchNormalization, TrainingUsesBatchStatisticsAndUpdatesMovingOnes) {
  // Channel 0: 1, 3, 5, 7 -> mean 4, variance (9 + 1 + 1 + 9) / 4 = 5.
  // Channel 1: 10, 20, 30, 40 -> mean 25, variance (225 + 25 + 25 + 225) / 4 = 125.
  auto x = lm::tensor({{1.f, 10.f}, {3.f, 20.f}, {5.f, 30.f}, {7.f, 40.f}});
  auto bn = BatchNormalization({.name = "bn"});
  const double a = std::sqrt(5 + 1e-3), b = std::sqrt(125 + 1e-3);
  auto y = bn(x, {.training = true});
  EXPECT_VALUES(y, {-3 / a, -15 / b, -1 / a, -5 / b, 1 / a, 5 / b, 3 / a, 15 / b}, kTol);
  // moving = moving * 0.99 + batch * 0.01, from moving_mean 0 and moving_variance 1:
  EXPECT_VALUES(bn->moving_mean().value(), {4 * 0.01, 25 * 0.01}, kTol);                     // 0.04, 0.25
  EXPECT_VALUES(bn->moving_variance().value(), {0.99 + 5 * 0.01, 0.99 + 125 * 0.01}, kTol);  // 1.04, 2.24
  // A second training step on the same batch: 0.04 * 0.99 + 4 * 0.01 = 0.0796, ...
  bn(x, {.training = true});
  EXPECT_VALUES(bn->moving_mean().value(), {0.04 * 0.99 + 0.04, 0.25 * 0.99 + 0.25}, kTol);
  EXPECT_VALUES(bn->moving_variance().value(), {1.04 * 0.99 + 0.05, 2.24 * 0.99 + 1.25}, kTol);
  // Inference uses the moving statistics and leaves them alone.
  const double m0 = 0.0796, m1 = 0.4975, v0 = std::sqrt(1.0796 + 1e-3), v1 = std::sqrt(3.4676 + 1e-3);
  auto z = bn(x, {.training = false});
  EXPECT_VALUES(z,
                {(1 - m0) / v0, (10 - m1) / v1, (3 - m0) / v0, (20 - m1) / v1, (5 - m0) / v0, (30 - m1) / v1,
                 (7 - m0) / v0, (40 - m1) / v1},
                kTol);
  EXPECT_VALUES(bn->moving_mean().value(), {m0, m1}, kTol);
}

TEST(BatchNormalization, InferenceWithFreshWeightsAndGammaBeta) {
  auto x = lm::tensor({{1.f, 10.f}, {3.f, 20.f}});
  auto bn = BatchNormalization();
  const double s = 1 / std::sqrt(1 + 1e-3);                // moving mean 0, moving variance 1
  EXPECT_VALUES(bn(x), {s, 10 * s, 3 * s, 20 * s}, kTol);  // default: inference outside fit
  set(bn->gamma(), lm::tensor({2.f, 0.5f}));
  set(bn->beta(), lm::tensor({1.f, -1.f}));
  EXPECT_VALUES(bn(x), {2 * s + 1, 5 * s - 1, 6 * s + 1, 10 * s - 1}, kTol);
}

TEST(BatchNormalization, WeightsFollowKerasLayout) {
  auto bn = BatchNormalization({.name = "bn2"});
  bn(lm::ones({2, 3}));
  auto w = bn->weights();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].name(), "bn2/gamma");
  EXPECT_EQ(w[1].name(), "bn2/beta");
  EXPECT_EQ(w[2].name(), "bn2/moving_mean");
  EXPECT_EQ(w[3].name(), "bn2/moving_variance");
  EXPECT_EQ(bn->trainable_weights().size(), 2u);
  EXPECT_EQ(bn->non_trainable_weights().size(), 2u);
  EXPECT_EQ(bn->count_params(), 12);
}

TEST(BatchNormalization, MaskedBatchStatisticsUseValidEntriesOnly) {
  // (2, 3, 1) with mask {T, T, F, T, F, F}: the valid values are 1, 2, 3 -> mean 2,
  // variance (1 + 0 + 1) / 3 = 2/3. (Unmasked, the mean would be (1+2+100+3+100-50)/6 = 26.)
  auto x = lm::tensor({{{1.f}, {2.f}, {100.f}}, {{3.f}, {100.f}, {-50.f}}})
               .with_mask(bools({true, true, false, true, false, false}, {2, 3}));
  auto bn = BatchNormalization();
  auto y = bn(x, {.training = true});
  const double c = std::sqrt(2.0 / 3 + 1e-3);
  EXPECT_VALUES(y, {-1 / c, 0, 98 / c, 1 / c, 98 / c, -52 / c}, kTol);
  EXPECT_MASK(y, lm::Shape({2, 3}), {true, true, false, true, false, false});
  EXPECT_VALUES(bn->moving_mean().value(), {2 * 0.01}, kTol);
  EXPECT_VALUES(bn->moving_variance().value(), {0.99 + (2.0 / 3) * 0.01}, kTol);
  // Inference keeps the mask too.
  EXPECT_MASK(bn(x), lm::Shape({2, 3}), {true, true, false, true, false, false});
  // A batch that is all padding leaves the moving statistics where they were.
  bn(x.with_mask(bools({false, false, false, false, false, false}, {2, 3})), {.training = true});
  EXPECT_VALUES(bn->moving_mean().value(), {2 * 0.01}, kTol);
  EXPECT_VALUES(bn->moving_variance().value(), {0.99 + (2.0 / 3) * 0.01}, kTol);
}

TEST(BatchNormalization, ChannelsFirstAxis) {
  // axis 1 of (2, 2, 2): channel 0 holds 1, 3, 5, 7 (mean 4, variance 5);
  // channel 1 holds 10, 10, 20, 40 (mean 20, variance (100 + 100 + 0 + 400) / 4 = 150).
  auto x = lm::tensor({{{1.f, 3.f}, {10.f, 10.f}}, {{5.f, 7.f}, {20.f, 40.f}}});
  auto bn = BatchNormalization({.axis = 1});
  const double a = std::sqrt(5 + 1e-3), b = std::sqrt(150 + 1e-3);
  EXPECT_VALUES(bn(x, {.training = true}), {-3 / a, -1 / a, -10 / b, -10 / b, 1 / a, 3 / a, 0, 20 / b}, kTol);
  EXPECT_VALUES(bn->moving_mean().value(), {0.04, 0.2}, kTol);
}

TEST(BatchNormalization, FrozenLayerRunsInInferenceMode) {
  auto x = lm::tensor({{1.f}, {3.f}});
  auto bn = BatchNormalization();
  bn->set_trainable(false);
  const double s = 1 / std::sqrt(1 + 1e-3);
  EXPECT_VALUES(bn(x, {.training = true}), {s, 3 * s}, kTol);  // Keras 3: moving statistics
  EXPECT_VALUES(bn->moving_mean().value(), {0}, kTol);
}

TEST(BatchNormalization, MovingUpdateIsOffTheTape) {
  auto x = lm::tensor({{1.0, 2.0}, {3.0, 5.0}});
  auto bn = BatchNormalization();
  lm::GradientTape tape;
  tape.watch(x);
  bn(x, {.training = true});                           // moving statistics now depend on x's values...
  auto z = bn(lm::ones({2, 2}), {.training = false});  // ...but not on its gradient path
  auto g = tape.gradient(lm::sum(z), x);
  EXPECT_FALSE(g.has_value());
  auto gv = tape.gradient(lm::sum(z), bn->trainable_weights());
  EXPECT_TRUE(gv[0].has_value());  // gamma
}

TEST(BatchNormalization, Gradients) {
  auto x = lm::tensor({{1.0, 10.0}, {3.0, 25.0}, {-2.0, 30.0}});
  auto bn = BatchNormalization();
  bn(x);  // build, then give gamma/beta non-trivial values
  set(bn->gamma(), lm::tensor({1.5f, -0.5f}));
  set(bn->beta(), lm::tensor({0.25f, 1.f}));
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return bn(in[0], {.training = true}); }, {x});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return bn(in[0], {.training = false}); }, {x});
  auto masked = lm::tensor({{{1.0, 2.0}, {3.0, -1.0}}, {{0.5, 4.0}, {9.0, 9.0}}})
                    .with_mask(bools({true, true, true, false}, {2, 2}));
  auto bn2 = BatchNormalization();
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return bn2(in[0], {.training = true}); }, {masked});
}

// ---- both ----------------------------------------------------------------------------------

TEST(Normalization, SymbolicSpecs) {
  auto x = lm::Input({lm::None, 4}).with_mask(lm::Input({lm::None}, lm::Bool));
  EXPECT_EQ(LayerNormalization()(x).spec().str(), "float32 (None, None, 4) mask (None, None)");
  EXPECT_EQ(BatchNormalization()(x).spec().str(), "float32 (None, None, 4) mask (None, None)");
  EXPECT_EQ(BatchNormalization()(lm::Input({4})).spec().str(), "float32 (None, 4)");
}

TEST(Normalization, Errors) {
  EXPECT_LAMINA_ERROR(LayerNormalization({.name = "ln"})(lm::Input({lm::None, lm::None})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'ln' (LayerNormalization)"));
    EXPECT_THAT(msg, HasSubstr("known size"));
  });
  EXPECT_LAMINA_ERROR(LayerNormalization({.axis = {0}})(lm::ones({2, 3})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("batch axis")); });
  EXPECT_LAMINA_ERROR(LayerNormalization({.axis = {3}})(lm::ones({2, 3, 4})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("axis 3")); });
  EXPECT_LAMINA_ERROR(LayerNormalization({.axis = {}, .name = "ln0"}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("layer 'ln0' (LayerNormalization)")); });
  EXPECT_LAMINA_ERROR(BatchNormalization({.momentum = 1.5, .name = "bnm"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'bnm' (BatchNormalization)"));
    EXPECT_THAT(msg, HasSubstr("1.5"));
  });
  auto bn = BatchNormalization({.name = "bn3"});
  bn(lm::ones({2, 2}));
  EXPECT_LAMINA_ERROR(bn(lm::ones({2, 3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'bn3' (BatchNormalization)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3)"));
  });
}

TEST(Normalization, Config) {
  auto c = BatchNormalization({.axis = 1, .momentum = 0.9})->get_config();
  EXPECT_EQ(c["axis"], 1);
  EXPECT_EQ(c["momentum"], 0.9);
  EXPECT_EQ(c["epsilon"], 1e-3);
  auto l = LayerNormalization({.axis = {1, 2}, .center = false})->get_config();
  EXPECT_EQ(l["axis"], lm::Json::array({1, 2}));
  EXPECT_EQ(l["center"], false);
}
