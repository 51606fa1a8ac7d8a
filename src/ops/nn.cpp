// softmax and log_softmax: one kernel over the rows of an axis (max-shifted, so large
// logits never overflow), mask-aware, with analytic gradients; and the losses' fused
// sparse softmax crossentropy on the same kernel.
//
// Masks: when the axis is covered by the mask, masked entries are left out of the max
// and of the sum and get 0 (probability or log-probability); a row with no valid entry
// is all zeros. Otherwise the mask only passes through.
#include "lamina/ops/nn.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/parallel.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/nn_fused.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/pairwise.hpp"
#include "ops/support/reduce_plan.hpp"
#include "core/attrs.hpp"

namespace lamina {

namespace {

// x viewed as (outer, n, inner) around the softmax axis; optional validity mask.
struct Rows {
  std::int64_t outer = 1, n = 1, inner = 1;
  // Mask over the leading axes, axis included: element (o, k, i) is valid when
  // mask[(o * n + k) * per_row + i / mask_div] (mask_div divides inner).
  const bool* mask = nullptr;
  std::int64_t mask_div = 1, per_row = 1;
};

// Elements handled per task on the strided path (the axis is not the last one): the inner
// loops then run over contiguous memory across `kTile` independent rows.
constexpr std::int64_t kTile = 256;

// Softmax of one contiguous row x[0..n) into y; `valid` null means all valid.
template <class T, bool Log>
void row_contiguous(const T* x, T* y, std::int64_t n, const bool* valid) {
  using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  // The exponentials go to y first and are summed pairwise (a long row summed one by one
  // loses accuracy); log_softmax then overwrites them.
  if (valid == nullptr) {
    T mx = kNegInf;
    for (std::int64_t k = 0; k < n; ++k) mx = x[k] > mx ? x[k] : mx;
    for (std::int64_t k = 0; k < n; ++k) y[k] = std::exp(x[k] - mx);
    const Acc s = detail::pairwise_sum<Acc>(y, n);
    if constexpr (Log) {
      const T ls = static_cast<T>(std::log(s));
      for (std::int64_t k = 0; k < n; ++k) y[k] = (x[k] - mx) - ls;
    } else {
      const T inv = static_cast<T>(1 / s);
      for (std::int64_t k = 0; k < n; ++k) y[k] *= inv;
    }
    return;
  }
  T mx = kNegInf;
  bool any = false;
  for (std::int64_t k = 0; k < n; ++k) {
    any = any || valid[k];
    mx = valid[k] && x[k] > mx ? x[k] : mx;
  }
  if (!any) {  // all masked: zeros, never NaN
    for (std::int64_t k = 0; k < n; ++k) y[k] = T(0);
    return;
  }
  for (std::int64_t k = 0; k < n; ++k) y[k] = valid[k] ? std::exp(x[k] - mx) : T(0);
  const Acc s = detail::pairwise_sum<Acc>(y, n);
  if constexpr (Log) {
    const T ls = static_cast<T>(std::log(s));
    for (std::int64_t k = 0; k < n; ++k) y[k] = valid[k] ? (x[k] - mx) - ls : T(0);
  } else {
    const T inv = static_cast<T>(1 / s);
    for (std::int64_t k = 0; k < n; ++k) y[k] *= inv;
  }
}

// Softmax over the middle axis of block (n, inner) for columns [i0, i1) (< kTile of them).
template <class T, bool Log, bool Masked>
void rows_strided(const T* x, T* y, const Rows& r, std::int64_t o, std::int64_t i0, std::int64_t i1) {
  using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
  const std::int64_t w = i1 - i0, inner = r.inner;
  std::array<T, kTile> mx;
  std::array<Acc, kTile> s;  // the sums, pairwise over the rows when there are many
  std::array<bool, kTile> any;
  std::array<std::int64_t, kTile> mcol;  // mask column of each element column
  mx.fill(-std::numeric_limits<T>::infinity());
  s.fill(Acc(0));
  any.fill(!Masked);
  if constexpr (Masked)
    for (std::int64_t j = 0; j < w; ++j) mcol[j] = (i0 + j) / r.mask_div;
  auto valid_row = [&](std::int64_t k) { return r.mask + (o * r.n + k) * r.per_row; };
  const T* xb = x + o * r.n * inner + i0;
  T* yb = y + o * r.n * inner + i0;

  for (std::int64_t k = 0; k < r.n; ++k) {
    const T* xr = xb + k * inner;
    if constexpr (Masked) {
      const bool* v = valid_row(k);
      for (std::int64_t j = 0; j < w; ++j) {
        bool ok = v[mcol[j]];
        any[j] = any[j] || ok;
        mx[j] = ok && xr[j] > mx[j] ? xr[j] : mx[j];
      }
    } else {
      for (std::int64_t j = 0; j < w; ++j) mx[j] = xr[j] > mx[j] ? xr[j] : mx[j];
    }
  }
  const bool cascade = r.n > detail::kColumnBlock;
  auto plus = [](Acc a, Acc b) { return a + b; };
  detail::ColumnPairwise<Acc, decltype(plus)> cols(cascade ? w : 0, Acc(0), plus);
  for (std::int64_t k = 0; k < r.n; ++k) {
    const T* xr = xb + k * inner;
    T* yr = yb + k * inner;
    const bool* v = Masked ? valid_row(k) : nullptr;
    Acc* acc = cascade ? cols.block() : s.data();
    for (std::int64_t j = 0; j < w; ++j) {
      T e = (!Masked || v[mcol[j]]) ? std::exp(xr[j] - mx[j]) : T(0);
      if constexpr (!Log) yr[j] = e;
      acc[j] += e;
    }
    if (cascade) cols.end_row();
  }
  if (cascade) cols.result(s.data());
  std::array<T, kTile> f;  // Log: log of the sum; else: 1 / sum (0 for an all-masked column)
  for (std::int64_t j = 0; j < w; ++j) f[j] = any[j] ? static_cast<T>(Log ? std::log(s[j]) : 1 / s[j]) : T(0);
  for (std::int64_t k = 0; k < r.n; ++k) {
    const T* xr = xb + k * inner;
    T* yr = yb + k * inner;
    const bool* v = Masked ? valid_row(k) : nullptr;
    for (std::int64_t j = 0; j < w; ++j) {
      if constexpr (Log)
        yr[j] = (!Masked || v[mcol[j]]) ? (xr[j] - mx[j]) - f[j] : T(0);
      else
        yr[j] *= f[j];
    }
  }
}

template <class T, bool Log>
void softmax_kernel(const T* x, T* y, const Rows& r) {
  const std::int64_t row_work = std::max<std::int64_t>(r.n, 1);
  if (r.inner == 1) {
    // mask_div divides inner, so it is 1: the validity of row o is mask[o * n ..].
    const std::int64_t grain = std::max<std::int64_t>(1, detail::kElementwiseGrain / row_work);
    detail::parallel_for(r.outer, grain, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t o = b; o < e; ++o)
        row_contiguous<T, Log>(x + o * r.n, y + o * r.n, r.n, r.mask ? r.mask + o * r.n : nullptr);
    });
    return;
  }
  const std::int64_t tiles = (r.inner + kTile - 1) / kTile;
  const std::int64_t grain = std::max<std::int64_t>(1, detail::kElementwiseGrain / (row_work * kTile));
  detail::parallel_for(r.outer * tiles, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t t = b; t < e; ++t) {
      std::int64_t o = t / tiles, i0 = (t % tiles) * kTile, i1 = std::min(i0 + kTile, r.inner);
      if (r.mask)
        rows_strided<T, Log, true>(x, y, r, o, i0, i1);
      else
        rows_strided<T, Log, false>(x, y, r, o, i0, i1);
    }
  });
}

