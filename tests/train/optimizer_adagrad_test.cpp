// Adagrad against Keras 3's rule written out by hand (keras/src/optimizers/adagrad.py):
//   acc += g^2 (acc starts at initial_accumulator_value);  w -= lr g / sqrt(acc + eps)
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;

namespace {

const Vec kW0 = {1.0, -2.0, 0.5};
const Steps kGrads = {{0.5, -1.0, 2.0}, {0.1, 0.3, -0.7}, {-0.4, 0.0, 1.5}};

Vec adagrad_reference(Vec w, const Steps& grads, double lr, double init, double eps, Vec* acc_out = nullptr) {
  Vec acc(w.size(), init);
  for (const auto& g : grads)
    for (std::size_t i = 0; i < w.size(); ++i) {
      acc[i] += g[i] * g[i];
      w[i] -= lr * g[i] / std::sqrt(acc[i] + eps);
    }
  if (acc_out) *acc_out = acc;
  return w;
}

}  // namespace

TEST(OptimizerAdagrad, StepsMatchTheRule) {
  for (double init : {0.1, 0.0, 2.0})
    for (lm::DType dt : {lm::Float32, lm::Float64}) {
      SCOPED_TRACE(::testing::Message() << lm::dtype_name(dt) << " initial_accumulator_value " << init);
      auto ada = opt::Adagrad(0.5, {.initial_accumulator_value = init, .epsilon = 0.01, .name = "ada"});
      auto w = run_steps(*ada, kW0, kGrads, dt);
      Vec acc;
      EXPECT_CLOSE(values_of(w), adagrad_reference(kW0, kGrads, 0.5, init, 0.01, &acc), dt, "w");
      EXPECT_CLOSE(values_of(find_variable(*ada, "ada/dense_kernel_accumulator")), acc, dt, "accumulator");
    }
}

TEST(OptimizerAdagrad, DefaultsMatchTheRule) {
  auto ada = opt::Adagrad();
  lm::Json c = ada->get_config();
  EXPECT_EQ(c["initial_accumulator_value"], 0.1);
  EXPECT_EQ(c["epsilon"], 1e-7);
  EXPECT_EQ(ada->class_name(), "Adagrad");
  // The accumulator starts at 0.1 when built.
  lm::Variable w("w", lm::zeros({2}));
  ada->build({w});
  EXPECT_VALUES(ada->variables().back().value(), {0.1, 0.1});
  auto fresh = opt::Adagrad();
  auto w2 = run_steps(*fresh, kW0, kGrads, lm::Float32);
  EXPECT_CLOSE(values_of(w2), adagrad_reference(kW0, kGrads, f32(0.001), 0.1, 1e-7), lm::Float32, "w");
}

TEST(OptimizerAdagrad, FirstStepByHand) {
  // acc = 0.25 + 1 = 1.25 - 0.01 ... choose init 0.75, eps 0.25: acc = 0.75 + 1, sqrt(2) -> w = 1 - 0.5/sqrt(2).
  auto ada = opt::Adagrad(0.5, {.initial_accumulator_value = 0.75, .epsilon = 0.25});
  auto w = run_steps(*ada, {1.0}, {{1.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{1.0 - 0.5 / std::sqrt(2.0)}), lm::Float64, "w");
}

TEST(OptimizerAdagrad, BadHyperparametersAreValueErrorsNamingThem) {
  using ::testing::HasSubstr;
  EXPECT_LAMINA_ERROR(opt::Adagrad(0.1, {.initial_accumulator_value = -1}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("initial_accumulator_value")); });
  EXPECT_LAMINA_ERROR(opt::Adagrad(0.1, {.epsilon = -1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("epsilon")); });
}
