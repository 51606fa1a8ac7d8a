// The step plan, BLAS calls and the passes shared by every recurrent cell.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "core/cpu_clones.hpp"
#include "ops/recurrent/sequence.hpp"
#include "ops/support/pairwise.hpp"

namespace lamina::detail::rnn {

StepPlan make_plan(const char* mask, std::int64_t B, std::int64_t T, bool backwards) {
  StepPlan plan;
  plan.offset.assign(static_cast<std::size_t>(T + 1), 0);
  plan.first.assign(static_cast<std::size_t>(B), T);
  plan.row.reserve(static_cast<std::size_t>(B * T));
  plan.pos.reserve(static_cast<std::size_t>(B * T));
  for (std::int64_t s = 0; s < T; ++s) {
    std::int64_t t = plan.time(s, T, backwards);
    for (std::int64_t b = 0; b < B; ++b) {
      if (mask && !mask[b * T + t]) continue;
      plan.row.push_back(static_cast<std::int32_t>(b));
      plan.pos.push_back(b * T + t);
      auto& f = plan.first[static_cast<std::size_t>(b)];
      if (f == T) f = s;
    }
    plan.offset[static_cast<std::size_t>(s + 1)] = static_cast<std::int64_t>(plan.row.size());
  }
  plan.N = static_cast<std::int64_t>(plan.row.size());
  return plan;
}

#if defined(__SSE__)
namespace {
constexpr unsigned kFlushBits = 0x8040;  // MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6)
void set_pool_flags(int threads, bool on, unsigned saved) {
  if (threads <= 1 || omp_in_parallel()) return;
#pragma omp parallel num_threads(threads)
  {
    if (omp_get_thread_num() != 0)
      _mm_setcsr(on ? (_mm_getcsr() | kFlushBits) : ((_mm_getcsr() & ~kFlushBits) | (saved & kFlushBits)));
  }
}
}  // namespace

FlushDenormals::FlushDenormals() : saved_(_mm_getcsr()), threads_(num_threads()) {
  _mm_setcsr(saved_ | kFlushBits);
  set_pool_flags(threads_, true, saved_);
}
FlushDenormals::~FlushDenormals() {
  set_pool_flags(threads_, false, saved_);
  _mm_setcsr(saved_);
}
#else
FlushDenormals::FlushDenormals() = default;
FlushDenormals::~FlushDenormals() = default;
#endif

namespace {
inline CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }
inline blasint bi(std::int64_t v) { return static_cast<blasint>(v); }
}  // namespace

