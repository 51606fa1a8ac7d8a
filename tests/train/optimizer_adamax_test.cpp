// Adamax against Keras 3's rule written out by hand (keras/src/optimizers/adamax.py):
//   m += (g - m)(1 - b1);  u = max(b2 u, |g|);  w -= lr m / ((1 - b1^t)(u + eps))
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;

namespace {

const Vec kW0 = {1.0, -2.0, 0.5, 3.0};
const Steps kGrads = {{0.5, -1.0, 2.0, 0.0}, {0.1, 0.3, -0.7, 0.0}, {-0.4, 0.0, 1.5, 0.25}};

Vec adamax_reference(Vec w, const Steps& grads, double lr, double b1, double b2, double eps, Vec* m_out = nullptr,
                     Vec* u_out = nullptr) {
  Vec m(w.size(), 0.0), u(w.size(), 0.0);
  for (std::size_t step = 0; step < grads.size(); ++step) {
    double t = static_cast<double>(step + 1);
    for (std::size_t i = 0; i < w.size(); ++i) {
      double g = grads[step][i];
      m[i] += (g - m[i]) * (1 - b1);
      u[i] = std::max(b2 * u[i], std::fabs(g));
      w[i] -= lr * m[i] / ((1 - std::pow(b1, t)) * (u[i] + eps));
    }
  }
  if (m_out) *m_out = m;
  if (u_out) *u_out = u;
  return w;
}

}  // namespace

TEST(OptimizerAdamax, StepsMatchTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adamax = opt::Adamax(0.25, {.beta_1 = 0.8, .beta_2 = 0.5, .epsilon = 0.01, .name = "amx"});
    auto w = run_steps(*adamax, kW0, kGrads, dt);
    Vec m, u;
    EXPECT_CLOSE(values_of(w), adamax_reference(kW0, kGrads, 0.25, 0.8, 0.5, 0.01, &m, &u), dt, "w");
    EXPECT_CLOSE(values_of(find_variable(*adamax, "amx/dense_kernel_momentum")), m, dt, "momentum");
    EXPECT_CLOSE(values_of(find_variable(*adamax, "amx/dense_kernel_norm")), u, dt, "norm");
  }
}

TEST(OptimizerAdamax, DefaultsMatchTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adamax = opt::Adamax();
    auto w = run_steps(*adamax, kW0, kGrads, dt);
    EXPECT_CLOSE(values_of(w), adamax_reference(kW0, kGrads, f32(0.001), 0.9, 0.999, 1e-7), dt, "w");
  }
  EXPECT_EQ(opt::Adamax()->class_name(), "Adamax");
}

TEST(OptimizerAdamax, FirstStepByHand) {
  // m = 0.5 * 2 = 1, u = 2, w = 1 - 0.5 * 1 / (0.5 * (2 + 0.5)) = 0.6 (b1 = 0.5, eps = 0.5).
  auto adamax = opt::Adamax(0.5, {.beta_1 = 0.5, .epsilon = 0.5});
  auto w = run_steps(*adamax, {1.0}, {{2.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{0.6}), lm::Float64, "w");
}

TEST(OptimizerAdamax, NaNGradientsPropagateThroughTheNorm) {
  // Keras's ops.maximum propagates NaN; a max that drops it would hide the bad gradient.
  auto adamax = opt::Adamax(0.5, {.name = "amx_nan"});
  auto w = run_steps(*adamax, {1.0}, {{std::nan("")}}, lm::Float32);
  EXPECT_TRUE(std::isnan(values_of(w)[0]));
  EXPECT_TRUE(std::isnan(values_of(find_variable(*adamax, "amx_nan/dense_kernel_norm"))[0]));
}

TEST(OptimizerAdamax, BadHyperparametersAreValueErrorsNamingThem) {
  using ::testing::HasSubstr;
  EXPECT_LAMINA_ERROR(opt::Adamax(0.1, {.beta_1 = 1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("beta_1")); });
  EXPECT_LAMINA_ERROR(opt::Adamax(0.1, {.beta_2 = 2}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("beta_2")); });
  EXPECT_LAMINA_ERROR(opt::Adamax(0.1, {.epsilon = -1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("epsilon")); });
}
