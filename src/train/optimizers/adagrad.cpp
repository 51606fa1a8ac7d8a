// Adagrad, as Keras 3's keras/src/optimizers/adagrad.py.
#include <cmath>

#include "train/optimizers/builtin.hpp"
#include "train/optimizers/kernel.hpp"

namespace lamina::optimizers {

namespace {

using detail::require_option;
using detail::update_elementwise;

class AdagradOptimizer final : public Optimizer {
 public:
  AdagradOptimizer(const LearningRate& lr, const AdagradOptions& o)
      : Optimizer("Adagrad", lr, checked(o)), initial_(o.initial_accumulator_value), epsilon_(o.epsilon) {}

 private:
  static OptimizerOptions checked(const AdagradOptions& o) {
    require_option(std::isfinite(o.initial_accumulator_value) && o.initial_accumulator_value >= 0, "Adagrad",
                   "initial_accumulator_value", o.initial_accumulator_value, "a finite number >= 0");
    require_option(std::isfinite(o.epsilon) && o.epsilon > 0, "Adagrad", "epsilon", o.epsilon, "a finite number > 0");
    return detail::base_options(o);
  }

  void build_slots(const std::vector<Variable>& vars) override {
    accumulators_ = add_slots(vars, {"accumulator"}, initial_)[0];
  }

  void update_step(const VariableUpdate& u) override {
    detail::with_float_type(u.variable.dtype(), [&]<class T>() {
      const T lr = static_cast<T>(u.learning_rate), eps = static_cast<T>(epsilon_);
      update_elementwise<T, 1>(u, {accumulators_[u.index]}, [=](T g, T& w, std::array<T, 1>& s) {
        s[0] = s[0] + g * g;
        w = w - (lr * g) / std::sqrt(s[0] + eps);
      });
    });
  }

  void add_config(Json& c) const override {
    c["initial_accumulator_value"] = initial_;
    c["epsilon"] = epsilon_;
  }

  double initial_, epsilon_;
  std::vector<Variable> accumulators_;
};

}  // namespace

OptimizerRef Adagrad(LearningRate learning_rate, AdagradOptions options) {
  return std::make_shared<AdagradOptimizer>(learning_rate, options);
}

OptimizerRef detail::adagrad_from_config(const Json& config) {
  ConfigFields f(config, "Adagrad");
  BaseConfig base = read_base_config(f);
  AdagradOptions o{.initial_accumulator_value = f.number("initial_accumulator_value"), .epsilon = f.number("epsilon")};
  f.finish();
  return Adagrad(base.learning_rate, with_base(o, base.options));
}

}  // namespace lamina::optimizers
