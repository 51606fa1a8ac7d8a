#include "test_util.hpp"

namespace lm = lamina;

TEST(Smoke, AddMulBroadcastAndGradient) {
  auto a = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  auto b = lm::tensor({10.f, 20.f, 30.f});
  auto c = a * b + 1;
  EXPECT_VALUES(c, {11, 41, 91, 41, 101, 181});
  lm::GradientTape tape;
  tape.watch(b);
  auto loss = lm::sum(a * b);
  auto g = tape.gradient(loss, b);
  ASSERT_TRUE(g.has_value());
  EXPECT_VALUES(*g, {5, 7, 9});
}

TEST(Smoke, MaskTravelsThroughArithmeticAndSymbolic) {
  auto x = lm::ones({2, 4, 3});
  auto m = lm::tensor({{true, true, false, false}, {true, true, true, false}});
  auto y = x.with_mask(m) + 1.0;
  EXPECT_MASK(y, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  auto s = lm::placeholder({lm::Shape{lm::None, 4, 3}, lm::Float32, 2});
  auto z = s * 2.f + lm::ones({3});
  EXPECT_TRUE(z.is_symbolic());
  EXPECT_EQ(z.spec().str(), "float32 (None, 4, 3) mask (None, 4)");
  std::cout << y << "\n" << z << "\n";
}
