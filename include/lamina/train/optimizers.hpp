#pragma once
// The built-in optimizers, with Keras 3's update rules, defaults, slot names and configs
// (docs/optimizers.md writes each rule out). t = iterations() + 1 in the formulas.
//
//   auto opt = lm::optimizers::Adam(1e-3, {.beta_1 = 0.9, .amsgrad = true, .clipnorm = 1.0});
//
// Every options struct ends with the base options (OptimizerOptions); a bad value is a
// ValueError naming the option.
#include <optional>
#include <string>

#include "lamina/train/optimizer.hpp"

namespace lamina::optimizers {

// momentum 0: var -= lr * g. Otherwise m = momentum * m - lr * g, then var += m, or with
// nesterov var += momentum * m - lr * g. Slot "momentum" only when momentum != 0.
struct SGDOptions {
  double momentum = 0.0;  // in [0, 1]
  bool nesterov = false;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name;
};
OptimizerRef SGD(LearningRate learning_rate = 0.01, SGDOptions options = {});

// m += (g - m)(1 - beta_1); v += (g^2 - v)(1 - beta_2); with amsgrad v_hat = max(v_hat, v)
// replaces v below; var -= m * alpha / (sqrt(v) + epsilon), alpha = lr sqrt(1 - beta_2^t) /
// (1 - beta_1^t). Slots "momentum", "velocity" (interleaved per variable), then "velocity_hat".
struct AdamOptions {
  double beta_1 = 0.9;    // in [0, 1)
  double beta_2 = 0.999;  // in [0, 1)
  double epsilon = 1e-7;  // > 0
  bool amsgrad = false;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name;
};
OptimizerRef Adam(LearningRate learning_rate = 0.001, AdamOptions options = {});

// Adam with decoupled weight decay (Keras: Adam whose weight_decay is required, default 0.004).
struct AdamWOptions {
  std::optional<double> weight_decay = 0.004;  // required (nullopt is a ValueError)
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  std::optional<double> clipnorm, clipvalue, global_clipnorm;
  std::string name;
};
OptimizerRef AdamW(LearningRate learning_rate = 0.001, AdamWOptions options = {});

// v = rho v + (1 - rho) g^2; centered: a = rho a + (1 - rho) g, d = v - a^2 + epsilon, else
// d = v + epsilon; inc = lr g / sqrt(d); momentum > 0: m = momentum m + inc, var -= m, else
// var -= inc. Slots: all "velocity", then all "momentum" (momentum > 0), then all
// "average_gradient" (centered).
struct RMSpropOptions {
  double rho = 0.9;       // in [0, 1)
  double momentum = 0.0;  // in [0, 1]
  double epsilon = 1e-7;  // > 0
  bool centered = false;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name;
};
OptimizerRef RMSprop(LearningRate learning_rate = 0.001, RMSpropOptions options = {});

// acc += g^2; var -= lr g / sqrt(acc + epsilon). Slot "accumulator", starting at
// initial_accumulator_value.
struct AdagradOptions {
  double initial_accumulator_value = 0.1;  // >= 0
  double epsilon = 1e-7;                   // > 0
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name;
};
OptimizerRef Adagrad(LearningRate learning_rate = 0.001, AdagradOptions options = {});

// Nesterov Adam with Keras's momentum cache: u_t = beta_1 (1 - 0.5 * 0.96^t),
// u_{t+1} likewise, P_t = prod u_1..u_t (the variable "u_product", updated once per step);
// m, v as Adam; m_hat = u_{t+1} m / (1 - P_t u_{t+1}) + (1 - u_t) g / (1 - P_t);
// v_hat = v / (1 - beta_2^t); var -= lr m_hat / (sqrt(v_hat) + epsilon).
// Slots "momentum", "velocity" (interleaved), then "u_product" (a scalar of the first
// variable's dtype).
struct NadamOptions {
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name;
};
OptimizerRef Nadam(LearningRate learning_rate = 0.001, NadamOptions options = {});

// m += (g - m)(1 - beta_1); u = max(beta_2 u, |g|); var -= lr m / ((1 - beta_1^t)(u + epsilon)).
// Slots "momentum", "norm" (interleaved).
struct AdamaxOptions {
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  std::optional<double> weight_decay, clipnorm, clipvalue, global_clipnorm;
  std::string name;
};
OptimizerRef Adamax(LearningRate learning_rate = 0.001, AdamaxOptions options = {});

}  // namespace lamina::optimizers
