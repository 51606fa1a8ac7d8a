// Scans along one axis: cumsum and cumprod.
//
// Masked entries are replaced by the identity (a select, see support/select_valid.hpp)
// before one mask-free kernel walks the axis. Two internal ops are recorded:
//   scan_values   y_k = y_{k-1} (+|*) x_k            (the public ops' kernel)
//   linear_scan   s_k = b_k + c_k * s_{k+1}          (or s_{k-1}: a first-order recurrence)
// cumsum's gradient is the opposite-direction cumsum. cumprod's gradient is
// (exclusive cumprod) * (linear_scan of g with the next x as coefficient), which needs no
// division by x, so zeros in the input are fine. linear_scan's own gradient is a
// linear_scan in the other direction, so every order of derivative stays in these ops.
#include "lamina/ops/scan.hpp"

#include <fmt/format.h>

#include <type_traits>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"
#include "ops/support/dims.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/select_valid.hpp"
#include "core/attrs.hpp"

namespace lamina {

namespace {

using Needs = std::vector<bool>;
enum class Kind { Sum, Prod };

// Integers wrap around like NumPy's (unsigned arithmetic: no signed-overflow UB).
template <class T>
T combine(Kind kind, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    const U r = kind == Kind::Sum ? static_cast<U>(static_cast<U>(a) + static_cast<U>(b))
                                  : static_cast<U>(static_cast<U>(a) * static_cast<U>(b));
    return static_cast<T>(r);
  } else {
    return kind == Kind::Sum ? a + b : a * b;
  }
}

// Walks `axis` of a contiguous `shape` viewed as (outer, n, inner) in scan order (k from
// 0 up, or from n - 1 down when `backward`), calling step(prev, at) with the element
// offsets of the previous and the current position's inner row (prev = -1 at the start).
// Outer rows are independent and split across threads.
template <class Step>
void walk_axis(const Shape& shape, std::int64_t axis, bool backward, Step step) {
  const std::int64_t outer = detail::product(shape, 0, axis), n = shape[axis];
  const std::int64_t inner = detail::product(shape, axis + 1, shape.rank());
  if (outer == 0 || n == 0 || inner == 0) return;
  detail::parallel_for(outer, std::max<std::int64_t>(1, detail::kElementwiseGrain / (n * inner)),
                       [&](std::int64_t b, std::int64_t e) {
                         for (std::int64_t o = b; o < e; ++o) {
                           std::int64_t prev = -1;
                           for (std::int64_t p = 0; p < n; ++p) {
                             const std::int64_t k = backward ? n - 1 - p : p;
                             const std::int64_t at = (o * n + k) * inner;
                             step(prev, at, inner);
                             prev = at;
                           }
                         }
                       });
}

// t moved one step along `axis`: out[k] = t[k + d] (d = +1 or -1), 0 past the ends.
// Public ops (slice, pad), so it is differentiable.
Tensor shift(const Tensor& t, std::int64_t axis, int d) {
  const std::int64_t n = t.shape()[axis];
  if (n == 0) return t;
  std::vector<std::pair<std::int64_t, std::int64_t>> pads(static_cast<std::size_t>(t.rank()), {0, 0});
  pads[static_cast<std::size_t>(axis)] = {d > 0 ? 0 : 1, d > 0 ? 1 : 0};
  Range r = d > 0 ? Range{1, std::nullopt, 1} : Range{std::nullopt, n - 1, 1};
  return pad(slice(t, axis, r), pads);
}

Tensor scan_values(const Tensor& x, std::int64_t axis, bool exclusive, bool reverse, Kind kind);

// s_k = b_k + c_k * s_dep(k), dep(k) = k + 1 when `backward` (the recursion starts at the
// end of the axis), else k - 1; s is b at the first position. b and c: one floating
// dtype, one shape, no masks.
Tensor linear_scan(const Tensor& b, const Tensor& c, std::int64_t axis, bool backward) {
  Tensor s = detail::empty(b.shape(), b.dtype());
  visit_dtype(b.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* pb = b.data<T>();
      const T* pc = c.data<T>();
      T* ps = detail::mutable_data<T>(s);
      walk_axis(b.shape(), axis, backward, [&](std::int64_t prev, std::int64_t at, std::int64_t inner) {
        if (prev < 0) {
          for (std::int64_t j = 0; j < inner; ++j) ps[at + j] = pb[at + j];
        } else {
          for (std::int64_t j = 0; j < inner; ++j) ps[at + j] = pb[at + j] + pc[at + j] * ps[prev + j];
        }
      });
    }
  });
  if (recording_active())
    record_gradient("linear_scan", {b, c}, {s}, [c, s, axis, backward](const TensorList& g, const Needs& needs) {
      // lambda_k = h_k + c_j lambda_j for the j that depends on k (j = k - 1 when backward).
      const int dep = backward ? 1 : -1;
      Tensor lambda = linear_scan(g[0], shift(c, axis, -dep), axis, !backward);
      return TensorList{needs[0] ? lambda : Tensor(), needs[1] ? lambda * shift(s, axis, dep) : Tensor()};
    });
  return s;
}

