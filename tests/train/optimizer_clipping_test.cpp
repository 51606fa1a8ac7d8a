// The base optimizer's gradient processing, as Keras 3's BaseOptimizer: clipping
// (clipnorm per gradient, global_clipnorm over all, clipvalue per element), then weight decay
// (w -= w * wd * lr), then the update; undefined gradients skip their variables entirely.
#include "optimizer_test_util.hpp"

namespace lm = lamina;
namespace opt = lamina::optimizers;
using namespace lamina::testing;
using ::testing::HasSubstr;

namespace {

double norm(const Vec& g) {
  double s = 0;
  for (double x : g) s += x * x;
  return std::sqrt(s);
}

Vec scaled(const Vec& g, double s) {
  Vec out = g;
  for (auto& x : out) x *= s;
  return out;
}

// SGD (w -= lr g) makes the clipped gradient visible directly: g = (w_before - w_after) / lr.
Vec sgd(Vec w, const Vec& g, double lr) {
  for (std::size_t i = 0; i < w.size(); ++i) w[i] -= lr * g[i];
  return w;
}

}  // namespace

TEST(OptimizerClipping, ClipnormClipsEachGradientToTheNorm) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto s = opt::SGD(0.5, {.clipnorm = 1.0});
    lm::Variable a("a", vec_tensor({1.0, 2.0}, dt)), b("b", vec_tensor({1.0, 2.0, 3.0}, dt));
    Vec ga = {3.0, 4.0}, gb = {0.1, -0.2, 0.2};  // norm 5 (clipped to 1) and 0.3 (kept)
    s->apply_gradients({vec_tensor(ga, dt), vec_tensor(gb, dt)}, {a, b});
    EXPECT_CLOSE(values_of(a), sgd({1.0, 2.0}, {0.6, 0.8}, 0.5), dt, "a");
    EXPECT_CLOSE(values_of(b), sgd({1.0, 2.0, 3.0}, gb, 0.5), dt, "b");
  }
}

TEST(OptimizerClipping, ClipnormWithAdamOverThreeSteps) {
  // Keras: g * clipnorm / max(||g||, clipnorm), then Adam on the clipped gradient.
  Steps grads = {{3.0, -4.0}, {0.3, 0.4}, {-6.0, 8.0}};
  Vec w = {2.0, -1.5}, m = {0, 0}, v = {0, 0};
  for (std::size_t step = 0; step < grads.size(); ++step) {
    Vec g = scaled(grads[step], 2.0 / std::max(norm(grads[step]), 2.0));
    double t = static_cast<double>(step + 1);
    double alpha = 0.25 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (std::size_t i = 0; i < 2; ++i) {
      m[i] += (g[i] - m[i]) * 0.1;
      v[i] += (g[i] * g[i] - v[i]) * (1 - 0.999);
      w[i] -= m[i] * alpha / (std::sqrt(v[i]) + 1e-7);
    }
  }
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto adam = opt::Adam(0.25, {.clipnorm = 2.0});
    EXPECT_CLOSE(values_of(run_steps(*adam, {2.0, -1.5}, grads, dt)), w, dt, "w");
  }
}

TEST(OptimizerClipping, GlobalClipnormScalesAllGradientsTogether) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto s = opt::SGD(0.5, {.global_clipnorm = 2.0});
    lm::Variable a("a", vec_tensor({1.0, 2.0}, dt)), b("b", vec_tensor({1.0}, dt));
    Vec ga = {3.0, 4.0}, gb = {12.0};  // joint norm 13 -> every gradient times 2/13
    s->apply_gradients({vec_tensor(ga, dt), vec_tensor(gb, dt)}, {a, b});
    EXPECT_CLOSE(values_of(a), sgd({1.0, 2.0}, scaled(ga, 2.0 / 13.0), 0.5), dt, "a");
    EXPECT_CLOSE(values_of(b), sgd({1.0}, scaled(gb, 2.0 / 13.0), 0.5), dt, "b");
    // Below the norm nothing changes; an undefined gradient does not count.
    s->apply_gradients({vec_tensor({0.3, 0.4}, dt), lm::Tensor()}, {a, b});
    EXPECT_CLOSE(values_of(a), sgd(sgd({1.0, 2.0}, scaled(ga, 2.0 / 13.0), 0.5), {0.3, 0.4}, 0.5), dt, "a");
  }
}

