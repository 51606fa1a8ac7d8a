// Learning-rate schedules against Keras 3's formulas written out by hand
// (keras/src/optimizers/schedules/learning_rate_schedule.py), and their use by optimizers:
// the rate of a step is the schedule at iterations() before the step.
#include <numbers>

#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;
using ::testing::HasSubstr;

namespace {
constexpr double kPi = std::numbers::pi;
}

TEST(OptimizerSchedules, ExponentialDecay) {
  auto s = opt::ExponentialDecay(0.1, 10, 0.5);
  EXPECT_DOUBLE_EQ((*s)(0), 0.1);
  EXPECT_DOUBLE_EQ((*s)(5), 0.1 * std::pow(0.5, 0.5));
  EXPECT_DOUBLE_EQ((*s)(10), 0.05);
  EXPECT_DOUBLE_EQ((*s)(25), 0.1 * std::pow(0.5, 2.5));
}

TEST(OptimizerSchedules, ExponentialDecayStaircase) {
  auto s = opt::ExponentialDecay(0.1, 10, 0.5, true);
  EXPECT_DOUBLE_EQ((*s)(0), 0.1);
  EXPECT_DOUBLE_EQ((*s)(9), 0.1);
  EXPECT_DOUBLE_EQ((*s)(10), 0.05);
  EXPECT_DOUBLE_EQ((*s)(25), 0.025);
}

TEST(OptimizerSchedules, PiecewiseConstantDecay) {
  // values[0] while step <= 5, values[1] while 5 < step <= 10, values[2] after.
  auto s = opt::PiecewiseConstantDecay({5, 10}, {1.0, 0.5, 0.1});
  EXPECT_EQ((*s)(0), 1.0);
  EXPECT_EQ((*s)(5), 1.0);
  EXPECT_EQ((*s)(6), 0.5);
  EXPECT_EQ((*s)(10), 0.5);
  EXPECT_EQ((*s)(11), 0.1);
  EXPECT_EQ((*s)(1000), 0.1);
  // No boundaries: a constant (Keras would fail indexing boundaries[0]).
  auto constant = opt::PiecewiseConstantDecay({}, {0.3});
  EXPECT_EQ((*constant)(0), 0.3);
  EXPECT_EQ((*constant)(1 << 30), 0.3);
}

TEST(OptimizerSchedules, CosineDecay) {
  auto s = opt::CosineDecay(0.2, 100, 0.1);
  auto expected = [](double step) {
    step = std::min(step, 100.0);
    double cosine = 0.5 * (1 + std::cos(kPi * step / 100));
    return 0.2 * ((1 - 0.1) * cosine + 0.1);
  };
  for (std::int64_t step : {0, 1, 30, 50, 99, 100, 150}) EXPECT_NEAR((*s)(step), expected(step), 1e-15) << step;
  EXPECT_NEAR((*s)(50), 0.2 * (0.9 * 0.5 + 0.1), 1e-15);
  EXPECT_NEAR((*s)(100), 0.02, 1e-15);
  EXPECT_NEAR((*s)(500), 0.02, 1e-15);  // constant after decay_steps
}

TEST(OptimizerSchedules, CosineDecayWithWarmup) {
  // Linear from 0.0 to 0.4 over 10 steps, then cosine from 0.4 to 0.4 * alpha over 20 steps.
  auto s = opt::CosineDecay(0.0, 20, 0.25, 0.4, 10);
  EXPECT_NEAR((*s)(0), 0.0, 1e-15);
  EXPECT_NEAR((*s)(3), 0.4 * 3 / 10, 1e-15);
  EXPECT_NEAR((*s)(9), 0.4 * 9 / 10, 1e-15);
  EXPECT_NEAR((*s)(10), 0.4, 1e-15);  // warmup over: the decay starts at the target
  EXPECT_NEAR((*s)(15), 0.4 * (0.75 * 0.5 * (1 + std::cos(kPi * 5 / 20)) + 0.25), 1e-15);
  EXPECT_NEAR((*s)(30), 0.1, 1e-15);
  EXPECT_NEAR((*s)(31), 0.1, 1e-15);
  // Warmup from a non-zero start: initial + (target - initial) * step / warmup_steps.
  auto w = opt::CosineDecay(0.1, 20, 0.0, 0.5, 4);
  EXPECT_NEAR((*w)(1), 0.1 + 0.4 * 0.25, 1e-15);
  // Without warmup_target, warmup_steps is ignored (Keras).
  auto no_target = opt::CosineDecay(0.2, 100, 0.1, std::nullopt, 50);
  EXPECT_NEAR((*no_target)(0), 0.2, 1e-15);
  EXPECT_NEAR((*no_target)(100), 0.02, 1e-15);
}

