// Nadam against Keras 3's rule written out by hand (keras/src/optimizers/nadam.py):
//   per step, before the variables: u_t = b1 (1 - 0.5 * 0.96^t), P = P * u_t (P starts at 1)
//   u_{t+1} = b1 (1 - 0.5 * 0.96^(t+1)), P' = P u_{t+1}
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
//   m_hat = u_{t+1} m / (1 - P') + (1 - u_t) g / (1 - P);  v_hat = v / (1 - b2^t)
//   w -= m_hat lr / (sqrt(v_hat) + eps)
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;

namespace {

const Vec kW0 = {1.0, -2.0, 0.5};
const Steps kGrads = {{0.5, -1.0, 2.0}, {0.1, 0.3, -0.7}, {-0.4, 0.0, 1.5}};

Vec nadam_reference(Vec w, const Steps& grads, double lr, double b1, double b2, double eps, double* product = nullptr) {
  Vec m(w.size(), 0.0), v(w.size(), 0.0);
  double p = 1.0;
  for (std::size_t step = 0; step < grads.size(); ++step) {
    double t = static_cast<double>(step + 1);
    double u_t = b1 * (1 - 0.5 * std::pow(0.96, t));
    double u_next = b1 * (1 - 0.5 * std::pow(0.96, t + 1));
    p *= u_t;
    double p_next = p * u_next;
    for (std::size_t i = 0; i < w.size(); ++i) {
      double g = grads[step][i];
      m[i] += (g - m[i]) * (1 - b1);
      v[i] += (g * g - v[i]) * (1 - b2);
      double m_hat = u_next * m[i] / (1 - p_next) + (1 - u_t) * g / (1 - p);
      double v_hat = v[i] / (1 - std::pow(b2, t));
      w[i] -= m_hat * lr / (std::sqrt(v_hat) + eps);
    }
  }
  if (product) *product = p;
  return w;
}

}  // namespace

TEST(OptimizerNadam, StepsMatchTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto nadam = opt::Nadam(0.25, {.beta_1 = 0.8, .beta_2 = 0.9, .epsilon = 0.01, .name = "nad"});
    auto w = run_steps(*nadam, kW0, kGrads, dt);
    double product = 0;
    EXPECT_CLOSE(values_of(w), nadam_reference(kW0, kGrads, 0.25, 0.8, 0.9, 0.01, &product), dt, "w");
    // The momentum cache is a state variable (Keras's _u_product) of the variables' dtype.
    lm::Variable u = find_variable(*nadam, "nad/u_product");
    EXPECT_EQ(u.dtype(), dt);
    EXPECT_EQ(u.shape(), lm::Shape{});
    EXPECT_CLOSE(values_of(u), (Vec{product}), dt, "u_product");
  }
}

TEST(OptimizerNadam, DefaultsMatchTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto nadam = opt::Nadam();
    auto w = run_steps(*nadam, kW0, kGrads, dt);
    EXPECT_CLOSE(values_of(w), nadam_reference(kW0, kGrads, f32(0.001), 0.9, 0.999, 1e-7), dt, "w");
  }
  EXPECT_EQ(opt::Nadam()->class_name(), "Nadam");
}

TEST(OptimizerNadam, TheCacheAdvancesOncePerStepNotPerVariable) {
  // Two variables in one step must see the same u_product as one variable alone.
  auto nadam = opt::Nadam(0.25, {.name = "nad2"});
  lm::Variable a("a", vec_tensor({1.0, -2.0}, lm::Float64)), b("b", vec_tensor({0.5}, lm::Float64));
  for (const auto& g : kGrads)
    nadam->apply_gradients({vec_tensor({g[0], g[1]}, lm::Float64), vec_tensor({g[2]}, lm::Float64)}, {a, b});
  Vec all = nadam_reference(kW0, kGrads, 0.25, 0.9, 0.999, 1e-7);
  EXPECT_CLOSE(values_of(a), (Vec{all[0], all[1]}), lm::Float64, "a");
  EXPECT_CLOSE(values_of(b), (Vec{all[2]}), lm::Float64, "b");
}

TEST(OptimizerNadam, BadHyperparametersAreValueErrorsNamingThem) {
  using ::testing::HasSubstr;
  EXPECT_LAMINA_ERROR(opt::Nadam(0.1, {.beta_1 = 1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("beta_1")); });
  EXPECT_LAMINA_ERROR(opt::Nadam(0.1, {.beta_2 = -1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("beta_2")); });
  EXPECT_LAMINA_ERROR(opt::Nadam(0.1, {.epsilon = 0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("epsilon")); });
}
