#pragma once
// Template implementation of reduce_values (included by reduce_plan.hpp).
#include "core/parallel.hpp"
#include "ops/support/broadcast.hpp"

namespace lamina::detail {

template <class In, class Acc, class Combine>
std::vector<Acc> reduce_values(const Tensor& x, const ReducePlan& plan, Acc init, Combine combine,
                               std::vector<std::int64_t>* counts) {
  static_assert(!std::is_same_v<Acc, bool>, "std::vector<bool> packs bits: threads would race; use std::uint8_t");
  const std::int64_t out_n = plan.kept_shape.numel();
  std::vector<Acc> acc(static_cast<std::size_t>(out_n), init);
  if (counts) counts->assign(static_cast<std::size_t>(out_n), 0);
  const In* src = x.data<In>();
  const MaskView mv = plan.over_masked_axis ? mask_view(x) : MaskView{};
  const Shape& s = x.shape();
  const std::int64_t n = x.numel();
  if (n == 0) return acc;

  // Fast path: the reduced axes are exactly the trailing ones -> each output reduces one
  // contiguous run; outputs are independent, so split them across threads.
  std::int64_t first = static_cast<std::int64_t>(plan.reduced.size());
  while (first > 0 && plan.reduced[static_cast<std::size_t>(first - 1)]) --first;
  bool trailing = true;
  for (std::int64_t a = 0; a < first; ++a) trailing = trailing && !plan.reduced[static_cast<std::size_t>(a)];
  // Accumulates src[begin, end) into *a, skipping masked entries a mask row at a time
  // (validity is constant over runs of mv.inner elements, so no per-element division).
  auto reduce_run = [&](std::int64_t begin, std::int64_t end, Acc& a, std::int64_t& c) {
    if (mv.mask == nullptr) {
      for (std::int64_t i = begin; i < end; ++i) a = combine(a, src[i]);
      c += end - begin;
      return;
    }
    for (std::int64_t i = begin; i < end;) {
      std::int64_t stop = std::min(end, (i / mv.inner + 1) * mv.inner);
      if (mv.valid(i)) {
        for (std::int64_t k = i; k < stop; ++k) a = combine(a, src[k]);
        c += stop - i;
      }
      i = stop;
    }
  };
  if (trailing) {
    const std::int64_t run = n / out_n;
    parallel_for(out_n, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(run, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   for (std::int64_t o = b; o < e; ++o) {
                     Acc a = init;
                     std::int64_t c = 0;
                     reduce_run(o * run, (o + 1) * run, a, c);
                     acc[static_cast<std::size_t>(o)] = a;
                     if (counts) (*counts)[static_cast<std::size_t>(o)] = c;
                   }
                 });
    return acc;
  }
  // Block path: the reduced axes are one contiguous block [a0, a1) with kept axes after it,
  // i.e. the input is (outer, reduced, inner): pooling over time of (B, T, F). Each outer
  // index owns its inner outputs, so outer indices are split across threads, and the inner
  // loop runs over contiguous features.
  std::int64_t a0 = 0;
  while (a0 < s.rank() && !plan.reduced[static_cast<std::size_t>(a0)]) ++a0;
  std::int64_t a1 = a0;
  while (a1 < s.rank() && plan.reduced[static_cast<std::size_t>(a1)]) ++a1;
  bool block = a1 < s.rank();
  for (std::int64_t a = a1; a < s.rank(); ++a) block = block && !plan.reduced[static_cast<std::size_t>(a)];
  if (block) {
    std::int64_t outer = 1, red = 1, inner = 1;
    for (std::int64_t a = 0; a < a0; ++a) outer *= s[a];
    for (std::int64_t a = a0; a < a1; ++a) red *= s[a];
    for (std::int64_t a = a1; a < s.rank(); ++a) inner *= s[a];
    const bool row_validity = mv.mask == nullptr || mv.inner % inner == 0;
    parallel_for(outer, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(red * inner, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   for (std::int64_t o = b; o < e; ++o) {
                     Acc* a = acc.data() + o * inner;
                     std::int64_t* c = counts ? counts->data() + o * inner : nullptr;
                     for (std::int64_t r = 0; r < red; ++r) {
                       const std::int64_t base = (o * red + r) * inner;
                       if (row_validity) {
                         if (!mv.valid(base)) continue;
                         for (std::int64_t j = 0; j < inner; ++j) a[j] = combine(a[j], src[base + j]);
                         if (c)
                           for (std::int64_t j = 0; j < inner; ++j) ++c[j];
                       } else {
                         for (std::int64_t j = 0; j < inner; ++j) {
                           if (!mv.valid(base + j)) continue;
                           a[j] = combine(a[j], src[base + j]);
                           if (c) ++c[j];
                         }
                       }
                     }
                   }
                 });
    return acc;
  }
  // General path: walk the input once, accumulating into the output each element maps to.
  BroadcastPlan bp = make_broadcast_plan(s, {plan.kept_shape});
  for_each_run<1>(bp, 0, n,
                  [&](std::int64_t i0, const std::array<std::int64_t, 1>& off, std::int64_t cnt,
                      const std::array<std::int64_t, 1>& st) {
                    for (std::int64_t k = 0; k < cnt; ++k) {
                      std::int64_t i = i0 + k;
                      if (!mv.valid(i)) continue;
                      auto o = static_cast<std::size_t>(off[0] + k * st[0]);
                      acc[o] = combine(acc[o], src[i]);
                      if (counts) ++(*counts)[o];
                    }
                  });
  return acc;
}

}  // namespace lamina::detail
