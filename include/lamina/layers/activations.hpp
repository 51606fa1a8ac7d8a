#pragma once
// Activation functions, by Keras name or as any callable.
#include <functional>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina {

using ActivationFn = std::function<Tensor(const Tensor&)>;

namespace activations {
Tensor linear(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor softmax(const Tensor& x);  // over the last axis (mask-aware)
Tensor log_softmax(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);  // x / (1 + |x|)
Tensor exponential(const Tensor& x);
Tensor elu(const Tensor& x);  // x if x > 0 else exp(x) - 1
Tensor selu(const Tensor& x);
Tensor swish(const Tensor& x);         // x * sigmoid(x), also "silu"
Tensor hard_sigmoid(const Tensor& x);  // relu6(x + 3) / 6 (Keras 3)
// clip(0.2 x + 0.5, 0, 1): Keras 2's and tf.keras's hard_sigmoid, which files they wrote mean.
Tensor hard_sigmoid_keras2(const Tensor& x);
Tensor hard_silu(const Tensor& x);     // x * hard_sigmoid(x), also "hard_swish"
Tensor gelu(const Tensor& x);          // x/2 (1 + erf(x / sqrt 2)): exact, Keras's default
Tensor relu6(const Tensor& x);         // min(max(x, 0), 6)
Tensor leaky_relu(const Tensor& x);    // x if x > 0 else 0.2 x (Keras 3's default slope)
Tensor mish(const Tensor& x);          // x * tanh(softplus(x))
Tensor log_sigmoid(const Tensor& x);   // -softplus(-x), stable for large |x|
// By name; ValueError listing the known names (and the nearest one) otherwise.
ActivationFn get(const std::string& name);
// The known names, in Keras's spelling.
std::vector<std::string> names();
}  // namespace activations

// An activation given by name ("relu") or as a callable; remembers its name for configs.
// An empty callable (a default std::function, a null pointer) is a ValueError here rather
// than std::bad_function_call at the first call. An unknown name is kept until check(),
// which the layers taking an activation call in their constructors -- so the ValueError
// names the layer being constructed ("layer 'dense' (Dense)"), the option, the known names
// and the nearest one. Calling an unchecked unknown activation raises the same error.
class ActivationSpec {
 public:
  ActivationSpec(const char* name) : ActivationSpec(std::string(name)) {}
  ActivationSpec(const std::string& name);
  template <class F>
  requires std::is_invocable_r_v<Tensor, F, const Tensor&> ActivationSpec(F f, std::string name = "custom")
      : name_(std::move(name)), fn_(std::move(f)) {
    if (!fn_) reject_empty();
  }

  Tensor operator()(const Tensor& x) const {
    if (!fn_) check();
    return fn_(x);
  }
  // ValueError when the name is unknown; `option` is how the layer calls it ("activation").
  void check(const std::string& option = "activation") const;
  const std::string& name() const { return name_; }
  bool is_linear() const { return by_name_ && name_ == "linear"; }
  // Given by name (a built-in), not as a callable -- whatever name the callable was given.
  bool is_builtin() const { return by_name_; }

 private:
  [[noreturn]] void reject_empty() const;

  std::string name_;
  ActivationFn fn_;
  bool by_name_ = false;
};

}  // namespace lamina
