#include "ops/support/broadcast.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"

namespace lamina::detail {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  std::int64_t r = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> out(static_cast<std::size_t>(r));
  for (std::int64_t i = 0; i < r; ++i) {
    std::int64_t da = i < r - a.rank() ? 1 : a[i - (r - a.rank())];
    std::int64_t db = i < r - b.rank() ? 1 : b[i - (r - b.rank())];
    std::int64_t d;
    if (da == db)
      d = da;
    else if (da == 1)
      d = db;
    else if (db == 1)
      d = da;
    else if (da < 0)
      d = db;
    else if (db < 0)
      d = da;
    else
      throw ShapeError({.op = op,
                        .problem = "shapes cannot be broadcast together",
                        .expected = "each dimension pair (aligned from the right) to be equal or 1",
                        .found = fmt::format("{} and {} (dimension {} vs {})", a.str(), b.str(), da, db),
                        .hint = "reshape or expand_dims one operand so the axes line up"});
    out[static_cast<std::size_t>(i)] = d;
  }
  return Shape(std::move(out));
}

Shape broadcast_shapes(const std::vector<Shape>& shapes, const char* op) {
  Shape out;
  for (const auto& s : shapes) out = broadcast_shapes(out, s, op);
  return out;
}

std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<std::int64_t> st(static_cast<std::size_t>(out.rank()), 0);
  std::int64_t offset = out.rank() - in.rank();
  std::int64_t acc = 1;
  for (std::int64_t i = in.rank() - 1; i >= 0; --i) {
    st[static_cast<std::size_t>(i + offset)] = in[i] == 1 ? 0 : acc;
    // Only a zero-size shape can overflow here ((0, 2^40, 2^40)); it addresses nothing.
    if (__builtin_mul_overflow(acc, in[i], &acc)) acc = 0;
  }
  return st;
}

BroadcastPlan make_broadcast_plan(const Shape& out, const std::vector<Shape>& inputs) {
  BroadcastPlan plan;
  plan.numel = out.numel();
  if (plan.numel == 0) {  // nothing to visit: one empty dim (merging huge dims could overflow)
    plan.dims.push_back(0);
    plan.strides.assign(inputs.size(), std::vector<std::int64_t>{0});
    return plan;
  }
  std::vector<std::vector<std::int64_t>> full;
  for (const auto& s : inputs) full.push_back(broadcast_strides(s, out));
  plan.strides.resize(inputs.size());
  // Coalesce adjacent dims when every input walks them contiguously (stride[i] = stride[i+1]*dim[i+1]).
  for (std::int64_t i = 0; i < out.rank(); ++i) {
    std::int64_t d = out[i];
    if (d == 1) continue;  // size-1 axes carry no iteration
    bool merge = !plan.dims.empty();
    for (std::size_t k = 0; merge && k < inputs.size(); ++k)
      merge = plan.strides[k].back() == full[k][static_cast<std::size_t>(i)] * d;
    if (merge) {
      plan.dims.back() *= d;
      for (std::size_t k = 0; k < inputs.size(); ++k) plan.strides[k].back() = full[k][static_cast<std::size_t>(i)];
    } else {
      plan.dims.push_back(d);
      for (std::size_t k = 0; k < inputs.size(); ++k) plan.strides[k].push_back(full[k][static_cast<std::size_t>(i)]);
    }
  }
  if (plan.dims.empty()) {  // a scalar or all size-1 output: one element
    plan.dims.push_back(1);
    for (auto& s : plan.strides) s.push_back(0);
  }
  return plan;
}

std::vector<std::int64_t> broadcast_reduction_axes(const Shape& in, const Shape& out) {
  std::vector<std::int64_t> axes;
  std::int64_t offset = out.rank() - in.rank();
  for (std::int64_t i = 0; i < out.rank(); ++i)
    if (i < offset || (in[i - offset] == 1 && out[i] != 1)) axes.push_back(i);
  return axes;
}

}  // namespace lamina::detail
