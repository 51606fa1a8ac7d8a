#pragma once
// Lambda: a layer from a function of tensors (DESIGN.md section 7).
//
// At build time the function runs on small probe tensors, twice, with different sizes for
// the unknown dims, to infer the output shape and dtype (dims that change between the
// probes are unknown). A declared output_shape (without the batch dim, as in Keras) that
// disagrees is a ShapeError right there, before any data. A function that returns an
// undefined tensor (the analogue of Python's None) raises ValueError naming the layer and
// the input shape; later calls are checked against the inferred spec. Masks flow through
// the function's ops by the usual rules; `.mask` overrides them.
//
// A function cannot be written into a config, so a Lambda that should be rebuildable
// (layer_from_config) is made from a registered name:
//   register_lambda("squash", [](const lm::Tensor& x) { return lm::tanh(x); });
//   Lambda squash("squash");   // its config records "function": "squash"
// A Lambda made from a callable records "function": null.
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

using LambdaFn = std::function<Tensor(const Tensor&)>;
using LambdaListFn = std::function<Tensor(const TensorList&)>;
// Computes the output mask from the inputs and their masks.
using LambdaMaskFn = std::function<Tensor(const TensorList& inputs, const TensorList& masks)>;

// What the output mask is: the ops' (default), dropped (`false`), or computed by a function.
class LambdaMask {
 public:
  LambdaMask() = default;
  LambdaMask(bool keep) : drop_(!keep) {}
  template <class F>
  requires std::is_invocable_r_v<Tensor, F, const TensorList&, const TensorList&> LambdaMask(F f) : fn_(std::move(f)) {}
  bool drops() const { return drop_; }
  const LambdaMaskFn& fn() const { return fn_; }

 private:
  bool drop_ = false;
  LambdaMaskFn fn_;
};

struct LambdaOptions {
  std::optional<Shape> output_shape;  // without the batch dim; checked against the function
  LambdaMask mask;
  std::string name;
};

// The function registry. Registering a name again replaces its function.
void register_lambda(const std::string& name, LambdaFn fn);
void register_lambda(const std::string& name, LambdaListFn fn);
// The function registered under `name`; ValueError listing the registered names otherwise.
LambdaListFn registered_lambda(const std::string& name);
std::vector<std::string> registered_lambda_names();

class LambdaLayer : public Layer {
 public:
  LambdaLayer(LambdaListFn fn, LambdaOptions options);
  // The function registered under `function_name` (recorded in the config).
  LambdaLayer(const std::string& function_name, LambdaOptions options);
  void build(const std::vector<TensorSpec>& input_specs) override;
  std::vector<TensorSpec> compute_output_spec(const std::vector<TensorSpec>& input_specs) override;
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  std::optional<TensorList> compute_mask(const TensorList& inputs, const TensorList& masks) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  // The spec inferred by probing (batch dim unknown).
  const std::optional<TensorSpec>& inferred_spec() const { return inferred_; }
  // The registered name of the function, or "" when it was given as a callable.
  const std::string& function_name() const { return function_name_; }

 private:
  TensorSpec infer(const std::vector<TensorSpec>& input_specs);
  Tensor invoke(const TensorList& inputs) const;  // fn_, other exceptions than lamina's made ValueErrors
  Tensor run(const TensorList& inputs) const;     // invoke, and an undefined result is a ValueError

  LambdaListFn fn_;
  std::string function_name_;
  LambdaOptions options_;
  std::vector<TensorSpec> built_for_;
  std::optional<TensorSpec> inferred_;
};

class Lambda : public LayerHandle<LambdaLayer> {
 public:
  // An empty fn stays empty, so LambdaLayer refuses it instead of wrapping it.
  Lambda(LambdaFn fn, LambdaOptions options = {})
      : LayerHandle(std::make_shared<LambdaLayer>(
            fn ? LambdaListFn([f = std::move(fn)](const TensorList& in) { return f(in.at(0)); }) : LambdaListFn(),
            std::move(options))) {}
  Lambda(LambdaListFn fn, LambdaOptions options = {})
      : LayerHandle(std::make_shared<LambdaLayer>(std::move(fn), std::move(options))) {}
  // The function registered with register_lambda under `function_name`.
  explicit Lambda(const std::string& function_name, LambdaOptions options = {})
      : LayerHandle(std::make_shared<LambdaLayer>(function_name, std::move(options))) {}
  explicit Lambda(const char* function_name, LambdaOptions options = {})
      : Lambda(std::string(function_name), std::move(options)) {}
};

}  // namespace lamina::layers
