// 1-D sliding windows: plans, taps, tap validity.
#include "layers/support/windows.hpp"

#include "lamina/core/creation.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::detail {

WindowPlan plan_windows(std::int64_t length, const Window1D& w) {
  WindowPlan p;
  const std::int64_t span = w.span();
  if (w.padding == "causal") p.pad_left = span - 1;
  if (length < 0) {
    if (w.padding == "same" && w.stride == 1) {  // the only case whose padding does not depend on T
      p.pad_left = (span - 1) / 2;
      p.pad_right = span - 1 - p.pad_left;
    }
    return p;
  }
  if (w.padding == "same") {
    p.out = length == 0 ? 0 : (length - 1) / w.stride + 1;  // ceil(T / stride), without overflow
    const std::int64_t total = std::max<std::int64_t>((p.out - 1) * w.stride + span - length, 0);
    p.pad_left = total / 2;
    p.pad_right = total - p.pad_left;
    return p;
  }
  const std::int64_t padded = length + p.pad_left;
  p.out = padded < span ? 0 : (padded - span) / w.stride + 1;
  return p;
}

Tensor window_taps(const Tensor& x, const Window1D& w, const WindowPlan& p, double pad_value) {
  Tensor xp = x;
  if (p.pad_left > 0 || p.pad_right > 0) {
    std::vector<std::pair<std::int64_t, std::int64_t>> pads(static_cast<std::size_t>(x.rank()), {0, 0});
    pads[1] = {p.pad_left, p.pad_right};
    xp = pad(x, pads, x.dtype() == Bool ? Scalar(pad_value != 0.0) : Scalar(pad_value));
  }
  TensorList taps;
  for (std::int64_t i = 0; i < w.size; ++i) {
    const std::int64_t start = i * w.dilation;
    taps.push_back(slice(xp, 1, Range{start, start + (p.out - 1) * w.stride + 1, w.stride}));
  }
  return stack(taps, 2);
}

Tensor tap_validity(const Tensor& time_mask, std::int64_t batch, std::int64_t length, const Window1D& w,
                    const WindowPlan& p) {
  Tensor m = time_mask.defined() ? time_mask : ones(Shape{batch, length}, Bool);
  return window_taps(m, w, p, 0.0);
}

}  // namespace lamina::detail
