// SpatialDropout1D, GaussianNoise, Identity, Permute, Cropping1D, ZeroPadding1D,
// UpSampling1D: values worked out here, masks, symbolic specs, gradients, bad options.
#include <cmath>

#include "lamina/layers/dropout.hpp"
#include "lamina/layers/identity.hpp"
#include "lamina/layers/noise.hpp"
#include "lamina/layers/reshaping.hpp"
#include "lamina/layers/time_reshaping.hpp"
#include "masked_garbage.hpp"
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// (2, 3, 2): x[b, t, c] = 100 b + 10 t + c, time mask [[1, 1, 0], [1, 0, 0]].
lm::Tensor seq() {
  std::vector<float> v;
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 3; ++t)
      for (int c = 0; c < 2; ++c) v.push_back(static_cast<float>(100 * b + 10 * t + c));
  return lm::tensor(v, lm::Shape{2, 3, 2}).with_mask(bools({true, true, false, true, false, false}, {2, 3}));
}

#define EXPECT_HINTED_ERROR(stmt, ErrorType, who)  \
  EXPECT_LAMINA_ERROR(stmt, ErrorType, {           \
    EXPECT_THAT(msg, HasSubstr(who));              \
    EXPECT_THAT(msg, HasSubstr("hint:"));          \
  })

}  // namespace

// ---- SpatialDropout1D --------------------------------------------------------------------

TEST(SpatialDropout1D, DropsWholeChannelsInTrainingOnly) {
  auto x = lm::ones({4, 6, 8}).with_mask(lm::ones({4, 6}, lm::Bool));
  SpatialDropout1D drop(0.5, {.seed = 3});
  EXPECT_VALUES(drop(x), std::vector<double>(4 * 6 * 8, 1.0));  // inference: identity
  auto y = drop(x, {.training = true});
  EXPECT_MASK(y, lm::Shape({4, 6}), std::vector<bool>(24, true));
  const auto v = y.to_vector<double>();
  int dropped = 0;
  for (int b = 0; b < 4; ++b)
    for (int c = 0; c < 8; ++c) {
      const double first = v[static_cast<std::size_t>(b * 48 + c)];
      EXPECT_TRUE(first == 0.0 || first == 2.0) << first;  // 0, or scaled by 1 / (1 - 0.5)
      dropped += first == 0.0;
      for (int t = 1; t < 6; ++t) EXPECT_EQ(v[static_cast<std::size_t>(b * 48 + t * 8 + c)], first);  // every step
    }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 32);
  // Seeded: the same masks again from a rebuilt layer.
  SpatialDropout1D again(0.5, {.seed = 3});
  EXPECT_VALUES(again(x, {.training = true}), v);
  EXPECT_EQ(drop(lm::Input({6, 8})).spec().str(), "float32 (None, 6, 8)");
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return SpatialDropout1D(0.3, {.seed = 1})(in[0], {.training = true}); },
                   {lm::random_normal({2, 3, 4}, {.dtype = lm::Float64, .seed = 2})});
  EXPECT_HINTED_ERROR(SpatialDropout1D(1.0, {.name = "sd_rate"}), lm::ValueError, "layer 'sd_rate' (SpatialDropout1D)");
  EXPECT_HINTED_ERROR(SpatialDropout1D(0.2, {.name = "sd_rank"})(lm::ones({2, 3})), lm::ShapeError,
                      "layer 'sd_rank' (SpatialDropout1D)");
}

// ---- GaussianNoise -----------------------------------------------------------------------

TEST(GaussianNoise, AddsNoiseOfTheGivenStddevInTrainingOnly) {
  auto x = lm::full({100, 100}, 3.0f);
  GaussianNoise noise(0.5, {.seed = 11});
  EXPECT_VALUES(noise(x), std::vector<double>(10000, 3.0));
  auto y = noise(x, {.training = true});
  double mean = 0, sq = 0;
  for (double v : y.to_vector<double>()) {
    mean += v - 3.0;
    sq += (v - 3.0) * (v - 3.0);
  }
  mean /= 10000;
  const double sd = std::sqrt(sq / 10000 - mean * mean);
  // 10000 draws: the mean is within 4 standard errors (0.02) and the stddev within 3%.
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(sd, 0.5, 0.015);
  GaussianNoise again(0.5, {.seed = 11});
  EXPECT_VALUES(again(x, {.training = true}), y.to_vector<double>());
  // Masks pass through; the gradient is the identity's.
  EXPECT_MASK(noise(seq(), {.training = true}), lm::Shape({2, 3}), {true, true, false, true, false, false});
  auto xd = lm::random_normal({2, 3}, {.dtype = lm::Float64, .seed = 4});
  lm::GradientTape tape;
  tape.watch(xd);
  auto g = tape.gradient(lm::sum(noise(xd, {.training = true}) * 2.0), xd);
  EXPECT_VALUES(*g, std::vector<double>(6, 2.0));
  EXPECT_EQ(noise(lm::Input({5})).spec().str(), "float32 (None, 5)");
  EXPECT_HINTED_ERROR(GaussianNoise(-0.1, {.name = "gn_neg"}), lm::ValueError, "layer 'gn_neg' (GaussianNoise)");
  EXPECT_HINTED_ERROR(GaussianNoise(0.1, {.name = "gn_int"})(lm::tensor({1, 2})), lm::DTypeError,
                      "layer 'gn_int' (GaussianNoise)");
}

