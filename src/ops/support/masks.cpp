#include "ops/support/masks.hpp"

#include "lamina/core/creation.hpp"
#include "ops/support/kernels.hpp"

namespace lamina::detail {

std::int64_t elementwise_mask_rank(const std::vector<TensorSpec>& operands, std::int64_t out_rank) {
  std::int64_t rank = -1;
  for (const auto& s : operands)
    if (s.has_mask()) rank = std::max(rank, out_rank - s.shape.rank() + s.mask_rank);
  return rank;
}

namespace {
// The mask of x reshaped to `rank` dims as it sits in an output of rank out_rank.
Tensor aligned_mask(const Tensor& x, std::int64_t out_rank, std::int64_t rank) {
  std::int64_t offset = out_rank - x.rank();
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank), 1);
  Shape ms = x.mask().shape();
  for (std::int64_t i = 0; i < ms.rank(); ++i) dims[static_cast<std::size_t>(offset + i)] = ms[i];
  return share(x.mask(), Shape(dims), Tensor());
}

Tensor broadcast_bool(const Tensor& m, const Shape& shape) {
  if (m.shape() == shape) return m;
  Tensor t = full(Shape{}, true, Bool);
  return map_binary<bool, bool>(m, t, shape, Bool, [](bool a, bool b) { return a && b; });
}
}  // namespace

Tensor elementwise_mask(const TensorList& operands, const Shape& out_shape) {
  std::vector<TensorSpec> specs;
  for (const auto& x : operands) specs.push_back(x.spec());
  std::int64_t rank = elementwise_mask_rank(specs, out_shape.rank());
  if (rank < 0) return {};
  Shape target = out_shape.prefix(rank);
  Tensor acc;
  for (const auto& x : operands) {
    if (!x.has_mask()) continue;
    Tensor m = aligned_mask(x, out_shape.rank(), rank);
    acc = acc.defined() ? map_binary<bool, bool>(acc, m, target, Bool, [](bool a, bool b) { return a && b; })
                        : broadcast_bool(m, target);
  }
  return acc;
}

Tensor mask_to_rank(const Tensor& x, std::int64_t rank) {
  Shape target = x.shape().prefix(rank);
  if (!x.has_mask()) return full(target, true, Bool);
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank), 1);
  Shape ms = x.mask().shape();
  for (std::int64_t i = 0; i < ms.rank(); ++i) dims[static_cast<std::size_t>(i)] = ms[i];
  return broadcast_bool(share(x.mask(), Shape(dims), Tensor()), target);
}

Tensor mask_and(const Tensor& a, const Tensor& b) {
  return map_binary<bool, bool>(a, b, a.shape(), Bool, [](bool x, bool y) { return x && y; });
}

}  // namespace lamina::detail
