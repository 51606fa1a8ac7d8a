// GRU cell kernels (Keras gate order z, r, h), h' = z h + (1 - z) hh with
//   reset_after:   z = ra(xWz + bz + hRz + b'z), r likewise, hh = a(xWh + bh + r (hRh + b'h))
//   otherwise:     z = ra(xWz + hRz + bz),       r likewise, hh = a(xWh + (r h) Rh + bh)
// (h in the recurrent products is times the recurrent dropout; the mix uses h itself.)
// Saved: gates (z, r, hh activated), hprev (dropped h), aux1 = hRh + b'h (reset_after) or
// r * hprev (otherwise), aux2 = undropped h of the active rows (only with dropout).
#include <cstring>

#include "ops/recurrent/sequence.hpp"

namespace lamina::detail::rnn {

namespace {
template <class T>
const T* recurrent_bias(const Workspace<T>& w) {
  return w.p.reset_after && w.b.defined() ? w.b.template data<T>() + w.p.GU() : nullptr;
}
// Undropped previous h of packed row k.
template <class T>
const T* undropped(const Workspace<T>& w, std::int64_t k) {
  return (w.rdrop.defined() ? w.aux2 : w.hprev) + k * w.p.U;
}
// Through h' = z h + (1 - z) hh: dz and dhh before the activation derivatives, and the
// direct part of dh (dh z). Restrict-qualified so the loop vectorises.
template <class T>
void mix_grads(std::int64_t U, const T* __restrict z, const T* __restrict hh, const T* __restrict h, T* __restrict dz,
               T* __restrict dhh, T* __restrict dh) {
  for (std::int64_t j = 0; j < U; ++j) {
    dz[j] = dh[j] * (h[j] - hh[j]);
    dhh[j] = dh[j] * (T(1) - z[j]);
    dh[j] *= z[j];  // the direct path h -> h'; the recurrent products are added later
  }
}
}  // namespace

template <class T>
void gru_forward(Workspace<T>& w, T* h, T* y) {
  const Problem& p = w.p;
  const std::int64_t U = p.U, GU = p.GU();
  const T* R = w.R.template data<T>();
  const T* rb = recurrent_bias(w);
  const bool dropout = w.rdrop.defined();
  w.aux1 = Buffer<T>(w.plan.N * U);
  if (dropout) w.aux2 = Buffer<T>(w.plan.N * U);
  Buffer<T> qbuf(p.reset_after ? p.B * GU : 0);  // h R for one step (reset_after); rows [b0, b1) per chunk
  for_row_chunks(w.plan, p.B, [&](std::int64_t b0, std::int64_t b1) {
    T* q = qbuf + b0 * GU;
    for (std::int64_t s = 0; s < p.T; ++s) {
      const Block blk = step_block(w.plan, s, b0, b1);
      const std::int64_t lo = blk.lo, n = blk.n();
      if (n == 0) continue;
      gather_prev(w, blk, h);
      const T* hd = w.hprev + lo * U;
      if (p.reset_after)
        gemm<T>(false, false, n, GU, U, hd, U, R, GU, T(0), q, GU);
      else
        gemm<T>(false, false, n, 2 * U, U, hd, U, R, GU, T(1), w.gates + lo * GU, GU);
      // z, r (and with reset_after the whole candidate).
      parallel_for(n, row_grain(GU), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
          const std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
          T* gz = w.gates + k * GU;
          T *gr = gz + U, *gh = gz + 2 * U;
          T* a1 = w.aux1 + k * U;
          if (dropout) std::memcpy(w.aux2 + k * U, h + b * U, static_cast<std::size_t>(U) * sizeof(T));
          if (p.reset_after) {
            const T* qk = q + (k - lo) * GU;
            if (rb)
              for (std::int64_t j = 0; j < 2 * U; ++j) gz[j] += qk[j] + rb[j];
            else
              for (std::int64_t j = 0; j < 2 * U; ++j) gz[j] += qk[j];
            activate(p.rec_act, gz, 2 * U);
            if (rb)
              for (std::int64_t j = 0; j < U; ++j) a1[j] = qk[2 * U + j] + rb[2 * U + j];
            else
              std::memcpy(a1, qk + 2 * U, static_cast<std::size_t>(U) * sizeof(T));
            for (std::int64_t j = 0; j < U; ++j) gh[j] += gr[j] * a1[j];
          } else {
            activate(p.rec_act, gz, 2 * U);
            const T* hk = w.hprev + k * U;
            for (std::int64_t j = 0; j < U; ++j) a1[j] = gr[j] * hk[j];
          }
        }
      });
      if (!p.reset_after)
        gemm<T>(false, false, n, U, U, w.aux1 + lo * U, U, R + 2 * U, GU, T(1), w.gates + lo * GU + 2 * U, GU);
      parallel_for(n, row_grain(GU), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
          const std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
          T* gz = w.gates + k * GU;
          T* gh = gz + 2 * U;
          activate(p.act, gh, U);
          T* hb = h + b * U;
          for (std::int64_t j = 0; j < U; ++j) hb[j] = gz[j] * hb[j] + (T(1) - gz[j]) * gh[j];
          if (y) std::memcpy(y + (b * p.T + s) * U, hb, static_cast<std::size_t>(U) * sizeof(T));
        }
      });
    }
  });
}

