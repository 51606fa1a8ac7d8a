#include "lamina/core/creation.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"

namespace lamina {

namespace detail {

void check_ragged(bool ragged, const char* what) {
  if (ragged)
    throw ValueError({.op = what,
                      .problem = "the values do not fill a rectangular shape",
                      .expected = "every nested list of a level to have the same length (and values = shape size)",
                      .found = "a ragged nesting or a size mismatch",
                      .hint = "pad the rows to one length or fix the shape"});
}

Tensor from_buffer(DType source, const void* values, const Shape& shape, std::optional<DType> dtype) {
  DType dt = dtype.value_or(source);
  Tensor out = empty(shape, dt);
  auto n = static_cast<std::size_t>(out.numel());
  visit_dtype(source, [&](auto stag) {
    using S = decltype(stag);
    // Bool sources arrive as bytes (std::vector<bool> has no data()).
    using Src = std::conditional_t<std::is_same_v<S, bool>, char, S>;
    const Src* src = static_cast<const Src*>(values);
    visit_dtype(dt, [&](auto dtag) {
      using D = decltype(dtag);
      D* dst = mutable_data<D>(out);
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
    });
  });
  return out;
}

}  // namespace detail

namespace {

DType scalar_dtype(Scalar v) { return default_dtype(v.kind()); }

void fill(const Tensor& out, Scalar value) {
  auto n = static_cast<std::size_t>(out.numel());
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T v = std::is_floating_point_v<T> ? static_cast<T>(value.as_double()) : static_cast<T>(value.as_int());
    if constexpr (std::is_same_v<T, bool>) v = value.as_double() != 0.0;
    std::fill_n(detail::mutable_data<T>(out), n, v);
  });
}

}  // namespace

Tensor scalar(Scalar value, std::optional<DType> dtype) { return full(Shape{}, value, dtype); }

Tensor full(const Shape& shape, Scalar value, std::optional<DType> dtype) {
  OpScope scope("full");
  Tensor out = detail::empty(shape, dtype.value_or(scalar_dtype(value)));
  fill(out, value);
  return out;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1, dtype); }

Tensor arange(Scalar start, Scalar stop, Scalar step, std::optional<DType> dtype) {
  OpScope scope("arange");
  bool any_float =
      start.kind() == ScalarKind::Float || stop.kind() == ScalarKind::Float || step.kind() == ScalarKind::Float;
  DType dt = dtype.value_or(any_float ? Float32 : Int32);
  double s = start.as_double(), e = stop.as_double(), d = step.as_double();
  if (d == 0.0 || !std::isfinite(s) || !std::isfinite(e) || !std::isfinite(d))
    throw ValueError({.problem = "arange needs finite bounds and a non-zero step",
                      .expected = "step != 0",
                      .found = fmt::format("start={}, stop={}, step={}", s, e, d)});
  auto n = static_cast<std::int64_t>(std::max(0.0, std::ceil((e - s) / d)));
  Tensor out = detail::empty(Shape{n}, dt);
  visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mutable_data<T>(out);
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(s + static_cast<double>(i) * d);
  });
  return out;
}

Tensor arange(Scalar stop) { return arange(0, stop, 1); }

Tensor full_like(const Tensor& like, Scalar value, std::optional<DType> dtype) {
  OpScope scope("full_like");
  DType dt = dtype.value_or(like.dtype());
  if (like.is_symbolic()) {
    TensorSpec spec{like.shape(), dt, like.mask_rank()};
    return symbolic_op("full_like", {like}, spec,
                       [value, dtype](const TensorList& in) { return full_like(in[0], value, dtype); });
  }
  Tensor out = detail::empty(like.shape(), dt);
  fill(out, value);
  // An elementwise op of one operand: the mask passes through (DESIGN.md section 5).
  return like.has_mask() ? detail::share(out, out.shape(), like.mask()) : out;
}

Tensor zeros_like(const Tensor& like, std::optional<DType> dtype) { return full_like(like, 0, dtype); }
Tensor ones_like(const Tensor& like, std::optional<DType> dtype) { return full_like(like, 1, dtype); }

Tensor placeholder(const TensorSpec& spec) {
  if (spec.mask_rank > spec.shape.rank())
    throw ShapeError({.op = "placeholder",
                      .problem = "mask rank exceeds the tensor rank",
                      .expected = fmt::format("mask_rank <= {}", spec.shape.rank()),
                      .found = std::to_string(spec.mask_rank)});
  return detail::symbolic(spec, nullptr, 0);
}

}  // namespace lamina
