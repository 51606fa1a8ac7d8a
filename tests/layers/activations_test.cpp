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
  // gelu(x) = x Phi(x) with the normal CDF Phi(-2) = 0.0227501319, Phi(1.5) = 0.9331927987.
  EXPECT_VALUES(act::gelu(x), {-2 * 0.022750131948179195, 0, 1.5 * 0.9331927987311419}, 1e-12);
  EXPECT_VALUES(act::relu6(lm::tensor({-2.0, 3.0, 7.5})), {0, 3, 6});
  EXPECT_VALUES(act::leaky_relu(x), {-0.4, 0, 1.5}, 1e-12);
  // hard_silu: x relu6(x + 3) / 6 = -2 * 1/6, 0, 1.5 * 4.5/6
  EXPECT_VALUES(act::hard_silu(x), {-2.0 / 6.0, 0, 1.5 * 4.5 / 6.0}, 1e-12);
  const double sp_m2 = std::log1p(std::exp(-2.0)), sp_15 = std::log1p(std::exp(1.5));
  EXPECT_VALUES(act::mish(x), {-2 * std::tanh(sp_m2), 0, 1.5 * std::tanh(sp_15)}, 1e-12);
  // log_sigmoid(x) = -log(1 + e^-x); at -1000 it is -1000, not -inf.
  EXPECT_VALUES(act::log_sigmoid(lm::tensor({-1000.0, 0.0, 1.5})), {-1000, -std::log(2.0), -std::log1p(std::exp(-1.5))},
                1e-12);
}

TEST(Activations, GradientsByFiniteDifferences) {
  // Points away from the kinks of relu6 (0, 6), leaky_relu (0) and hard_silu (-3, 3).
  auto x = lm::tensor({-4.1, -2.3, -0.7, 0.4, 1.9, 3.6, 6.8});
  for (const char* name : {"gelu", "relu6", "leaky_relu", "hard_silu", "mish", "log_sigmoid"}) {
    SCOPED_TRACE(name);
    auto f = act::get(name);
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return f(in[0]); }, {x});
  }
}

TEST(Activations, SpecRemembersItsName) {
  lm::ActivationSpec by_name = "tanh";
  EXPECT_EQ(by_name.name(), "tanh");
  lm::ActivationSpec fn([](const lm::Tensor& t) { return t; });
  EXPECT_EQ(fn.name(), "custom");
  EXPECT_TRUE(lm::ActivationSpec("linear").is_linear());
}