template <>
void gemm<float>(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                 const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  sync_threads();  // the BLAS reads this thread's OpenMP count
  if (k == 0) {    // nothing to multiply (and the BLAS rejects leading dimensions of 0)
    if (beta == float(0))
      for (std::int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  if (m == 1 && !ta) {  // one active row (batch 1, or the tail of long sequences): GEMV, no packing
    if (tb)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, bi(n), bi(k), 1, b, bi(ldb), a, 1, beta, c, 1);
    else
      cblas_sgemv(CblasRowMajor, CblasTrans, bi(k), bi(n), 1, b, bi(ldb), a, 1, beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, tr(ta), tr(tb), bi(m), bi(n), bi(k), 1.0f, a, bi(lda), b, bi(ldb), beta, c, bi(ldc));
}

template <>
void gemm<double>(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
                  const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  sync_threads();  // the BLAS reads this thread's OpenMP count
  if (k == 0) {    // nothing to multiply (and the BLAS rejects leading dimensions of 0)
    if (beta == double(0))
      for (std::int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, static_cast<std::size_t>(n) * sizeof(double));
    return;
  }
  if (m == 1 && !ta) {  // one active row (batch 1, or the tail of long sequences): GEMV, no packing
    if (tb)
      cblas_dgemv(CblasRowMajor, CblasNoTrans, bi(n), bi(k), 1, b, bi(ldb), a, 1, beta, c, 1);
    else
      cblas_dgemv(CblasRowMajor, CblasTrans, bi(k), bi(n), 1, b, bi(ldb), a, 1, beta, c, 1);
    return;
  }
  cblas_dgemm(CblasRowMajor, tr(ta), tr(tb), bi(m), bi(n), bi(k), 1.0, a, bi(lda), b, bi(ldb), beta, c, bi(ldc));
}

template <class T>
void pack_and_project(Workspace<T>& w, const T* input_bias) {
  const Problem& p = w.p;
  const std::int64_t F = p.F, GU = p.GU(), N = w.plan.N;
  const T* x = w.x.template data<T>();
  parallel_for(N, row_grain(F + GU), [&](std::int64_t k0, std::int64_t k1) {
    for (std::int64_t k = k0; k < k1; ++k) {
      std::memcpy(w.xp + k * F, x + w.plan.pos[static_cast<std::size_t>(k)] * F,
                  static_cast<std::size_t>(F) * sizeof(T));
      T* g = w.gates + k * GU;
      if (input_bias)
        std::memcpy(g, input_bias, static_cast<std::size_t>(GU) * sizeof(T));
      else
        std::memset(g, 0, static_cast<std::size_t>(GU) * sizeof(T));
    }
  });
  gemm<T>(false, false, N, GU, F, w.xp.data, F, w.W.template data<T>(), GU, T(1), w.gates.data, GU);
}

Block step_block(const StepPlan& plan, std::int64_t step, std::int64_t b0, std::int64_t b1) {
  const auto* first = plan.row.data() + plan.offset[static_cast<std::size_t>(step)];
  const auto* last = plan.row.data() + plan.offset[static_cast<std::size_t>(step + 1)];
  const auto* lo = std::lower_bound(first, last, static_cast<std::int32_t>(b0));
  const auto* hi = std::lower_bound(lo, last, static_cast<std::int32_t>(b1));
  return {lo - plan.row.data(), hi - plan.row.data()};
}

void for_row_chunks(const StepPlan& plan, std::int64_t B, const std::function<void(std::int64_t, std::int64_t)>& body) {
  const std::int64_t chunks = std::min<std::int64_t>(num_threads(), B);
  if (chunks <= 1 || omp_in_parallel() || plan.N < 2 * chunks) {
    body(0, B);
    return;
  }
  // Boundaries that split the real tokens evenly (lengths differ from row to row).
  std::vector<std::int64_t> tokens(static_cast<std::size_t>(B + 1), 0);
  for (auto r : plan.row) ++tokens[static_cast<std::size_t>(r + 1)];
  for (std::int64_t b = 0; b < B; ++b) tokens[static_cast<std::size_t>(b + 1)] += tokens[static_cast<std::size_t>(b)];
  std::vector<std::int64_t> bound(static_cast<std::size_t>(chunks + 1), B);
  bound[0] = 0;
  for (std::int64_t c = 1; c < chunks; ++c) {
    auto it = std::lower_bound(tokens.begin(), tokens.end(), plan.N * c / chunks);
    bound[static_cast<std::size_t>(c)] =
        std::max(bound[static_cast<std::size_t>(c - 1)], static_cast<std::int64_t>(it - tokens.begin()));
  }
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static, 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
#if defined(__SSE__)
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | kFlushBits);
#endif
    if (bound[static_cast<std::size_t>(c)] < bound[static_cast<std::size_t>(c + 1)])
      body(bound[static_cast<std::size_t>(c)], bound[static_cast<std::size_t>(c + 1)]);
#if defined(__SSE__)
    _mm_setcsr(saved);
#endif
  }
}

