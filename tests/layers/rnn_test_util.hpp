#pragma once
// Helpers shared by the recurrent-layer tests: building layers of each kind, setting their
// weights to reference values, and the standard masked batch.
#include "lamina/lamina.hpp"
#include "rnn_reference.hpp"
#include "test_util.hpp"

namespace rnntest {

namespace lm = lamina;
using namespace lamina::layers;
using rnnref::Kind;
using rnnref::Vec;

inline const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Simple:
      return "SimpleRNN";
    case Kind::LSTM:
      return "LSTM";
    case Kind::GRU:
      return "GRU";
    case Kind::GRUBefore:
      return "GRU_reset_before";
  }
  return "?";
}

struct LayerOpts {
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  bool use_bias = true;
  std::string name;
  bool callables = false;  // tanh and sigmoid as callables: the layers' composite path
};

inline lm::ActivationSpec tanh_callable() {
  return lm::ActivationSpec([](const lm::Tensor& t) { return lm::tanh(t); }, "tanh_callable");
}
inline lm::ActivationSpec sigmoid_callable() {
  return lm::ActivationSpec([](const lm::Tensor& t) { return lm::sigmoid(t); }, "sigmoid_callable");
}

inline lm::LayerHandle<RNNLayer> make_rnn(Kind k, std::int64_t units, const LayerOpts& o) {
  const lm::ActivationSpec act = o.callables ? tanh_callable() : lm::ActivationSpec("tanh");
  const lm::ActivationSpec ract = o.callables ? sigmoid_callable() : lm::ActivationSpec("sigmoid");
  switch (k) {
    case Kind::Simple:
      return SimpleRNN(units, {.activation = act,
                               .use_bias = o.use_bias,
                               .return_sequences = o.return_sequences,
                               .return_state = o.return_state,
                               .go_backwards = o.go_backwards,
                               .zero_output_for_mask = o.zero_output_for_mask,
                               .name = o.name});
    case Kind::LSTM:
      return LSTM(units, {.activation = act,
                          .recurrent_activation = ract,
                          .use_bias = o.use_bias,
                          .return_sequences = o.return_sequences,
                          .return_state = o.return_state,
                          .go_backwards = o.go_backwards,
                          .zero_output_for_mask = o.zero_output_for_mask,
                          .name = o.name});
    case Kind::GRU:
    case Kind::GRUBefore:
      return GRU(units, {.activation = act,
                         .recurrent_activation = ract,
                         .use_bias = o.use_bias,
                         .return_sequences = o.return_sequences,
                         .return_state = o.return_state,
                         .go_backwards = o.go_backwards,
                         .zero_output_for_mask = o.zero_output_for_mask,
                         .reset_after = k == Kind::GRU,
                         .name = o.name});
  }
  return {};
}

// Random reference parameters with the layer's shapes.
inline rnnref::Params random_params(Kind k, const rnnref::Sizes& s, std::mt19937_64& rng, bool bias = true,
                                    bool states = false) {
  const int GU = rnnref::gates(k) * s.U;
  rnnref::Params p;
  p.W = rnnref::random_vec(static_cast<std::size_t>(s.F * GU), rng);
  p.R = rnnref::random_vec(static_cast<std::size_t>(s.U * GU), rng);
  if (bias) p.b = rnnref::random_vec(static_cast<std::size_t>(rnnref::bias_size(k, s.U)), rng);
  if (states) {
    p.h0 = rnnref::random_vec(static_cast<std::size_t>(s.B * s.U), rng);
    p.c0 = rnnref::random_vec(static_cast<std::size_t>(s.B * s.U), rng);
  }
  return p;
}

inline lm::Tensor t64(const Vec& v, const lm::Shape& shape) { return lm::tensor(v, shape, lm::Float64); }

// Copies reference parameters into a built layer (dtype of the layer's weights).
inline void assign_weights(RNNLayer& layer, const rnnref::Params& p) {
  auto put = [](lm::Variable var, const Vec& v) { var.assign(lm::tensor(v, var.shape(), var.dtype())); };
  put(layer.kernel(), p.W);
  put(layer.recurrent_kernel(), p.R);
  if (layer.bias().defined()) put(layer.bias(), p.b);
}

// The standard batch of five rows: full, right-padded, left-padded, a hole, all masked.
inline std::vector<char> standard_mask(int T) {
  std::vector<char> m;
  for (int t = 0; t < T; ++t) m.push_back(1);
  for (int t = 0; t < T; ++t) m.push_back(t < T - 2);
  for (int t = 0; t < T; ++t) m.push_back(t >= 2);
  for (int t = 0; t < T; ++t) m.push_back(t < 2 || t >= 4);
  for (int t = 0; t < T; ++t) m.push_back(0);
  return m;
}

inline lm::Tensor mask_tensor(const std::vector<char>& m, int B, int T) {
  std::vector<bool> v(m.begin(), m.end());
  return lm::tensor(v, lm::Shape{B, T}, lm::Bool);
}

}  // namespace rnntest
