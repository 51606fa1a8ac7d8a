// Adam, AMSGrad and AdamW against Keras 3's rule written out by hand (keras/src/optimizers/adam.py):
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);  amsgrad: vh = max(vh, v), used for v
//   alpha = lr sqrt(1 - b2^t) / (1 - b1^t);  w -= m alpha / (sqrt(v) + eps)
// AdamW: first w -= w * wd * lr (base optimizer's weight decay).
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;

namespace {

// Starting values large enough that three steps of lr 0.25-0.5 do not cancel them (float32
// keeps 1e-6 relative only away from cancellation).
const Vec kW0 = {1.5, -2.0, 2.5, 0.0};
const Steps kGrads = {{0.5, -1.0, 3.0, 0.0}, {0.1, 0.3, 0.01, 0.0}, {-0.4, 0.0, 0.02, 0.0}};

struct AdamState {
  Vec w, m, v, vh;
};

AdamState adam_reference(Vec w, const Steps& grads, double lr, double b1, double b2, double eps, bool amsgrad,
                         double wd = 0) {
  AdamState s{w, Vec(w.size(), 0.0), Vec(w.size(), 0.0), Vec(w.size(), 0.0)};
  for (std::size_t step = 0; step < grads.size(); ++step) {
    double t = static_cast<double>(step + 1);
    double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (std::size_t i = 0; i < w.size(); ++i) {
      double g = grads[step][i];
      s.w[i] -= s.w[i] * wd * lr;
      s.m[i] += (g - s.m[i]) * (1 - b1);
      s.v[i] += (g * g - s.v[i]) * (1 - b2);
      double v = s.v[i];
      if (amsgrad) {
        s.vh[i] = std::max(s.vh[i], s.v[i]);
        v = s.vh[i];
      }
      s.w[i] -= s.m[i] * alpha / (std::sqrt(v) + eps);
    }
  }
  return s;
}

}  // namespace

TEST(OptimizerAdam, DefaultStepsMatchTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adam = opt::Adam(0.25, {.name = "a"});
    auto w = run_steps(*adam, kW0, kGrads, dt);
    AdamState ref = adam_reference(kW0, kGrads, 0.25, 0.9, 0.999, 1e-7, false);
    EXPECT_CLOSE(values_of(w), ref.w, dt, "w");
    EXPECT_CLOSE(values_of(find_variable(*adam, "a/dense_kernel_momentum")), ref.m, dt, "momentum");
    EXPECT_CLOSE(values_of(find_variable(*adam, "a/dense_kernel_velocity")), ref.v, dt, "velocity");
  }
}

TEST(OptimizerAdam, FirstStepByHand) {
  // t = 1: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(0.001) / 0.1, so
  // w -= lr * 0.1 g * sqrt(0.001) / 0.1 / (sqrt(0.001) |g| + eps) = lr sign(g) (almost, eps aside).
  auto adam = opt::Adam(0.5, {.epsilon = 1e-7});
  auto w = run_steps(*adam, {1.0, 1.0}, {{2.0, -0.5}}, lm::Float64);
  double r = std::sqrt(0.001);
  double step0 = 0.5 * (0.1 * 2.0) * (r / 0.1) / (r * 2.0 + 1e-7);
  double step1 = 0.5 * (0.1 * -0.5) * (r / 0.1) / (r * 0.5 + 1e-7);
  EXPECT_CLOSE(values_of(w), (Vec{1.0 - step0, 1.0 - step1}), lm::Float64, "w");
  EXPECT_NEAR(values_of(w)[0], 0.5, 1e-5);
}

TEST(OptimizerAdam, EpsilonIsAddedToTheUncorrectedRoot) {
  // A large epsilon makes its placement visible: Keras adds it to sqrt(v) (not sqrt(v_hat)).
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adam = opt::Adam(0.25, {.beta_1 = 0.8, .beta_2 = 0.9, .epsilon = 0.1});
    auto w = run_steps(*adam, kW0, kGrads, dt);
    EXPECT_CLOSE(values_of(w), adam_reference(kW0, kGrads, 0.25, 0.8, 0.9, 0.1, false).w, dt, "w");
  }
  // Hand check of step 1 with g = 1, eps = 0.1, b1 = 0.8, b2 = 0.9, lr = 0.5:
  // m = 0.2, v = 0.1, alpha = 0.5 sqrt(0.1) / 0.2; w = 1 - 0.2 alpha / (sqrt(0.1) + 0.1).
  auto adam = opt::Adam(0.5, {.beta_1 = 0.8, .beta_2 = 0.9, .epsilon = 0.1});
  auto w = run_steps(*adam, {1.0}, {{1.0}}, lm::Float64);
  double alpha = 0.5 * std::sqrt(0.1) / 0.2;
  EXPECT_CLOSE(values_of(w), (Vec{1.0 - 0.2 * alpha / (std::sqrt(0.1) + 0.1)}), lm::Float64, "w");
}

