// transpose: a strided gather of the input; the mask is permuted with it (widened first
// when the masked axes would no longer lead); the gradient is the inverse permutation.
#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/shape_util.hpp"
#include "ops/support/strided.hpp"
#include "core/attrs.hpp"

namespace lamina {

namespace {

using detail::list_str;
using detail::StridedView;

// ---- transpose ---------------------------------------------------------------------------

Axes resolve_perm(const Axes& perm, std::int64_t rank, const Shape& shape) {
  Axes p;
  if (perm.empty()) {
    for (std::int64_t i = rank - 1; i >= 0; --i) p.push_back(i);
    return p;
  }
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  bool ok = static_cast<std::int64_t>(perm.size()) == rank;
  for (std::size_t i = 0; ok && i < perm.size(); ++i) {
    std::int64_t a = perm[i] < 0 ? perm[i] + rank : perm[i];
    ok = a >= 0 && a < rank && !seen[static_cast<std::size_t>(a)];
    if (ok) seen[static_cast<std::size_t>(a)] = true;
    p.push_back(a);
  }
  if (!ok)
    throw ShapeError({.op = "transpose",
                      .problem = "the permutation must list every axis exactly once",
                      .expected = fmt::format("a permutation of the {} axes 0..{} (negative axes count from the end)",
                                              rank, rank - 1),
                      .found = fmt::format("perm {} for a tensor of shape {}", list_str(perm), shape.str()),
                      .hint = "e.g. {1, 0, 2} swaps the first two axes of a rank-3 tensor"});
  return p;
}

// The mask of a transposed tensor covers its first K axes, for the least K >= mask_rank
// whose axes come from input axes 0..K-1 (then the mask, widened to K axes, is permuted
// with them). K = rank when the masked axes would otherwise no longer lead.
std::int64_t transposed_mask_rank(const Axes& perm, std::int64_t mask_rank) {
  if (mask_rank < 0) return -1;
  std::int64_t highest = -1;
  for (std::int64_t k = 0;; ++k) {
    if (k >= mask_rank && highest == k - 1) return k;
    highest = std::max(highest, perm[static_cast<std::size_t>(k)]);
  }
}

StridedView permuted_view(const Shape& in, const Axes& perm, std::int64_t n) {
  std::vector<std::int64_t> st = contiguous_strides(in);
  StridedView v;
  std::vector<std::int64_t> dims;
  for (std::int64_t i = 0; i < n; ++i) {
    dims.push_back(in[perm[static_cast<std::size_t>(i)]]);
    v.strides.push_back(st[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])]);
  }
  v.shape = Shape(dims);
  return v;
}

}  // namespace

// ---- transpose -----------------------------------------------------------------------------

Tensor transpose(const Tensor& x, const Axes& perm) {
  OpScope scope("transpose");
  detail::require_defined(x, "transpose");
  Axes p = resolve_perm(perm, x.rank(), x.shape());
  std::vector<std::int64_t> dims;
  for (auto a : p) dims.push_back(x.shape()[a]);
  Shape out_shape(dims);
  std::int64_t mrank = transposed_mask_rank(p, x.mask_rank());
  if (x.is_symbolic())
    return symbolic_op("transpose", {x}, TensorSpec{out_shape, x.dtype(), mrank},
                       [p](const TensorList& in) { return transpose(in[0], p); },
                       nlohmann::json{{"perm", p}}.dump());
  bool identity = true;
  for (std::size_t i = 0; i < p.size(); ++i) identity = identity && p[i] == static_cast<std::int64_t>(i);
  if (identity) return x;
  Tensor out = detail::gather_view(x, permuted_view(x.shape(), p, x.rank()));
  if (mrank >= 0) {
    Tensor m = mrank == x.mask_rank() ? x.mask() : detail::mask_to_rank(x, mrank);
    detail::set_mask(out, detail::gather_view(m, permuted_view(m.shape(), p, mrank)));
  }
  if (recording_active()) {
    Axes inverse(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) inverse[static_cast<std::size_t>(p[i])] = static_cast<std::int64_t>(i);
    record_gradient("transpose", {x}, {out}, [inverse](const TensorList& g, const std::vector<bool>&) {
      return TensorList{transpose(g[0], inverse)};
    });
  }
  return out;
}

}  // namespace lamina
