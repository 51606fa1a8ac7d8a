// SGD against Keras 3's rule written out by hand (keras/src/optimizers/sgd.py):
//   no momentum: w -= lr * g
//   momentum:    m = mu * m - lr * g;  w += m                 (nesterov: w += mu * m - lr * g)
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;

namespace {

const Vec kW0 = {1.0, -2.0, 0.5};
const Steps kGrads = {{0.5, -1.0, 2.0}, {0.1, 0.3, -0.7}, {-0.4, 0.0, 1.5}};

Vec sgd_reference(Vec w, const Steps& grads, double lr, double mu, bool nesterov, Vec* momentum = nullptr) {
  Vec m(w.size(), 0.0);
  for (const auto& g : grads)
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (mu == 0) {
        w[i] -= lr * g[i];
        continue;
      }
      m[i] = mu * m[i] - lr * g[i];
      w[i] += nesterov ? mu * m[i] - lr * g[i] : m[i];
    }
  if (momentum) *momentum = m;
  return w;
}

}  // namespace

TEST(OptimizerSGD, PlainStepsMatchTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto sgd = opt::SGD(0.1);
    auto w = run_steps(*sgd, kW0, kGrads, dt);
    EXPECT_CLOSE(values_of(w), sgd_reference(kW0, kGrads, f32(0.1), 0, false), dt, "w");
    EXPECT_EQ(sgd->iterations(), 3);
    EXPECT_EQ(sgd->variables().size(), 2u);  // iteration, learning_rate: no slots without momentum
  }
}

TEST(OptimizerSGD, HandComputedFirstStep) {
  // 1 - 0.5 * 0.5 = 0.75, -2 - 0.5 * -1 = -1.5, 0.5 - 0.5 * 2 = -0.5 (lr exactly 0.5).
  auto sgd = opt::SGD(0.5);
  auto w = run_steps(*sgd, kW0, {kGrads[0]}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{0.75, -1.5, -0.5}), lm::Float64, "w");
}

TEST(OptimizerSGD, MomentumMatchesTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto sgd = opt::SGD(0.25, {.momentum = 0.9, .name = "sgd_test"});
    auto w = run_steps(*sgd, kW0, kGrads, dt);
    Vec m;
    EXPECT_CLOSE(values_of(w), sgd_reference(kW0, kGrads, 0.25, 0.9, false, &m), dt, "w");
    EXPECT_CLOSE(values_of(find_variable(*sgd, "sgd_test/dense_kernel_momentum")), m, dt, "momentum");
  }
}

TEST(OptimizerSGD, NesterovMatchesTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto sgd = opt::SGD(0.25, {.momentum = 0.5, .nesterov = true, .name = "sgd_test"});
    auto w = run_steps(*sgd, kW0, kGrads, dt);
    Vec m;
    EXPECT_CLOSE(values_of(w), sgd_reference(kW0, kGrads, 0.25, 0.5, true, &m), dt, "w");
    EXPECT_CLOSE(values_of(find_variable(*sgd, "sgd_test/dense_kernel_momentum")), m, dt, "momentum");
    // Nesterov differs from plain momentum (the test would not notice a missing branch otherwise).
    EXPECT_GT(std::fabs(values_of(w)[0] - sgd_reference(kW0, kGrads, 0.25, 0.5, false)[0]), 1e-3);
  }
}

TEST(OptimizerSGD, NesterovFirstStepByHand) {
  // m = -0.5 * 2 = -1;  w = 0.5 + (0.5 * -1 - 0.5 * 2) = -1 (lr 0.5, mu 0.5, g 2).
  auto sgd = opt::SGD(0.5, {.momentum = 0.5, .nesterov = true});
  auto w = run_steps(*sgd, {0.5}, {{2.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{-1.0}), lm::Float64, "w");
}

TEST(OptimizerSGD, DefaultsAreKeras) {
  auto sgd = opt::SGD();
  EXPECT_NEAR(sgd->learning_rate(), 0.01, 1e-9);
  lm::Json c = sgd->get_config();
  EXPECT_EQ(c["momentum"], 0.0);
  EXPECT_EQ(c["nesterov"], false);
  EXPECT_EQ(sgd->class_name(), "SGD");
}

TEST(OptimizerSGD, BadMomentumIsAValueErrorNamingIt) {
  EXPECT_LAMINA_ERROR(opt::SGD(0.1, {.momentum = 1.5}), lm::ValueError,
                      { EXPECT_THAT(msg, ::testing::HasSubstr("momentum")); });
  EXPECT_LAMINA_ERROR(opt::SGD(0.1, {.momentum = -0.1}), lm::ValueError,
                      { EXPECT_THAT(msg, ::testing::HasSubstr("momentum")); });
}