// ---- Identity ----------------------------------------------------------------------------

TEST(Identity, ReturnsItsInputAndMask) {
  auto x = seq();
  auto y = Identity()(x);
  EXPECT_VALUES(y, x.to_vector<double>());
  EXPECT_MASK(y, lm::Shape({2, 3}), {true, true, false, true, false, false});
  auto m = lm::Input({3, 2}).with_mask(lm::Input({3}, lm::Bool));
  EXPECT_EQ(Identity()(m).spec().str(), "float32 (None, 3, 2) mask (None, 3)");
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return Identity()(in[0]); }, {seq()});
}

// ---- Permute -----------------------------------------------------------------------------

TEST(Permute, ReordersTheNonBatchAxes) {
  auto x = seq().without_mask();
  auto y = Permute({2, 1})(x);  // (2, 2, 3): y[b, c, t] = x[b, t, c]
  EXPECT_SHAPE(y, lm::Shape({2, 2, 3}));
  EXPECT_VALUES(y, {0, 10, 20, 1, 11, 21, 100, 110, 120, 101, 111, 121});
  // The time mask no longer leads: widened to every axis (the transpose op's rule).
  auto z = Permute({2, 1})(seq());
  EXPECT_MASK(z, lm::Shape({2, 2, 3}),
              {true, true, false, true, true, false, true, false, false, true, false, false});
  // Keeping time in place keeps a (B, T) mask.
  auto w = Permute({1, 3, 2})(lm::ones({2, 3, 4, 5}).with_mask(bools({true, false, true, true, true, false}, {2, 3})));
  EXPECT_SHAPE(w, lm::Shape({2, 3, 5, 4}));
  EXPECT_MASK(w, lm::Shape({2, 3}), {true, false, true, true, true, false});
  EXPECT_EQ(Permute({2, 1})(lm::Input({lm::None, 4})).spec().str(), "float32 (None, 4, None)");
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return Permute({2, 1})(in[0]); }, {seq()});
  EXPECT_HINTED_ERROR(Permute({1, 1}, "perm_dup"), lm::ValueError, "layer 'perm_dup' (Permute)");
  EXPECT_HINTED_ERROR(Permute({0, 1}, "perm_batch"), lm::ValueError, "layer 'perm_batch' (Permute)");
  EXPECT_HINTED_ERROR(Permute({2, 1}, "perm_rank")(lm::ones({2, 3, 4, 5})), lm::ShapeError,
                      "layer 'perm_rank' (Permute)");
}

// ---- Cropping1D, ZeroPadding1D, UpSampling1D ----------------------------------------------

TEST(Cropping1D, DropsStepsAtBothEnds) {
  auto y = Cropping1D({1, 1})(seq());  // keeps step 1
  EXPECT_SHAPE(y, lm::Shape({2, 1, 2}));
  EXPECT_VALUES(y, {10, 11, 110, 111});
  EXPECT_MASK(y, lm::Shape({2, 1}), {true, false});
  EXPECT_VALUES(Cropping1D({2, 0})(seq()), {20, 21, 120, 121});
  EXPECT_EQ(Cropping1D({1, 2})(lm::Input({7, 3})).spec().str(), "float32 (None, 4, 3)");
  EXPECT_EQ(Cropping1D({1, 2})(lm::Input({lm::None, 3})).spec().str(), "float32 (None, None, 3)");
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return Cropping1D({0, 1})(in[0]); }, {seq()});
  EXPECT_HINTED_ERROR(Cropping1D({2, 1}, "crop_all")(seq()), lm::ShapeError, "layer 'crop_all' (Cropping1D)");
  EXPECT_HINTED_ERROR(Cropping1D({-1, 0}, "crop_neg"), lm::ValueError, "layer 'crop_neg' (Cropping1D)");
  EXPECT_HINTED_ERROR(Cropping1D({1, 1}, "crop_rank")(lm::ones({2, 5})), lm::ShapeError,
                      "layer 'crop_rank' (Cropping1D)");
}

