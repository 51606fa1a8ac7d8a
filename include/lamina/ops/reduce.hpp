#pragma once
// Reductions over axes (empty axes = all axes), with keepdims.
//
// Masks (DESIGN.md section 5): reducing only unmasked (feature) axes keeps the mask.
// Reducing a masked axis ignores masked entries (mean divides by the count of valid
// ones; max/min/argmax/argmin skip them; prod treats them as 1; logsumexp, var and std
// skip them).
// An all-masked group gives 0, never NaN or inf. The output mask is "any valid" over the
// reduced masked axes, on the remaining mask axes, so a group that was all padding is
// marked invalid. That mask is kept whenever mask axes remain (it is decided from
// shapes, so a model's mask structure is known when it is built); reducing every mask
// axis leaves no mask. Gradients are exactly zero at masked entries.
//
// Accuracy: floating reductions accumulate in double, pairwise (as NumPy's sum), so the
// rounding error of a sum over n elements grows like log2(n) ulps, not n: 1e7 copies of
// 0.1 in float64 sum to 1e6 within 1e-15. Integer sums and products wrap around on
// overflow (two's complement, as in NumPy, TF and JAX); they never raise.
//
// Over a zero-size (unmasked) axis: sum 0, prod 1, mean, var and std 0 (not NaN), any false, all true,
// logsumexp -inf; max/min/argmax/argmin raise ValueError (there is nothing to pick).
#include <cstdint>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina {

using Axes = std::vector<std::int64_t>;

Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdims = false);  // integers give Float32
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdims = false);   // gradient split among ties
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor prod(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor logsumexp(const Tensor& x, const Axes& axes = {}, bool keepdims = false);  // stable
Tensor any(const Tensor& x, const Axes& axes = {}, bool keepdims = false);        // Bool result
Tensor all(const Tensor& x, const Axes& axes = {}, bool keepdims = false);        // Bool result; all-masked gives false
// Variance and standard deviation, divided by (number of entries - ddof): ddof = 0 is the
// population variance (NumPy's and Keras's default), 1 the sample variance. Integers give
// Float32. Two passes (the mean, then the deviations from it, both pairwise), so a large
// common offset costs no accuracy. Masks as for mean: over a masked axis only valid
// entries count; an all-masked group gives 0. A group with valid entries but no more than
// ddof gives NaN (as NumPy); when the shapes already say so (an unmasked reduced size
// 0 < n <= ddof) it is a ValueError. The gradient of std is 0 where std is 0.
Tensor var(const Tensor& x, const Axes& axes = {}, bool keepdims = false, std::int64_t ddof = 0);
Tensor std(const Tensor& x, const Axes& axes = {}, bool keepdims = false, std::int64_t ddof = 0);
// Index of the first max/min along one axis (Int64); no gradient.
Tensor argmax(const Tensor& x, std::int64_t axis = -1, bool keepdims = false);
Tensor argmin(const Tensor& x, std::int64_t axis = -1, bool keepdims = false);

// Single-axis conveniences: lm::sum(x, 1).
inline Tensor sum(const Tensor& x, std::int64_t axis, bool keepdims = false) { return sum(x, Axes{axis}, keepdims); }
inline Tensor mean(const Tensor& x, std::int64_t axis, bool keepdims = false) { return mean(x, Axes{axis}, keepdims); }
inline Tensor max(const Tensor& x, std::int64_t axis, bool keepdims = false) { return max(x, Axes{axis}, keepdims); }
inline Tensor min(const Tensor& x, std::int64_t axis, bool keepdims = false) { return min(x, Axes{axis}, keepdims); }
inline Tensor prod(const Tensor& x, std::int64_t axis, bool keepdims = false) { return prod(x, Axes{axis}, keepdims); }
inline Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdims = false) {
  return logsumexp(x, Axes{axis}, keepdims);
}
inline Tensor var(const Tensor& x, std::int64_t axis, bool keepdims = false, std::int64_t ddof = 0) {
  return var(x, Axes{axis}, keepdims, ddof);
}
inline Tensor std(const Tensor& x, std::int64_t axis, bool keepdims = false, std::int64_t ddof = 0) {
  return lamina::std(x, Axes{axis}, keepdims, ddof);
}
inline Tensor any(const Tensor& x, std::int64_t axis, bool keepdims = false) { return any(x, Axes{axis}, keepdims); }
inline Tensor all(const Tensor& x, std::int64_t axis, bool keepdims = false) { return all(x, Axes{axis}, keepdims); }

}  // namespace lamina
