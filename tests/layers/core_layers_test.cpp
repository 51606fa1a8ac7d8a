// Dense, Embedding, Masking, Dropout, Activation, Flatten, Reshape, RepeatVector, TimeDistributed.
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

TEST(Dense, ComputesXWPlusBOnAnyRankAndKeepsTheMask) {
  Dense d(2);
  auto x = lm::tensor({{{1.f, 2.f}, {3.f, 4.f}, {0.f, 0.f}}});  // (1, 3, 2)
  x = x.with_mask(lm::tensor({{true, true, false}}));
  d(x);  // build
  d->kernel().assign(lm::tensor({{1.f, 0.5f}, {-1.f, 2.f}}));
  d->bias().assign(lm::tensor({0.1f, 0.2f}));
  auto y = d(x);
  // [1,2].W = [1-2, 0.5+4] = [-1, 4.5]; [3,4].W = [-1, 9.5]; [0,0].W = [0, 0]; + b
  EXPECT_VALUES(y, {-0.9, 4.7, -0.9, 9.7, 0.1, 0.2}, 1e-6);
  EXPECT_MASK(y, lm::Shape({1, 3}), {true, true, false});
}

TEST(Dense, FeatureMismatchAfterBuildIsAShapeError) {
  lm::clear_session();
  Dense d(2);
  d(lm::ones({4, 3}));
  EXPECT_LAMINA_ERROR(d(lm::ones({4, 5})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'dense' (Dense)"));
    EXPECT_THAT(msg, HasSubstr("(4, 5)"));
    EXPECT_THAT(msg, HasSubstr("3 features"));
  });
  EXPECT_LAMINA_ERROR(Dense(0), lm::ValueError, {});
  EXPECT_LAMINA_ERROR(Dense(2)(lm::Input({lm::None})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("(None, None)")); });
}

TEST(Embedding, LooksUpRowsAndMasksZeros) {
  Embedding e(5, 2, {.mask_zero = true});
  auto ids = lm::tensor({{1, 2, 0, 0}, {3, 4, 5 - 1, 0}});
  e(ids);
  e->embeddings().assign(lm::tensor({{0.f, 0.f}, {1.f, 1.f}, {2.f, 2.f}, {3.f, 3.f}, {4.f, 4.f}}));
  auto v = e(ids);
  EXPECT_SHAPE(v, lm::Shape({2, 4, 2}));
  EXPECT_VALUES(v, {1, 1, 2, 2, 0, 0, 0, 0, 3, 3, 4, 4, 4, 4, 0, 0});
  EXPECT_MASK(v, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  Embedding plain(5, 2);
  EXPECT_FALSE(plain(ids).has_mask());
}

TEST(Embedding, IdsMustBeIntegersInRange) {
  lm::clear_session();
  Embedding e(5, 2);
  EXPECT_LAMINA_ERROR(e(lm::tensor({1.f, 2.f})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'embedding' (Embedding)"));
    EXPECT_THAT(msg, HasSubstr("float32"));
    EXPECT_THAT(msg, HasSubstr("lm::cast(ids, lm::Int32)"));
  });
  EXPECT_LAMINA_ERROR(e(lm::tensor({1, 7})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'embedding' (Embedding)"));
    EXPECT_THAT(msg, HasSubstr("7"));
  });
}

TEST(Masking, MasksStepsWhoseFeaturesAllEqualTheValue) {
  Masking m({.mask_value = -1.0});
  auto x = lm::tensor({{{1.f, 2.f}, {-1.f, -1.f}, {-1.f, 3.f}}});  // step 1 is padding
  auto y = m(x);
  EXPECT_VALUES(y, {1, 2, 0, 0, -1, 3});
  EXPECT_MASK(y, lm::Shape({1, 3}), {true, false, true});
  // An existing mask is ANDed in.
  auto y2 = m(x.with_mask(lm::tensor({{true, true, false}})));
  EXPECT_MASK(y2, lm::Shape({1, 3}), {true, false, false});
  EXPECT_VALUES(y2, {1, 2, 0, 0, 0, 0});
}

TEST(Dropout, InvertedScalingAndDeterminism) {
  Dropout a(0.25, {.seed = 11}), b(0.25, {.seed = 11});
  auto x = lm::ones({4000});
  auto ya = a(x, {.training = true}).to_vector<float>();
  auto yb = b(x, {.training = true}).to_vector<float>();
  EXPECT_EQ(ya, yb);
  int zeros = 0;
  for (float v : ya) {
    ASSERT_TRUE(v == 0.f || std::fabs(v - 1.f / 0.75f) < 1e-6f);
    zeros += v == 0.f;
  }
  EXPECT_NEAR(zeros / 4000.0, 0.25, 0.03);  // 3 standard errors ~ 0.02
  EXPECT_LAMINA_ERROR(Dropout(1.0), lm::ValueError, {});
}

TEST(Activation, ByNameAndCallable) {
  EXPECT_VALUES(Activation("relu")(lm::tensor({-1.f, 2.f})), {0, 2});
  EXPECT_VALUES(Activation([](const lm::Tensor& t) { return t * 3; })(lm::tensor({1.f})), {3});
  EXPECT_LAMINA_ERROR(Activation("relux"), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("relu, tanh")); });
}

