// scatter and scatter_add. Every index row is validated (unless masked) and turned into
// the flat offset of the slice it writes before any kernel runs. Two internal ops are
// recorded, each the other's gradient: scatter_rows (add update rows into zeros at those
// offsets) and gather_rows (read rows at them; zeros for skipped rows).
#include "lamina/ops/scatter.hpp"

#include <fmt/format.h>

#include <memory>
#include <type_traits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/elementwise.hpp"
#include "ops/support/dims.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/indices.hpp"
#include "ops/support/select_valid.hpp"
#include "ops/support/shape_util.hpp"
#include "core/attrs.hpp"

namespace lamina {

namespace {

using detail::product;
using Needs = std::vector<bool>;
// Per index row, the flat element offset of the slice it writes; -1 for a skipped row.
using Rows = std::shared_ptr<const std::vector<std::int64_t>>;

// Shapes and dtypes of the arguments; returns K, the number of coordinates per index row.
std::int64_t check_arguments(const char* op, const Tensor& indices, const Tensor& updates, const Shape& shape) {
  detail::require_index_dtype(indices, op, "indices");
  const Shape& is = indices.shape();
  if (is.rank() == 0 || is[is.rank() - 1] < 0 || is[is.rank() - 1] > shape.rank())
    throw ShapeError({.op = op,
                      .problem = "the last axis of indices must hold K coordinates, K <= the output's rank",
                      .expected = fmt::format("indices of shape (..., K) with a known K <= {} (output shape {})",
                                              shape.rank(), shape.str()),
                      .found = fmt::format("indices shape {}", is.str()),
                      .hint = "for one coordinate per update, expand_dims(indices, -1) gives K = 1"});
  const std::int64_t k = is[is.rank() - 1];
  const Shape want =
      detail::concat_dims({detail::dims_of(is, 0, is.rank() - 1), detail::dims_of(shape, k, shape.rank())});
  bool fits = updates.rank() == want.rank();
  for (std::int64_t d = 0; fits && d < want.rank(); ++d) fits = !detail::dims_clash(updates.shape()[d], want[d]);
  if (!fits)
    throw ShapeError(
        {.op = op,
         .problem = "updates must hold one row per index row",
         .expected = fmt::format("updates of shape {} (indices.shape[:-1] + output shape[{}:])", want.str(), k),
         .found = fmt::format("updates {} for indices {} into {}", updates.shape().str(), is.str(), shape.str()),
         .hint = "each index row picks an entry (K = rank) or a slice (K < rank) of the output; "
                 "its update has the shape of what it picks"});
  return k;
}

// Whether index row r takes part: not masked in indices (all K coordinates valid) nor in
// updates' mask over the row axes. Masks over updates' slice axes are selected elementwise.
std::vector<bool> valid_rows(const Tensor& indices, const Tensor& updates, std::int64_t rows) {
  std::vector<bool> valid(static_cast<std::size_t>(rows), true);
  const std::int64_t lead = indices.rank() - 1;
  const std::int64_t k = indices.shape()[lead];
  auto apply = [&](const Tensor& t, std::int64_t lead_of_t) {
    const bool* m = t.mask().data<bool>();
    const std::int64_t inner = product(t.shape(), t.mask_rank(), lead_of_t);
    for (std::int64_t r = 0; r < rows; ++r)
      if (!m[r / inner]) valid[static_cast<std::size_t>(r)] = false;
  };
  if (indices.has_mask()) {
    if (indices.mask_rank() == indices.rank()) {  // per coordinate: a row needs all of them
      const bool* m = indices.mask().data<bool>();
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < k; ++c)
          if (!m[r * k + c]) valid[static_cast<std::size_t>(r)] = false;
    } else {
      apply(indices, lead);
    }
  }
  if (updates.has_mask() && updates.mask_rank() <= lead) apply(updates, lead);
  return valid;
}

// Flat slice offsets of the rows that take part, every coordinate checked against its dim.
Rows row_offsets(const char* op, const Tensor& indices, std::int64_t k, const Shape& shape,
                 const std::vector<bool>& valid) {
  const auto rows = static_cast<std::int64_t>(valid.size());
  const std::int64_t slice = product(shape, k, shape.rank());
  auto out = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(rows), -1);
  detail::with_indices(indices, [&](const auto* ip) {
    for (std::int64_t r = 0; r < rows; ++r) {
      if (!valid[static_cast<std::size_t>(r)]) continue;
      std::int64_t f = 0;
      for (std::int64_t c = 0; c < k; ++c) {
        const auto v = static_cast<std::int64_t>(ip[r * k + c]);
        if (v < 0 || v >= shape[c])
          detail::out_of_range(op, v, r * k + c, indices.shape(), shape[c],
                               fmt::format("coordinate {} indexes axis {} of the output shape {}", c, c, shape.str()));
        f = f * shape[c] + v;
      }
      (*out)[static_cast<std::size_t>(r)] = f * slice;
    }
  });
  return out;
}

// Integers wrap around (unsigned arithmetic: no signed-overflow UB).
template <class T>
T add_wrapping(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}

Tensor gather_rows(const Tensor& g, const Rows& rows, std::int64_t slice, const Shape& upd_shape);

