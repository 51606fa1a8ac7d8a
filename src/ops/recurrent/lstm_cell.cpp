// LSTM cell kernels (Keras gate order i, f, c, o):
//   i = ra(x Wi + h Ri + bi), f = ra(..), g = a(..), o = ra(..)
//   c' = f c + i g,  h' = o a(c')
// Saved for the backward: gates (activated), hprev, aux1 = c of the active rows before the
// step, aux2 = a(c') after it.
#include <cstring>

#include "ops/recurrent/sequence.hpp"

namespace lamina::detail::rnn {

template <class T>
void lstm_forward(Workspace<T>& w, T* h, T* c, T* y) {
  const Problem& p = w.p;
  const std::int64_t U = p.U, GU = p.GU();
  const T* R = w.R.template data<T>();
  w.aux1 = Buffer<T>(w.plan.N * U);
  w.aux2 = Buffer<T>(w.plan.N * U);
  for_row_chunks(w.plan, p.B, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t s = 0; s < p.T; ++s) {
      const Block blk = step_block(w.plan, s, b0, b1);
      const std::int64_t lo = blk.lo, n = blk.n();
      if (n == 0) continue;  // every row is padding here: nothing to do
      gather_prev(w, blk, h);
      gemm<T>(false, false, n, GU, U, w.hprev + lo * U, U, R, GU, T(1), w.gates + lo * GU, GU);
      parallel_for(n, row_grain(GU), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
          const std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
          T* gi = w.gates + k * GU;
          T *gf = gi + U, *gg = gi + 2 * U, *go = gi + 3 * U;
          activate(p.rec_act, gi, 2 * U);  // i and f are adjacent
          activate(p.act, gg, U);
          activate(p.rec_act, go, U);
          T* cp = w.aux1 + k * U;
          T* tc = w.aux2 + k * U;
          T* cb = c + b * U;
          std::memcpy(cp, cb, static_cast<std::size_t>(U) * sizeof(T));
          for (std::int64_t j = 0; j < U; ++j) tc[j] = cb[j] = gf[j] * cp[j] + gi[j] * gg[j];
          activate(p.act, tc, U);
          T* hb = h + b * U;
          for (std::int64_t j = 0; j < U; ++j) hb[j] = go[j] * tc[j];
          if (y) std::memcpy(y + (b * p.T + s) * U, hb, static_cast<std::size_t>(U) * sizeof(T));
        }
      });
    }
  });
}

namespace {
// dc' = dc + dg (dg holds d a(c') a'(c') o on entry); gate gradients before the activation
// derivatives; dc <- dc' f. Separate restrict-qualified arrays, so the loop vectorises.
template <class T>
void cell_grads(std::int64_t U, const T* __restrict gi, const T* __restrict gf, const T* __restrict gg,
                const T* __restrict cp, T* __restrict di, T* __restrict df, T* __restrict dg, T* __restrict dc) {
  for (std::int64_t j = 0; j < U; ++j) {
    const T dct = dc[j] + dg[j];
    di[j] = dct * gg[j];
    df[j] = dct * cp[j];
    dg[j] = dct * gi[j];
    dc[j] = dct * gf[j];
  }
}
}  // namespace

template <class T>
void lstm_backward(Workspace<T>& w, const T* dy, T* dh, T* dc, const Grads& out) {
  const Problem& p = w.p;
  const std::int64_t U = p.U, GU = p.GU(), N = w.plan.N;
  const T* R = w.R.template data<T>();
  Buffer<T> dp(N * GU);        // gradients of the gate pre-activations, packed like the gates
  Buffer<T> scratch(p.B * U);  // dp @ R^T for one step; rows [b0, b1) belong to one chunk
  for_row_chunks(w.plan, p.B, [&](std::int64_t b0, std::int64_t b1) {
    T* tmp = scratch + b0 * U;
    for (std::int64_t s = p.T - 1; s >= 0; --s) {
      const Block blk = step_block(w.plan, s, b0, b1);
      const std::int64_t lo = blk.lo, n = blk.n();
      if (dy) add_output_grad(w, s, blk, b0, b1, dy, dh);
      if (n == 0) continue;
      parallel_for(n, row_grain(GU), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
          const std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
          const T* gi = w.gates + k * GU;
          const T *gf = gi + U, *gg = gi + 2 * U, *go = gi + 3 * U;
          const T* cp = w.aux1 + k * U;
          const T* tc = w.aux2 + k * U;
          T* di = dp + k * GU;
          T *df = di + U, *dg = di + 2 * U, *dO = di + 3 * U;
          T* dhb = dh + b * U;
          T* dcb = dc + b * U;
          for (std::int64_t j = 0; j < U; ++j) {
            dO[j] = dhb[j] * tc[j];
            dg[j] = dhb[j] * go[j];  // d a(c'), turned into dc' below
          }
          scale_by_derivative(p.rec_act, go, dO, U);
          scale_by_derivative(p.act, tc, dg, U);
          cell_grads(U, gi, gf, gg, cp, di, df, dg, dcb);
          std::memset(dhb, 0, static_cast<std::size_t>(U) * sizeof(T));  // refilled from dp @ R^T below
          scale_by_derivative(p.rec_act, gi, di, 2 * U);                 // i and f
          scale_by_derivative(p.act, gg, dg, U);
        }
      });
      gemm<T>(false, true, n, U, GU, dp + lo * GU, GU, R, GU, T(0), tmp, U);
      scatter_prev_grad(w, blk, tmp, dh);
    }
  });
  if (out.dR) {
    gemm<T>(true, false, U, GU, N, w.hprev.data, U, dp.data, GU, T(0), static_cast<T*>(out.dR), GU);
    if (N == 0) std::memset(out.dR, 0, static_cast<std::size_t>(U * GU) * sizeof(T));
  }
  input_side_grads(w, dp.data, static_cast<T*>(out.dx), static_cast<T*>(out.dW), static_cast<T*>(out.db));
}

template void lstm_forward<float>(Workspace<float>&, float*, float*, float*);
template void lstm_forward<double>(Workspace<double>&, double*, double*, double*);
template void lstm_backward<float>(Workspace<float>&, const float*, float*, float*, const Grads&);
template void lstm_backward<double>(Workspace<double>&, const double*, double*, double*, const Grads&);

}  // namespace lamina::detail::rnn
