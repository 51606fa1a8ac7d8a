// Adamax (Adam with the infinity norm), as Keras 3's keras/src/optimizers/adamax.py.
#include <cmath>

#include "train/optimizers/builtin.hpp"
#include "train/optimizers/kernel.hpp"

namespace lamina::optimizers {

namespace {

using detail::require_option;
using detail::update_elementwise;

class AdamaxOptimizer final : public Optimizer {
 public:
  AdamaxOptimizer(const LearningRate& lr, const AdamaxOptions& o) : Optimizer("Adamax", lr, checked(o)), o_(o) {}

 private:
  static OptimizerOptions checked(const AdamaxOptions& o) {
    require_option(o.beta_1 >= 0 && o.beta_1 < 1, "Adamax", "beta_1", o.beta_1, "in [0, 1)");
    require_option(o.beta_2 >= 0 && o.beta_2 < 1, "Adamax", "beta_2", o.beta_2, "in [0, 1)");
    require_option(std::isfinite(o.epsilon) && o.epsilon > 0, "Adamax", "epsilon", o.epsilon, "a finite number > 0");
    return detail::base_options(o);
  }

  void build_slots(const std::vector<Variable>& vars) override {
    auto s = add_slots(vars, {"momentum", "norm"});
    m_ = s[0];
    u_ = s[1];
  }

  void update_step(const VariableUpdate& u) override {
    detail::with_float_type(u.variable.dtype(), [&]<class T>() {
      const double t = static_cast<double>(u.iteration + 1);
      const T lr = static_cast<T>(u.learning_rate), eps = static_cast<T>(o_.epsilon);
      const T one_b1 = static_cast<T>(1 - o_.beta_1), b2 = static_cast<T>(o_.beta_2);
      const T correction = static_cast<T>(1 - std::pow(o_.beta_1, t));
      update_elementwise<T, 2>(u, {m_[u.index], u_[u.index]}, [=](T g, T& w, std::array<T, 2>& s) {
        s[0] = s[0] + (g - s[0]) * one_b1;
        s[1] = detail::nan_max(b2 * s[1], std::abs(g));
        w = w - (lr * s[0]) / (correction * (s[1] + eps));
      });
    });
  }

  void add_config(Json& c) const override {
    c["beta_1"] = o_.beta_1;
    c["beta_2"] = o_.beta_2;
    c["epsilon"] = o_.epsilon;
  }

  AdamaxOptions o_;
  std::vector<Variable> m_, u_;
};

}  // namespace

OptimizerRef Adamax(LearningRate learning_rate, AdamaxOptions options) {
  return std::make_shared<AdamaxOptimizer>(learning_rate, options);
}

OptimizerRef detail::adamax_from_config(const Json& config) {
  ConfigFields f(config, "Adamax");
  BaseConfig base = read_base_config(f);
  AdamaxOptions o{.beta_1 = f.number("beta_1"), .beta_2 = f.number("beta_2"), .epsilon = f.number("epsilon")};
  f.finish();
  return Adamax(base.learning_rate, with_base(o, base.options));
}

}  // namespace lamina::optimizers
