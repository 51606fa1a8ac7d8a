#pragma once
// Internal: shape, axis and mask bookkeeping shared by the reductions (and by ops such as
// softmax that reduce internally).
#include <cstdint>
#include <vector>

#include "lamina/core/tensor.hpp"
#include "lamina/ops/reduce.hpp"

namespace lamina::detail {

struct ReducePlan {
  std::vector<std::int64_t> axes;   // normalised, sorted, unique; all axes when none given
  std::vector<bool> reduced;        // per input axis
  Shape out_shape;                  // as returned (keepdims applied)
  Shape kept_shape;                 // with reduced axes kept as 1 (for broadcasting back)
  bool over_masked_axis = false;    // a reduced axis is covered by the input's mask
  std::int64_t out_mask_rank = -1;  // DESIGN.md section 5 reduction rule
};

// Validates axes (ShapeError naming `op`) and applies the reduction mask rule.
ReducePlan plan_reduce(const TensorSpec& x, const Axes& axes, bool keepdims, const char* op);

// The output mask of a reduction: "any valid" over the reduced mask axes, on the
// remaining mask axes (keepdims applied). Undefined when plan.out_mask_rank < 0.
Tensor reduced_mask(const Tensor& x, const ReducePlan& plan, bool keepdims);

// x's mask reshaped to broadcast against x (trailing 1s) and cast to `dtype` (1 valid, 0
// masked): multiplying a gradient by it zeroes masked entries.
Tensor mask_weights(const Tensor& x, DType dtype);

// Per-input-element validity for a kernel: valid(i) = mask[i / inner], where inner is the
// number of elements after the mask axes. mask == nullptr means all valid.
struct MaskView {
  const bool* mask = nullptr;
  std::int64_t inner = 1;
  bool valid(std::int64_t i) const { return mask == nullptr || mask[i / inner]; }
};
MaskView mask_view(const Tensor& x);

// Reduces x (read as In) over plan.axes into Acc values, skipping invalid entries when
// the reduction covers masked axes. `combine(acc, value)` (or `combine(acc, value, group)`,
// group = the output's index in kept_shape order) folds in one element and
// `merge(acc, acc)` joins two partial results (init must be its identity): every group is
// accumulated pairwise (ops/support/pairwise.hpp), so sums over many elements keep
// their accuracy. Returns accumulators (kept_shape order, row-major) and, when `counts` is
// non-null, the number of valid entries reduced into each.
// Acc must not be bool: std::vector<bool> packs bits, so threads writing neighbouring
// outputs would race (accumulate in std::uint8_t instead).
template <class In, class Acc, class Combine, class Merge>
std::vector<Acc> reduce_values(const Tensor& x, const ReducePlan& plan, Acc init, Combine combine, Merge merge,
                               std::vector<std::int64_t>* counts);

}  // namespace lamina::detail

#include "ops/support/reduce_plan_impl.hpp"
