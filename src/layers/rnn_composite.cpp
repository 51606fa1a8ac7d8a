// The recurrent cells as ordinary ops, step by step (see rnn_composite.hpp). The formulas
// are those of the fused kernels in ops/recurrent/*_cell.cpp; tests check the two agree.
#include "layers/rnn_composite.hpp"

#include "lamina/core/creation.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/linalg.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers::detail {

namespace {

Tensor placeholder_of(const Tensor& t) { return t.defined() ? placeholder(t.spec()) : Tensor(); }

// The fused op on the same arguments: on placeholders it checks them and infers the specs.
TensorList fused(const std::string& type, const Tensor& x, const Tensor& mask, const Tensor& h0, const Tensor& c0,
                 const Tensor& W, const Tensor& R, const Tensor& b, const RecurrentOptions& o) {
  if (type == "LSTM") return lstm_sequence(x, mask, h0, c0, W, R, b, o);
  if (type == "GRU") return gru_sequence(x, mask, h0, W, R, b, o);
  return simple_rnn_sequence(x, mask, h0, W, R, b, o);
}

// One tensor per time step, (B, N) each. A split rather than T slices: the gradient of a
// slice is a zero tensor of the whole input, which would cost O(T^2).
TensorList steps(const Tensor& t) {
  TensorList out = split(t, t.dim(1), 1);
  for (auto& s : out) s = squeeze(s, {1});
  return out;
}

}  // namespace

TensorList composite_sequence(const CompositeCell& cell, const Tensor& x_in, const Tensor& mask_in, const Tensor& h0,
                              const Tensor& c0, const Tensor& W, const Tensor& R, const Tensor& b,
                              const RecurrentOptions& o) {
  // Any fused activation stands in for the real ones wherever the fused op runs.
  RecurrentOptions stand_in = o;
  stand_in.activation = "tanh";
  stand_in.recurrent_activation = "sigmoid";
  const bool lstm = cell.type == "LSTM", gru = cell.type == "GRU";
  // Symbolic inputs: the fused op infers the specs (they do not depend on the activations).
  if (x_in.defined() && x_in.is_symbolic()) return fused(cell.type, x_in, mask_in, h0, c0, W, R, b, stand_in);
  // Concrete ones: the fused op checks the arguments on placeholders, so errors are its own.
  fused(cell.type, placeholder_of(x_in), placeholder_of(mask_in), placeholder_of(h0), placeholder_of(c0),
        placeholder_of(W), placeholder_of(R), placeholder_of(b), stand_in);
  const std::int64_t B = x_in.dim(0), T = x_in.dim(1), U = R.dim(0);
  // No step to run, so no activation is ever applied: the fused op's result is exact.
  if (T == 0) return fused(cell.type, x_in, mask_in, h0, c0, W, R, b, stand_in);

  const DType dt = x_in.dtype();
  // (B, T) step validity, or undefined when every step is valid.
  Tensor mask = mask_in.defined() ? mask_in : x_in.mask();
  if (mask.defined() && mask.rank() == 1) mask = broadcast_to(expand_dims(mask, 1), Shape{B, T});
  // Masked steps are selected to zeros before the projection: their states are discarded
  // by the wheres below, but the backward multiplies their (zero) gradients by f'(garbage),
  // and NaN or inf padding would reach W's gradient and, through R, the valid steps.
  const Tensor x = mask.defined() ? where(expand_dims(mask, 2), x_in.without_mask(), 0) : x_in.without_mask();

  // Input projections of every step at once, with the input-side bias.
  Tensor xw = matmul(x, W);  // (B, T, G U)
  Tensor rec_bias;           // GRU reset_after: added to the recurrent product
  if (b.defined()) {
    if (gru && o.reset_after) {
      xw = xw + reshape(slice(b, 0, Range{0, 1}), Shape{3 * U});
      rec_bias = reshape(slice(b, 0, Range{1, 2}), Shape{3 * U});
    } else {
      xw = xw + b;
    }
  }
  const auto& act = cell.activation;
  const auto& ract = cell.recurrent_activation;

  Tensor h = h0.defined() ? h0.without_mask() : zeros({B, U}, dt);
  Tensor c = lstm ? (c0.defined() ? c0.without_mask() : zeros({B, U}, dt)) : Tensor();
  Tensor last = zeros({B, U}, dt);  // the output of the last valid step so far
  const Tensor zero = zeros({B, U}, dt);
  const TensorList xs = steps(xw);
  const TensorList valids = mask.defined() ? split(mask, T, 1) : TensorList{};  // (B, 1) each
  // GRU without reset_after multiplies h by the (z, r) and the candidate columns separately.
  const TensorList R_zr_h = gru && !o.reset_after ? split(R, std::vector<std::int64_t>{2 * U, U}, 1) : TensorList{};
  TensorList outputs;
  for (std::int64_t k = 0; k < T; ++k) {
    const std::int64_t t = o.go_backwards ? T - 1 - k : k;
    const Tensor& xt = xs[static_cast<std::size_t>(t)];
    const Tensor hd = o.recurrent_dropout.defined() ? h * o.recurrent_dropout : h;
    Tensor h_new, c_new;
    if (lstm) {
      const TensorList gates = split(xt + matmul(hd, R), 4, 1);  // i, f, c, o
      c_new = ract(gates[1]) * c + ract(gates[0]) * act(gates[2]);
      h_new = ract(gates[3]) * act(c_new);
    } else if (gru) {
      const TensorList x_zr_h = split(xt, std::vector<std::int64_t>{2 * U, U}, 1);
      Tensor zr, hh;
      if (o.reset_after) {
        Tensor q = matmul(hd, R);
        if (rec_bias.defined()) q = q + rec_bias;
        const TensorList q_zr_h = split(q, std::vector<std::int64_t>{2 * U, U}, 1);
        zr = ract(x_zr_h[0] + q_zr_h[0]);
        hh = act(x_zr_h[1] + slice(zr, 1, Range{U, 2 * U}) * q_zr_h[1]);
      } else {
        zr = ract(x_zr_h[0] + matmul(hd, R_zr_h[0]));
        hh = act(x_zr_h[1] + matmul(slice(zr, 1, Range{U, 2 * U}) * hd, R_zr_h[1]));
      }
      const Tensor z = slice(zr, 1, Range{0, U});
      h_new = z * h + (1 - z) * hh;
    } else {
      h_new = act(xt + matmul(hd, R));
    }
    // Keras's mask semantics: states carry over at a masked step; the output repeats the
    // last valid one (or is zero with zero_output_for_mask).
    Tensor out;
    if (mask.defined()) {
      const Tensor& valid = valids[static_cast<std::size_t>(t)];
      h = where(valid, h_new, h);
      if (lstm) c = where(valid, c_new, c);
      last = where(valid, h_new, last);
      out = o.zero_output_for_mask ? where(valid, h_new, zero) : last;
    } else {
      h = h_new;
      if (lstm) c = c_new;
      last = out = h_new;
    }
    if (o.return_sequences) outputs.push_back(out);
  }

  Tensor output = o.return_sequences ? stack(outputs, 1) : last;
  if (o.return_sequences && mask.defined())  // as the fused op: the (B, T) mask, in processing order
    output = output.with_mask(o.go_backwards ? flip(mask, {1}) : mask);
  TensorList result{output, h};
  if (lstm) result.push_back(c);
  return result;
}

}  // namespace lamina::layers::detail
