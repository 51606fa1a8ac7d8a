// Gradient-path diagnostics: which op cut a source's path to the target (DESIGN.md section 6).
#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

// Issue acceptance: for loss = sum(round(x * w)) the tape reports that w gets no
// gradient because of op 'round'.
TEST(Diagnostics, RoundCutsThePathFromW) {
  lm::Variable w("w", lm::tensor({0.5f, 1.5f, -2.f}));
  auto x = lm::tensor({1.f, 2.f, 3.f});
  lm::GradientTape tape;
  auto loss = lm::sum(lm::round(x * w.value()));
  EXPECT_VALUES(loss, {0 + 3 - 6});  // round(0.5) = 0 (half to even), round(3) = 3, round(-6) = -6
  EXPECT_FALSE(tape.gradient(loss, std::vector<lm::Variable>{w})[0].has_value());
  auto cuts = tape.cuts(loss, std::vector<lm::Variable>{w});
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_EQ(cuts[0].source, "w");
  EXPECT_EQ(cuts[0].cut_by, std::vector<std::string>{"op 'round'"});
  EXPECT_EQ(cuts[0].describe(), "'w': the path to the target is cut by op 'round'");
}

TEST(Diagnostics, CastToIntegerCutsThePath) {
  lm::Variable w("dense/kernel", lm::tensor({0.5f, 1.5f}));
  auto x = lm::tensor({2.f, 4.f});
  lm::GradientTape tape;
  auto idx = lm::cast(x * w.value(), lm::Int32);
  auto loss = lm::sum(lm::cast(idx, lm::Float32));
  EXPECT_FALSE(tape.gradient(loss, std::vector<lm::Variable>{w})[0].has_value());
  auto cuts = tape.cuts(loss, std::vector<lm::Variable>{w});
  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_EQ(cuts[0].source, "dense/kernel");
  EXPECT_EQ(cuts[0].cut_by, std::vector<std::string>{"op 'cast'"});
}

TEST(Diagnostics, RequireGradientsNamesVariablesOpAndLayer) {
  lm::Variable k("dense/kernel", lm::tensor({0.5f}));
  lm::Variable b("dense/bias", lm::tensor({0.1f}));
  lm::Variable ok("other/w", lm::tensor({2.f}));
  lm::GradientTape tape;
  lm::Tensor h = lm::tensor({1.f}) * k.value() + b.value();
  {
    lm::LayerScope layer("select_random", "Lambda");
    h = lm::cast(lm::cast(h, lm::Int64), lm::Float32);
  }
  auto loss = lm::sum(h * ok.value());
  EXPECT_LAMINA_ERROR(tape.require_gradients(loss, {k, b, ok}), lm::GradientError, {
    EXPECT_THAT(msg, HasSubstr("no gradient reaches 'dense/kernel', 'dense/bias': the path to the loss is cut by "
                               "op 'cast' in layer 'select_random' (Lambda)"));
    EXPECT_THAT(msg, ::testing::Not(HasSubstr("'other/w'")));
  });
  EXPECT_NO_THROW(tape.require_gradients(loss, {ok}));
}

TEST(Diagnostics, PartlyCutSourcesStillGetTheirGradient) {
  auto x = lm::tensor({1.f, 2.f});
  lm::GradientTape tape;
  tape.watch(x);
  auto loss = lm::sum(x * 2 + lm::cast(lm::cast(x, lm::Int32), lm::Float32));
  EXPECT_VALUES(*tape.gradient(loss, x), {2, 2});
  EXPECT_TRUE(tape.cuts(loss, lm::TensorList{x}).empty());
}
