// sort, argsort and top_k. One ordering kernel per line of the sorted axis computes the
// permutation (valid entries first, then by value with NaN largest, ties by index); the
// values are the input gathered at it (support/along_axis: recorded, so the gradient goes
// back to the picked entries). Masked entries are replaced by 0 with a select first, so
// what they hold never reaches values or gradients.
#include "lamina/ops/sort.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "ops/support/along_axis.hpp"
#include "ops/support/dims.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/select_valid.hpp"
#include "core/attrs.hpp"

namespace lamina {

namespace {

using detail::product;

// a strictly before b in ascending order; NaN is larger than everything, NaNs are equal.
template <class T>
bool ascending(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// The total order of positions i, j of one line: valid before masked, then by value
// (descending or not), then by position -- so sorting by it is stable and top_k's ties go
// to the lower index.
template <class T, class Value, class Valid>
auto line_order(bool descending, Value value, Valid valid) {
  return [=](std::int32_t i, std::int32_t j) {
    const bool vi = valid(i), vj = valid(j);
    if (vi != vj) return vi;
    if (vi) {
      const T a = value(i), b = value(j);
      if (descending ? ascending(b, a) : ascending(a, b)) return true;
      if (descending ? ascending(a, b) : ascending(b, a)) return false;
    }
    return i < j;
  };
}

void require_axis(const Tensor& x, const char* op) {
  if (x.rank() == 0)
    throw ShapeError({.op = op,
                      .problem = "needs an axis to sort along",
                      .expected = "a tensor with at least one axis",
                      .found = fmt::format("a scalar {} of shape ()", dtype_name(x.dtype())),
                      .hint = "expand_dims(x, 0) gives it an axis"});
}

// Positions along `axis` must fit the Int32 indices (a tensor with no elements has none).
void check_length(const Tensor& x, std::int64_t axis, const char* op) {
  const std::int64_t n = x.shape()[axis];
  if (n > INT32_MAX && std::find(x.shape().begin(), x.shape().end(), 0) == x.shape().end())
    throw ValueError({.op = op,
                      .problem = "the axis is too long for Int32 indices",
                      .expected = fmt::format("at most {} entries along the axis", INT32_MAX),
                      .found = fmt::format("{} entries along axis {} of shape {}", n, axis, x.shape().str()),
                      .hint = "split the tensor along that axis, sort the parts, and merge them"});
}

// Per-element validity of x (all true without a mask), as a full-shape Bool tensor.
Tensor validity(const Tensor& x) { return detail::mask_to_rank(x, x.rank()); }

// The sorting permutation of each line of `axis` (Int32, x's shape).
Tensor sort_permutation(const Tensor& x, std::int64_t axis, bool descending) {
  const Shape& s = x.shape();
  const std::int64_t outer = product(s, 0, axis), n = s[axis], inner = product(s, axis + 1, s.rank());
  Tensor perm = detail::empty(s, Int32);
  Tensor valid = validity(x);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    const bool* pv = valid.data<bool>();
    std::int32_t* pp = detail::mutable_data<std::int32_t>(perm);
    const std::int64_t lines = outer * inner;
    detail::parallel_for(lines, std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(n, 1)),
                         [&](std::int64_t b, std::int64_t e) {
                           std::vector<std::int32_t> order(static_cast<std::size_t>(n));
                           for (std::int64_t line = b; line < e; ++line) {
                             const std::int64_t base = (line / inner) * n * inner + line % inner;
                             auto at = [&](std::int32_t t) { return base + t * inner; };
                             std::iota(order.begin(), order.end(), 0);
                             std::sort(order.begin(), order.end(),
                                       line_order<T>(
                                           descending, [&](std::int32_t t) { return px[at(t)]; },
                                           [&](std::int32_t t) { return pv[at(t)]; }));
                             for (std::int64_t j = 0; j < n; ++j) pp[at(static_cast<std::int32_t>(j))] = order[j];
                           }
                         });
  });
  return perm;
}

// The mask of a line-sorted tensor along a masked axis: each line of the mask gets its
// valid entries first.
Tensor sorted_mask(const Tensor& m, std::int64_t axis) {
  const Shape& s = m.shape();
  const std::int64_t outer = product(s, 0, axis), n = s[axis], inner = product(s, axis + 1, s.rank());
  Tensor out = detail::empty(s, Bool);
  const bool* src = m.data<bool>();
  bool* dst = detail::mutable_data<bool>(out);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      std::int64_t count = 0;
      for (std::int64_t t = 0; t < n; ++t) count += src[(o * n + t) * inner + i] ? 1 : 0;
      for (std::int64_t t = 0; t < n; ++t) dst[(o * n + t) * inner + i] = t < count;
    }
  return out;
}

