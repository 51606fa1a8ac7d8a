// RMSprop against Keras 3's rule written out by hand (keras/src/optimizers/rmsprop.py):
//   v = rho v + (1 - rho) g^2
//   centered: a = rho a + (1 - rho) g;  d = v - a^2 + eps;  else d = v + eps
//   inc = lr g / sqrt(d);  momentum > 0: m = mu m + inc, w -= m;  else w -= inc
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;

namespace {

const Vec kW0 = {1.0, -2.0, 0.5};
const Steps kGrads = {{0.5, -1.0, 2.0}, {0.1, 0.3, -0.7}, {-0.4, 0.0, 1.5}};

struct RMSState {
  Vec w, v, m, a;
};

RMSState rmsprop_reference(Vec w, const Steps& grads, double lr, double rho, double mu, double eps, bool centered) {
  RMSState s{w, Vec(w.size(), 0.0), Vec(w.size(), 0.0), Vec(w.size(), 0.0)};
  for (const auto& step : grads)
    for (std::size_t i = 0; i < w.size(); ++i) {
      double g = step[i];
      s.v[i] = rho * s.v[i] + (1 - rho) * g * g;
      double d;
      if (centered) {
        s.a[i] = rho * s.a[i] + (1 - rho) * g;
        d = s.v[i] - s.a[i] * s.a[i] + eps;
      } else {
        d = s.v[i] + eps;
      }
      double inc = lr * g / std::sqrt(d);
      if (mu > 0) {
        s.m[i] = mu * s.m[i] + inc;
        s.w[i] -= s.m[i];
      } else {
        s.w[i] -= inc;
      }
    }
  return s;
}

struct Case {
  double momentum;
  bool centered;
};

}  // namespace

TEST(OptimizerRMSprop, EveryVariantMatchesTheRule) {
  for (Case c : {Case{0.0, false}, Case{0.9, false}, Case{0.0, true}, Case{0.5, true}})
    for (lm::DType dt : {lm::Float32, lm::Float64}) {
      SCOPED_TRACE(::testing::Message() << lm::dtype_name(dt) << " momentum " << c.momentum << " centered "
                                        << c.centered);
      auto rms = opt::RMSprop(
          0.125, {.rho = 0.8, .momentum = c.momentum, .epsilon = 0.01, .centered = c.centered, .name = "rms"});
      auto w = run_steps(*rms, kW0, kGrads, dt);
      RMSState ref = rmsprop_reference(kW0, kGrads, 0.125, 0.8, c.momentum, 0.01, c.centered);
      EXPECT_CLOSE(values_of(w), ref.w, dt, "w");
      EXPECT_CLOSE(values_of(find_variable(*rms, "rms/dense_kernel_velocity")), ref.v, dt, "velocity");
      if (c.momentum > 0) {
        EXPECT_CLOSE(values_of(find_variable(*rms, "rms/dense_kernel_momentum")), ref.m, dt, "momentum");
      }
      if (c.centered) {
        EXPECT_CLOSE(values_of(find_variable(*rms, "rms/dense_kernel_average_gradient")), ref.a, dt,
                     "average_gradient");
      }
    }
}

TEST(OptimizerRMSprop, DefaultsMatchTheRule) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto rms = opt::RMSprop();
    EXPECT_NEAR(rms->learning_rate(), 0.001, 1e-10);
    auto w = run_steps(*rms, kW0, kGrads, dt);
    EXPECT_CLOSE(values_of(w), rmsprop_reference(kW0, kGrads, f32(0.001), 0.9, 0, 1e-7, false).w, dt, "w");
  }
}

TEST(OptimizerRMSprop, FirstStepByHand) {
  // v = 0.5 * 4 = 2, d = 2 + 0.25, inc = 0.5 * 2 / 1.5; w = 1 - 2/3.
  auto rms = opt::RMSprop(0.5, {.rho = 0.5, .epsilon = 0.25});
  auto w = run_steps(*rms, {1.0}, {{2.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{1.0 / 3.0}), lm::Float64, "w");
  // Centered: a = 0.5 * 2 = 1, d = 2 - 1 + 0.25 = 1.25.
  auto centered = opt::RMSprop(0.5, {.rho = 0.5, .epsilon = 0.25, .centered = true});
  w = run_steps(*centered, {1.0}, {{2.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{1.0 - 1.0 / std::sqrt(1.25)}), lm::Float64, "w");
}

TEST(OptimizerRMSprop, ConfigIsKeras) {
  auto rms = opt::RMSprop(0.01, {.rho = 0.8, .momentum = 0.5, .epsilon = 1e-6, .centered = true});
  lm::Json c = rms->get_config();
  EXPECT_EQ(c["rho"], 0.8);
  EXPECT_EQ(c["momentum"], 0.5);
  EXPECT_EQ(c["epsilon"], 1e-6);
  EXPECT_EQ(c["centered"], true);
  EXPECT_EQ(rms->class_name(), "RMSprop");
}

TEST(OptimizerRMSprop, BadHyperparametersAreValueErrorsNamingThem) {
  using ::testing::HasSubstr;
  EXPECT_LAMINA_ERROR(opt::RMSprop(0.1, {.rho = 1.0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("rho")); });
  EXPECT_LAMINA_ERROR(opt::RMSprop(0.1, {.momentum = -1}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("momentum")); });
  EXPECT_LAMINA_ERROR(opt::RMSprop(0.1, {.epsilon = -1}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("epsilon")); });
}
