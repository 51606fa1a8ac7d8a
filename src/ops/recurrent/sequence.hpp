#pragma once
// Internal: the machinery the fused recurrent ops share -- the step plan (which rows are
// active at each step), workspaces, BLAS calls, activations, and the passes every cell
// needs (packing inputs, the input projection, gathering previous states, filling masked
// outputs, and the weight gradients at the end of the backward).
//
// Layout. Rows active at step s (processing order) are packed contiguously, step after
// step: packed row k in [offset[s], offset[s+1]) is batch row row[k] at step s. The input
// projection, the gate buffers, and the previous states of active rows all use this
// layout, so each step's recurrent GEMM works on one contiguous block of active rows and
// padded positions are never touched.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "lamina/core/storage.hpp"
#include "lamina/core/tensor.hpp"
#include "lamina/ops/recurrent.hpp"

namespace lamina::detail::rnn {

enum class Cell { Simple, LSTM, GRU };
// Every fused activation's derivative is a function of its output (the backward pass keeps
// outputs, not pre-activations), which is why swish/gelu are not among them.
enum class Act : std::uint8_t { Linear, Tanh, Sigmoid, HardSigmoid, Relu, Softsign, Elu, Selu, Exponential, Softplus };

// By name; ValueError listing the fused activations otherwise.
Act parse_activation(const std::string& name, const char* option);
bool is_fused_activation(const std::string& name);

// Sizes and options of one call, decided before any data is touched.
struct Problem {
  Cell cell = Cell::LSTM;
  DType dtype = Float32;
  std::int64_t B = 0, T = 0, F = 0, U = 0, G = 1;
  Act act = Act::Tanh, rec_act = Act::Sigmoid;
  bool go_backwards = false, return_sequences = false, zero_output_for_mask = false, reset_after = true;
  std::int64_t GU() const { return G * U; }
};

struct StepPlan {
  std::int64_t N = 0;                // active (row, step) pairs: the real tokens
  std::vector<std::int64_t> offset;  // T + 1 packed offsets
  std::vector<std::int32_t> row;     // packed index -> batch row
  std::vector<std::int64_t> pos;     // packed index -> row * T + time (its place in x)
  std::vector<std::int64_t> first;   // per batch row: first active step (T if none)
  std::int64_t time(std::int64_t step, std::int64_t T, bool backwards) const { return backwards ? T - 1 - step : step; }
};
// `mask` is (B, T) row-major, nonzero = valid, or null (all valid).
StepPlan make_plan(const char* mask, std::int64_t B, std::int64_t T, bool backwards);

// Uninitialised, aligned scratch memory from the caching allocator.
template <class T>
struct Buffer {
  std::shared_ptr<Storage> storage;
  T* data = nullptr;
  Buffer() = default;
  explicit Buffer(std::int64_t n)
      : storage(Storage::allocate(static_cast<std::size_t>(n > 0 ? n : 1) * sizeof(T))),
        data(static_cast<T*>(storage->data())) {}
  T* operator+(std::int64_t k) const { return data + k; }
};

// Workspaces of one call. The forward fills them; the backward (when a tape records the
// call) reads them, so they live as long as the recorded closure.
template <class T>
struct Workspace {
  Problem p;
  StepPlan plan;
  Tensor x, W, R, b, rdrop;  // inputs (kept alive; b and rdrop may be undefined)
  Buffer<T> xp;              // (N, F) inputs of the active rows
  Buffer<T> gates;           // (N, G*U) pre-activations, then activated gates
  // (N, U) h_{t-1} of the active rows (times recurrent dropout): each step gathers its rows
  // here and multiplies this block by R. It doubles as the history dR needs, so rows are
  // copied even when the active rows are a prefix (a copy of U per row, against 2 U G U
  // flops of the GEMM).
  Buffer<T> hprev;
  Buffer<T> aux1, aux2;  // cell-specific saved values (see each cell)
};

// Flushes denormals to zero (FTZ/DAZ) on this thread and on the OpenMP pool -- which the
// BLAS threads come from -- while alive. Gradients that vanish over long sequences reach
// the denormal range, where x86 arithmetic is 10-100x slower (measured: 3.8x on a whole
// GRU training pass); values that small are zero for any purpose here. TensorFlow flushes
// denormals around every op for the same reason.
class FlushDenormals {
 public:
  FlushDenormals();
  ~FlushDenormals();
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_ = 0;
  int threads_ = 1;
};

// ---- BLAS (row-major) ----
// C(m, n) = op(A) op(B) + beta * C (a GEMV when m == 1)
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda,
          const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc);

// ---- activations over contiguous spans (vectorised in float32) ----
template <class T>
void activate(Act a, T* v, std::int64_t n);
// g[i] *= act'(y[i]) where y = act(x): every supported derivative is a function of y.
template <class T>
void scale_by_derivative(Act a, const T* y, T* g, std::int64_t n);