// The shared body of softmax and log_softmax (five steps of docs/writing-ops.md).
template <bool Log>
Tensor softmax_impl(const char* op, const Tensor& x, std::int64_t axis) {
  detail::require_defined(x, op);
  const std::int64_t ax = normalize_axis(axis, x.rank(), op);
  const DType dt = detail::floating(x.dtype());
  if (x.is_symbolic())
    return symbolic_op(op, {x}, TensorSpec{x.shape(), dt, x.mask_rank()},
                       [axis](const TensorList& in) { return Log ? log_softmax(in[0], axis) : softmax(in[0], axis); },
                       nlohmann::json{{"axis", axis}}.dump());

  Tensor cx = cast(x, dt);
  const Shape& s = cx.shape();
  const bool masked_axis = ax < cx.mask_rank();
  Rows r;
  for (std::int64_t i = 0; i < ax; ++i) r.outer *= s[i];
  r.n = s[ax];
  for (std::int64_t i = ax + 1; i < s.rank(); ++i) r.inner *= s[i];
  Tensor mask = masked_axis ? cx.mask() : Tensor();
  if (masked_axis) {
    std::int64_t after = 1;  // elements per mask entry
    for (std::int64_t i = cx.mask_rank(); i < s.rank(); ++i) after *= s[i];
    r.mask = mask.data<bool>();
    r.mask_div = after;
    r.per_row = after == 0 ? 0 : r.inner / after;
  }
  Tensor out = detail::empty(s, dt);
  if (cx.numel() > 0) {
    visit_dtype(dt, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) softmax_kernel<T, Log>(cx.data<T>(), detail::mutable_data<T>(out), r);
    });
  }
  detail::set_mask(out, cx.mask());

  if (recording_active())
    record_gradient(op, {cx}, {out}, [cx, out, ax, masked_axis](const TensorList& g, const std::vector<bool>&) {
      const Tensor y = out.without_mask();
      const Tensor& gy = g[0];
      // Masked rows (a mask over other axes) hold whatever the input held there: their
      // gradient is selected away, not multiplied, so NaN or inf padding stays out.
      if constexpr (!Log) {
        // y (g - sum(g y)); y is exactly 0 at masked entries of the axis.
        return TensorList{detail::select_valid(y * (gy - sum(gy * y, ax, /*keepdims=*/true)), out)};
      } else {
        Tensor p = exp(y);
        if (!masked_axis) return TensorList{detail::select_valid(gy - p * sum(gy, ax, /*keepdims=*/true), out)};
        // Only valid entries take part (log-prob 0 at masked ones is not a real log p).
        Tensor w = detail::mask_weights(cx, y.dtype());
        Tensor gw = gy * w;
        return TensorList{detail::select_valid(gw - p * w * sum(gw, ax, /*keepdims=*/true), out)};
      }
    });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) {
  OpScope scope("softmax");
  return softmax_impl<false>("softmax", x, axis);
}

Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  OpScope scope("log_softmax");
  return softmax_impl<true>("log_softmax", x, axis);
}