// What masked entries hold once selected away: 0 (false for Bool).
Scalar zero_of(DType dt) { return dt == Bool ? Scalar(false) : Scalar(0); }

// sort (values) or argsort (indices) of a concrete x.
Tensor sort_impl(const Tensor& x, std::int64_t a, bool descending, bool values) {
  Tensor perm = sort_permutation(x, a, descending);
  Tensor out = values ? detail::take_along("sort", detail::select_valid(x, zero_of(x.dtype())), perm, a) : perm;
  if (!values) record_cut("argsort", {x}, {out});
  if (x.has_mask()) detail::set_mask(out, a < x.mask_rank() ? sorted_mask(x.mask(), a) : x.mask());
  return out;
}

Tensor sort_op(const char* op, const Tensor& x, std::int64_t axis, bool descending, bool values) {
  detail::require_defined(x, op);
  require_axis(x, op);
  const std::int64_t a = normalize_axis(axis, x.rank(), op);
  check_length(x, a, op);
  if (x.is_symbolic())
    return symbolic_op(op, {x}, TensorSpec{x.shape(), values ? x.dtype() : Int32, x.mask_rank()},
                       [axis, descending, values](const TensorList& in) {
                         return values ? sort(in[0], axis, descending) : argsort(in[0], axis, descending);
                       },
                       nlohmann::json{{"axis", axis}, {"descending", descending}}.dump());
  return sort_impl(x, a, descending, values);
}

}  // namespace

Tensor sort(const Tensor& x, std::int64_t axis, bool descending) {
  OpScope scope("sort");
  return sort_op("sort", x, axis, descending, true);
}

Tensor argsort(const Tensor& x, std::int64_t axis, bool descending) {
  OpScope scope("argsort");
  return sort_op("argsort", x, axis, descending, false);
}

TopK top_k(const Tensor& x, std::int64_t k, bool sorted) {
  OpScope scope("top_k");
  detail::require_defined(x, "top_k");
  require_axis(x, "top_k");
  const std::int64_t last = x.rank() - 1, n = x.shape()[last];
  check_length(x, last, "top_k");
  if (k < 0 || (n >= 0 && k > n))
    throw ValueError({.op = "top_k",
                      .problem = k < 0 ? "k must not be negative" : "k is larger than the last dimension",
                      .expected = fmt::format("0 <= k <= {} (the last dimension of {})", n, x.shape().str()),
                      .found = fmt::format("k = {}", k),
                      .hint = "top_k picks k entries of each row along the last axis; transpose the axis to pick "
                              "along last, or lower k"});
  Shape out_shape = x.shape();
  out_shape[last] = k;
  // A mask over the last axis becomes a mask over the k slots; a shorter one stays.
  const std::int64_t mrank = x.mask_rank();
  if (x.is_symbolic()) {
    TensorList outs = symbolic_op("top_k", {x}, {{out_shape, x.dtype(), mrank}, {out_shape, Int32, mrank}},
                                  [k, sorted](const TensorList& in) {
                                    TopK r = top_k(in[0], k, sorted);
                                    return TensorList{r.values, r.indices};
                                  },
                                  nlohmann::json{{"k", k}, {"sorted", sorted}}.dump());
    return {outs[0], outs[1]};
  }
  const std::int64_t rows = product(x.shape(), 0, last);
  Tensor idx = detail::empty(out_shape, Int32);
  Tensor valid = validity(x);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    const bool* pv = valid.data<bool>();
    std::int32_t* pi = detail::mutable_data<std::int32_t>(idx);
    detail::parallel_for(rows, std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(n, 1)),
                         [&](std::int64_t b, std::int64_t e) {
                           std::vector<std::int32_t> order(static_cast<std::size_t>(n));
                           for (std::int64_t r = b; r < e; ++r) {
                             const T* row = px + r * n;
                             const bool* vrow = pv + r * n;
                             std::iota(order.begin(), order.end(), 0);
                             std::partial_sort(order.begin(), order.begin() + k, order.end(),
                                               line_order<T>(
                                                   true, [&](std::int32_t t) { return row[t]; },
                                                   [&](std::int32_t t) { return vrow[t]; }));
                             if (!sorted) std::sort(order.begin(), order.begin() + k);
                             std::copy(order.begin(), order.begin() + k, pi + r * k);
                           }
                         });
  });
  Tensor values = detail::take_along("top_k", detail::select_valid(x, zero_of(x.dtype())), idx, last);
  record_cut("top_k", {x}, {idx});
  if (x.has_mask()) {
    // Over the last axis: a slot is valid when the entry it picked is.
    Tensor m = mrank == x.rank() ? detail::take_along("top_k", valid, idx, last) : x.mask();
    detail::set_mask(values, m);
    detail::set_mask(idx, m);
  }
  return {values, idx};
}

}  // namespace lamina
