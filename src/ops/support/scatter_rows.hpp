#pragma once
// Internal: rows added into rows by index -- the gradient of gather (an Embedding's
// gradient), where one target row can receive thousands of rows (a frequent token, the
// padding id). Added one by one in float32 such a row drifts by ~1% over 1e6 additions,
// so each target row is summed pairwise, in double, from its sources in index order.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/parallel.hpp"
#include "ops/support/pairwise.hpp"

namespace lamina::detail {

// For every o < outer and i < nidx: out row (o * n + target[i]) += src row (o * nidx + i),
// rows of `inner` elements. `out` holds zeros on entry; every target[i] is in [0, n).
// Deterministic: a target's sources are summed in increasing i whatever the thread count.
template <class T, class Index>
void scatter_add_rows(const T* src, const Index* target, std::int64_t outer, std::int64_t nidx, std::int64_t n,
                      std::int64_t inner, T* out) {
  if (outer == 0 || nidx == 0 || inner == 0) return;
  // Sources grouped by target (a counting sort, stable): order[first[k] .. first[k + 1]).
  std::vector<std::int64_t> first(static_cast<std::size_t>(n + 1), 0), order(static_cast<std::size_t>(nidx));
  for (std::int64_t i = 0; i < nidx; ++i) ++first[static_cast<std::size_t>(target[i]) + 1];
  for (std::int64_t k = 0; k < n; ++k) first[static_cast<std::size_t>(k + 1)] += first[static_cast<std::size_t>(k)];
  {
    std::vector<std::int64_t> next(first.begin(), first.end() - 1);
    for (std::int64_t i = 0; i < nidx; ++i)
      order[static_cast<std::size_t>(next[static_cast<std::size_t>(target[i])]++)] = i;
  }
  // One task per (o, target row): each writes only its own row.
  const std::int64_t per_row = std::max<std::int64_t>(1, nidx / std::max<std::int64_t>(n, 1)) * inner;
  parallel_for(outer * n, std::max<std::int64_t>(1, (1 << 15) / per_row), [&](std::int64_t b, std::int64_t e) {
    auto plus = [](double x, double y) { return x + y; };
    ColumnPairwise<double, decltype(plus)> rows(inner, 0.0, plus);
    std::vector<double> total(static_cast<std::size_t>(inner));
    for (std::int64_t t = b; t < e; ++t) {
      const std::int64_t o = t / n, k = t % n;
      const std::int64_t lo = first[static_cast<std::size_t>(k)], hi = first[static_cast<std::size_t>(k + 1)];
      if (lo == hi) continue;  // no source: stays 0
      T* d = out + t * inner;
      auto row = [&](std::int64_t s) { return src + (o * nidx + order[static_cast<std::size_t>(s)]) * inner; };
      if (hi - lo == 1) {
        std::copy(row(lo), row(lo) + inner, d);
        continue;
      }
      for (std::int64_t s = lo; s < hi; ++s) {
        const T* r = row(s);
        double* acc = rows.block();
        for (std::int64_t j = 0; j < inner; ++j) acc[j] += static_cast<double>(r[j]);
        rows.end_row();
      }
      rows.result(total.data());
      for (std::int64_t j = 0; j < inner; ++j) d[j] = static_cast<T>(total[static_cast<std::size_t>(j)]);
    }
  });
}

}  // namespace lamina::detail
