#include "ops/support/strided.hpp"

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

// Copies between a contiguous buffer (`flat`) and the view positions (`strided`), in
// `ES`-byte elements. kScatter: flat -> strided; otherwise strided -> flat.
template <std::size_t ES, bool kScatter>
void copy_elements(const StridedView& v, const char* src, char* dst) {
  BroadcastPlan plan = coalesce(v);
  if (plan.numel == 0) return;
  const std::int64_t base = v.offset;
  parallel_for(plan.numel, kElementwiseGrain, [&](std::int64_t b, std::int64_t e) {
    for_each_run<1>(plan, b, e, [&](std::int64_t o, const std::array<std::int64_t, 1>& off, std::int64_t n,
                                    const std::array<std::int64_t, 1>& st) {
      const std::int64_t s = base + off[0];
      const auto es = static_cast<std::int64_t>(ES);
      if (st[0] == 1) {
        if constexpr (kScatter) std::memcpy(dst + s * es, src + o * es, static_cast<std::size_t>(n) * ES);
        else std::memcpy(dst + o * es, src + s * es, static_cast<std::size_t>(n) * ES);
        return;
      }
      for (std::int64_t k = 0; k < n; ++k) {
        if constexpr (kScatter) std::memcpy(dst + (s + k * st[0]) * es, src + (o + k) * es, ES);
        else std::memcpy(dst + (o + k) * es, src + (s + k * st[0]) * es, ES);
      }
    });
  });
}

template <bool kScatter>
void copy(const StridedView& v, std::size_t itemsize, const void* src, void* dst) {
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  switch (itemsize) {
    case 1: copy_elements<1, kScatter>(v, s, d); break;
    case 2: copy_elements<2, kScatter>(v, s, d); break;
    case 4: copy_elements<4, kScatter>(v, s, d); break;
    default: copy_elements<8, kScatter>(v, s, d); break;
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
