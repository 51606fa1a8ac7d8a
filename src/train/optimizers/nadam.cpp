// Nadam with Keras's momentum cache, as Keras 3's keras/src/optimizers/nadam.py.
#include <cmath>

#include "lamina/core/creation.hpp"
#include "train/optimizers/builtin.hpp"
#include "train/optimizers/kernel.hpp"

namespace lamina::optimizers {

namespace {

using detail::require_option;
using detail::update_elementwise;

// u_t = beta_1 (1 - 0.5 * 0.96^t): Keras's momentum schedule.
double momentum_at(double beta_1, double t) { return beta_1 * (1.0 - 0.5 * std::pow(0.96, t)); }

class NadamOptimizer final : public Optimizer {
 public:
  NadamOptimizer(const LearningRate& lr, const NadamOptions& o) : Optimizer("Nadam", lr, checked(o)), o_(o) {}

 private:
  static OptimizerOptions checked(const NadamOptions& o) {
    require_option(o.beta_1 >= 0 && o.beta_1 < 1, "Nadam", "beta_1", o.beta_1, "in [0, 1)");
    require_option(o.beta_2 >= 0 && o.beta_2 < 1, "Nadam", "beta_2", o.beta_2, "in [0, 1)");
    require_option(std::isfinite(o.epsilon) && o.epsilon > 0, "Nadam", "epsilon", o.epsilon, "a finite number > 0");
    return detail::base_options(o);
  }

  void build_slots(const std::vector<Variable>& vars) override {
    auto s = add_slots(vars, {"momentum", "velocity"});
    m_ = s[0];
    v_ = s[1];
    // The running product of the u_t, a scalar of the first variable's dtype (Keras: floatx without variables).
    DType dtype = vars.empty() ? Float32 : vars[0].dtype();
    u_product_ = add_variable("u_product", scalar(1.0, dtype));
  }

  // Once per step, before the updates (Keras's _backend_update_step).
  void prepare_step(double, std::int64_t iteration) override {
    double t = static_cast<double>(iteration + 1);
    Tensor u = u_product_.value();
    u_product_.assign(scalar(u.item<double>() * momentum_at(o_.beta_1, t), u.dtype()));
  }

  void update_step(const VariableUpdate& u) override {
    detail::with_float_type(u.variable.dtype(), [&]<class T>() {
      const double t = static_cast<double>(u.iteration + 1);
      const double u_t = momentum_at(o_.beta_1, t), u_next = momentum_at(o_.beta_1, t + 1);
      const double product = u_product_.value().item<double>();  // includes u_t
      const T lr = static_cast<T>(u.learning_rate), eps = static_cast<T>(o_.epsilon);
      const T one_b1 = static_cast<T>(1 - o_.beta_1), one_b2 = static_cast<T>(1 - o_.beta_2);
      const T u_t_T = static_cast<T>(u_t), u_next_T = static_cast<T>(u_next);
      const T product_T = static_cast<T>(product);
      const T one_minus_next_product = T(1) - product_T * u_next_T, one_minus_product = T(1) - product_T;
      const T one_minus_b2_power = static_cast<T>(1 - std::pow(o_.beta_2, t));
      update_elementwise<T, 2>(u, {m_[u.index], v_[u.index]}, [=](T g, T& w, std::array<T, 2>& s) {
        s[0] = s[0] + (g - s[0]) * one_b1;
        s[1] = s[1] + (g * g - s[1]) * one_b2;
        T m_hat = (u_next_T * s[0]) / one_minus_next_product + ((T(1) - u_t_T) * g) / one_minus_product;
        T v_hat = s[1] / one_minus_b2_power;
        w = w - (m_hat * lr) / (std::sqrt(v_hat) + eps);
      });
    });
  }

  void add_config(Json& c) const override {
    c["beta_1"] = o_.beta_1;
    c["beta_2"] = o_.beta_2;
    c["epsilon"] = o_.epsilon;
  }

  NadamOptions o_;
  std::vector<Variable> m_, v_;
  Variable u_product_;
};

}  // namespace

OptimizerRef Nadam(LearningRate learning_rate, NadamOptions options) {
  return std::make_shared<NadamOptimizer>(learning_rate, options);
}

OptimizerRef detail::nadam_from_config(const Json& config) {
  ConfigFields f(config, "Nadam");
  BaseConfig base = read_base_config(f);
  NadamOptions o{.beta_1 = f.number("beta_1"), .beta_2 = f.number("beta_2"), .epsilon = f.number("epsilon")};
  f.finish();
  return Nadam(base.learning_rate, with_base(o, base.options));
}

}  // namespace lamina::optimizers
