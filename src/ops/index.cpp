// Indexing: gather, gather_nd, boolean_mask, where, one_hot. Index arguments are checked
// (dtype, then every index against its range) before any kernel runs, so kernels never
// read out of bounds. Gradients scatter back into zeros with direct kernels that are
// themselves recorded (their derivative is the gather again), so higher orders work.
#include "lamina/ops/index.hpp"

#include <fmt/format.h>

#include <cstring>
#include <memory>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "core/attrs.hpp"
#include "ops/support/dims.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/indices.hpp"
#include "ops/support/mask_align.hpp"
#include "ops/support/scatter_rows.hpp"

namespace lamina {

namespace {

using detail::concat_dims;
using detail::dims_of;
using detail::out_of_range;
using detail::product;
using detail::require_index_dtype;
using detail::with_indices;

using Needs = std::vector<bool>;
using Index = std::int64_t;

// ---- checks ------------------------------------------------------------------------------

void require_bool(const Tensor& t, const char* op, const char* what) {
  if (t.dtype() == Bool) return;
  throw DTypeError({.op = op,
                    .problem = fmt::format("{} must be a Bool tensor", what),
                    .expected = "bool",
                    .found = fmt::format("{} {}", dtype_name(t.dtype()), t.shape().str()),
                    .hint = fmt::format("say what is true explicitly: `{0} != 0`, or lm::cast({0}, lm::Bool)", what)});
}

// Every entry of idx in [0, limit).
void check_range(const Tensor& idx, std::int64_t limit, const char* op, const std::string& what) {
  with_indices(idx, [&](const auto* p) {
    const std::int64_t n = idx.numel();
    for (std::int64_t i = 0; i < n; ++i)
      if (p[i] < 0 || p[i] >= limit) out_of_range(op, static_cast<Index>(p[i]), i, idx.shape(), limit, what);
  });
}

std::vector<std::int64_t> iota(std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = begin; i < end; ++i) v.push_back(i);
  return v;
}

// A mask-free view of t (no recording: for captures used as integer/Bool arguments).
Tensor unmasked(const Tensor& t) { return t.has_mask() ? detail::share(t, t.shape(), Tensor()) : t; }

// Rows of `src` (contiguous, any dtype) copied by index: out row r = src row row_of(r).
template <class RowOf>
void copy_rows(const Tensor& src, const Tensor& out, std::int64_t rows, std::int64_t row_elems, RowOf row_of) {
  if (rows == 0 || row_elems == 0) return;
  const std::size_t bytes = static_cast<std::size_t>(row_elems) * itemsize(src.dtype());
  const char* s = static_cast<const char*>(src.raw_data());
  char* d = static_cast<char*>(detail::mutable_raw_data(out));
  detail::parallel_for(
      rows, std::max<std::int64_t>(1, detail::kElementwiseGrain / row_elems), [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t r = b; r < e; ++r)
          std::memcpy(d + static_cast<std::size_t>(r) * bytes, s + static_cast<std::size_t>(row_of(r)) * bytes, bytes);
      });
}

// ---- gather ------------------------------------------------------------------------------

Shape gather_shape(const Shape& p, const Shape& idx, std::int64_t ax) {
  return concat_dims({dims_of(p, 0, ax), idx.dims(), dims_of(p, ax + 1, p.rank())});
}

// params' mask gathered when it covers the axis (else kept); the indices' mask lands where
// the index axes land in the output (after `ax` leading axes).
std::int64_t gather_mask_rank(const TensorSpec& p, const TensorSpec& idx, std::int64_t ax) {
  std::int64_t r = -1;
  if (p.has_mask()) r = p.mask_rank <= ax ? p.mask_rank : p.mask_rank - 1 + idx.shape.rank();
  if (idx.has_mask()) r = std::max(r, ax + idx.mask_rank);
  return r;
}