// ---- shared passes ----
// xp <- x[row, time] for every packed row; gates <- input bias, then += xp @ W.
template <class T>
void pack_and_project(Workspace<T>& w, const T* input_bias);
// Packed rows [lo, hi) of `step` whose batch row is in [b0, b1) (rows are ascending
// within a step, so they are contiguous).
struct Block {
  std::int64_t lo = 0, hi = 0;
  std::int64_t n() const { return hi - lo; }
};
Block step_block(const StepPlan& plan, std::int64_t step, std::int64_t b0, std::int64_t b1);
// Splits the batch rows into contiguous ranges holding about equal numbers of real tokens,
// one per thread, and runs body(b0, b1) on each. Rows are independent sequences, so each
// thread runs all steps of its rows without waiting for the other: no fork/join per step,
// which matters most when the cores are shared. BLAS calls inside run single-threaded.
// The body must not throw and must not allocate (scratch is allocated before).
void for_row_chunks(const StepPlan& plan, std::int64_t B, const std::function<void(std::int64_t, std::int64_t)>& body);

// hprev rows of `blk` <- h[row] (times the recurrent dropout of that row).
template <class T>
void gather_prev(Workspace<T>& w, Block blk, const T* h);
// Writes the outputs of inactive positions of y (B, T, U) (active ones were written by
// the steps): the previous output of the row, or 0 before its first step / with
// zero_output_for_mask.
template <class T>
void fill_inactive_outputs(const Workspace<T>& w, T* y);
// Last output (B, U): h for rows that had a valid step, 0 otherwise.
template <class T>
void last_output(const Workspace<T>& w, const T* h, T* out);
// dH[b] += dY[b, step] for rows b in [b0, b1) whose output at `step` depends on the state
// (`blk` holds the rows active at the step).
template <class T>
void add_output_grad(const Workspace<T>& w, std::int64_t step, Block blk, std::int64_t b0, std::int64_t b1, const T* dy,
                     T* dh);
// dH[b] += dLast[b] for rows with a valid step.
template <class T>
void add_last_grad(const Workspace<T>& w, const T* dlast, T* dh);
// dH[row] += tmp (n, U) for the rows of `blk`, times the recurrent dropout.
template <class T>
void scatter_prev_grad(const Workspace<T>& w, Block blk, const T* tmp, T* dh);
// From dP (N, G*U), the gradient of the gate pre-activations on the input side: dx
// (B, T, F) (zero at masked steps), dW (F, G*U), and column sums into db (may be null).
template <class T>
void input_side_grads(const Workspace<T>& w, const T* dp, T* dx, T* dW, T* db);
// Column sums of a (N, cols) block with leading dimension ld, into out (cols).
template <class T>
void column_sums(const T* a, std::int64_t n, std::int64_t cols, std::int64_t ld, T* out);

// Elements of work per thread chunk in the row passes. A step's gate pass at batch 64 (64
// rows of 4 * 256 gates) stays on one thread: a fork/join per step costs more than it
// saves, and far more when the cores are shared.
inline constexpr std::int64_t kRowPassGrain = std::int64_t{1} << 17;
// Rows per parallel chunk for a pass doing `width` elements of work per row.
inline std::int64_t row_grain(std::int64_t width) {
  return std::max<std::int64_t>(1, kRowPassGrain / std::max<std::int64_t>(width, 1));
}

// ---- the cells: forward fills outputs and states; backward consumes gradients ----
// y: (B, T, U) when return_sequences (else null); h (and c) start as the initial states.
template <class T>
void simple_forward(Workspace<T>& w, T* h, T* y);
template <class T>
void lstm_forward(Workspace<T>& w, T* h, T* c, T* y);
template <class T>
void gru_forward(Workspace<T>& w, T* h, T* y);

// dh (and dc) start as the gradients of the final states (plus the last output) and end
// as the gradients of the initial states. dy: (B, T, U) or null.
struct Grads {
  void* dx = nullptr;  // (B, T, F)
  void* dW = nullptr;  // (F, G*U)
  void* dR = nullptr;  // (U, G*U)
  void* db = nullptr;  // bias shape, or null when there is no bias
};
template <class T>
void simple_backward(Workspace<T>& w, const T* dy, T* dh, const Grads& g);
template <class T>
void lstm_backward(Workspace<T>& w, const T* dy, T* dh, T* dc, const Grads& g);
template <class T>
void gru_backward(Workspace<T>& w, const T* dy, T* dh, const Grads& g);

// ---- checks and spec inference (concrete or symbolic inputs) ----
struct SequenceInputs {
  Tensor x, mask, h0, c0, W, R, b, rdrop;  // all but x, W, R may be undefined
};
Problem infer_problem(Cell cell, const SequenceInputs& in, const RecurrentOptions& options);
// A (B, T) or (B,) Bool mask; MaskError for masks over features, DTypeError for non-Bool.
void check_mask(const Tensor& mask, const Problem& p);
// {output, h} or {output, h, c}.
std::vector<TensorSpec> output_specs(const Problem& p, bool masked);

// The op driver shared by the three public ops: checks and spec inference, the symbolic
// path, the kernels and the gradient record. `op` must be a string literal.
TensorList run_sequence(const char* op, Cell cell, const SequenceInputs& inputs, const RecurrentOptions& options);

}  // namespace lamina::detail::rnn