TEST(OptimizerClipping, GlobalClipnormOverThreeStepsWithMomentum) {
  Steps ga = {{3.0, 4.0}, {0.1, 0.1}, {-1.0, 2.0}}, gb = {{12.0}, {0.2}, {2.0}};
  Vec wa = {1.0, 2.0}, wb = {1.0}, ma = {0, 0}, mb = {0};
  for (std::size_t step = 0; step < 3; ++step) {
    double total = std::sqrt(norm(ga[step]) * norm(ga[step]) + norm(gb[step]) * norm(gb[step]));
    double s = 1.0 * std::min(1.0 / total, 1.0 / 1.0);
    for (std::size_t i = 0; i < 2; ++i) {
      ma[i] = 0.5 * ma[i] - 0.25 * ga[step][i] * s;
      wa[i] += ma[i];
    }
    mb[0] = 0.5 * mb[0] - 0.25 * gb[step][0] * s;
    wb[0] += mb[0];
  }
  auto s = opt::SGD(0.25, {.momentum = 0.5, .global_clipnorm = 1.0});
  lm::Variable a("a", vec_tensor({1.0, 2.0}, lm::Float32)), b("b", vec_tensor({1.0}, lm::Float32));
  for (std::size_t step = 0; step < 3; ++step)
    s->apply_gradients({vec_tensor(ga[step], lm::Float32), vec_tensor(gb[step], lm::Float32)}, {a, b});
  EXPECT_CLOSE(values_of(a), wa, lm::Float32, "a");
  EXPECT_CLOSE(values_of(b), wb, lm::Float32, "b");
}

TEST(OptimizerClipping, ClipvalueClipsEachElement) {
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto s = opt::SGD(0.5, {.clipvalue = 0.5});
    auto w = run_steps(*s, {1.0, 2.0, 3.0, 4.0}, {{3.0, -4.0, 0.25, -0.5}}, dt);
    EXPECT_CLOSE(values_of(w), sgd({1.0, 2.0, 3.0, 4.0}, {0.5, -0.5, 0.25, -0.5}, 0.5), dt, "w");
  }
}

TEST(OptimizerClipping, ClipvalueWithRMSpropOverThreeSteps) {
  Steps grads = {{2.0, -0.1}, {-3.0, 0.2}, {0.4, -5.0}};
  Vec w = {1.0, -1.0}, v = {0, 0};
  for (const auto& step : grads)
    for (std::size_t i = 0; i < 2; ++i) {
      double g = std::min(std::max(step[i], -1.0), 1.0);
      v[i] = 0.9 * v[i] + 0.1 * g * g;
      w[i] -= 0.125 * g / std::sqrt(v[i] + 1e-7);
    }
  auto rms = opt::RMSprop(0.125, {.clipvalue = 1.0});
  EXPECT_CLOSE(values_of(run_steps(*rms, {1.0, -1.0}, grads, lm::Float32)), w, lm::Float32, "w");
}

TEST(OptimizerClipping, ZeroGradientsStayFiniteUnderNormClipping) {
  for (auto make :
       {+[] { return opt::SGD(0.5, {.clipnorm = 1.0}); }, +[] { return opt::SGD(0.5, {.global_clipnorm = 1.0}); }}) {
    auto s = make();
    auto w = run_steps(*s, {1.0, 2.0}, {{0.0, 0.0}}, lm::Float32);
    EXPECT_VALUES(w.value(), {1.0, 2.0});
  }
}

