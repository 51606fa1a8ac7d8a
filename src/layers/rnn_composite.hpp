#pragma once
// The recurrent layers' general path: the same cells and mask semantics as the fused ops
// (lamina/ops/recurrent.hpp), written step by step with ordinary ops so that any
// activation works -- gelu, swish, a callable -- and every gradient (second-order ones
// too) comes from the ops' own rules. RNNLayer uses it only when an activation is not one
// the fused kernels know; it costs a few ops per step and computes padded steps too.
#include <string>

#include "lamina/core/tensor.hpp"
#include "lamina/layers/activations.hpp"
#include "lamina/ops/recurrent.hpp"

namespace lamina::layers::detail {

struct CompositeCell {
  std::string type;  // "SimpleRNN", "LSTM" or "GRU"
  ActivationSpec activation = "tanh";
  ActivationSpec recurrent_activation = "sigmoid";
};

// Arguments, results and checks exactly as simple_rnn_sequence / lstm_sequence /
// gru_sequence (c0 only for LSTM). The fused op validates the arguments (on placeholders)
// and gives the symbolic results, so errors and specs are the fused op's.
TensorList composite_sequence(const CompositeCell& cell, const Tensor& x, const Tensor& mask, const Tensor& h0,
                              const Tensor& c0, const Tensor& kernel, const Tensor& recurrent_kernel,
                              const Tensor& bias, const RecurrentOptions& options);

}  // namespace lamina::layers::detail
