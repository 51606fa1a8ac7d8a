// SimpleRNN cell kernels: h' = a(x W + h R + b). Saved: gates = h' of the active rows, hprev.
#include <cstring>

#include "ops/recurrent/sequence.hpp"

namespace lamina::detail::rnn {

template <class T>
void simple_forward(Workspace<T>& w, T* h, T* y) {
  const Problem& p = w.p;
  const std::int64_t U = p.U;
  const T* R = w.R.template data<T>();
  for_row_chunks(w.plan, p.B, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t s = 0; s < p.T; ++s) {
      const Block blk = step_block(w.plan, s, b0, b1);
      const std::int64_t lo = blk.lo, n = blk.n();
      if (n == 0) continue;
      gather_prev(w, blk, h);
      gemm<T>(false, false, n, U, U, w.hprev + lo * U, U, R, U, T(1), w.gates + lo * U, U);
      parallel_for(n, row_grain(U), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
          const std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
          T* g = w.gates + k * U;
          activate(p.act, g, U);
          std::memcpy(h + b * U, g, static_cast<std::size_t>(U) * sizeof(T));
          if (y) std::memcpy(y + (b * p.T + s) * U, g, static_cast<std::size_t>(U) * sizeof(T));
        }
      });
    }
  });
}

template <class T>
void simple_backward(Workspace<T>& w, const T* dy, T* dh, const Grads& out) {
  const Problem& p = w.p;
  const std::int64_t U = p.U, N = w.plan.N;
  const T* R = w.R.template data<T>();
  Buffer<T> dp(N * U);
  Buffer<T> scratch(p.B * U);
  for_row_chunks(w.plan, p.B, [&](std::int64_t b0, std::int64_t b1) {
    T* tmp = scratch + b0 * U;
    for (std::int64_t s = p.T - 1; s >= 0; --s) {
      const Block blk = step_block(w.plan, s, b0, b1);
      const std::int64_t lo = blk.lo, n = blk.n();
      if (dy) add_output_grad(w, s, blk, b0, b1, dy, dh);
      if (n == 0) continue;
      parallel_for(n, row_grain(U), [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t k = lo + i0; k < lo + i1; ++k) {
          const std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
          T* d = dp + k * U;
          T* dhb = dh + b * U;
          std::memcpy(d, dhb, static_cast<std::size_t>(U) * sizeof(T));
          std::memset(dhb, 0, static_cast<std::size_t>(U) * sizeof(T));
          scale_by_derivative(p.act, w.gates + k * U, d, U);
        }
      });
      gemm<T>(false, true, n, U, U, dp + lo * U, U, R, U, T(0), tmp, U);
      scatter_prev_grad(w, blk, tmp, dh);
    }
  });
  if (out.dR) {
    gemm<T>(true, false, U, U, N, w.hprev.data, U, dp.data, U, T(0), static_cast<T*>(out.dR), U);
    if (N == 0) std::memset(out.dR, 0, static_cast<std::size_t>(U * U) * sizeof(T));
  }
  input_side_grads(w, dp.data, static_cast<T*>(out.dx), static_cast<T*>(out.dW), static_cast<T*>(out.db));
}

template void simple_forward<float>(Workspace<float>&, float*, float*);
template void simple_forward<double>(Workspace<double>&, double*, double*);
template void simple_backward<float>(Workspace<float>&, const float*, float*, const Grads&);
template void simple_backward<double>(Workspace<double>&, const double*, double*, const Grads&);

}  // namespace lamina::detail::rnn
