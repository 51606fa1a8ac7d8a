#pragma once
// Internal: 1-D sliding windows over the time axis of (batch, time, channels), shared by
// Conv1D and the windowed poolings: output lengths and paddings (Keras/TF arithmetic),
// the im2col tap tensor, and which taps of each window read a valid input step.
#include <cstdint>
#include <string>

#include "lamina/core/tensor.hpp"

namespace lamina::detail {

struct Window1D {
  std::int64_t size = 1;      // taps per window (kernel_size, pool_size)
  std::int64_t stride = 1;
  std::int64_t dilation = 1;  // distance between taps
  std::string padding = "valid";  // "valid", "same" or "causal"
  std::int64_t span() const { return (size - 1) * dilation + 1; }  // input steps a window covers
};

struct WindowPlan {
  std::int64_t out = None;  // output steps (None when the input length is unknown)
  std::int64_t pad_left = 0, pad_right = 0;
};

// valid: out = floor((T - span) / stride) + 1 (0 when T < span); same: out = ceil(T / stride)
// with TF's split of the padding (the smaller half first); causal: span - 1 steps on the left.
WindowPlan plan_windows(std::int64_t length, const Window1D& w);

// (B, out, size, ...) with the taps of every window, from (B, T, ...): `x` padded with
// `pad_value` by the plan, then one strided slice per tap, stacked on axis 2. Built from
// ops, so it is differentiable (and works for Bool masks). Needs out > 0.
Tensor window_taps(const Tensor& x, const Window1D& w, const WindowPlan& p, double pad_value = 0.0);

// (B, out, size) Bool: which taps read a valid step -- inside the input (not padding) and,
// when `time_mask` (B, T) is defined, valid there.
Tensor tap_validity(const Tensor& time_mask, std::int64_t batch, std::int64_t length, const Window1D& w,
                    const WindowPlan& p);

}  // namespace lamina::detail
