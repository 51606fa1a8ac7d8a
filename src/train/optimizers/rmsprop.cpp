// RMSprop (plain, with momentum, centered), as Keras 3's keras/src/optimizers/rmsprop.py.
#include <cmath>

#include "train/optimizers/builtin.hpp"
#include "train/optimizers/kernel.hpp"

namespace lamina::optimizers {

namespace {

using detail::require_option;
using detail::update_elementwise;

class RMSpropOptimizer final : public Optimizer {
 public:
  RMSpropOptimizer(const LearningRate& lr, const RMSpropOptions& o) : Optimizer("RMSprop", lr, checked(o)), o_(o) {}

 private:
  static OptimizerOptions checked(const RMSpropOptions& o) {
    require_option(o.rho >= 0 && o.rho < 1, "RMSprop", "rho", o.rho, "in [0, 1)",
                   "rho is the decay of the squared gradient's moving average; 1 would never update it");
    require_option(o.momentum >= 0 && o.momentum <= 1, "RMSprop", "momentum", o.momentum, "in [0, 1]");
    require_option(std::isfinite(o.epsilon) && o.epsilon > 0, "RMSprop", "epsilon", o.epsilon, "a finite number > 0");
    return detail::base_options(o);
  }

  // Keras creates all velocities, then all momentums, then all average gradients.
  void build_slots(const std::vector<Variable>& vars) override {
    velocities_ = add_slots(vars, {"velocity"})[0];
    if (o_.momentum > 0) momentums_ = add_slots(vars, {"momentum"})[0];
    if (o_.centered) average_gradients_ = add_slots(vars, {"average_gradient"})[0];
  }

  // Slots: s[0] velocity, then momentum (Momentum), then the average gradient (Centered).
  template <class T, bool Momentum, bool Centered>
  void run(const VariableUpdate& u) {
    constexpr std::size_t N = 1 + Momentum + Centered;
    constexpr std::size_t kAvg = Momentum ? 2 : 1;
    std::array<Variable, N> slots;
    slots[0] = velocities_[u.index];
    if constexpr (Momentum) slots[1] = momentums_[u.index];
    if constexpr (Centered) slots[kAvg] = average_gradients_[u.index];
    const T lr = static_cast<T>(u.learning_rate), rho = static_cast<T>(o_.rho);
    const T one_rho = static_cast<T>(1 - o_.rho), eps = static_cast<T>(o_.epsilon);
    const T mu = static_cast<T>(o_.momentum);
    update_elementwise<T, N>(u, slots, [=](T g, T& w, std::array<T, N>& s) {
      s[0] = rho * s[0] + one_rho * (g * g);
      T denominator;
      if constexpr (Centered) {
        s[kAvg] = rho * s[kAvg] + one_rho * g;
        denominator = s[0] - s[kAvg] * s[kAvg] + eps;
      } else {
        denominator = s[0] + eps;
      }
      T increment = (lr * g) / std::sqrt(denominator);
      if constexpr (Momentum) {
        s[1] = mu * s[1] + increment;
        w = w - s[1];
      } else {
        w = w - increment;
      }
    });
  }

  void update_step(const VariableUpdate& u) override {
    detail::with_float_type(u.variable.dtype(), [&]<class T>() {
      bool momentum = o_.momentum > 0;
      if (momentum && o_.centered)
        run<T, true, true>(u);
      else if (momentum)
        run<T, true, false>(u);
      else if (o_.centered)
        run<T, false, true>(u);
      else
        run<T, false, false>(u);
    });
  }

  void add_config(Json& c) const override {
    c["rho"] = o_.rho;
    c["momentum"] = o_.momentum;
    c["epsilon"] = o_.epsilon;
    c["centered"] = o_.centered;
  }

  RMSpropOptions o_;
  std::vector<Variable> velocities_, momentums_, average_gradients_;
};

}  // namespace

OptimizerRef RMSprop(LearningRate learning_rate, RMSpropOptions options) {
  return std::make_shared<RMSpropOptimizer>(learning_rate, options);
}

OptimizerRef detail::rmsprop_from_config(const Json& config) {
  ConfigFields f(config, "RMSprop");
  BaseConfig base = read_base_config(f);
  RMSpropOptions o{.rho = f.number("rho"),
                   .momentum = f.number("momentum"),
                   .epsilon = f.number("epsilon"),
                   .centered = f.boolean("centered")};
  f.finish();
  return RMSprop(base.learning_rate, with_base(o, base.options));
}

}  // namespace lamina::optimizers
