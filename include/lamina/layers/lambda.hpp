#pragma once
// Lambda: a layer from a function of tensors (DESIGN.md section 7).
//
// On concrete tensors the function simply runs on the data, as Keras does eagerly: a
// function that captures constants sized for the real batch works.
//
// On symbolic inputs the output spec is inferred by tracing: the function runs on the
// symbolic tensors themselves, and every op in it infers its spec, so the result is exact
// (a size the data decides, such as boolean_mask's count, is None). Only when tracing
// raises -- the function needs values, e.g. `if (lm::sum(x) > 0)` -- does Lamina fall back
// to running it on small probe tensors, twice with different sizes for the unknown dims
// (dims that change between the probes are unknown). A declared output_shape (without the
// batch dim, as in Keras) that disagrees is a ShapeError right there, before any data; on
// concrete calls it is checked against what the function returns. A function that returns
// an undefined tensor (the analogue of Python's None) raises ValueError naming the layer
// and the input shape. When a symbolic call's graph runs on data, the result is checked
// against the spec inferred for it. Masks flow through the function's ops by the usual
// rules; `.mask` overrides them.
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
  std::vector<TensorSpec> compute_output_spec(const std::vector<TensorSpec>& input_specs) override;
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  std::optional<TensorList> compute_mask(const TensorList& inputs, const TensorList& masks) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  // The spec inferred for the latest symbolic call (nullopt before any).
  std::optional<TensorSpec> inferred_spec() const;
  // The registered name of the function, or "" when it was given as a callable.
  const std::string& function_name() const { return function_name_; }

 private:
  // The output spec for symbolic inputs of `input_specs`: traced, or probed as a fallback.
  TensorSpec infer(const std::vector<TensorSpec>& input_specs);
  TensorSpec probe_spec(const std::vector<TensorSpec>& input_specs);
  Tensor invoke(const TensorList& inputs) const;  // fn_, other exceptions than lamina's made ValueErrors
  Tensor run(const TensorList& inputs) const;     // invoke, and an undefined result is a ValueError
  void check_declared(const Shape& out, const std::string& input) const;

  struct Inference {
    std::vector<TensorSpec> inputs;
    TensorSpec output;
  };

  LambdaListFn fn_;
  std::string function_name_;
  LambdaOptions options_;
  std::vector<Inference> inferred_;  // one per distinct symbolic input layout seen
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