// src (any dtype) gathered along ax by validated indices.
Tensor gather_kernel(const Tensor& src, const Tensor& idx, std::int64_t ax) {
  const Shape& s = src.shape();
  Tensor out = detail::empty(gather_shape(s, idx.shape(), ax), src.dtype());
  const std::int64_t n = s[ax], inner = product(s, ax + 1, s.rank()), nidx = idx.numel();
  with_indices(idx, [&](const auto* ip) {
    copy_rows(src, out, product(s, 0, ax) * nidx, inner,
              [&](std::int64_t r) { return (r / nidx) * n + static_cast<std::int64_t>(ip[r % nidx]); });
  });
  return out;
}

Tensor gather_mask(const Tensor& params, const Tensor& idx, std::int64_t ax, const Shape& out_shape,
                   std::int64_t rank) {
  if (rank < 0) return {};
  Shape target = out_shape.prefix(rank);
  Tensor acc;
  if (params.has_mask()) {
    Tensor pm = params.mask();
    Tensor g = pm.rank() <= ax ? pm : gather_kernel(pm, idx, ax);
    acc = detail::place_mask(g, iota(0, g.rank()), target);
  }
  if (idx.has_mask()) {
    Tensor im = idx.mask();
    acc = detail::mask_and_into(acc, detail::place_mask(im, iota(ax, ax + im.rank()), target));
  }
  return acc;
}

// d gather / d params: g scattered (added) into zeros of params' shape; repeated indices
// accumulate. Recorded, with gather as its own derivative.
Tensor gather_grad(const Tensor& g, const Tensor& idx, std::int64_t ax, const Shape& ps) {
  Tensor out = zeros(ps, g.dtype());
  const std::int64_t outer = product(ps, 0, ax), n = ps[ax], inner = product(ps, ax + 1, ps.rank());
  const std::int64_t nidx = idx.numel();
  visit_dtype(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* src = g.data<T>();
      T* dst = detail::mutable_data<T>(out);
      // Repeated indices (a frequent token) are summed pairwise, in double.
      with_indices(idx, [&](const auto* ip) { detail::scatter_add_rows(src, ip, outer, nidx, n, inner, dst); });
    }
  });
  if (recording_active())
    record_gradient("gather_grad", {g}, {out},
                    [idx, ax](const TensorList& gg, const Needs&) { return TensorList{gather(gg[0], idx, ax)}; });
  return out;
}

// ---- gather_nd ---------------------------------------------------------------------------

// params' mask: its entry for each index tuple (rows of the mask when it extends past K);
// the indices' mask: a row is valid only if all its K coordinates are.
std::int64_t gather_nd_mask_rank(const TensorSpec& p, const TensorSpec& idx, std::int64_t k) {
  const std::int64_t lead = idx.shape.rank() - 1;
  std::int64_t r = -1;
  if (p.has_mask()) r = lead + std::max<std::int64_t>(0, p.mask_rank - k);
  if (idx.has_mask()) r = std::max(r, idx.mask_rank == idx.shape.rank() ? lead : idx.mask_rank);
  return r;
}

// Validates the index tuples and returns, per row, the flat index over params' first K axes.
std::vector<std::int64_t> gather_nd_rows(const Tensor& idx, const Shape& ps, std::int64_t k) {
  const std::int64_t rows = k == 0 ? product(idx.shape(), 0, idx.rank() - 1) : idx.numel() / k;
  std::vector<std::int64_t> flat(static_cast<std::size_t>(rows), 0);
  with_indices(idx, [&](const auto* ip) {
    for (std::int64_t r = 0; r < rows; ++r) {
      std::int64_t f = 0;
      for (std::int64_t c = 0; c < k; ++c) {
        auto v = static_cast<Index>(ip[r * k + c]);
        if (v < 0 || v >= ps[c])
          out_of_range("gather_nd", v, r * k + c, idx.shape(), ps[c],
                       fmt::format("coordinate {} indexes axis {} of params shape {}", c, c, ps.str()));
        f = f * ps[c] + v;
      }
      flat[static_cast<std::size_t>(r)] = f;
    }
  });
  return flat;
}