TEST(OptimizerSchedules, PolynomialDecay) {
  auto s = opt::PolynomialDecay(0.1, 10, 0.01, 2.0);
  EXPECT_NEAR((*s)(0), 0.1, 1e-15);
  EXPECT_NEAR((*s)(5), 0.09 * 0.25 + 0.01, 1e-15);
  EXPECT_NEAR((*s)(10), 0.01, 1e-15);
  EXPECT_NEAR((*s)(20), 0.01, 1e-15);
  // cycle: decay_steps grows to the next multiple: step 15 -> 20, (1 - 0.75)^2.
  auto c = opt::PolynomialDecay(0.1, 10, 0.01, 2.0, true);
  EXPECT_NEAR((*c)(0), 0.1, 1e-15);
  EXPECT_NEAR((*c)(15), 0.09 * 0.0625 + 0.01, 1e-15);
  EXPECT_NEAR((*c)(10), 0.01, 1e-15);
  // The Keras default end rate is 1e-4 and power 1: linear.
  auto d = opt::PolynomialDecay(0.1, 10);
  EXPECT_NEAR((*d)(5), (0.1 - 1e-4) * 0.5 + 1e-4, 1e-15);
}

TEST(OptimizerSchedules, InverseTimeDecay) {
  auto s = opt::InverseTimeDecay(0.1, 10, 0.5);
  EXPECT_NEAR((*s)(0), 0.1, 1e-15);
  EXPECT_NEAR((*s)(5), 0.1 / 1.25, 1e-15);
  EXPECT_NEAR((*s)(20), 0.1 / 2.0, 1e-15);
  auto st = opt::InverseTimeDecay(0.1, 10, 0.5, true);
  EXPECT_NEAR((*st)(9), 0.1, 1e-15);
  EXPECT_NEAR((*st)(15), 0.1 / 1.5, 1e-15);
}

TEST(OptimizerSchedules, CosineDecayRestarts) {
  // t_mul 2: periods of 10, 20, 40 steps starting at 0, 10, 30; m_mul 0.5 halves each restart.
  auto s = opt::CosineDecayRestarts(1.0, 10, 2.0, 0.5, 0.0);
  auto cosine = [](double fraction, double m) { return 0.5 * m * (1 + std::cos(kPi * fraction)); };
  EXPECT_NEAR((*s)(0), 1.0, 1e-12);
  EXPECT_NEAR((*s)(5), cosine(0.5, 1.0), 1e-12);
  EXPECT_NEAR((*s)(10), 0.5, 1e-12);                     // first restart at half the rate
  EXPECT_NEAR((*s)(20), cosine(10.0 / 20, 0.5), 1e-12);  // 10 steps into the 20-step period
  EXPECT_NEAR((*s)(40), cosine(10.0 / 40, 0.25), 1e-12);
  // t_mul 1: equal periods.
  auto e = opt::CosineDecayRestarts(1.0, 10, 1.0, 1.0, 0.2);
  EXPECT_NEAR((*e)(15), 0.8 * cosine(0.5, 1.0) + 0.2, 1e-12);
  EXPECT_NEAR((*e)(20), 1.0, 1e-12);
}

TEST(OptimizerSchedules, OptimizerEvaluatesTheScheduleAtTheCurrentIteration) {
  // SGD with lr(step) = 0.5 * 0.5^floor(step / 2): steps 0, 1 use 0.5, step 2 uses 0.25.
  auto s = opt::SGD(opt::ExponentialDecay(0.5, 2, 0.5, true));
  EXPECT_EQ(s->learning_rate(), 0.5);
  auto w = run_steps(*s, {1.0}, {{1.0}, {1.0}, {1.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{1.0 - 0.5 - 0.5 - 0.25}), lm::Float64, "w");
  EXPECT_EQ(s->iterations(), 3);
  EXPECT_EQ(s->learning_rate(), 0.25);  // (3 / 2) floors to 1
  // No learning_rate variable with a schedule (Keras), and it cannot be set.
  EXPECT_EQ(variable_names(*s), (std::vector<std::string>{s->name() + "/iteration"}));
  EXPECT_LAMINA_ERROR(s->set_learning_rate(0.1), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("schedule")); });
}