// Zeros of `shape` with row r of upd (mask-free, numeric) added at offset rows[r].
Tensor scatter_rows(const Tensor& upd, const Rows& rows, std::int64_t slice, const Shape& shape) {
  Tensor out = zeros(shape, upd.dtype());
  const auto nrows = static_cast<std::int64_t>(rows->size());
  visit_dtype(upd.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* src = upd.data<T>();
      T* dst = detail::mutable_data<T>(out);
      // Threads own disjoint column ranges of the slice; rows accumulate in order, so
      // repeated indices add up deterministically.
      detail::parallel_for(slice,
                           std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(nrows, 1)),
                           [&](std::int64_t b, std::int64_t e) {
                             for (std::int64_t r = 0; r < nrows; ++r) {
                               const std::int64_t off = (*rows)[static_cast<std::size_t>(r)];
                               if (off < 0) continue;
                               for (std::int64_t j = b; j < e; ++j)
                                 dst[off + j] = add_wrapping(dst[off + j], src[r * slice + j]);
                             }
                           });
    }
  });
  if (recording_active())
    record_gradient("scatter", {upd}, {out}, [rows, slice, us = upd.shape()](const TensorList& g, const Needs&) {
      return TensorList{gather_rows(g[0], rows, slice, us)};
    });
  return out;
}

// Row r of the result is g's slice at rows[r] (zeros for skipped rows).
Tensor gather_rows(const Tensor& g, const Rows& rows, std::int64_t slice, const Shape& upd_shape) {
  Tensor out = detail::empty(upd_shape, g.dtype());
  const auto nrows = static_cast<std::int64_t>(rows->size());
  visit_dtype(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = g.data<T>();
    T* dst = detail::mutable_data<T>(out);
    detail::parallel_for(nrows, std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(slice, 1)),
                         [&](std::int64_t b, std::int64_t e) {
                           for (std::int64_t r = b; r < e; ++r) {
                             const std::int64_t off = (*rows)[static_cast<std::size_t>(r)];
                             for (std::int64_t j = 0; j < slice; ++j) dst[r * slice + j] = off < 0 ? T{} : src[off + j];
                           }
                         });
  });
  if (recording_active())
    record_gradient("scatter_grad", {g}, {out}, [rows, slice, gs = g.shape()](const TensorList& gg, const Needs&) {
      return TensorList{scatter_rows(gg[0], rows, slice, gs)};
    });
  return out;
}

// The updates scattered into zeros of `shape` (concrete arguments, checked).
Tensor scatter_values(const char* op, const Tensor& indices, const Tensor& updates, std::int64_t k, DType dt,
                      const Shape& shape) {
  const std::int64_t lead = indices.rank() - 1;
  Tensor upd = cast(updates, dt);
  // Masked entries inside rows contribute nothing: selected to 0 (masks over whole rows
  // skip the row instead, index included).
  upd = updates.mask_rank() > lead ? detail::select_valid(upd, 0) : upd.without_mask();
  const std::int64_t rows = product(indices.shape(), 0, lead);
  Rows offsets = row_offsets(op, indices, k, shape, valid_rows(indices, updates, rows));
  return scatter_rows(upd, offsets, product(shape, k, shape.rank()), shape);
}

}  // namespace

Tensor scatter(const Tensor& indices, const Tensor& updates, const Shape& shape) {
  OpScope scope("scatter");
  detail::require_defined(indices, "scatter", "indices");
  detail::require_defined(updates, "scatter", "updates");
  if (!shape.is_fully_known())
    throw ShapeError({.op = "scatter",
                      .problem = "the output shape must be known",
                      .expected = "a shape with dims >= 0",
                      .found = fmt::format("shape {}", shape.str()),
                      .hint = "pass the concrete shape; to add into a tensor of unknown shape use scatter_add"});
  const std::int64_t k = check_arguments("scatter", indices, updates, shape);
  const DType dt = detail::arithmetic(updates.dtype());
  if (any_symbolic({indices, updates}))
    return symbolic_op("scatter", {indices, updates}, TensorSpec{shape, dt, -1},
                       [shape](const TensorList& in) { return scatter(in[0], in[1], shape); },
                       nlohmann::json{{"shape", shape.dims()}}.dump());
  return scatter_values("scatter", indices, updates, k, dt, shape);
}

Tensor scatter_add(const Tensor& x, const Tensor& indices, const Tensor& updates) {
  OpScope scope("scatter_add");
  detail::require_defined(x, "scatter_add", "tensor");
  detail::require_defined(indices, "scatter_add", "indices");
  detail::require_defined(updates, "scatter_add", "updates");
  const std::int64_t k = check_arguments("scatter_add", indices, updates, x.shape());
  const DType dt = detail::arithmetic(detail::promote(x, updates, "scatter_add"));
  if (any_symbolic({x, indices, updates}))
    return symbolic_op("scatter_add", {x, indices, updates}, TensorSpec{x.shape(), dt, x.mask_rank()},
                       [](const TensorList& in) { return scatter_add(in[0], in[1], in[2]); });
  Tensor out =
      add(detail::select_valid(cast(x, dt), 0), scatter_values("scatter_add", indices, updates, k, dt, x.shape()));
  detail::set_mask(out, x.mask());
  return out;
}

}  // namespace lamina