template <class T>
void gather_prev(Workspace<T>& w, Block blk, const T* h) {
  const std::int64_t U = w.p.U;
  const T* d = w.rdrop.defined() ? w.rdrop.template data<T>() : nullptr;
  parallel_for(blk.n(), row_grain(U), [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t k = blk.lo + i0; k < blk.lo + i1; ++k) {
      std::int64_t b = w.plan.row[static_cast<std::size_t>(k)];
      T* dst = w.hprev + k * U;
      const T* src = h + b * U;
      if (d) {
        const T* db = d + b * U;
        for (std::int64_t j = 0; j < U; ++j) dst[j] = src[j] * db[j];
      } else {
        std::memcpy(dst, src, static_cast<std::size_t>(U) * sizeof(T));
      }
    }
  });
}

template <class T>
void fill_inactive_outputs(const Workspace<T>& w, T* y) {
  const Problem& p = w.p;
  const std::int64_t U = p.U, T_ = p.T;
  // Which (row, step) positions were written by the steps.
  std::vector<char> active(static_cast<std::size_t>(p.B * T_), 0);
  for (std::int64_t s = 0; s < T_; ++s)
    for (std::int64_t k = w.plan.offset[static_cast<std::size_t>(s)];
         k < w.plan.offset[static_cast<std::size_t>(s + 1)]; ++k)
      active[static_cast<std::size_t>(w.plan.row[static_cast<std::size_t>(k)] * T_ + s)] = 1;
  // Outputs are in processing order: position (b, s) of y holds step s.
  parallel_for(p.B, row_grain(T_ * U), [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t first = w.plan.first[static_cast<std::size_t>(b)];
      for (std::int64_t s = 0; s < T_; ++s) {
        if (active[static_cast<std::size_t>(b * T_ + s)]) continue;
        T* dst = y + (b * T_ + s) * U;
        if (p.zero_output_for_mask || s < first)
          std::memset(dst, 0, static_cast<std::size_t>(U) * sizeof(T));
        else
          std::memcpy(dst, dst - U, static_cast<std::size_t>(U) * sizeof(T));  // repeat the previous output
      }
    }
  });
}

template <class T>
void last_output(const Workspace<T>& w, const T* h, T* out) {
  const std::int64_t U = w.p.U;
  for (std::int64_t b = 0; b < w.p.B; ++b) {
    if (w.plan.first[static_cast<std::size_t>(b)] < w.p.T)
      std::memcpy(out + b * U, h + b * U, static_cast<std::size_t>(U) * sizeof(T));
    else
      std::memset(out + b * U, 0, static_cast<std::size_t>(U) * sizeof(T));
  }
}

template <class T>
void add_output_grad(const Workspace<T>& w, std::int64_t step, Block blk, std::int64_t b0, std::int64_t b1, const T* dy,
                     T* dh) {
  const Problem& p = w.p;
  const std::int64_t U = p.U;
  auto add = [&](std::int64_t b) {
    const T* g = dy + (b * p.T + step) * U;
    T* d = dh + b * U;
    for (std::int64_t j = 0; j < U; ++j) d[j] += g[j];
  };
  // Active rows always depend on their new state; with zero_output_for_mask only they do.
  // Otherwise inactive rows repeat the state of their last step -- once they had one.
  if (p.zero_output_for_mask) {
    for (std::int64_t k = blk.lo; k < blk.hi; ++k) add(w.plan.row[static_cast<std::size_t>(k)]);
    return;
  }
  for (std::int64_t b = b0; b < b1; ++b)
    if (w.plan.first[static_cast<std::size_t>(b)] <= step) add(b);
}

template <class T>
void add_last_grad(const Workspace<T>& w, const T* dlast, T* dh) {
  const std::int64_t U = w.p.U;
  for (std::int64_t b = 0; b < w.p.B; ++b) {
    if (w.plan.first[static_cast<std::size_t>(b)] >= w.p.T) continue;
    for (std::int64_t j = 0; j < U; ++j) dh[b * U + j] += dlast[b * U + j];
  }
}