namespace detail {

Tensor sparse_softmax_crossentropy(const Tensor& logits, const Tensor& labels) {
  const char* op = "sparse_softmax_crossentropy";
  OpScope scope(op);
  require_defined(logits, op);
  require_defined(labels, op);
  const DType dt = floating(logits.dtype());
  const std::int64_t ax = logits.rank() - 1;
  if (ax < 0 || labels.rank() != ax || is_floating(labels.dtype()) || labels.dtype() == Bool ||
      logits.mask_rank() > ax)
    throw ValueError({.problem = "sparse_softmax_crossentropy takes (..., classes) logits unmasked along the classes "
                                 "and (...) integer labels",
                      .expected = "logits (..., classes), labels (...) of an integer dtype",
                      .found = fmt::format("logits {}, labels {}", logits.spec().str(), labels.spec().str()),
                      .hint = "an internal fast path of the losses: compose log_softmax and a pick instead"});
  std::vector<std::int64_t> dims = logits.shape().dims();
  dims.pop_back();
  if (logits.is_symbolic() || labels.is_symbolic())
    return symbolic_op(op, {logits, labels}, TensorSpec{Shape(dims), dt, logits.mask_rank()},
                       [](const TensorList& in) { return sparse_softmax_crossentropy(in[0], in[1]); });

  Tensor z = cast(logits, dt);
  Tensor idx = cast(labels, Int64);
  const std::int64_t n = z.shape()[ax];
  if (idx.shape() != Shape(dims))
    throw ShapeError({.problem = "labels and logits do not agree",
                      .expected = fmt::format("labels of shape {} (logits {} without the classes)", Shape(dims).str(),
                                              z.shape().str()),
                      .found = fmt::format("labels {}", idx.shape().str()),
                      .hint = "one integer label per row of logits"});
  for (std::int64_t k : idx.to_vector<std::int64_t>())
    if (k < 0 || k >= n)
      throw ValueError({.problem = "a label is out of range",
                        .expected = fmt::format("labels in [0, {})", n),
                        .found = fmt::format("{}", k),
                        .hint = "labels are class indices 0..classes-1"});
  Rows r;
  r.n = n;
  for (std::int64_t d : dims) r.outer *= d;
  Tensor lsm = empty(z.shape(), dt);
  Tensor out = empty(Shape(dims), dt);
  if (z.numel() > 0) {
    visit_dtype(dt, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) {
        softmax_kernel<T, true>(z.data<T>(), mutable_data<T>(lsm), r);
        const T* y = lsm.data<T>();
        const std::int64_t* k = idx.data<std::int64_t>();
        T* loss = mutable_data<T>(out);
        for (std::int64_t o = 0; o < r.outer; ++o) loss[o] = -y[o * n + k[o]];
      }
    });
  }
  set_mask(out, z.mask());

  if (recording_active())
    record_gradient(
        op, {z, idx}, {out},
        [z, idx, n, dt](const TensorList& g, const std::vector<bool>&) {
          // Public ops, so that a second-order gradient sees softmax's own gradient.
          Tensor p = softmax(z.without_mask(), -1);
          Tensor grad = (p - one_hot(idx, n, dt)) * expand_dims(g[0].without_mask(), -1);
          return TensorList{select_valid(grad, z), Tensor()};
        },
        {true, false});
  return out;
}

}  // namespace detail

}  // namespace lamina
