#pragma once
// Template implementation of reduce_values (included by reduce_plan.hpp).
#include <algorithm>

#include "core/parallel.hpp"
#include "ops/support/broadcast.hpp"
#include "ops/support/pairwise.hpp"
#include "ops/support/strided.hpp"

namespace lamina::detail {

// combine(acc, value) or, for a fold that depends on its group (logsumexp's shift),
// combine(acc, value, group) with the group's index in kept_shape order.
template <class Combine, class Acc, class In>
inline Acc combine_in(const Combine& combine, Acc a, In v, std::int64_t group) {
  if constexpr (std::is_invocable_v<const Combine&, Acc, In, std::int64_t>)
    return combine(a, v, group);
  else
    return combine(a, v);
}

// Reduces each of out_n contiguous runs of `run` elements of src (valid per mv) into
// acc/counts, pairwise; outputs are independent, so they are split across threads.
template <class In, class Acc, class Combine, class Merge>
void reduce_runs(const In* src, const MaskView& mv, std::int64_t out_n, std::int64_t run, Acc init, Combine combine,
                 Merge merge, std::vector<Acc>& acc, std::vector<std::int64_t>* counts) {
  parallel_for(out_n, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(run, 1)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t o = b; o < e; ++o) {
                   auto fold1 = [&combine, o](Acc a, In v) { return combine_in(combine, a, v, o); };
                   const std::int64_t begin = o * run, end = begin + run;
                   std::int64_t c = 0;
                   Acc a = init;
                   if (mv.mask == nullptr) {
                     a = pairwise_fold(src + begin, run, init, fold1, merge);
                     c = run;
                   } else if (run <= kPairwiseBlock) {
                     // One block at most: fold the valid runs (validity is constant over runs
                     // of mv.inner elements) one after another.
                     for (std::int64_t i = begin; i < end;) {
                       const std::int64_t stop = std::min(end, (i / mv.inner + 1) * mv.inner);
                       if (mv.valid(i)) {
                         a = merge(a, fold_block(src + i, stop - i, init, fold1, merge));
                         c += stop - i;
                       }
                       i = stop;
                     }
                   } else {
                     PairwiseFold<Acc, decltype(fold1), Merge> fold(init, fold1, merge);
                     for (std::int64_t i = begin; i < end;) {
                       const std::int64_t stop = std::min(end, (i / mv.inner + 1) * mv.inner);
                       if (mv.valid(i)) {
                         fold.add(src + i, stop - i);
                         c += stop - i;
                       }
                       i = stop;
                     }
                     a = fold.result();
                   }
                   acc[static_cast<std::size_t>(o)] = a;
                   if (counts) (*counts)[static_cast<std::size_t>(o)] = c;
                 }
               });
}

template <class In, class Acc, class Combine, class Merge>
std::vector<Acc> reduce_values(const Tensor& x, const ReducePlan& plan, Acc init, Combine combine, Merge merge,
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
  // contiguous run.
  std::int64_t first = static_cast<std::int64_t>(plan.reduced.size());
  while (first > 0 && plan.reduced[static_cast<std::size_t>(first - 1)]) --first;
  bool trailing = true;
  for (std::int64_t a = 0; a < first; ++a) trailing = trailing && !plan.reduced[static_cast<std::size_t>(a)];
  if (trailing) {
    reduce_runs<In>(src, mv, out_n, n / out_n, init, combine, merge, acc, counts);
    return acc;
  }
  // Block path: the reduced axes are one contiguous block [a0, a1) with kept axes after it,
  // i.e. the input is (outer, reduced, inner): pooling over time of (B, T, F). Each outer
  // index owns its inner outputs, so outer indices are split across threads; the inner
  // loop runs over contiguous features, and rows are merged pairwise (ColumnPairwise).
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
                   // Up to one block of rows folds straight into the outputs; longer axes
                   // go through the column cascade (one per thread chunk, reused).
                   const bool cascade = red > kColumnBlock;
                   ColumnPairwise<Acc, Merge> cols(cascade ? inner : 0, init, merge);
                   for (std::int64_t o = b; o < e; ++o) {
                     Acc* out = acc.data() + o * inner;
                     std::int64_t* c = counts ? counts->data() + o * inner : nullptr;
                     for (std::int64_t r = 0; r < red; ++r) {
                       Acc* a = cascade ? cols.block() : out;
                       const std::int64_t base = (o * red + r) * inner;
                       if (row_validity) {
                         if (mv.valid(base)) {
                           for (std::int64_t j = 0; j < inner; ++j)
                             a[j] = combine_in(combine, a[j], src[base + j], o * inner + j);
                           if (c)
                             for (std::int64_t j = 0; j < inner; ++j) ++c[j];
                         }
                       } else {
                         for (std::int64_t j = 0; j < inner; ++j) {
                           if (!mv.valid(base + j)) continue;
                           a[j] = combine_in(combine, a[j], src[base + j], o * inner + j);
                           if (c) ++c[j];
                         }
                       }
                       if (cascade) cols.end_row();
                     }
                     if (cascade) cols.result(out);
                   }
                 });
    return acc;
  }
  // General path (several separate blocks of reduced axes): copy x with the kept axes
  // first and the reduced ones last, so every group is one contiguous run, and reduce the
  // runs. A mask is expanded to one validity flag per element and moved the same way.
  StridedView view;
  {
    std::vector<std::int64_t> stride(static_cast<std::size_t>(s.rank()), 1), dims, strides;
    for (std::int64_t a = s.rank() - 2; a >= 0; --a)
      stride[static_cast<std::size_t>(a)] = stride[static_cast<std::size_t>(a + 1)] * s[a + 1];
    for (int pass = 0; pass < 2; ++pass)
      for (std::int64_t a = 0; a < s.rank(); ++a)
        if (plan.reduced[static_cast<std::size_t>(a)] == (pass == 1)) {
          dims.push_back(s[a]);
          strides.push_back(stride[static_cast<std::size_t>(a)]);
        }
    view = StridedView{Shape(dims), strides, 0};
  }
  const Tensor moved = gather_view(x.without_mask(), view);
  Tensor valid;
  MaskView moved_mv;
  if (mv.mask != nullptr) {
    Tensor flags = empty(s, Bool);
    bool* f = mutable_data<bool>(flags);
    for (std::int64_t i = 0; i < n; ++i) f[i] = mv.valid(i);
    valid = gather_view(flags, view);
    moved_mv = MaskView{valid.data<bool>(), 1};
  }
  reduce_runs<In>(moved.data<In>(), moved_mv, out_n, n / out_n, init, combine, merge, acc, counts);
  return acc;
}

}  // namespace lamina::detail
