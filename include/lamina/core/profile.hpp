#pragma once
// Where a training step's time goes: a switchable account of the time spent in the kernels
// that do the arithmetic (BLAS GEMMs, the fused recurrent kernels, optimizer updates, the
// fused dense op's bias and activation passes), so that the rest -- the framework's own
// cost -- can be measured (bench/train_step).
//
// Off by default; when off, a scope costs one relaxed atomic load. Only the outermost scope
// on a thread counts (a GEMM inside a recurrent kernel is part of that kernel's time).
#include <cstdint>

namespace lamina::profile {

// Dense: lm::dense's passes around its GEMM (the bias, relu, and in the backward the gate
// and the bias gradient) -- Dense's part of the arithmetic, as a recurrent kernel's time
// includes its gate activations.
enum class Kind : int { Gemm, Recurrent, Optimizer, Dense };
inline constexpr int kKinds = 4;

void enable(bool on);
bool enabled();
void reset();
// Seconds accumulated per kind since the last reset().
double seconds(Kind kind);

class Scope {
 public:
  explicit Scope(Kind kind);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Kind kind_;
  bool active_ = false;         // profiling was on: this scope holds a depth level
  std::int64_t start_ns_ = -1;  // -1: not timed (nested in another scope)
};

}  // namespace lamina::profile
