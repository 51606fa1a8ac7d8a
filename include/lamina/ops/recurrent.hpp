#pragma once
// Fused recurrent ops: one call runs a whole sequence through a SimpleRNN, LSTM or GRU
// cell, forward and backward (DESIGN.md sections 5 and 8).
//
// Shapes (Keras layouts and gate orders, so weights move between Keras and Lamina):
//   x (B, T, F); mask (B, T) Bool, or (B,) for whole sequences; initial states (B, U)
//   SimpleRNN  kernel (F, U),   recurrent_kernel (U, U),   bias (U)
//   LSTM       kernel (F, 4U),  recurrent_kernel (U, 4U),  bias (4U)     gates i, f, c, o
//   GRU        kernel (F, 3U),  recurrent_kernel (U, 3U),  bias (2, 3U) with reset_after,
//              (3U) without                                              gates z, r, h
// Undefined tensors mean: no mask (all valid; x's own mask is used if it has one), zero
// initial states, no bias, no recurrent dropout. All floating tensors share x's dtype
// (float32 or float64).
//
// Masks (as Keras): at a masked step the states carry over unchanged and the output
// repeats the previous output (0 before the first valid step; 0 at every masked step
// with zero_output_for_mask). An all-masked row gives zero outputs and final states equal
// to the initial states. The last output (return_sequences false) is the output of the
// row's last valid step. With go_backwards the sequence is processed last step first and
// the outputs come in processing order -- with their mask reversed too. The sequence
// output keeps the (B, T) mask; the last output and the states carry none.
//
// Cost follows real tokens: only the rows valid at a step are computed (DESIGN.md 8).
// Gradients reach x (exactly 0 at masked steps), the initial states, the weights and the
// bias. Second-order gradients through these ops are not supported (GradientError); the
// layers' composite path (any activation given as a callable) supports them.
#include <string>

#include "lamina/core/tensor.hpp"

namespace lamina {

struct RecurrentOptions {
  // Fused activations: "tanh", "sigmoid", "hard_sigmoid", "relu", "linear", "softsign",
  // "elu", "selu", "exponential", "softplus" (those whose derivative follows from the output).
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool go_backwards = false;
  bool return_sequences = false;
  bool zero_output_for_mask = false;
  bool reset_after = true;  // GRU only: reset gate applied after the recurrent product
  // (B, U) multiplier of h_{t-1} in the recurrent product (recurrent dropout, one mask per
  // sequence); undefined: none. Not differentiated.
  Tensor recurrent_dropout;
};

// Each returns {output, h} -- LSTM {output, h, c} -- where output is (B, T, U) with
// return_sequences and (B, U) otherwise.
TensorList simple_rnn_sequence(const Tensor& x, const Tensor& mask, const Tensor& h0, const Tensor& kernel,
                               const Tensor& recurrent_kernel, const Tensor& bias,
                               const RecurrentOptions& options = {});
TensorList lstm_sequence(const Tensor& x, const Tensor& mask, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                         const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentOptions& options = {});
TensorList gru_sequence(const Tensor& x, const Tensor& mask, const Tensor& h0, const Tensor& kernel,
                        const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentOptions& options = {});

}  // namespace lamina