TEST(OptimizerSchedules, AdamWithWarmupOverThreeSteps) {
  // lr(step) = 0.3 * step / 3 during the warmup: 0, 0.1, 0.2 for steps 0, 1, 2.
  auto adam = opt::Adam(opt::CosineDecay(0.0, 100, 0.0, 0.3, 3));
  Steps grads = {{1.0, -2.0}, {0.5, 0.5}, {-1.0, 0.25}};
  Vec w = {1.0, 2.0}, m = {0, 0}, v = {0, 0};
  for (std::size_t step = 0; step < 3; ++step) {
    double lr = 0.3 * static_cast<double>(step) / 3, t = static_cast<double>(step + 1);
    double alpha = lr * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (std::size_t i = 0; i < 2; ++i) {
      m[i] += (grads[step][i] - m[i]) * 0.1;
      v[i] += (grads[step][i] * grads[step][i] - v[i]) * (1 - 0.999);
      w[i] -= m[i] * alpha / (std::sqrt(v[i]) + 1e-7);
    }
  }
  EXPECT_CLOSE(values_of(run_steps(*adam, {1.0, 2.0}, grads, lm::Float32)), w, lm::Float32, "w");
}

TEST(OptimizerSchedules, PiecewiseWithRMSpropOverThreeSteps) {
  auto rms = opt::RMSprop(opt::PiecewiseConstantDecay({0, 1}, {0.5, 0.25, 0.125}));
  Steps grads = {{1.0}, {2.0}, {-1.0}};
  Vec w = {1.0}, v = {0};
  const double rates[] = {0.5, 0.25, 0.125};
  for (std::size_t step = 0; step < 3; ++step) {
    double g = grads[step][0];
    v[0] = 0.9 * v[0] + 0.1 * g * g;
    w[0] -= rates[step] * g / std::sqrt(v[0] + 1e-7);
  }
  EXPECT_CLOSE(values_of(run_steps(*rms, {1.0}, grads, lm::Float64)), w, lm::Float64, "w");
}

TEST(OptimizerSchedules, SerializeRoundTrip) {
  std::vector<opt::ScheduleRef> all = {
      opt::ExponentialDecay(0.1, 10, 0.5, true),       opt::PiecewiseConstantDecay({5, 10}, {1.0, 0.5, 0.1}),
      opt::CosineDecay(0.0, 20, 0.25, 0.4, 10),        opt::CosineDecay(0.3, 20),
      opt::PolynomialDecay(0.1, 10, 0.01, 2.0, true),  opt::InverseTimeDecay(0.1, 10, 0.5),
      opt::CosineDecayRestarts(1.0, 10, 2.0, 0.5, 0.1)};
  for (const auto& s : all) {
    lm::Json j = opt::serialize(*s);
    SCOPED_TRACE(j.dump());
    EXPECT_EQ(j["module"], "keras.optimizers.schedules");
    EXPECT_TRUE(j["registered_name"].is_null());
    auto copy = opt::schedule_from_config(lm::Json::parse(j.dump()));
    EXPECT_EQ(copy->class_name(), s->class_name());
    EXPECT_EQ(copy->get_config(), s->get_config());
    for (std::int64_t step : {0, 3, 10, 17, 40}) EXPECT_EQ((*copy)(step), (*s)(step));
  }
  // Keras's names and fields.
  lm::Json c = opt::CosineDecay(0.0, 20, 0.25, 0.4, 10)->get_config();
  EXPECT_EQ(c, lm::Json::parse(R"({"initial_learning_rate": 0.0, "decay_steps": 20, "alpha": 0.25,
      "name": "CosineDecay", "warmup_target": 0.4, "warmup_steps": 10})"));
  EXPECT_EQ(opt::PiecewiseConstantDecay({5}, {1.0, 0.5})->get_config()["name"], "PiecewiseConstant");
}

TEST(OptimizerSchedules, ReadsAKerasWrittenSchedule) {
  lm::Json keras = lm::Json::parse(R"({"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
      "config": {"initial_learning_rate": 0.01, "decay_steps": 1000, "decay_rate": 0.9, "staircase": false,
                 "name": "ExponentialDecay"}, "registered_name": null})");
  auto s = opt::schedule_from_config(keras);
  EXPECT_DOUBLE_EQ((*s)(500), 0.01 * std::pow(0.9, 0.5));
}

