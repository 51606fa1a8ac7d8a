#include <cmath>

#include "test_util.hpp"

namespace lm = lamina;
namespace act = lamina::activations;

TEST(Activations, ValuesByHand) {
  auto x = lm::tensor({-2.0, 0.0, 1.5});
  EXPECT_VALUES(act::linear(x), {-2, 0, 1.5});
  EXPECT_VALUES(act::relu(x), {0, 0, 1.5});
  EXPECT_VALUES(act::softsign(x), {-2.0 / 3.0, 0, 1.5 / 2.5}, 1e-12);
  EXPECT_VALUES(act::elu(x), {std::exp(-2.0) - 1, 0, 1.5}, 1e-12);
  EXPECT_VALUES(act::swish(x), {-2 / (1 + std::exp(2.0)), 0, 1.5 / (1 + std::exp(-1.5))}, 1e-12);
  EXPECT_VALUES(act::hard_sigmoid(x), {1.0 / 6.0, 0.5, 4.5 / 6.0}, 1e-12);
  double s = 1.0507009873554804934193349852946, a = 1.6732632423543772848170429916717;
  EXPECT_VALUES(act::selu(x), {s * a * (std::exp(-2.0) - 1), 0, s * 1.5}, 1e-12);
  EXPECT_VALUES(act::softmax(lm::tensor({0.0, std::log(3.0)})), {0.25, 0.75}, 1e-12);
}

TEST(Activations, SpecRemembersItsName) {
  lm::ActivationSpec by_name = "tanh";
  EXPECT_EQ(by_name.name(), "tanh");
  lm::ActivationSpec fn([](const lm::Tensor& t) { return t; });
  EXPECT_EQ(fn.name(), "custom");
  EXPECT_TRUE(lm::ActivationSpec("linear").is_linear());
}
