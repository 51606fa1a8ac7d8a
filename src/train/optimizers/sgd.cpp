// SGD with optional (Nesterov) momentum, as Keras 3's keras/src/optimizers/sgd.py.
#include <cmath>

#include "train/optimizers/builtin.hpp"
#include "train/optimizers/kernel.hpp"

namespace lamina::optimizers {

namespace {

using detail::require_option;
using detail::update_elementwise;

class SGDOptimizer final : public Optimizer {
 public:
  SGDOptimizer(const LearningRate& lr, const SGDOptions& o)
      : Optimizer("SGD", lr, checked(o)), momentum_(o.momentum), nesterov_(o.nesterov) {}

 private:
  static OptimizerOptions checked(const SGDOptions& o) {
    require_option(o.momentum >= 0 && o.momentum <= 1, "SGD", "momentum", o.momentum, "in [0, 1]");
    return detail::base_options(o);
  }

  void build_slots(const std::vector<Variable>& vars) override {
    if (momentum_ != 0) momentums_ = add_slots(vars, {"momentum"})[0];
  }

  void update_step(const VariableUpdate& u) override {
    detail::with_float_type(u.variable.dtype(), [&]<class T>() {
      const T lr = static_cast<T>(u.learning_rate);
      if (momentum_ == 0) {
        update_elementwise<T, 0>(u, {}, [lr](T g, T& w, std::array<T, 0>&) { w = w - g * lr; });
        return;
      }
      const T mu = static_cast<T>(momentum_);
      const std::array<Variable, 1> slots{momentums_[u.index]};
      if (nesterov_)
        update_elementwise<T, 1>(u, slots, [lr, mu](T g, T& w, std::array<T, 1>& s) {
          s[0] = s[0] * mu - g * lr;
          w = w + (s[0] * mu - g * lr);
        });
      else
        update_elementwise<T, 1>(u, slots, [lr, mu](T g, T& w, std::array<T, 1>& s) {
          s[0] = s[0] * mu - g * lr;
          w = w + s[0];
        });
    });
  }

  void add_config(Json& c) const override {
    c["momentum"] = momentum_;
    c["nesterov"] = nesterov_;
  }

  double momentum_;
  bool nesterov_;
  std::vector<Variable> momentums_;
};

}  // namespace

OptimizerRef SGD(LearningRate learning_rate, SGDOptions options) {
  return std::make_shared<SGDOptimizer>(learning_rate, options);
}

OptimizerRef detail::sgd_from_config(const Json& config) {
  ConfigFields f(config, "SGD");
  BaseConfig base = read_base_config(f);
  SGDOptions o{.momentum = f.number("momentum"), .nesterov = f.boolean("nesterov")};
  f.finish();
  return SGD(base.learning_rate, with_base(o, base.options));
}

}  // namespace lamina::optimizers