TEST(OptimizerClipping, NonFiniteGradientsGiveNaNLikeKeras) {
  // Keras's clip_by_global_norm turns a non-finite norm into NaN for every gradient.
  auto s = opt::SGD(0.5, {.global_clipnorm = 1.0});
  lm::Variable a("a", vec_tensor({1.0}, lm::Float32)), b("b", vec_tensor({1.0}, lm::Float32));
  s->apply_gradients({vec_tensor({INFINITY}, lm::Float32), vec_tensor({1.0}, lm::Float32)}, {a, b});
  EXPECT_TRUE(std::isnan(values_of(b)[0]));
  // clipvalue keeps NaN (ops.clip does).
  auto c = opt::SGD(0.5, {.clipvalue = 1.0});
  auto w = run_steps(*c, {1.0}, {{std::nan("")}}, lm::Float32);
  EXPECT_TRUE(std::isnan(values_of(w)[0]));
}

TEST(OptimizerClipping, OnlyOneClipOptionAndPositiveValues) {
  EXPECT_LAMINA_ERROR(opt::SGD(0.1, {.clipnorm = 1.0, .clipvalue = 1.0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("only one of clipnorm, clipvalue and global_clipnorm")); });
  EXPECT_LAMINA_ERROR(opt::Adam(0.1, {.clipnorm = 1.0, .global_clipnorm = 1.0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("only one")); });
  EXPECT_LAMINA_ERROR(opt::SGD(0.1, {.clipnorm = 0.0}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("clipnorm")); });
  EXPECT_LAMINA_ERROR(opt::SGD(0.1, {.clipvalue = -1.0}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("clipvalue")); });
  EXPECT_LAMINA_ERROR(opt::SGD(0.1, {.global_clipnorm = NAN}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("global_clipnorm")); });
}

// ---- weight decay -------------------------------------------------------------------------

TEST(OptimizerWeightDecay, DecaysBeforeTheUpdateOverThreeSteps) {
  // SGD with weight decay: w = w - w * wd * lr, then w -= lr g.
  Steps grads = {{0.5, -1.0}, {0.1, 0.3}, {-0.4, 0.0}};
  Vec w = {1.0, -2.0};
  for (const auto& g : grads)
    for (std::size_t i = 0; i < 2; ++i) {
      w[i] -= w[i] * 0.1 * 0.5;
      w[i] -= 0.5 * g[i];
    }
  for (lm::DType dt : {lm::Float32, lm::Float64}) {
    SCOPED_TRACE(lm::dtype_name(dt));
    auto s = opt::SGD(0.5, {.weight_decay = 0.1});
    EXPECT_CLOSE(values_of(run_steps(*s, {1.0, -2.0}, grads, dt)), w, dt, "w");
  }
  // Every optimizer takes weight_decay (it is the base optimizer's): RMSprop with decay.
  Vec wr = {1.0, -2.0}, v = {0, 0};
  for (const auto& g : grads)
    for (std::size_t i = 0; i < 2; ++i) {
      wr[i] -= wr[i] * 0.2 * 0.125;
      v[i] = 0.9 * v[i] + 0.1 * g[i] * g[i];
      wr[i] -= 0.125 * g[i] / std::sqrt(v[i] + 1e-7);
    }
  auto rms = opt::RMSprop(0.125, {.weight_decay = 0.2});
  EXPECT_CLOSE(values_of(run_steps(*rms, {1.0, -2.0}, grads, lm::Float32)), wr, lm::Float32, "w");
}

TEST(OptimizerWeightDecay, ClippingComesFirstThenDecayThenUpdate) {
  // clipvalue 0.5, wd 0.1, lr 0.5: w = 2 - 2 * 0.05 = 1.9, then - 0.5 * 0.5 = 1.65.
  auto s = opt::SGD(0.5, {.weight_decay = 0.1, .clipvalue = 0.5});
  auto w = run_steps(*s, {2.0}, {{4.0}}, lm::Float64);
  EXPECT_CLOSE(values_of(w), (Vec{1.65}), lm::Float64, "w");
}

