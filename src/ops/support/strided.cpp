#include "ops/support/strided.hpp"

#include <algorithm>
#include <cstring>

#include "ops/support/kernels.hpp"

namespace lamina::detail {

namespace {

// The view as a one-input BroadcastPlan: size-1 dims dropped, and adjacent dims merged
// when the outer stride is the inner stride times the inner size.
BroadcastPlan coalesce(const StridedView& v) {
  BroadcastPlan p;
  p.numel = v.shape.numel();
  p.strides.resize(1);
  auto& st = p.strides[0];
  for (std::int64_t i = 0; i < v.shape.rank(); ++i) {
    std::int64_t d = v.shape[i], s = v.strides[static_cast<std::size_t>(i)];
    if (d == 1) continue;
    if (!p.dims.empty() && st.back() == s * d) {
      p.dims.back() *= d;
      st.back() = s;
    } else {
      p.dims.push_back(d);
      st.push_back(s);
    }
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    st.push_back(0);
  }
  return p;
}

// Gathers a view whose innermost dim is strided in the source while dim `j` is
// contiguous there (a transpose): copies (dims[j] x dims.back()) matrices in square
// tiles, so both the reads and the writes stay in cache.
template <std::size_t ES>
void gather_tiled(const BroadcastPlan& plan, std::size_t j, std::int64_t base, const char* src, char* dst) {
  constexpr std::int64_t kTile = 32;
  const auto& dims = plan.dims;
  const auto& st = plan.strides[0];
  const std::size_t last = dims.size() - 1;
  std::vector<std::int64_t> dst_st(dims.size());
  std::int64_t acc = 1;
  for (std::size_t i = dims.size(); i-- > 0;) {
    dst_st[i] = acc;
    acc *= dims[i];
  }
  const std::int64_t rows = dims[j], cols = dims[last], col_stride = st[last], row_dst = dst_st[j];
  const std::int64_t row_tiles = (rows + kTile - 1) / kTile;
  const std::int64_t outer = plan.numel / (rows * cols);
  const auto es = static_cast<std::int64_t>(ES);
  parallel_for(outer * row_tiles, std::max<std::int64_t>(1, kElementwiseGrain / (kTile * cols)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t t = b; t < e; ++t) {
                   // Offsets of this matrix: decompose the outer index over the other dims.
                   std::int64_t rem = t / row_tiles, s0 = base, d0 = 0;
                   for (std::size_t i = last; i-- > 0;) {
                     if (i == j) continue;
                     std::int64_t idx = rem % dims[i];
                     rem /= dims[i];
                     s0 += idx * st[i];
                     d0 += idx * dst_st[i];
                   }
                   const std::int64_t r0 = (t % row_tiles) * kTile, r1 = std::min(rows, r0 + kTile);
                   for (std::int64_t c0 = 0; c0 < cols; c0 += kTile) {
                     const std::int64_t c1 = std::min(cols, c0 + kTile);
                     for (std::int64_t r = r0; r < r1; ++r)
                       for (std::int64_t c = c0; c < c1; ++c)
                         std::memcpy(dst + (d0 + r * row_dst + c) * es, src + (s0 + r + c * col_stride) * es, ES);
                   }
                 }
               });
}

// Copies between a contiguous buffer (`flat`) and the view positions (`strided`), in
// `ES`-byte elements. kScatter: flat -> strided; otherwise strided -> flat.
template <std::size_t ES, bool kScatter>
void copy_elements(const StridedView& v, const char* src, char* dst) {
  // Nothing to copy; checked before coalescing, whose merged dims and strides could
  // overflow for a zero-size view with huge other dims, e.g. (2^40, 0, 2^40).
  if (v.shape.numel() == 0) return;
  BroadcastPlan plan = coalesce(v);
  if constexpr (!kScatter) {
    const auto& st = plan.strides[0];
    const std::size_t last = st.size() - 1;
    if (st[last] != 1 && st[last] != 0 && plan.dims[last] >= 8)
      for (std::size_t j = 0; j < last; ++j)
        if (st[j] == 1 && plan.dims[j] >= 8) return gather_tiled<ES>(plan, j, v.offset, src, dst);
  }
  const std::int64_t base = v.offset;
  parallel_for(plan.numel, kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
    for_each_run<1>(plan, b, e,
                    [&](std::int64_t o, const std::array<std::int64_t, 1>& off, std::int64_t n,
                        const std::array<std::int64_t, 1>& st) {
                      const std::int64_t s = base + off[0];
                      const auto es = static_cast<std::int64_t>(ES);
                      if (st[0] == 1) {
                        if constexpr (kScatter)
                          std::memcpy(dst + s * es, src + o * es, static_cast<std::size_t>(n) * ES);
                        else
                          std::memcpy(dst + o * es, src + s * es, static_cast<std::size_t>(n) * ES);
                        return;
                      }
                      for (std::int64_t k = 0; k < n; ++k) {
                        if constexpr (kScatter)
                          std::memcpy(dst + (s + k * st[0]) * es, src + (o + k) * es, ES);
                        else
                          std::memcpy(dst + (o + k) * es, src + (s + k * st[0]) * es, ES);
                      }
                    });
  });
}

template <bool kScatter>
void copy(const StridedView& v, std::size_t itemsize, const void* src, void* dst) {
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  switch (itemsize) {
    case 1:
      copy_elements<1, kScatter>(v, s, d);
      break;
    case 2:
      copy_elements<2, kScatter>(v, s, d);
      break;
    case 4:
      copy_elements<4, kScatter>(v, s, d);
      break;
    default:
      copy_elements<8, kScatter>(v, s, d);
      break;
  }
}

}  // namespace

StridedView contiguous_view(const Shape& shape) { return {shape, contiguous_strides(shape), 0}; }

Tensor gather_view(const Tensor& src, const StridedView& view) {
  Tensor out = empty(view.shape, src.dtype());
  copy<false>(view, itemsize(src.dtype()), src.raw_data(), mutable_raw_data(out));
  return out;
}

void scatter_view(const Tensor& src, const Tensor& dst, const StridedView& view) {
  copy<true>(view, itemsize(src.dtype()), src.raw_data(), mutable_raw_data(dst));
}

}  // namespace lamina::detail