TEST(OptimizerAdam, AmsgradKeepsTheLargestVelocity) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adam = opt::Adam(0.25, {.beta_2 = 0.5, .amsgrad = true, .name = "ams"});
    auto w = run_steps(*adam, kW0, kGrads, dt);
    AdamState ref = adam_reference(kW0, kGrads, 0.25, 0.9, 0.5, 1e-7, true);
    EXPECT_CLOSE(values_of(w), ref.w, dt, "w");
    EXPECT_CLOSE(values_of(find_variable(*adam, "ams/dense_kernel_velocity_hat")), ref.vh, dt, "velocity_hat");
    // The gradient of element 2 shrinks, so v_hat > v there: amsgrad changes the result.
    EXPECT_GT(ref.vh[2], ref.v[2] * 1.5);
    AdamState plain = adam_reference(kW0, kGrads, 0.25, 0.9, 0.5, 1e-7, false);
    EXPECT_GT(std::fabs(plain.w[2] - ref.w[2]), 1e-3);
  }
}

TEST(OptimizerAdamW, DecaysBeforeTheAdamUpdate) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adamw = opt::AdamW(0.25, {.weight_decay = 0.5});
    auto w = run_steps(*adamw, kW0, kGrads, dt);
    EXPECT_CLOSE(values_of(w), adam_reference(kW0, kGrads, 0.25, 0.9, 0.999, 1e-7, false, 0.5).w, dt, "w");
  }
}

TEST(OptimizerAdamW, DefaultWeightDecayIs0004) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adamw = opt::AdamW(0.5);
    EXPECT_EQ(adamw->get_config()["weight_decay"], 0.004);
    auto w = run_steps(*adamw, kW0, kGrads, dt);
    EXPECT_CLOSE(values_of(w), adam_reference(kW0, kGrads, 0.5, 0.9, 0.999, 1e-7, false, 0.004).w, dt, "w");
  }
  // A zero gradient leaves only the decay: w = 2 - 2 * 0.004 * 0.5 = 1.996 (m = v = 0, so no Adam step).
  auto adamw = opt::AdamW(0.5);
  auto w = run_steps(*adamw, {2.0}, {{0.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{1.996}), lm::Float64, "w");
}

TEST(OptimizerAdamW, WithAmsgrad) {
  auto adamw = opt::AdamW(0.25, {.weight_decay = 0.1, .beta_2 = 0.5, .amsgrad = true});
  auto w = run_steps(*adamw, kW0, kGrads, lm::Float32);
  EXPECT_CLOSE(values_of(w), adam_reference(kW0, kGrads, 0.25, 0.9, 0.5, 1e-7, true, 0.1).w, lm::Float32, "w");
}

TEST(OptimizerAdam, DefaultsAndConfigAreKeras) {
  auto adam = opt::Adam();
  lm::Json c = adam->get_config();
  EXPECT_EQ(c["beta_1"], 0.9);
  EXPECT_EQ(c["beta_2"], 0.999);
  EXPECT_EQ(c["epsilon"], 1e-7);
  EXPECT_EQ(c["amsgrad"], false);
  EXPECT_TRUE(c["weight_decay"].is_null());
  // Keras keeps the rate in a float32 variable and writes that value.
  EXPECT_EQ(c["learning_rate"].get<double>(), f32(0.001));
  EXPECT_EQ(adam->class_name(), "Adam");
  EXPECT_EQ(opt::AdamW()->class_name(), "AdamW");
}

TEST(OptimizerAdam, BadHyperparametersAreValueErrorsNamingThem) {
  using ::testing::HasSubstr;
  EXPECT_LAMINA_ERROR(opt::Adam(0.1, {.beta_1 = 1.0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("beta_1")); });
  EXPECT_LAMINA_ERROR(opt::Adam(0.1, {.beta_1 = -0.1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("beta_1")); });
  EXPECT_LAMINA_ERROR(opt::Adam(0.1, {.beta_2 = 1.5}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("beta_2")); });
  EXPECT_LAMINA_ERROR(opt::Adam(0.1, {.epsilon = -1e-7}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("epsilon")); });
  EXPECT_LAMINA_ERROR(opt::Adam(0.1, {.epsilon = 0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("epsilon")); });
  EXPECT_LAMINA_ERROR(opt::Adam(-0.1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("learning_rate")); });
  EXPECT_LAMINA_ERROR(opt::AdamW(0.1, {.weight_decay = std::nullopt}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("weight_decay")); });
  EXPECT_LAMINA_ERROR(opt::AdamW(0.1, {.weight_decay = -0.5}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("weight_decay")); });
  EXPECT_LAMINA_ERROR(opt::AdamW(0.1, {.beta_2 = 1.0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("AdamW")); });
}