TEST(OptimizerWeightDecay, ExcludedByNameSubstringOrByVariable) {
  auto make = [] { return opt::SGD(0.5, {.weight_decay = 0.1}); };
  auto run = [](opt::Optimizer& s, lm::Variable& k, lm::Variable& b) {
    s.apply_gradients({vec_tensor({1.0}, lm::Float64), vec_tensor({1.0}, lm::Float64)}, {k, b});
  };
  // decayed: 2 - 2 * 0.05 - 0.5 = 1.4; excluded: 2 - 0.5 = 1.5.
  {
    auto s = make();
    s->exclude_from_weight_decay({"bias"});
    lm::Variable k("dense/kernel", vec_tensor({2.0}, lm::Float64)), b("dense/bias", vec_tensor({2.0}, lm::Float64));
    run(*s, k, b);
    EXPECT_CLOSE(values_of(k), (Vec{1.4}), lm::Float64, "kernel");
    EXPECT_CLOSE(values_of(b), (Vec{1.5}), lm::Float64, "bias");
    EXPECT_TRUE(s->uses_weight_decay(k));
    EXPECT_FALSE(s->uses_weight_decay(b));
  }
  {
    auto s = make();
    lm::Variable k("dense/kernel", vec_tensor({2.0}, lm::Float64)), b("dense/bias", vec_tensor({2.0}, lm::Float64));
    s->exclude_from_weight_decay({}, {k});
    run(*s, k, b);
    EXPECT_CLOSE(values_of(k), (Vec{1.5}), lm::Float64, "kernel");
    EXPECT_CLOSE(values_of(b), (Vec{1.4}), lm::Float64, "bias");
  }
  {
    // Calling it again replaces the exclusions (Keras), also after the first step.
    auto s = make();
    s->exclude_from_weight_decay({"bias"});
    lm::Variable k("dense/kernel", vec_tensor({2.0}, lm::Float64)), b("dense/bias", vec_tensor({2.0}, lm::Float64));
    run(*s, k, b);
    s->exclude_from_weight_decay({"kernel"});
    run(*s, k, b);
    EXPECT_CLOSE(values_of(k), (Vec{1.4 - 0.5}), lm::Float64, "kernel");
    EXPECT_CLOSE(values_of(b), (Vec{1.5 - 1.5 * 0.05 - 0.5}), lm::Float64, "bias");
  }
}

TEST(OptimizerWeightDecay, UsesTheScheduledRateOfTheStep) {
  // lr(step) = 0.5 * 0.5^step; wd 0.2: w = w - w * 0.2 * lr - lr * g.
  auto s = opt::SGD(opt::ExponentialDecay(0.5, 1, 0.5), {.weight_decay = 0.2});
  Steps grads = {{1.0}, {-1.0}, {0.5}};
  Vec w = {3.0};
  for (std::size_t step = 0; step < 3; ++step) {
    double lr = 0.5 * std::pow(0.5, static_cast<double>(step));
    w[0] = w[0] - w[0] * 0.2 * lr - lr * grads[step][0];
  }
  EXPECT_CLOSE(values_of(run_steps(*s, {3.0}, grads, lm::Float64)), w, lm::Float64, "w");
}

TEST(OptimizerWeightDecay, VariablesWithoutGradientAreNotDecayed) {
  auto s = opt::SGD(0.5, {.weight_decay = 0.1});
  lm::Variable a("a", vec_tensor({2.0}, lm::Float64)), b("b", vec_tensor({2.0}, lm::Float64));
  s->apply_gradients({vec_tensor({0.0}, lm::Float64), lm::Tensor()}, {a, b});
  EXPECT_CLOSE(values_of(a), (Vec{1.9}), lm::Float64, "a");
  EXPECT_CLOSE(values_of(b), (Vec{2.0}), lm::Float64, "b");
  EXPECT_EQ(s->iterations(), 1);
}
