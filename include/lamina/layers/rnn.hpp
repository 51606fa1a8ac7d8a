#pragma once
// Recurrent layers: SimpleRNN, LSTM, GRU (DESIGN.md sections 5, 7 and 8).
//
//   auto y = LSTM(64, {.return_sequences = true})(x);            // x (B, T, F), mask (B, T)
//   auto outs = LSTM(64, {.return_state = true})(lm::TensorList{x}, {.initial_state = {h0, c0}});
//   // outs = {output, h, c}
//
// Weights use Keras's layouts and gate orders (LSTM i, f, c, o; GRU z, r, h with
// reset_after), so they move between Keras and Lamina unchanged. Weights take the dtype of
// the first input (float32 or float64); later inputs are cast to it, as Keras autocasts.
//
// Masks are consumed (see lamina/ops/recurrent.hpp for the exact semantics): padded steps
// carry the state over and cost nothing. With return_sequences the output keeps the
// input's (B, T) mask -- reversed with the outputs under go_backwards -- otherwise the
// output has no mask; states never carry masks. A (B,) mask marks whole sequences valid or
// invalid; a mask over features is a MaskError.
//
// Activations: any, by name or as a callable. Those the kernels fuse ("tanh", "sigmoid",
// "hard_sigmoid", "relu", "linear", "softsign", "elu", "selu", "exponential", "softplus")
// run the fused ops, where padding costs nothing; any other (gelu, swish, a callable) runs
// the same cell step by step with ordinary ops (layers/rnn_composite.hpp): the same values
// and masks, slower, padded steps computed, and second-order gradients available.
//
// dropout / recurrent_dropout (training only) draw one mask per sequence from the layer's
// generator, as Keras 3: (B, F) on the input at every step, (B, U) on h_{t-1} inside the
// recurrent product.
#include <memory>
#include <string>

#include "lamina/layers/activations.hpp"
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

// Options shared by the three layers, as one flat struct (each layer's options convert to it).
struct RecurrentConfig {
  ActivationSpec activation = "tanh";
  ActivationSpec recurrent_activation = "sigmoid";
  bool use_bias = true;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec recurrent_initializer = "orthogonal";
  InitializerSpec bias_initializer = "zeros";
  bool unit_forget_bias = true;  // LSTM
  bool reset_after = true;       // GRU
};

struct SimpleRNNOptions {
  ActivationSpec activation = "tanh";
  bool use_bias = true;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec recurrent_initializer = "orthogonal";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

struct LSTMOptions {
  ActivationSpec activation = "tanh";
  ActivationSpec recurrent_activation = "sigmoid";
  bool use_bias = true;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec recurrent_initializer = "orthogonal";
  InitializerSpec bias_initializer = "zeros";
  bool unit_forget_bias = true;  // the forget-gate bias starts at 1
  std::string name;
};

struct GRUOptions {
  ActivationSpec activation = "tanh";
  ActivationSpec recurrent_activation = "sigmoid";
  bool use_bias = true;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec recurrent_initializer = "orthogonal";
  InitializerSpec bias_initializer = "zeros";
  bool reset_after = true;  // bias (2, 3 * units): [input bias; recurrent bias]
  std::string name;
};

// The shared implementation: weights, masks, dropout, initial states and the fused op.
class RNNLayer : public Layer {
 public:
  RNNLayer(std::string type, std::int64_t units, RecurrentConfig config, std::string name);
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

  std::int64_t units() const { return units_; }
  const RecurrentConfig& config() const { return config_; }
  std::int64_t gates() const;
  // Whether calls run the fused kernels (every activation one they fuse) or the composite.
  bool fused() const;
  int state_count() const { return type() == "LSTM" ? 2 : 1; }
  const Variable& kernel() const { return kernel_; }
  const Variable& recurrent_kernel() const { return recurrent_kernel_; }
  const Variable& bias() const { return bias_; }  // undefined without use_bias

  // A fresh, unbuilt layer of the same kind and options (Bidirectional's copies).
  std::shared_ptr<RNNLayer> clone(const RecurrentConfig& config, const std::string& name) const;
  // Bidirectional runs both directions with zeros at padded steps when returning sequences.
  void set_zero_output_for_mask(bool zero) { config_.zero_output_for_mask = zero; }

 private:
  Tensor dropout_mask(std::int64_t batch, std::int64_t width, double rate, DType dtype);

  std::int64_t units_;
  RecurrentConfig config_;
  Variable kernel_, recurrent_kernel_, bias_;
};

class SimpleRNNLayer : public RNNLayer {
 public:
  SimpleRNNLayer(std::int64_t units, SimpleRNNOptions options = {});
};
class LSTMLayer : public RNNLayer {
 public:
  LSTMLayer(std::int64_t units, LSTMOptions options = {});
};
class GRULayer : public RNNLayer {
 public:
  GRULayer(std::int64_t units, GRUOptions options = {});
};

class SimpleRNN : public LayerHandle<SimpleRNNLayer> {
 public:
  SimpleRNN(std::int64_t units, SimpleRNNOptions options = {})
      : LayerHandle(std::make_shared<SimpleRNNLayer>(units, std::move(options))) {}
};
class LSTM : public LayerHandle<LSTMLayer> {
 public:
  LSTM(std::int64_t units, LSTMOptions options = {})
      : LayerHandle(std::make_shared<LSTMLayer>(units, std::move(options))) {}
};
class GRU : public LayerHandle<GRULayer> {
 public:
  GRU(std::int64_t units, GRUOptions options = {})
      : LayerHandle(std::make_shared<GRULayer>(units, std::move(options))) {}
};

}  // namespace lamina::layers