Tensor gather_nd_mask(const Tensor& params, const Tensor& idx, std::int64_t k, const std::vector<std::int64_t>& flat,
                      const Shape& out_shape, std::int64_t rank) {
  if (rank < 0) return {};
  Shape target = out_shape.prefix(rank);
  const Shape lead = idx.shape().prefix(idx.rank() - 1);
  Tensor acc;
  if (params.has_mask()) {
    Tensor pm = params.mask();
    const Shape& ms = pm.shape();
    const std::int64_t mp = pm.rank();
    // Past K: rows of prod(ms[K:mp]) mask entries; within K: one entry per tuple prefix.
    const std::int64_t row = mp > k ? product(ms, k, mp) : 1;
    Tensor g =
        detail::empty(concat_dims({lead.dims(), mp > k ? dims_of(ms, k, mp) : std::vector<std::int64_t>{}}), Bool);
    const std::int64_t skip = mp > k ? 1 : product(params.shape(), mp, k);
    copy_rows(pm, g, static_cast<std::int64_t>(flat.size()), row,
              [&](std::int64_t r) { return flat[static_cast<std::size_t>(r)] / skip; });
    acc = detail::place_mask(g, iota(0, g.rank()), target);
  }
  if (idx.has_mask()) {
    Tensor im = idx.mask();
    if (im.rank() == idx.rank()) {  // covers the coordinate axis: all K must be valid
      const std::int64_t rows = lead.numel();
      std::vector<bool> all(static_cast<std::size_t>(rows), true);
      const bool* m = im.data<bool>();
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < k; ++c)
          all[static_cast<std::size_t>(r)] = all[static_cast<std::size_t>(r)] && m[r * k + c];
      im = tensor(all, lead, Bool);
    }
    acc = detail::mask_and_into(acc, detail::place_mask(im, iota(0, im.rank()), target));
  }
  return acc;
}

Tensor gather_nd_grad(const Tensor& g, const Tensor& idx, std::shared_ptr<const std::vector<std::int64_t>> flat,
                      const Shape& ps, std::int64_t k) {
  Tensor out = zeros(ps, g.dtype());
  const std::int64_t slice = product(ps, k, ps.rank());
  const auto rows = static_cast<std::int64_t>(flat->size());
  visit_dtype(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* src = g.data<T>();
      T* dst = detail::mutable_data<T>(out);
      // Rows hit repeatedly are summed pairwise, in double.
      if (slice > 0) detail::scatter_add_rows(src, flat->data(), 1, rows, ps.numel() / slice, slice, dst);
    }
  });
  if (recording_active())
    record_gradient("gather_nd_grad", {g}, {out},
                    [idx](const TensorList& gg, const Needs&) { return TensorList{gather_nd(gg[0], idx)}; });
  return out;
}

// ---- boolean_mask ------------------------------------------------------------------------

// The rows (leading mask.rank() dims) of t where mask is true: (count, *t.shape[k:]).
Tensor select_rows(const Tensor& t, const Tensor& mask, std::int64_t count) {
  const std::int64_t k = mask.rank();
  Tensor out = detail::empty(concat_dims({{count}, dims_of(t.shape(), k, t.rank())}), t.dtype());
  const std::int64_t nrows = mask.numel();
  std::vector<std::int64_t> picked;
  picked.reserve(static_cast<std::size_t>(count));
  const bool* m = mask.data<bool>();
  for (std::int64_t r = 0; r < nrows; ++r)
    if (m[r]) picked.push_back(r);
  copy_rows(t, out, count, product(t.shape(), k, t.rank()),
            [&](std::int64_t r) { return picked[static_cast<std::size_t>(r)]; });
  return out;
}

std::int64_t boolean_mask_mask_rank(const TensorSpec& x, const TensorSpec& mask) {
  std::int64_t r = -1;
  if (x.has_mask()) r = 1 + std::max<std::int64_t>(0, x.mask_rank - mask.shape.rank());
  if (mask.has_mask()) r = std::max<std::int64_t>(r, 1);
  return r;
}

