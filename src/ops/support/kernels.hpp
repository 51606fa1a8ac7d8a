#pragma once
// Internal: elementwise kernel drivers. Ops supply a functor; these handle broadcasting,
// contiguous fast paths (auto-vectorised) and threading. Functors must not throw.
#include <array>
#include <cstdint>

#include "core/parallel.hpp"
#include "lamina/core/tensor.hpp"
#include "ops/support/broadcast.hpp"

namespace lamina::detail {

// Elements per thread chunk: below this, threading costs more than it saves.
inline constexpr std::int64_t kElementwiseGrain = 1 << 15;

// Calls run(out_offset, in_offsets, count, in_inner_strides) over flat output range
// [begin, end) of `plan` (output is contiguous, so its inner stride is 1).
template <std::size_t N, class Run>
void for_each_run(const BroadcastPlan& plan, std::int64_t begin, std::int64_t end, Run&& run) {
  const auto rank = static_cast<std::int64_t>(plan.dims.size());
  const std::int64_t inner = plan.dims.back();
  if (inner == 0) return;
  std::array<std::int64_t, N> inner_stride{};
  for (std::size_t k = 0; k < N; ++k) inner_stride[k] = plan.strides[k].back();
  std::int64_t flat = begin;
  while (flat < end) {
    std::int64_t row = flat / inner, col = flat % inner;
    std::int64_t count = std::min(inner - col, end - flat);
    std::array<std::int64_t, N> off{};
    std::int64_t rem = row;
    for (std::int64_t d = rank - 2; d >= 0; --d) {
      std::int64_t idx = rem % plan.dims[static_cast<std::size_t>(d)];
      rem /= plan.dims[static_cast<std::size_t>(d)];
      for (std::size_t k = 0; k < N; ++k) off[k] += idx * plan.strides[k][static_cast<std::size_t>(d)];
    }
    for (std::size_t k = 0; k < N; ++k) off[k] += col * inner_stride[k];
    run(flat, off, count, inner_stride);
    flat += count;
  }
}

// out = fn(x) elementwise; x is read as In, out written as Out.
template <class In, class Out, class Fn>
Tensor map_unary(const Tensor& x, DType out_dtype, Fn fn) {
  Tensor out = empty(x.shape(), out_dtype);
  const In* src = x.data<In>();
  Out* dst = mutable_data<Out>(out);
  parallel_for(out.numel(), kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) dst[i] = fn(src[i]);
  });
  return out;
}

// out = fn(a, b) with broadcasting to `out_shape`; a and b are read as In.
template <class In, class Out, class Fn>
Tensor map_binary(const Tensor& a, const Tensor& b, const Shape& out_shape, DType out_dtype, Fn fn) {
  Tensor out = empty(out_shape, out_dtype);
  const In* pa = a.data<In>();
  const In* pb = b.data<In>();
  Out* po = mutable_data<Out>(out);
  if (a.shape() == out_shape && b.shape() == out_shape) {  // the common, vectorisable case
    parallel_for(out.numel(), kElementwiseGrain, [&](std::int64_t s, std::int64_t e) {
      for (std::int64_t i = s; i < e; ++i) po[i] = fn(pa[i], pb[i]);
    });
    return out;
  }
  BroadcastPlan plan = make_broadcast_plan(out_shape, {a.shape(), b.shape()});
  parallel_for(plan.numel, kElementwiseGrain, [&](std::int64_t s, std::int64_t e) {
    for_each_run<2>(plan, s, e,
                    [&](std::int64_t o, const std::array<std::int64_t, 2>& off, std::int64_t n,
                        const std::array<std::int64_t, 2>& st) {
                      const In* xa = pa + off[0];
                      const In* xb = pb + off[1];
                      Out* y = po + o;
                      if (st[0] == 1 && st[1] == 1) {
                        for (std::int64_t i = 0; i < n; ++i) y[i] = fn(xa[i], xb[i]);
                      } else if (st[0] == 1 && st[1] == 0) {
                        const In vb = *xb;
                        for (std::int64_t i = 0; i < n; ++i) y[i] = fn(xa[i], vb);
                      } else if (st[0] == 0 && st[1] == 1) {
                        const In va = *xa;
                        for (std::int64_t i = 0; i < n; ++i) y[i] = fn(va, xb[i]);
                      } else {
                        for (std::int64_t i = 0; i < n; ++i) y[i] = fn(xa[i * st[0]], xb[i * st[1]]);
                      }
                    });
  });
  return out;
}

// out = fn(c, a, b) with broadcasting; c read as C, a and b as In.
template <class C, class In, class Out, class Fn>
Tensor map_ternary(const Tensor& c, const Tensor& a, const Tensor& b, const Shape& out_shape, DType out_dtype, Fn fn) {
  Tensor out = empty(out_shape, out_dtype);
  const C* pc = c.data<C>();
  const In* pa = a.data<In>();
  const In* pb = b.data<In>();
  Out* po = mutable_data<Out>(out);
  BroadcastPlan plan = make_broadcast_plan(out_shape, {c.shape(), a.shape(), b.shape()});
  parallel_for(plan.numel, kElementwiseGrain, [&](std::int64_t s, std::int64_t e) {
    for_each_run<3>(plan, s, e,
                    [&](std::int64_t o, const std::array<std::int64_t, 3>& off, std::int64_t n,
                        const std::array<std::int64_t, 3>& st) {
                      for (std::int64_t i = 0; i < n; ++i)
                        po[o + i] = fn(pc[off[0] + i * st[0]], pa[off[1] + i * st[1]], pb[off[2] + i * st[2]]);
                    });
  });
  return out;
}

}  // namespace lamina::detail