template <class T>
void scatter_prev_grad(const Workspace<T>& w, Block blk, const T* tmp, T* dh) {
  const std::int64_t U = w.p.U;
  const T* d = w.rdrop.defined() ? w.rdrop.template data<T>() : nullptr;
  parallel_for(blk.n(), row_grain(U), [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      std::int64_t b = w.plan.row[static_cast<std::size_t>(blk.lo + i)];
      const T* src = tmp + i * U;
      T* dst = dh + b * U;
      if (d) {
        const T* db = d + b * U;
        for (std::int64_t j = 0; j < U; ++j) dst[j] += src[j] * db[j];
      } else {
        for (std::int64_t j = 0; j < U; ++j) dst[j] += src[j];
      }
    }
  });
}

// The bias gradient sums one row per real token: pairwise over the rows and in double
// (as the reductions do), since summed one by one in float32 it drifts by ~1% over 1e6 tokens.
template <class T>
LAMINA_CPU_CLONES void column_sums(const T* a, std::int64_t n, std::int64_t cols, std::int64_t ld, T* out) {
  auto plus = [](double x, double y) { return x + y; };
  ColumnPairwise<double, decltype(plus)> sums(cols, 0.0, plus);
  for (std::int64_t k = 0; k < n; ++k) {
    const T* r = a + k * ld;
    double* b = sums.block();
    for (std::int64_t j = 0; j < cols; ++j) b[j] += static_cast<double>(r[j]);
    sums.end_row();
  }
  std::vector<double> total(static_cast<std::size_t>(cols));
  sums.result(total.data());
  for (std::int64_t j = 0; j < cols; ++j) out[j] = static_cast<T>(total[static_cast<std::size_t>(j)]);
}

template <class T>
void input_side_grads(const Workspace<T>& w, const T* dp, T* dx, T* dW, T* db) {
  const Problem& p = w.p;
  const std::int64_t F = p.F, GU = p.GU(), N = w.plan.N;
  if (dW) gemm<T>(true, false, F, GU, N, w.xp.data, F, dp, GU, T(0), dW, GU);
  if (dW && N == 0) std::memset(dW, 0, static_cast<std::size_t>(F * GU) * sizeof(T));
  if (db) column_sums(dp, N, GU, GU, db);
  if (!dx) return;
  std::memset(dx, 0, static_cast<std::size_t>(p.B * p.T * F) * sizeof(T));  // masked steps: exactly 0
  Buffer<T> dxp(N * F);
  gemm<T>(false, true, N, F, GU, dp, GU, w.W.template data<T>(), GU, T(0), dxp.data, F);
  parallel_for(N, row_grain(F), [&](std::int64_t k0, std::int64_t k1) {
    for (std::int64_t k = k0; k < k1; ++k)
      std::memcpy(dx + w.plan.pos[static_cast<std::size_t>(k)] * F, dxp + k * F,
                  static_cast<std::size_t>(F) * sizeof(T));
  });
}

#define LAMINA_RNN_PASSES(T)                                                                                       \
  template void pack_and_project<T>(Workspace<T>&, const T*);                                                      \
  template void gather_prev<T>(Workspace<T>&, Block, const T*);                                                    \
  template void fill_inactive_outputs<T>(const Workspace<T>&, T*);                                                 \
  template void last_output<T>(const Workspace<T>&, const T*, T*);                                                 \
  template void add_output_grad<T>(const Workspace<T>&, std::int64_t, Block, std::int64_t, std::int64_t, const T*, \
                                   T*);                                                                            \
  template void add_last_grad<T>(const Workspace<T>&, const T*, T*);                                               \
  template void scatter_prev_grad<T>(const Workspace<T>&, Block, const T*, T*);                                    \
  template void column_sums<T>(const T*, std::int64_t, std::int64_t, std::int64_t, T*);                            \
  template void input_side_grads<T>(const Workspace<T>&, const T*, T*, T*, T*);
LAMINA_RNN_PASSES(float)
LAMINA_RNN_PASSES(double)
#undef LAMINA_RNN_PASSES

}  // namespace lamina::detail::rnn
