#pragma once
// Host-side helpers shared by the metrics (private to src/train/metrics).
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina::metrics::detail {

// sample_weight (its mask dropped) as one weight per element of `target`: Keras's rule
// (a trailing 1 more than the target's rank is squeezed), then leading axes aligned, so
// (batch,) weights a (batch, time) target per sample. ShapeError naming `metric` when the
// dims do not fit. Empty when sample_weight is undefined.
std::vector<double> weights_for(const Tensor& sample_weight, const Shape& target, const std::string& metric);

// The values of a concrete tensor as doubles, row-major (its mask ignored).
std::vector<double> host(const Tensor& t);
// 1/0 per element: y's mask broadcast to y's full shape (all 1 when unmasked).
std::vector<double> valid(const Tensor& y);

}  // namespace lamina::metrics::detail