// d cumprod / dx (x mask-free, floating): with p counting positions in scan order,
// inclusive: dx_p = E_p * S_p, S_p = g_p + x_{p+1} S_{p+1}; exclusive: the same with
// g_{p+1} in place of g_p. E is the exclusive cumprod (the product of the entries before p).
Tensor cumprod_grad(const Tensor& x, const Tensor& g, std::int64_t axis, bool exclusive, bool reverse) {
  const int next = reverse ? -1 : 1;
  Tensor e = scan_values(x, axis, /*exclusive=*/true, reverse, Kind::Prod);
  Tensor s = linear_scan(exclusive ? shift(g, axis, next) : g, shift(x, axis, next), axis, /*backward=*/!reverse);
  return e * s;
}

// The kernel of cumsum/cumprod on a mask-free x of its compute dtype, recorded.
Tensor scan_values(const Tensor& x, std::int64_t axis, bool exclusive, bool reverse, Kind kind) {
  Tensor y = detail::empty(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* px = x.data<T>();
      T* py = detail::mutable_data<T>(y);
      const T identity = kind == Kind::Sum ? T{0} : T{1};
      walk_axis(x.shape(), axis, reverse, [&](std::int64_t prev, std::int64_t at, std::int64_t inner) {
        for (std::int64_t j = 0; j < inner; ++j) {
          if (exclusive)
            py[at + j] = prev < 0 ? identity : combine(kind, py[prev + j], px[prev + j]);
          else
            py[at + j] = prev < 0 ? px[at + j] : combine(kind, py[prev + j], px[at + j]);
        }
      });
    }
  });
  if (recording_active())
    record_gradient(kind == Kind::Sum ? "cumsum" : "cumprod", {x}, {y},
                    [x, axis, exclusive, reverse, kind](const TensorList& g, const Needs&) {
                      if (kind == Kind::Sum) return TensorList{scan_values(g[0], axis, exclusive, !reverse, kind)};
                      return TensorList{cumprod_grad(x, g[0], axis, exclusive, reverse)};
                    });
  return y;
}

Tensor scan(const char* op, Kind kind, const Tensor& x, std::int64_t axis, bool exclusive, bool reverse) {
  detail::require_defined(x, op);
  if (x.rank() == 0)
    throw ShapeError({.op = op,
                      .problem = "a scan needs an axis to run along",
                      .expected = "a tensor with at least one axis",
                      .found = fmt::format("a scalar {} of shape ()", dtype_name(x.dtype())),
                      .hint = "expand_dims(x, 0) gives it an axis; a scan of one element is the element itself"});
  const std::int64_t a = normalize_axis(axis, x.rank(), op);
  const DType dt = detail::arithmetic(x.dtype());
  if (x.is_symbolic())
    return symbolic_op(
        op, {x}, TensorSpec{x.shape(), dt, x.mask_rank()}, [kind, axis, exclusive, reverse](const TensorList& in) {
          return kind == Kind::Sum ? cumsum(in[0], axis, exclusive, reverse) : cumprod(in[0], axis, exclusive, reverse);
        },
        nlohmann::json{{"axis", axis}, {"exclusive", exclusive}, {"reverse", reverse}}.dump());
  // Masked entries become the identity: they contribute nothing, whatever they hold.
  Tensor xv = detail::select_valid(cast(x, dt), kind == Kind::Sum ? 0 : 1);
  Tensor out = scan_values(xv, a, exclusive, reverse, kind);
  detail::set_mask(out, x.mask());
  return out;
}

}  // namespace

Tensor cumsum(const Tensor& x, std::int64_t axis, bool exclusive, bool reverse) {
  OpScope scope("cumsum");
  return scan("cumsum", Kind::Sum, x, axis, exclusive, reverse);
}

Tensor cumprod(const Tensor& x, std::int64_t axis, bool exclusive, bool reverse) {
  OpScope scope("cumprod");
  return scan("cumprod", Kind::Prod, x, axis, exclusive, reverse);
}

}  // namespace lamina
