// The fused recurrent ops: checks, the symbolic path, the kernels, and the gradient record
// (a hand-written BPTT over the same active-rows plan as the forward).
#include "ops/recurrent/sequence.hpp"

#include <fmt/format.h>

#include <cstring>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/profile.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/cast.hpp"
#include "ops/support/elementwise_op.hpp"

namespace lamina {

namespace detail::rnn {

namespace {

// The (B, T) mask as bytes (empty: no mask). A (B,) mask marks whole sequences.
std::vector<char> mask_bytes(const Tensor& m, std::int64_t B, std::int64_t T) {
  if (!m.defined()) return {};
  std::vector<char> out(static_cast<std::size_t>(B * T));
  const bool* v = m.data<bool>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      out[static_cast<std::size_t>(b * T + t)] = m.rank() == 2 ? v[b * T + t] : m.rank() == 1 ? v[b] : v[0];
  return out;
}

// A fresh tensor holding `src` (or zeros when undefined): states the kernels update in place.
template <class T>
Tensor state_from(const Tensor& src, const Shape& shape) {
  Tensor t = detail::empty(shape, dtype_of_v<T>);
  T* d = detail::mutable_data<T>(t);
  if (src.defined())
    std::memcpy(d, src.data<T>(), static_cast<std::size_t>(t.numel()) * sizeof(T));
  else
    std::memset(d, 0, static_cast<std::size_t>(t.numel()) * sizeof(T));
  return t;
}

// True when a tape would record ops on these tensors: a backward running then is being
// differentiated itself (second order), which the hand-written BPTT does not support.
bool taped(const TensorList& ts) {
  for (Recorder* r : detail::active_recorders())
    for (const auto& t : ts)
      if (t.defined() && r->tracks(t.id())) return true;
  return false;
}

template <class T>
TensorList backward(const std::shared_ptr<Workspace<T>>& w, const Tensor& h0, const Tensor& c0, const char* op,
                    const TensorList& g, const std::vector<bool>& needs) {
  profile::Scope timed(profile::Kind::Recurrent);
  if (taped(g) || taped({w->x, w->W, w->R, w->b, h0, c0}))
    throw GradientError({.op = op,
                         .problem = fmt::format("second-order gradients through '{}' are not supported", op),
                         .expected = "a gradient computed with no other tape recording it",
                         .found = "an outer GradientTape recording the backward of the recurrent op",
                         .hint = "give the layer its activation as a callable (e.g. lm::ActivationSpec([](const "
                                 "lm::Tensor& t) { return lm::tanh(t); }, \"my_tanh\")): the layer then runs the cell "
                                 "step by step with ordinary ops, "
                                 "which support second-order gradients"});
  FlushDenormals flush;
  const Problem& p = w->p;
  const DType dt = dtype_of_v<T>;
  auto grad = [&](std::size_t i) { return i < g.size() && g[i].defined() ? cast(g[i], dt) : Tensor(); };
  Tensor gy = grad(0), gh = grad(1), gc = grad(2);
  Shape state{p.B, p.U};
  Tensor dh = state_from<T>(gh, state);
  Tensor dc = p.cell == Cell::LSTM ? state_from<T>(gc, state) : Tensor();
  T* dhp = detail::mutable_data<T>(dh);
  if (gy.defined() && !p.return_sequences) add_last_grad(*w, gy.data<T>(), dhp);
  const T* dy = gy.defined() && p.return_sequences ? gy.data<T>() : nullptr;

  Tensor dx = needs[0] ? detail::empty(w->x.shape(), dt) : Tensor();
  Tensor dW = needs[3] ? detail::empty(w->W.shape(), dt) : Tensor();
  Tensor dR = needs[4] ? detail::empty(w->R.shape(), dt) : Tensor();
  Tensor db = needs[5] && w->b.defined() ? detail::empty(w->b.shape(), dt) : Tensor();
  auto ptr = [](const Tensor& t) -> void* { return t.defined() ? detail::mutable_raw_data(t) : nullptr; };
  Grads out{.dx = ptr(dx), .dW = ptr(dW), .dR = ptr(dR), .db = ptr(db)};
  switch (p.cell) {
    case Cell::Simple:
      simple_backward(*w, dy, dhp, out);
      break;
    case Cell::LSTM:
      lstm_backward(*w, dy, dhp, detail::mutable_data<T>(dc), out);
      break;
    case Cell::GRU:
      gru_backward(*w, dy, dhp, out);
      break;
  }
  return TensorList{dx, needs[1] ? dh : Tensor(), needs[2] ? dc : Tensor(), dW, dR, db};
}

template <class T>
TensorList forward(const char* op, const Problem& p, const SequenceInputs& in, const Tensor& mask) {
  profile::Scope timed(profile::Kind::Recurrent);
  FlushDenormals flush;
  auto w = std::make_shared<Workspace<T>>();
  w->p = p;
  std::vector<char> m = mask_bytes(mask, p.B, p.T);
  w->plan = make_plan(m.empty() ? nullptr : m.data(), p.B, p.T, p.go_backwards);
  w->x = in.x.without_mask();
  w->W = in.W.without_mask();
  w->R = in.R.without_mask();
  w->b = in.b.defined() ? in.b.without_mask() : Tensor();
  w->rdrop = in.rdrop.defined() ? in.rdrop.without_mask() : Tensor();
  const std::int64_t N = w->plan.N;
  w->xp = Buffer<T>(N * p.F);
  w->gates = Buffer<T>(N * p.GU());
  w->hprev = Buffer<T>(N * p.U);
  pack_and_project(*w, w->b.defined() ? w->b.template data<T>() : nullptr);  // a (2, 3U) bias: row 0

  Shape state{p.B, p.U};
  Tensor h = state_from<T>(in.h0, state);
  Tensor c = p.cell == Cell::LSTM ? state_from<T>(in.c0, state) : Tensor();
  Tensor y = detail::empty(p.return_sequences ? Shape{p.B, p.T, p.U} : state, dtype_of_v<T>);
  T* hp = detail::mutable_data<T>(h);
  T* yp = detail::mutable_data<T>(y);
  T* seq = p.return_sequences ? yp : nullptr;
  switch (p.cell) {
    case Cell::Simple:
      simple_forward(*w, hp, seq);
      break;
    case Cell::LSTM:
      lstm_forward(*w, hp, detail::mutable_data<T>(c), seq);
      break;
    case Cell::GRU:
      gru_forward(*w, hp, seq);
      break;
  }
  if (p.return_sequences)
    fill_inactive_outputs(*w, yp);
  else
    last_output(*w, hp, yp);

  if (p.return_sequences && mask.defined()) {  // not !m.empty(): with T = 0 the (B, 0) mask is empty but given
    // The output mask follows the outputs: in processing order (reversed under go_backwards).
    std::vector<bool> om(m.size());
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t s = 0; s < p.T; ++s)
        om[static_cast<std::size_t>(b * p.T + s)] =
            m[static_cast<std::size_t>(b * p.T + w->plan.time(s, p.T, p.go_backwards))];
    detail::set_mask(y, tensor(om, Shape{p.B, p.T}, Bool));
  }
  TensorList outs{y, h};
  if (c.defined()) outs.push_back(c);
  if (recording_active()) {
    Tensor h0 = in.h0, c0 = in.c0;
    record_gradient(op, {in.x, in.h0, in.c0, in.W, in.R, in.b}, outs,
                    [w, h0, c0, op](const TensorList& g, const std::vector<bool>& needs) {
                      return backward<T>(w, h0, c0, op, g, needs);
                    });
  }
  return outs;
}

}  // namespace

TensorList run_sequence(const char* op, Cell cell, const SequenceInputs& in, const RecurrentOptions& options) {
  OpScope scope(op);
  require_defined(in.x, op, "input sequence");
  require_defined(in.W, op, "kernel");
  require_defined(in.R, op, "recurrent_kernel");
  Problem p = infer_problem(cell, in, options);
  Tensor mask = in.mask.defined() ? in.mask : in.x.mask();
  check_mask(mask, p);
  std::vector<TensorSpec> specs = output_specs(p, mask.defined());

  TensorList all{in.x, in.mask, in.h0, in.c0, in.W, in.R, in.b, in.rdrop};
  if (any_symbolic(all)) {
    // Only defined inputs enter the graph; replay puts them back in their slots.
    TensorList present;
    std::vector<bool> has;
    for (const auto& t : all) {
      has.push_back(t.defined());
      if (t.defined()) present.push_back(t);
    }
    RecurrentOptions o = options;
    o.recurrent_dropout = Tensor();
    return symbolic_op(op, present, specs, [op, cell, o, has](const TensorList& given) {
      TensorList slots(has.size());
      std::size_t k = 0;
      for (std::size_t i = 0; i < has.size(); ++i)
        if (has[i]) slots[i] = given.at(k++);
      return run_sequence(op, cell, {slots[0], slots[1], slots[2], slots[3], slots[4], slots[5], slots[6], slots[7]},
                          o);
    });
  }
  if (p.dtype == Float64) return forward<double>(op, p, in, mask);
  return forward<float>(op, p, in, mask);
}

}  // namespace detail::rnn

using detail::rnn::Cell;

TensorList simple_rnn_sequence(const Tensor& x, const Tensor& mask, const Tensor& h0, const Tensor& kernel,
                               const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentOptions& options) {
  return detail::rnn::run_sequence("simple_rnn_sequence", Cell::Simple,
                                   {x, mask, h0, Tensor(), kernel, recurrent_kernel, bias, options.recurrent_dropout},
                                   options);
}

TensorList lstm_sequence(const Tensor& x, const Tensor& mask, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                         const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentOptions& options) {
  return detail::rnn::run_sequence("lstm_sequence", Cell::LSTM,
                                   {x, mask, h0, c0, kernel, recurrent_kernel, bias, options.recurrent_dropout},
                                   options);
}

TensorList gru_sequence(const Tensor& x, const Tensor& mask, const Tensor& h0, const Tensor& kernel,
                        const Tensor& recurrent_kernel, const Tensor& bias, const RecurrentOptions& options) {
  return detail::rnn::run_sequence("gru_sequence", Cell::GRU,
                                   {x, mask, h0, Tensor(), kernel, recurrent_kernel, bias, options.recurrent_dropout},
                                   options);
}

}  // namespace lamina