template <class T>
void gru_backward(Workspace<T>& w, const T* dy, T* dh, const Grads& out) {
  const Problem& p = w.p;
  const std::int64_t U = p.U, GU = p.GU(), N = w.plan.N;
  const T* R = w.R.template data<T>();
  Buffer<T> dp(N * GU);                                        // input side: d(xW + b)
  Buffer<T> dq(p.reset_after ? N * GU : 0);                    // recurrent side: d(h R + b') (reset_after)
  Buffer<T> tbuf(p.B * U), abuf(p.reset_after ? 0 : p.B * U);  // per-step scratch; rows [b0, b1) per chunk
  for_row_chunks(w.plan, p.B, [&](std::int64_t b0, std::int64_t b1) {
    T* tmp = tbuf + b0 * U;
    T* a = p.reset_after ? nullptr : abuf + b0 * U;
    for (std::int64_t s = p.T - 1; s >= 0; --s) {
      const Block blk = step_block(w.plan, s, b0, b1);
      const std::int64_t lo = blk.lo, n = blk.n();
      if (dy) add_output_grad(w, s, blk, b0, b1, dy, dh);
      if (n == 0) continue;
      parallel_for(n, row_grain(GU), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
          const std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
          const T* gz = w.gates + k * GU;
          const T *gr = gz + U, *gh = gz + 2 * U;
          const T* hp = undropped(w, k);
          T* dz = dp + k * GU;
          T *dr = dz + U, *dhh = dz + 2 * U;
          T* dhb = dh + b * U;
          mix_grads(U, gz, gh, hp, dz, dhh, dhb);
          scale_by_derivative(p.rec_act, gz, dz, U);
          scale_by_derivative(p.act, gh, dhh, U);
          if (!p.reset_after) continue;  // dr needs (dhh Rh^T) first
          const T* a1 = w.aux1 + k * U;
          for (std::int64_t j = 0; j < U; ++j) dr[j] = dhh[j] * a1[j];
          scale_by_derivative(p.rec_act, gr, dr, U);
          T* qz = dq + k * GU;
          std::memcpy(qz, dz, static_cast<std::size_t>(2 * U) * sizeof(T));
          for (std::int64_t j = 0; j < U; ++j) qz[2 * U + j] = dhh[j] * gr[j];
        }
      });
      if (p.reset_after) {
        gemm<T>(false, true, n, U, GU, dq + lo * GU, GU, R, GU, T(0), tmp, U);
      } else {
        // d(r hd) = dhh Rh^T; then dr = d(r hd) hd ra'(r) and d(hd) = d(r hd) r + [dz dr] [Rz Rr]^T.
        gemm<T>(false, true, n, U, U, dp + lo * GU + 2 * U, GU, R + 2 * U, GU, T(0), a, U);
        parallel_for(n, row_grain(U), [&](std::int64_t i0, std::int64_t i1) {
          for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
            const T* gr = w.gates + k * GU + U;
            const T* hk = w.hprev + k * U;
            const T* ak = a + (k - lo) * U;
            T* dr = dp + k * GU + U;
            T* tk = tmp + (k - lo) * U;
            for (std::int64_t j = 0; j < U; ++j) {
              dr[j] = ak[j] * hk[j];
              tk[j] = ak[j] * gr[j];
            }
            scale_by_derivative(p.rec_act, gr, dr, U);
          }
        });
        gemm<T>(false, true, n, U, 2 * U, dp + lo * GU, GU, R, GU, T(1), tmp, U);
      }
      scatter_prev_grad(w, blk, tmp, dh);
    }
  });
  if (out.dR) {
    T* dR = static_cast<T*>(out.dR);
    std::memset(dR, 0, static_cast<std::size_t>(U * GU) * sizeof(T));
    if (p.reset_after) {
      gemm<T>(true, false, U, GU, N, w.hprev.data, U, dq.data, GU, T(0), dR, GU);
    } else {
      gemm<T>(true, false, U, 2 * U, N, w.hprev.data, U, dp.data, GU, T(0), dR, GU);
      gemm<T>(true, false, U, U, N, w.aux1.data, U, dp + 2 * U, GU, T(0), dR + 2 * U, GU);
    }
  }
  T* db = static_cast<T*>(out.db);
  input_side_grads(w, dp.data, static_cast<T*>(out.dx), static_cast<T*>(out.dW), db);
  if (db && p.reset_after) column_sums(dq.data, N, GU, GU, db + GU);
}

template void gru_forward<float>(Workspace<float>&, float*, float*);
template void gru_forward<double>(Workspace<double>&, double*, double*);
template void gru_backward<float>(Workspace<float>&, const float*, float*, const Grads&);
template void gru_backward<double>(Workspace<double>&, const double*, double*, const Grads&);

}  // namespace lamina::detail::rnn