Tensor boolean_mask_grad(const Tensor& g, const Tensor& mask, const Shape& xs) {
  Tensor out = zeros(xs, g.dtype());
  const std::int64_t k = mask.rank(), row = product(xs, k, xs.rank());
  const std::size_t bytes = static_cast<std::size_t>(row) * itemsize(g.dtype());
  const bool* m = mask.data<bool>();
  const char* src = static_cast<const char*>(g.raw_data());
  char* dst = static_cast<char*>(detail::mutable_raw_data(out));
  std::int64_t j = 0;
  for (std::int64_t r = 0; r < mask.numel(); ++r)
    if (m[r] && bytes > 0)
      std::memcpy(dst + static_cast<std::size_t>(r) * bytes, src + static_cast<std::size_t>(j++) * bytes, bytes);
  if (recording_active())
    record_gradient("boolean_mask_grad", {g}, {out},
                    [mask](const TensorList& gg, const Needs&) { return TensorList{boolean_mask(gg[0], mask)}; });
  return out;
}

}  // namespace

// ---- public ops --------------------------------------------------------------------------

Tensor gather(const Tensor& params, const Tensor& indices, std::int64_t axis) {
  OpScope scope("gather");
  detail::require_defined(params, "gather", "params");
  detail::require_defined(indices, "gather", "indices");
  require_index_dtype(indices, "gather", "indices");
  const Shape& ps = params.shape();
  if (ps.rank() == 0)
    throw ShapeError({.op = "gather",
                      .problem = "cannot gather from a scalar",
                      .expected = "params with at least one axis",
                      .found = fmt::format("params shape {}", ps.str()),
                      .hint = "expand_dims(params, 0) gives it an axis to gather along"});
  const std::int64_t ax = normalize_axis(axis, ps.rank(), "gather");
  Shape out_shape = gather_shape(ps, indices.shape(), ax);
  const std::int64_t mrank = gather_mask_rank(params.spec(), indices.spec(), ax);
  if (any_symbolic({params, indices}))
    return symbolic_op("gather", {params, indices}, TensorSpec{out_shape, params.dtype(), mrank},
                       [axis](const TensorList& in) { return gather(in[0], in[1], axis); },
                       nlohmann::json{{"axis", axis}}.dump());
  check_range(indices, ps[ax], "gather", fmt::format("axis {} of params shape {}", ax, ps.str()));
  Tensor out = gather_kernel(params, indices, ax);
  detail::set_mask(out, gather_mask(params, indices, ax, out_shape, mrank));
  if (recording_active())
    record_gradient("gather", {params, indices}, {out},
                    [idx = unmasked(indices), ax, ps](const TensorList& g, const Needs& needs) {
                      return TensorList{needs[0] ? gather_grad(g[0], idx, ax, ps) : Tensor(), Tensor()};
                    },
                    {true, false});
  return out;
}

