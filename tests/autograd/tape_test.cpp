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

// on_final reports each source once, as soon as no op left in the backward adds to it: w2
// (read last) before w1, and w1 only after both of its readers ran. Its values are the
// returned gradients; an unused source is reported as undefined, or as zeros when asked.
TEST(Tape, OnFinalReportsEachSourceWhenItsGradientIsComplete) {
  auto x = lm::tensor({1.f, 2.f});
  auto w1 = lm::tensor({3.f, -1.f}), w2 = lm::tensor({0.5f, 4.f}), unused = lm::tensor({7.f});
  lm::GradientTape tape;
  for (const auto& t : {w1, w2, unused}) tape.watch(t);
  auto h = w1 * x;                      // reads w1 (first reader)
  auto y = lm::sum(w2 * h + w1 * h);    // reads w2, and w1 again
  std::vector<std::pair<std::size_t, std::vector<float>>> seen;
  auto g = tape.gradient(y, lm::TensorList{w1, w2, unused},
                         {.on_final = [&](std::size_t k, const lm::Tensor& gk) {
                           seen.emplace_back(k, gk.defined() ? gk.to_vector<float>() : std::vector<float>{});
                         }});
  // y = sum(w2*w1*x + w1^2*x): dy/dw1 = w2*x + 2*w1*x = {0.5+6, 8-4} = {6.5, 4}; dy/dw2 = w1*x = {3, -2}.
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, 2u);  // never read: final before the backward starts
  EXPECT_TRUE(seen[0].second.empty());
  EXPECT_EQ(seen[1].first, 1u);
  EXPECT_EQ(seen[1].second, (std::vector<float>{3.f, -2.f}));
  EXPECT_EQ(seen[2].first, 0u);
  EXPECT_EQ(seen[2].second, (std::vector<float>{6.5f, 4.f}));
  EXPECT_EQ(g[0]->to_vector<float>(), seen[2].second);
  EXPECT_FALSE(g[2].has_value());

  lm::GradientTape tape2;
  tape2.watch(unused);
  tape2.watch(w1);
  auto z = lm::sum(w1 * w1);
  std::vector<float> zero;
  tape2.gradient(z, lm::TensorList{unused, w1},
                 {.unconnected = lm::Unconnected::Zero, .on_final = [&](std::size_t k, const lm::Tensor& gk) {
                    if (k == 0) zero = gk.to_vector<float>();
                  }});
  EXPECT_EQ(zero, (std::vector<float>{0.f}));
}