TEST(Flatten, RefusesATimeMaskButKeepsABatchMask) {
  lm::clear_session();
  Flatten f;
  auto x = lm::ones({2, 3, 4});
  EXPECT_SHAPE(f(x), lm::Shape({2, 12}));
  EXPECT_LAMINA_ERROR(f(x.with_mask(lm::ones({2, 3}, lm::Bool))), lm::MaskError, {
    EXPECT_THAT(msg, HasSubstr("layer 'flatten' (Flatten)"));
    EXPECT_THAT(msg, HasSubstr("without_mask"));
  });
  auto batch_masked = f(x.with_mask(lm::tensor({true, false})));
  EXPECT_MASK(batch_masked, lm::Shape({2}), {true, false});
  EXPECT_EQ(f(lm::Input({3, 4})).spec().str(), "float32 (None, 12)");
}

TEST(Reshape, TargetExcludesTheBatch) {
  Reshape r(lm::Shape{-1, 2});
  EXPECT_SHAPE(r(lm::ones({3, 4})), lm::Shape({3, 2, 2}));
  EXPECT_EQ(r(lm::Input({6})).spec().str(), "float32 (None, 3, 2)");
  EXPECT_LAMINA_ERROR(Reshape(lm::Shape{5})(lm::ones({3, 4})), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("4")); });
}

TEST(RepeatVector, RepeatsAlongANewTimeAxis) {
  RepeatVector rv(3);
  auto y = rv(lm::tensor({{1.f, 2.f}}).with_mask(lm::tensor({true})));
  EXPECT_SHAPE(y, lm::Shape({1, 3, 2}));
  EXPECT_VALUES(y, {1, 2, 1, 2, 1, 2});
  EXPECT_MASK(y, lm::Shape({1}), {true});
}

TEST(TimeDistributed, AppliesTheLayerPerStepAndKeepsTheMask) {
  Dense d(1, {.use_bias = false});
  TimeDistributed td(d);
  auto x = lm::tensor({{{1.f, 2.f}, {3.f, 4.f}}, {{5.f, 6.f}, {0.f, 0.f}}})
               .with_mask(lm::tensor({{true, true}, {true, false}}));
  td(x);
  d->kernel().assign(lm::tensor({{1.f}, {10.f}}));
  auto y = td(x);
  EXPECT_SHAPE(y, lm::Shape({2, 2, 1}));
  EXPECT_VALUES(y, {21, 43, 65, 0});
  EXPECT_MASK(y, lm::Shape({2, 2}), {true, true, true, false});
  EXPECT_EQ(td->weights().size(), 1u);  // the inner layer's weights belong to the wrapper
  EXPECT_EQ(td(lm::Input({lm::None, 2})).spec().str(), "float32 (None, None, 1)");
}