Tensor gather_nd(const Tensor& params, const Tensor& indices) {
  OpScope scope("gather_nd");
  detail::require_defined(params, "gather_nd", "params");
  detail::require_defined(indices, "gather_nd", "indices");
  require_index_dtype(indices, "gather_nd", "indices");
  const Shape& ps = params.shape();
  const Shape& is = indices.shape();
  if (is.rank() == 0 || is[is.rank() - 1] < 0 || is[is.rank() - 1] > ps.rank())
    throw ShapeError({.op = "gather_nd",
                      .problem = "the last axis of indices must hold K coordinates, K <= params' rank",
                      .expected = fmt::format("indices of shape (..., K) with a known K <= {} (params shape {})",
                                              ps.rank(), ps.str()),
                      .found = fmt::format("indices shape {}", is.str()),
                      .hint = "for one coordinate per entry, expand_dims(indices, -1) gives K = 1"});
  const std::int64_t k = is[is.rank() - 1];
  Shape out_shape = concat_dims({dims_of(is, 0, is.rank() - 1), dims_of(ps, k, ps.rank())});
  const std::int64_t mrank = gather_nd_mask_rank(params.spec(), indices.spec(), k);
  if (any_symbolic({params, indices}))
    return symbolic_op("gather_nd", {params, indices}, TensorSpec{out_shape, params.dtype(), mrank},
                       [](const TensorList& in) { return gather_nd(in[0], in[1]); });
  auto flat = std::make_shared<const std::vector<std::int64_t>>(gather_nd_rows(indices, ps, k));
  Tensor out = detail::empty(out_shape, params.dtype());
  copy_rows(params, out, static_cast<std::int64_t>(flat->size()), product(ps, k, ps.rank()),
            [&](std::int64_t r) { return (*flat)[static_cast<std::size_t>(r)]; });
  detail::set_mask(out, gather_nd_mask(params, indices, k, *flat, out_shape, mrank));
  if (recording_active())
    record_gradient("gather_nd", {params, indices}, {out},
                    [idx = unmasked(indices), flat, ps, k](const TensorList& g, const Needs& needs) {
                      return TensorList{needs[0] ? gather_nd_grad(g[0], idx, flat, ps, k) : Tensor(), Tensor()};
                    },
                    {true, false});
  return out;
}

Tensor boolean_mask(const Tensor& x, const Tensor& mask) {
  OpScope scope("boolean_mask");
  detail::require_defined(x, "boolean_mask", "tensor");
  detail::require_defined(mask, "boolean_mask", "mask");
  require_bool(mask, "boolean_mask", "mask");
  const Shape& xs = x.shape();
  const Shape& ms = mask.shape();
  bool fits = ms.rank() >= 1 && ms.rank() <= xs.rank();
  for (std::int64_t i = 0; fits && i < ms.rank(); ++i) fits = ms[i] == xs[i] || ms[i] < 0 || xs[i] < 0;
  if (!fits)
    throw ShapeError(
        {.op = "boolean_mask",
         .problem = "the mask's shape must equal the leading dims of the tensor",
         .expected = fmt::format(
             "a mask of shape {} (or another non-empty prefix of {})",
             xs.prefix(std::min<std::int64_t>(std::max<std::int64_t>(ms.rank(), 1), xs.rank())).str(), xs.str()),
         .found = fmt::format("mask {} for tensor {}", ms.str(), xs.str()),
         .hint = "a mask of the leading dim keeps whole rows; one of all dims keeps single entries"});
  const std::int64_t k = ms.rank();
  const std::int64_t mrank = boolean_mask_mask_rank(x.spec(), mask.spec());
  if (any_symbolic({x, mask}))
    return symbolic_op("boolean_mask", {x, mask},
                       TensorSpec{concat_dims({{None}, dims_of(xs, k, xs.rank())}), x.dtype(), mrank},
                       [](const TensorList& in) { return boolean_mask(in[0], in[1]); });
  std::int64_t count = 0;
  const bool* m = mask.data<bool>();
  for (std::int64_t i = 0; i < mask.numel(); ++i) count += m[i] ? 1 : 0;
  Tensor out = select_rows(x, mask, count);
  if (mrank >= 0) {
    Shape target = out.shape().prefix(mrank);
    Tensor acc;
    if (x.has_mask()) {
      Tensor xm = x.mask_rank() <= k ? detail::mask_to_rank(x, k) : x.mask();
      Tensor sel = select_rows(xm, mask, count);
      acc = detail::place_mask(sel, iota(0, sel.rank()), target);
    }
    if (mask.has_mask())  // the condition's own mask marks the entries it picked as invalid
      acc = detail::mask_and_into(
          acc, detail::place_mask(select_rows(detail::mask_to_rank(mask, k), mask, count), {0}, target));
    detail::set_mask(out, acc);
  }
  if (recording_active())
    record_gradient("boolean_mask", {x, mask}, {out},
                    [cond = unmasked(mask), xs](const TensorList& g, const Needs& needs) {
                      return TensorList{needs[0] ? boolean_mask_grad(g[0], cond, xs) : Tensor(), Tensor()};
                    },
                    {true, false});
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  OpScope scope("where");
  detail::require_defined(cond, "where", "condition");
  detail::require_defined(a, "where", "first choice");
  detail::require_defined(b, "where", "second choice");
  require_bool(cond, "where", "cond");
  const DType dt = detail::promote(a, b, "where");
  Shape shape = detail::broadcast_shapes({cond.shape(), a.shape(), b.shape()}, "where");
  const std::int64_t mrank = detail::elementwise_mask_rank({cond.spec(), a.spec(), b.spec()}, shape.rank());
  if (any_symbolic({cond, a, b}))
    return symbolic_op("where", {cond, a, b}, TensorSpec{shape, dt, mrank},
                       [](const TensorList& in) { return where(in[0], in[1], in[2]); });
  Tensor ca = cast(a, dt), cb = cast(b, dt);
  Tensor out = visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    return detail::map_ternary<bool, T, T>(cond, ca, cb, shape, dt, [](bool c, T x, T y) { return c ? x : y; });
  });
  detail::set_mask(out, detail::elementwise_mask({cond, a, b}, shape));
  if (recording_active())
    record_gradient("where", {cond, ca, cb}, {out},
                    [c = unmasked(cond), sa = a.shape(), sb = b.shape(), out](const TensorList& g, const Needs& needs) {
                      const Tensor gv = detail::select_valid(g[0], out);  // nothing flows from masked entries
                      return TensorList{Tensor(), needs[1] ? detail::unbroadcast(where(c, gv, 0), sa) : Tensor(),
                                        needs[2] ? detail::unbroadcast(where(c, 0, gv), sb) : Tensor()};
                    },
                    {false, true, true});
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, Scalar b) {
  OpScope scope("where");  // the scalar's conversion can fail (it does not fit): name the op
  detail::require_defined(a, "where", "first choice");
  return where(cond, a, detail::scalar_tensor(b, detail::promote(a, b)));
}

