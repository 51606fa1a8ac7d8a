#include "lamina/layers/activations.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/nn.hpp"
#include "layers/support/spelling.hpp"

namespace lamina {

namespace activations {

Tensor linear(const Tensor& x) { return x; }
Tensor relu(const Tensor& x) { return lamina::relu(x); }
Tensor tanh(const Tensor& x) { return lamina::tanh(x); }
Tensor sigmoid(const Tensor& x) { return lamina::sigmoid(x); }
Tensor softmax(const Tensor& x) { return lamina::softmax(x, -1); }
Tensor log_softmax(const Tensor& x) { return lamina::log_softmax(x, -1); }
Tensor softplus(const Tensor& x) { return lamina::softplus(x); }
Tensor softsign(const Tensor& x) { return x / (lamina::abs(x) + 1); }
Tensor exponential(const Tensor& x) { return lamina::exp(x); }
Tensor elu(const Tensor& x) { return where(x > 0, x, lamina::exp(lamina::minimum(x, 0)) - 1); }
Tensor selu(const Tensor& x) {
  constexpr double alpha = 1.6732632423543772848170429916717;
  constexpr double scale = 1.0507009873554804934193349852946;
  return where(x > 0, x, (lamina::exp(lamina::minimum(x, 0)) - 1) * alpha) * scale;
}
Tensor swish(const Tensor& x) { return x * lamina::sigmoid(x); }
Tensor hard_sigmoid(const Tensor& x) { return lamina::clip(x + 3, 0, 6) / 6; }
Tensor hard_sigmoid_keras2(const Tensor& x) { return lamina::clip(x * 0.2 + 0.5, 0, 1); }
Tensor hard_silu(const Tensor& x) { return x * hard_sigmoid(x); }
Tensor gelu(const Tensor& x) { return x * (lamina::erf(x * 0.70710678118654752440) + 1) * 0.5; }
Tensor relu6(const Tensor& x) { return lamina::clip(x, 0, 6); }
Tensor leaky_relu(const Tensor& x) { return where(x > 0, x, x * 0.2); }
Tensor mish(const Tensor& x) { return x * lamina::tanh(lamina::softplus(x)); }
Tensor log_sigmoid(const Tensor& x) { return -lamina::softplus(-x); }

namespace {
using Fn = Tensor (*)(const Tensor&);
const std::vector<std::pair<std::string, Fn>>& table() {
  static const std::vector<std::pair<std::string, Fn>> t = {
      {"linear", linear},       {"relu", relu},
      {"tanh", tanh},           {"sigmoid", sigmoid},
      {"softmax", softmax},     {"log_softmax", log_softmax},
      {"softplus", softplus},   {"softsign", softsign},
      {"exponential", exponential}, {"elu", elu},
      {"selu", selu},           {"swish", swish},
      {"silu", swish},          {"hard_sigmoid", hard_sigmoid},
      {"hard_sigmoid_keras2", hard_sigmoid_keras2},
      {"hard_silu", hard_silu}, {"hard_swish", hard_silu},
      {"gelu", gelu},           {"relu6", relu6},
      {"leaky_relu", leaky_relu}, {"mish", mish},
      {"log_sigmoid", log_sigmoid}};
  return t;
}
Fn find(const std::string& name) {
  for (const auto& [n, f] : table())
    if (name == n) return f;
  return nullptr;
}
[[noreturn]] void unknown(const std::string& name, const std::string& option, const char* op) {
  std::string known;
  for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
  throw ValueError(
      {.op = op,
       .problem = fmt::format("unknown activation '{}'{}", name, option.empty() ? "" : " for option '" + option + "'"),
       .expected = "one of " + known + ", or a callable",
       .found = "'" + name + "'",
       .hint = detail::did_you_mean(name, names(), "pass one of the names above, or a callable Tensor(const Tensor&)")});
}
}  // namespace

std::vector<std::string> names() {
  std::vector<std::string> n;
  for (const auto& [name, f] : table()) n.push_back(name);
  return n;
}

ActivationFn get(const std::string& name) {
  if (Fn f = find(name)) return f;
  unknown(name, "", "activations::get");
}

}  // namespace activations

ActivationSpec::ActivationSpec(const std::string& name) : name_(name.empty() ? "linear" : name), by_name_(true) {
  if (auto f = activations::find(name_)) fn_ = f;  // unknown: check() raises, naming the layer
}

void ActivationSpec::check(const std::string& option) const {
  if (fn_) return;
  activations::unknown(name_, option, "");  // the "where" is the layer being constructed
}

void ActivationSpec::reject_empty() const {
  throw ValueError({.op = "ActivationSpec",
                    .problem = "the activation '" + name_ + "' is an empty callable",
                    .expected = "a callable Tensor(const Tensor&) or an activation name",
                    .found = "an empty function",
                    .hint = "pass a lambda, or a name such as \"relu\" (\"linear\" for none)"});
}

}  // namespace lamina
