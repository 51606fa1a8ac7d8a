// Adam (optionally AMSGrad) and AdamW, as Keras 3's adam.py and adamw.py (AdamW is Adam
// with a required weight_decay; the decay itself is the base optimizer's).
#include <cmath>

#include "train/optimizers/builtin.hpp"
#include "train/optimizers/kernel.hpp"

namespace lamina::optimizers {

namespace {

using detail::require_option;
using detail::update_elementwise;

struct AdamParams {
  double beta_1, beta_2, epsilon;
  bool amsgrad;
};

void check_betas(const std::string& who, double beta_1, double beta_2, double epsilon) {
  require_option(beta_1 >= 0 && beta_1 < 1, who, "beta_1", beta_1, "in [0, 1)",
                 "beta_1 is the decay of the gradient's moving average; 1 would never update it");
  require_option(beta_2 >= 0 && beta_2 < 1, who, "beta_2", beta_2, "in [0, 1)",
                 "beta_2 is the decay of the squared gradient's moving average; 1 would never update it");
  require_option(std::isfinite(epsilon) && epsilon > 0, who, "epsilon", epsilon, "a finite number > 0");
}

class AdamOptimizer final : public Optimizer {
 public:
  AdamOptimizer(std::string class_name, const LearningRate& lr, const OptimizerOptions& base, const AdamParams& p)
      : Optimizer(std::move(class_name), lr, base), p_(p) {}

 private:
  void build_slots(const std::vector<Variable>& vars) override {
    auto s = add_slots(vars, {"momentum", "velocity"});
    momentums_ = s[0];
    velocities_ = s[1];
    if (p_.amsgrad) velocity_hats_ = add_slots(vars, {"velocity_hat"})[0];
  }

  void update_step(const VariableUpdate& u) override {
    detail::with_float_type(u.variable.dtype(), [&]<class T>() {
      const double t = static_cast<double>(u.iteration + 1);
      // The bias corrections go into the rate; epsilon is not corrected (Keras 3's form).
      const T alpha =
          static_cast<T>(u.learning_rate * std::sqrt(1 - std::pow(p_.beta_2, t)) / (1 - std::pow(p_.beta_1, t)));
      const T one_b1 = static_cast<T>(1 - p_.beta_1), one_b2 = static_cast<T>(1 - p_.beta_2);
      const T eps = static_cast<T>(p_.epsilon);
      if (p_.amsgrad) {
        std::array<Variable, 3> slots{momentums_[u.index], velocities_[u.index], velocity_hats_[u.index]};
        update_elementwise<T, 3>(u, slots, [=](T g, T& w, std::array<T, 3>& s) {
          s[0] = s[0] + (g - s[0]) * one_b1;
          s[1] = s[1] + (g * g - s[1]) * one_b2;
          s[2] = detail::nan_max(s[2], s[1]);
          w = w - (s[0] * alpha) / (std::sqrt(s[2]) + eps);
        });
      } else {
        std::array<Variable, 2> slots{momentums_[u.index], velocities_[u.index]};
        update_elementwise<T, 2>(u, slots, [=](T g, T& w, std::array<T, 2>& s) {
          s[0] = s[0] + (g - s[0]) * one_b1;
          s[1] = s[1] + (g * g - s[1]) * one_b2;
          w = w - (s[0] * alpha) / (std::sqrt(s[1]) + eps);
        });
      }
    });
  }

  void add_config(Json& c) const override {
    c["beta_1"] = p_.beta_1;
    c["beta_2"] = p_.beta_2;
    c["epsilon"] = p_.epsilon;
    c["amsgrad"] = p_.amsgrad;
  }

  AdamParams p_;
  std::vector<Variable> momentums_, velocities_, velocity_hats_;
};

AdamParams read_adam_params(detail::ConfigFields& f) {
  AdamParams p;
  p.beta_1 = f.number("beta_1");
  p.beta_2 = f.number("beta_2");
  p.epsilon = f.number("epsilon");
  p.amsgrad = f.boolean("amsgrad");
  return p;
}

}  // namespace

OptimizerRef Adam(LearningRate learning_rate, AdamOptions o) {
  check_betas("Adam", o.beta_1, o.beta_2, o.epsilon);
  return std::make_shared<AdamOptimizer>("Adam", learning_rate, detail::base_options(o),
                                         AdamParams{o.beta_1, o.beta_2, o.epsilon, o.amsgrad});
}

OptimizerRef AdamW(LearningRate learning_rate, AdamWOptions o) {
  if (!o.weight_decay)
    throw ValueError({.problem = "AdamW: weight_decay must be set",
                      .expected = "a finite number >= 0 (default 0.004)",
                      .found = "weight_decay unset",
                      .hint = "use Adam for no weight decay"});
  check_betas("AdamW", o.beta_1, o.beta_2, o.epsilon);
  return std::make_shared<AdamOptimizer>("AdamW", learning_rate, detail::base_options(o),
                                         AdamParams{o.beta_1, o.beta_2, o.epsilon, o.amsgrad});
}

OptimizerRef detail::adam_from_config(const Json& config) {
  ConfigFields f(config, "Adam");
  BaseConfig base = read_base_config(f);
  AdamParams p = read_adam_params(f);
  f.finish();
  return Adam(base.learning_rate,
              with_base(AdamOptions{.beta_1 = p.beta_1, .beta_2 = p.beta_2, .epsilon = p.epsilon, .amsgrad = p.amsgrad},
                        base.options));
}

OptimizerRef detail::adamw_from_config(const Json& config) {
  ConfigFields f(config, "AdamW");
  BaseConfig base = read_base_config(f);
  AdamParams p = read_adam_params(f);
  f.finish();
  AdamWOptions o{.beta_1 = p.beta_1, .beta_2 = p.beta_2, .epsilon = p.epsilon, .amsgrad = p.amsgrad};
  o = with_base(o, base.options);  // weight_decay from the config (null is refused by AdamW)
  return AdamW(base.learning_rate, o);
}

}  // namespace lamina::optimizers