TEST(ZeroPadding1D, AddsMaskedZeroSteps) {
  auto y = ZeroPadding1D({1, 2})(seq());
  EXPECT_SHAPE(y, lm::Shape({2, 6, 2}));
  EXPECT_VALUES(y, {0, 0, 0, 1, 10, 11, 20, 21, 0, 0, 0, 0, 0, 0, 100, 101, 110, 111, 120, 121, 0, 0, 0, 0});
  EXPECT_MASK(y, lm::Shape({2, 6}),
              {false, true, true, false, false, false, false, true, false, false, false, false});
  auto plain = ZeroPadding1D({1, 0})(seq().without_mask());
  EXPECT_FALSE(plain.has_mask());
  EXPECT_EQ(ZeroPadding1D()(lm::Input({lm::None, 3})).spec().str(), "float32 (None, None, 3)");
  EXPECT_EQ(ZeroPadding1D({2, 3})(lm::Input({4, 3})).spec().str(), "float32 (None, 9, 3)");
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return ZeroPadding1D({1, 1})(in[0]); }, {seq()});
  EXPECT_HINTED_ERROR(ZeroPadding1D({0, -2}, "zp_neg"), lm::ValueError, "layer 'zp_neg' (ZeroPadding1D)");
  EXPECT_HINTED_ERROR(ZeroPadding1D({std::int64_t{1} << 62, std::int64_t{1} << 62}, "zp_huge")(lm::ones({2, 2, 1})),
                      lm::ShapeError, "layer 'zp_huge' (ZeroPadding1D)");
  EXPECT_HINTED_ERROR(ZeroPadding1D({std::int64_t{1} << 40, 0}, "zp_big")(lm::ones({2, 2, 1})), lm::ValueError,
                      "layer 'zp_big' (ZeroPadding1D)");
}

TEST(UpSampling1D, RepeatsEveryStepAndItsMask) {
  auto y = UpSampling1D(2)(seq());
  EXPECT_SHAPE(y, lm::Shape({2, 6, 2}));
  EXPECT_VALUES(y, {0, 1, 0, 1, 10, 11, 10, 11, 20, 21, 20, 21, 100, 101, 100, 101, 110, 111, 110, 111, 120, 121,
                    120, 121});
  EXPECT_MASK(y, lm::Shape({2, 6}), {true, true, true, true, false, false, true, true, false, false, false, false});
  EXPECT_EQ(UpSampling1D(3)(lm::Input({4, 2})).spec().str(), "float32 (None, 12, 2)");
  auto m = lm::Input({lm::None, 2}).with_mask(lm::Input({lm::None}, lm::Bool));
  EXPECT_EQ(UpSampling1D(3)(m).spec().str(), "float32 (None, None, 2) mask (None, None)");
  // The gradient of a repeated step sums its copies: here 1 + 1.
  auto x = lm::random_normal({1, 3, 2}, {.dtype = lm::Float64, .seed = 3});
  lm::GradientTape tape;
  tape.watch(x);
  EXPECT_VALUES(*tape.gradient(lm::sum(UpSampling1D(2)(x)), x), std::vector<double>(6, 2.0));
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return UpSampling1D(3)(in[0]); }, {seq()});
  EXPECT_HINTED_ERROR(UpSampling1D(0, "up0"), lm::ValueError, "layer 'up0' (UpSampling1D)");
  EXPECT_HINTED_ERROR(UpSampling1D(2, "up_rank")(lm::ones({2, 3})), lm::ShapeError, "layer 'up_rank' (UpSampling1D)");
}

TEST(SequenceLayers, NonFiniteValuesAtMaskedStepsAreIgnored) {
  const auto x = seq();
  std::vector<std::pair<const char*, lm::testing::TensorFn>> cases = {
      {"Identity", [](const lm::TensorList& in) { return Identity()(in[0]) * 2.0f; }},
      {"Permute", [](const lm::TensorList& in) { return lm::tanh(Permute({2, 1})(in[0])); }},
      {"Cropping1D", [](const lm::TensorList& in) { return lm::exp(Cropping1D({1, 0})(in[0]) * 0.01f); }},
      {"ZeroPadding1D", [](const lm::TensorList& in) { return lm::sigmoid(ZeroPadding1D({2, 1})(in[0])); }},
      {"UpSampling1D", [](const lm::TensorList& in) { return lm::square(UpSampling1D(2)(in[0])); }},
      {"SpatialDropout1D",
       [](const lm::TensorList& in) { return SpatialDropout1D(0.5, {.seed = 2})(in[0], {.training = true}) * 0.1f; }},
      {"GaussianNoise", [](const lm::TensorList& in) { return GaussianNoise(0.1, {.seed = 2})(in[0], {.training = true}); }},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    EXPECT_GARBAGE_IGNORED(f, {x});
  }
}
