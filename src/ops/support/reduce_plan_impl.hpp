#pragma once
// Template implementation of reduce_values (included by reduce_plan.hpp).
#include "core/parallel.hpp"
#include "ops/support/broadcast.hpp"

namespace lamina::detail {

template <class In, class Acc, class Combine>
std::vector<Acc> reduce_values(const Tensor& x, const ReducePlan& plan, Acc init, Combine combine,
                               std::vector<std::int64_t>* counts) {
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
  if (trailing) {
    const std::int64_t run = n / out_n;
    parallel_for(out_n, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(run, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   for (std::int64_t o = b; o < e; ++o) {
                     Acc a = init;
                     std::int64_t c = 0;
                     for (std::int64_t i = o * run; i < (o + 1) * run; ++i) {
                       if (!mv.valid(i)) continue;
                       a = combine(a, src[i]);
                       ++c;
                     }
                     acc[static_cast<std::size_t>(o)] = a;
                     if (counts) (*counts)[static_cast<std::size_t>(o)] = c;
                   }
                 });
    return acc;
  }
  // General path: walk the input once, accumulating into the output each element maps to.
  BroadcastPlan bp = make_broadcast_plan(s, {plan.kept_shape});
  for_each_run<1>(bp, 0, n, [&](std::int64_t i0, const std::array<std::int64_t, 1>& off, std::int64_t cnt,
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
