// GradientTape: gradients, nesting, variables, unconnected sources, stop_gradient.
#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

TEST(Tape, GradientOfAProductWithBroadcasting) {
  auto a = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  auto b = lm::tensor({10.f, 20.f, 30.f});
  lm::GradientTape tape;
  tape.watch(a);
  tape.watch(b);
  auto loss = lm::sum(a * b + a);
  auto g = tape.gradient(loss, lm::TensorList{a, b});
  // d/da = b + 1 broadcast over rows; d/db = column sums of a.
  EXPECT_VALUES(*g[0], {11, 21, 31, 11, 21, 31});
  EXPECT_VALUES(*g[1], {5, 7, 9});
}

TEST(Tape, ReusedTensorsAccumulate) {
  auto x = lm::tensor({3.0});
  lm::GradientTape tape;
  tape.watch(x);
  auto y = x * x * x;  // 3x^2 = 27
  EXPECT_VALUES(*tape.gradient(y, x), {27});
}

TEST(Tape, NestedTapesGiveSecondDerivatives) {
  auto x = lm::tensor({2.0, -1.0});
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor dy;
  {
    lm::GradientTape inner;
    inner.watch(x);
    auto y = lm::sum(x * x * x);
    dy = *inner.gradient(y, x);  // 3x^2
  }
  EXPECT_VALUES(dy, {12, 3});
  auto d2 = outer.gradient(lm::sum(dy), x);  // 6x
  ASSERT_TRUE(d2.has_value());
  EXPECT_VALUES(*d2, {12, -6});
}

TEST(Tape, TrainableVariablesAreWatchedWhenRead) {
  lm::Variable w("w", lm::tensor({1.f, 2.f}));
  lm::Variable frozen("frozen", lm::tensor({5.f, 5.f}), /*trainable=*/false);
  auto x = lm::tensor({3.f, 4.f});
  lm::GradientTape tape;
  auto loss = lm::sum(x * w.value() + frozen.value());
  auto g = tape.gradient(loss, std::vector<lm::Variable>{w, frozen});
  ASSERT_TRUE(g[0].has_value());
  EXPECT_VALUES(*g[0], {3, 4});
  EXPECT_FALSE(g[1].has_value());
}

TEST(Tape, UnconnectedSourcesGiveNothingOrZeros) {
  auto x = lm::tensor({1.f, 2.f});
  auto unused = lm::tensor({7.f});
  lm::GradientTape tape;
  tape.watch(x);
  tape.watch(unused);
  auto loss = lm::sum(x * 2);
  EXPECT_FALSE(tape.gradient(loss, unused).has_value());
  auto z = tape.gradient(loss, unused, {.unconnected = lm::Unconnected::Zero});
  ASSERT_TRUE(z.has_value());
  EXPECT_VALUES(*z, {0});
}

TEST(Tape, IntegerSourcesNeverGetGradients) {
  auto i = lm::tensor({1, 2});
  lm::GradientTape tape;
  tape.watch(i);
  auto loss = lm::sum(lm::cast(i, lm::Float32) * 2);
  EXPECT_FALSE(tape.gradient(loss, i).has_value());
  EXPECT_FALSE(tape.gradient(loss, i, {.unconnected = lm::Unconnected::Zero}).has_value());
}

TEST(Tape, StopGradientBlocksAndIsReported) {
  auto x = lm::tensor({1.f, 2.f});
  lm::GradientTape tape;
  tape.watch(x);
  auto loss = lm::sum(lm::stop_gradient(x) * x);  // d/dx = stop(x) = x
  EXPECT_VALUES(*tape.gradient(loss, x), {1, 2});
  auto loss2 = lm::sum(lm::stop_gradient(x) * 3);
  EXPECT_FALSE(tape.gradient(loss2, x).has_value());
  auto cuts = tape.cuts(loss2, lm::TensorList{x});
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_EQ(cuts[0].cut_by, std::vector<std::string>{"op 'stop_gradient'"});
}

TEST(Tape, OutputGradientSeedsTheBackwardPass) {
  auto x = lm::tensor({1.f, 2.f});
  lm::GradientTape tape;
  tape.watch(x);
  auto y = x * 3;
  EXPECT_VALUES(*tape.gradient(y, x, {.output_gradient = lm::tensor({1.f, -1.f})}), {3, -3});
}

TEST(Tape, TargetMustBeFloating) {
  auto x = lm::tensor({1, 2});
  lm::GradientTape tape;
  tape.watch(x);
  EXPECT_LAMINA_ERROR(tape.gradient(x * 2, x), lm::GradientError, { EXPECT_THAT(msg, HasSubstr("int32")); });
}

TEST(Tape, NothingIsRecordedOutsideTapes) {
  auto x = lm::tensor({1.f});
  auto y = x * 2;  // no tape: nothing to differentiate later
  lm::GradientTape tape;
  tape.watch(x);
  EXPECT_FALSE(tape.gradient(y, x).has_value());
  auto cuts = tape.cuts(y, lm::TensorList{x});
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_TRUE(cuts[0].cut_by.empty());
  EXPECT_THAT(cuts[0].describe(), HasSubstr("not connected"));
}

TEST(Tape, MaskedReductionGradientIsZeroAtMaskedEntries) {
  auto x =
      lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}).with_mask(lm::tensor({{true, false, true}, {false, false, true}}));
  lm::GradientTape tape;
  tape.watch(x);
  auto s = lm::sum(x);  // 1 + 3 + 6
  EXPECT_VALUES(s, {10});
  EXPECT_VALUES(*tape.gradient(s, x), {1, 0, 1, 0, 0, 1});
}
