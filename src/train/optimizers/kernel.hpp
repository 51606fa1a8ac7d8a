#pragma once
// Internal: the one-pass update loop every built-in optimizer's rule runs in.
//
// update_elementwise<T, N>(u, slots, rule) reads the gradient, the variable and its N slots
// once, calls rule(g, w, s) per element -- g the clipped gradient, w the variable after
// weight decay, s the slot values, all as locals the rule updates -- and writes the results
// over the variable's and the slots' own buffers when nothing else holds them (see
// update_target), or into fresh buffers assigned afterwards. No allocation per element,
// no tensor ops; elementwise, so the result does not depend on the thread count.
#include <array>
#include <cmath>
#include <cstdint>

#include "core/cpu_clones.hpp"
#include "core/parallel.hpp"
#include "lamina/core/dtype.hpp"
#include "lamina/core/tensor.hpp"
#include "lamina/core/variable.hpp"
#include "lamina/train/optimizer.hpp"
#include "lamina/train/optimizers.hpp"

namespace lamina::optimizers::detail {

inline constexpr std::int64_t kUpdateGrain = 1 << 14;

// max that propagates NaN from either side, like Keras's ops.maximum.
template <class T>
inline T nan_max(T a, T b) {
  return (a < b || b != b) ? b : a;
}

enum class GradMode { Plain, Scale, Clamp };

// Elements [begin, end): compiled per ISA (AVX-512, AVX2, baseline), picked at load time.
template <class T, GradMode M, bool Decay, std::size_t N, class Rule>
LAMINA_CPU_CLONES void update_range(std::int64_t begin, std::int64_t end, const T* grad, const T* w_in, T* w_out,
                                    std::array<const T*, N> in, std::array<T*, N> out, T scale, T clip, T decay,
                                    Rule rule) {
  // Arguments by value: locals the stores below cannot change. Each output is a fresh buffer
  // or its own input, element for element: no iteration reads what another one writes,
  // which ivdep tells the vectorizer (it gives up on the run-time overlap checks of this
  // many pointers otherwise).
#pragma GCC ivdep
  for (std::int64_t i = begin; i < end; ++i) {
    T g = grad[i];
    if constexpr (M == GradMode::Scale) g = g * scale;
    // min(max(g, -c), c) keeps NaN, as Keras's ops.clip.
    if constexpr (M == GradMode::Clamp) g = std::min(std::max(g, -clip), clip);
    T w = w_in[i];
    if constexpr (Decay) w = w - w * decay;  // Keras: variable - variable * wd * lr
    std::array<T, N> s;
    for (std::size_t k = 0; k < N; ++k) s[k] = in[k][i];
    rule(g, w, s);
    w_out[i] = w;
    for (std::size_t k = 0; k < N; ++k) out[k][i] = s[k];
  }
}

template <class T, GradMode M, bool Decay, std::size_t N, class Rule>
void update_loop(std::int64_t n, const T* grad, const T* w_in, T* w_out, const std::array<const T*, N>& s_in,
                 const std::array<T*, N>& s_out, T scale, T clip, T wd, T lr, const Rule& rule) {
  lamina::detail::parallel_for(n, kUpdateGrain, [&](std::int64_t begin, std::int64_t end) {
    update_range<T, M, Decay, N, Rule>(begin, end, grad, w_in, w_out, s_in, s_out, scale, clip, wd * lr, rule);
  });
}

// Where a variable's new value goes. `current` is the caller's copy of var.value(). When the
// variable is all that holds that tensor and its storage -- the usual training step, the
// tape that read it being gone -- the update writes over it: a step then allocates and
// page-faults nothing for its weights. Otherwise (a tensor kept from var.value(), a live
// tape, a gradient sharing the storage) `fresh` gets a new buffer, assigned after the loop,
// so that no tensor anyone holds changes under them.
template <class T>
T* update_target(const Tensor& current, Tensor& fresh) {
  const auto& impl = current.impl();
  if (impl.use_count() == 2 && impl->storage && impl->storage.use_count() == 1)
    return lamina::detail::mutable_data<T>(current);
  fresh = lamina::detail::empty(current.shape(), current.dtype());
  return lamina::detail::mutable_data<T>(fresh);
}

template <class T, std::size_t N, class Rule>
void update_elementwise(const VariableUpdate& u, const std::array<Variable, N>& slots, const Rule& rule) {
  const Variable& var = u.variable;
  const Shape& shape = var.shape();
  const std::int64_t n = shape.numel();
  Tensor w_old = var.value();
  Tensor w_new;  // stays undefined when the update is in place
  std::array<Tensor, N> s_old, s_new;
  std::array<const T*, N> s_in;
  std::array<T*, N> s_out;
  for (std::size_t k = 0; k < N; ++k) {
    s_old[k] = slots[k].value();
    s_in[k] = s_old[k].template data<T>();
    s_out[k] = update_target<T>(s_old[k], s_new[k]);
  }
  const T* g = u.gradient.template data<T>();
  const T* w_in = w_old.template data<T>();
  T* w_out = update_target<T>(w_old, w_new);
  const T scale = static_cast<T>(u.grad_scale), clip = static_cast<T>(u.grad_clip);
  const T wd = static_cast<T>(u.weight_decay_rate), lr = static_cast<T>(u.learning_rate);
  auto run = [&]<GradMode M>() {
    if (u.weight_decay)
      update_loop<T, M, true, N>(n, g, w_in, w_out, s_in, s_out, scale, clip, wd, lr, rule);
    else
      update_loop<T, M, false, N>(n, g, w_in, w_out, s_in, s_out, scale, clip, wd, lr, rule);
  };
  if (u.grad_clip > 0)
    run.template operator()<GradMode::Clamp>();
  else if (u.grad_scale != 1.0)
    run.template operator()<GradMode::Scale>();
  else
    run.template operator()<GradMode::Plain>();
  if (w_new.defined()) var.assign(w_new);
  for (std::size_t k = 0; k < N; ++k)
    if (s_new[k].defined()) slots[k].assign(s_new[k]);
}

// Calls f.template operator()<T>() with T = float or double (build() admits nothing else).
template <class F>
void with_float_type(DType dtype, F&& f) {
  if (dtype == Float64)
    f.template operator()<double>();
  else
    f.template operator()<float>();
}

// The base options of an optimizer's options struct.
template <class O>
OptimizerOptions base_options(const O& o) {
  return {.weight_decay = o.weight_decay,
          .clipnorm = o.clipnorm,
          .clipvalue = o.clipvalue,
          .global_clipnorm = o.global_clipnorm,
          .name = o.name};
}

}  // namespace lamina::optimizers::detail