Tensor where(const Tensor& cond, Scalar a, const Tensor& b) {
  OpScope scope("where");
  detail::require_defined(b, "where", "second choice");
  return where(cond, detail::scalar_tensor(a, detail::promote(b, a)), b);
}

Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype) {
  OpScope scope("one_hot");
  detail::require_defined(indices, "one_hot", "indices");
  require_index_dtype(indices, "one_hot", "indices");
  if (depth < 0)
    throw ValueError({.op = "one_hot",
                      .problem = "depth must not be negative",
                      .expected = "depth >= 0 (the number of classes)",
                      .found = fmt::format("depth {}", depth),
                      .hint = "pass the number of classes (the vocabulary size)"});
  Shape out_shape = concat_dims({indices.shape().dims(), {depth}});
  if (indices.is_symbolic())
    return symbolic_op("one_hot", {indices}, TensorSpec{out_shape, dtype, indices.mask_rank()},
                       [depth, dtype](const TensorList& in) { return one_hot(in[0], depth, dtype); },
                       nlohmann::json{{"depth", depth}, {"dtype", detail::dtype_attr(dtype)}}.dump());
  Tensor out = detail::empty(out_shape, dtype);
  const std::int64_t n = indices.numel();
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* dst = detail::mutable_data<T>(out);
    with_indices(indices, [&](const auto* ip) {
      detail::parallel_for(n, std::max<std::int64_t>(1, detail::kElementwiseGrain / std::max<std::int64_t>(depth, 1)),
                           [&](std::int64_t b, std::int64_t e) {
                             std::fill(dst + b * depth, dst + e * depth, T{0});
                             for (std::int64_t i = b; i < e; ++i) {
                               auto v = static_cast<std::int64_t>(ip[i]);
                               if (v >= 0 && v < depth) dst[i * depth + v] = T{1};  // out of range: zeros
                             }
                           });
    });
  });
  detail::set_mask(out, indices.mask());
  record_cut("one_hot", {indices}, {out});
  return out;
}

}  // namespace lamina