TEST(OptimizerSchedules, BadArgumentsAreValueErrorsNamingThem) {
  EXPECT_LAMINA_ERROR(opt::ExponentialDecay(0.1, 0, 0.5), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("decay_steps")); });
  EXPECT_LAMINA_ERROR(opt::ExponentialDecay(-0.1, 10, 0.5), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("initial_learning_rate")); });
  EXPECT_LAMINA_ERROR(opt::ExponentialDecay(0.1, 10, -0.5), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("decay_rate")); });
  EXPECT_LAMINA_ERROR(opt::PiecewiseConstantDecay({5, 10}, {1.0, 0.5}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("one entry more")); });
  EXPECT_LAMINA_ERROR(opt::PiecewiseConstantDecay({10, 5}, {1.0, 0.5, 0.1}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("strictly increasing")); });
  EXPECT_LAMINA_ERROR(opt::CosineDecay(0.1, -5), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("decay_steps")); });
  EXPECT_LAMINA_ERROR(opt::CosineDecay(0.1, 10, 1.5), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("alpha")); });
  EXPECT_LAMINA_ERROR(opt::CosineDecay(0.1, 10, 0.0, 0.5, -1), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("warmup_steps")); });
  EXPECT_LAMINA_ERROR(opt::PolynomialDecay(0.1, 10, 0.0, -1.0), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("power")); });
  EXPECT_LAMINA_ERROR(opt::CosineDecayRestarts(0.1, 10, 0.0), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("t_mul")); });
  EXPECT_LAMINA_ERROR(opt::SGD(opt::ScheduleRef()), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("null schedule")); });
}

TEST(OptimizerSchedules, BadConfigsAreValueErrors) {
  EXPECT_LAMINA_ERROR(opt::schedule_from_config(lm::Json::parse(R"({"class_name": "Nope", "config": {}})")),
                      lm::ValueError, {
                        EXPECT_THAT(msg, HasSubstr("unknown learning-rate schedule class 'Nope'"));
                        EXPECT_THAT(msg, HasSubstr("ExponentialDecay"));
                      });
  lm::Json missing = opt::serialize(*opt::ExponentialDecay(0.1, 10, 0.5));
  missing["config"].erase("decay_rate");
  EXPECT_LAMINA_ERROR(opt::schedule_from_config(missing), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("field 'decay_rate' of the ExponentialDecay config is missing")); });
  lm::Json extra = opt::serialize(*opt::ExponentialDecay(0.1, 10, 0.5));
  extra["config"]["cycle"] = true;
  EXPECT_LAMINA_ERROR(opt::schedule_from_config(extra), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("unknown field 'cycle'")); });
  lm::Json typed = opt::serialize(*opt::ExponentialDecay(0.1, 10, 0.5));
  typed["config"]["decay_steps"] = "ten";
  EXPECT_LAMINA_ERROR(opt::schedule_from_config(typed), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("'decay_steps'")); });
  lm::Json bad = opt::serialize(*opt::ExponentialDecay(0.1, 10, 0.5));
  bad["config"]["decay_steps"] = 0;
  EXPECT_LAMINA_ERROR(opt::schedule_from_config(bad), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("decay_steps")); });
  EXPECT_LAMINA_ERROR(opt::schedule_from_config(lm::Json(3)), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("class_name")); });
}

namespace {
// A custom schedule: 1 / (step + 1) times a factor.
class Harmonic : public opt::LearningRateSchedule {
 public:
  explicit Harmonic(double f) : f_(f) {}
  double operator()(std::int64_t step) const override { return f_ / static_cast<double>(step + 1); }
  lm::Json get_config() const override { return {{"factor", f_}}; }
  std::string class_name() const override { return "Harmonic"; }

 private:
  double f_;
};
}  // namespace

TEST(OptimizerSchedules, CustomSchedulesWithARegisteredFactory) {
  auto sgd = opt::SGD(std::make_shared<Harmonic>(1.0));
  auto w = run_steps(*sgd, {1.0}, {{1.0}, {1.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{1.0 - 1.0 - 0.5}), lm::Float64, "w");
  lm::Json j = opt::serialize(Harmonic(2.0));
  EXPECT_LAMINA_ERROR(opt::schedule_from_config(j), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("Harmonic")); });
  opt::register_schedule("Harmonic",
                         [](const lm::Json& c) { return std::make_shared<Harmonic>(c.at("factor").get<double>()); });
  EXPECT_EQ((*opt::schedule_from_config(j))(3), 0.5);
  // A custom schedule that gives a negative rate is refused when used.
  class Negative : public opt::LearningRateSchedule {
    double operator()(std::int64_t) const override { return -1.0; }
    lm::Json get_config() const override { return lm::Json::object(); }
  };
  auto neg = opt::SGD(std::make_shared<Negative>());
  lm::Variable v("v", lm::ones({1}));
  EXPECT_LAMINA_ERROR(neg->apply_gradients({lm::ones({1})}, {v}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("schedule gives -1")); });
  EXPECT_EQ(neg->iterations(), 0);
  EXPECT_EQ(neg->get_config()["learning_rate"]["class_name"], "custom");
}
