#include "lamina/core/creation.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "core/attrs.hpp"

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

void check_dims(const Shape& shape, const char* what) {
  OpScope scope(what);
  for (auto d : shape)
    if (d < 0)
      throw ShapeError({.op = what,
                        .problem = "a concrete tensor needs known dimensions >= 0",
                        .expected = "dimensions >= 0",
                        .found = shape.str(),
                        .hint = "None (-1) is only for symbolic tensors (lm::placeholder, lm::Input)"});
  (void)shape.numel();  // ShapeError when the element count overflows int64
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

// Raises DTypeError when `value` has no exact representation in an integer `dtype` (a
// fraction, NaN, an infinity or out of range): casting it would be undefined behaviour or
// silently wrap. Bool takes any value (x != 0) and floats any number.
void check_fits(Scalar value, DType dtype) {
  if (!is_integer(dtype) || value.kind() == ScalarKind::Bool) return;
  const bool i32 = dtype == Int32;
  bool fits;
  if (value.kind() == ScalarKind::Int) {
    fits = !i32 || (value.as_int() >= INT32_MIN && value.as_int() <= INT32_MAX);
  } else {
    const double v = value.as_double();
    // 2^63 and 2^31 are exact doubles; the integer ranges are [-2^63, 2^63) and [-2^31, 2^31).
    const double bound = i32 ? 2147483648.0 : 9223372036854775808.0;
    fits = std::isfinite(v) && v == std::trunc(v) && v >= -bound && v < bound;
  }
  if (!fits)
    throw DTypeError({.problem = "the value does not fit the dtype",
                      .expected = fmt::format("a whole number in the range of {}", dtype_name(dtype)),
                      .found = fmt::format("{} for {}", value.str(), dtype_name(dtype)),
                      .hint = "use a floating dtype (lm::Float32), or a value the integer dtype can hold"});
}

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
  const DType dt = dtype.value_or(scalar_dtype(value));
  check_fits(value, dt);
  Tensor out = detail::empty(shape, dt);
  fill(out, value);
  return out;
}

Tensor zeros(const Shape& shape, DType dtype) {
  OpScope scope("zeros");
  return full(shape, 0, dtype);
}
Tensor ones(const Shape& shape, DType dtype) {
  OpScope scope("ones");
  return full(shape, 1, dtype);
}

Tensor arange(Scalar start, Scalar stop, Scalar step, std::optional<DType> dtype) {
  OpScope scope("arange");
  bool any_float =
      start.kind() == ScalarKind::Float || stop.kind() == ScalarKind::Float || step.kind() == ScalarKind::Float;
  DType dt = dtype.value_or(any_float ? Float32 : Int32);
  double s = start.as_double(), e = stop.as_double(), d = step.as_double();
  if (d == 0.0 || !std::isfinite(s) || !std::isfinite(e) || !std::isfinite(d))
    throw ValueError({.problem = "arange needs finite bounds and a non-zero step",
                      .expected = "step != 0",
                      .found = fmt::format("start={}, stop={}, step={}", s, e, d),
                      .hint = "pass a step with the sign of stop - start"});
  // The count as a double first: converting one beyond int64 is undefined behaviour.
  const double count = std::max(0.0, std::ceil((e - s) / d));
  if (!(count < 9.0e18))
    throw ValueError({.problem = "arange would have more elements than a tensor can hold",
                      .expected = "(stop - start) / step below 9e18",
                      .found = fmt::format("start={}, stop={}, step={}: {} elements", s, e, d, count),
                      .hint = "check the step: a tiny step over a wide range gives a huge tensor"});
  auto n = static_cast<std::int64_t>(count);
  // Every value must fit an integer dtype (the first and last are the extremes).
  if (n > 0) {
    check_fits(std::trunc(s), dt);
    check_fits(std::trunc(s + static_cast<double>(n - 1) * d), dt);
  }
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
                       [value, dtype](const TensorList& in) { return full_like(in[0], value, dtype); },
                       nlohmann::json{{"value", detail::scalar_json(value)}, {"dtype", detail::dtype_attr(dt)}}.dump());
  }
  Tensor out = detail::empty(like.shape(), dt);
  fill(out, value);
  // An elementwise op of one operand: the mask passes through (DESIGN.md section 5).
  return like.has_mask() ? detail::share(out, out.shape(), like.mask()) : out;
}

Tensor zeros_like(const Tensor& like, std::optional<DType> dtype) { return full_like(like, 0, dtype); }
Tensor ones_like(const Tensor& like, std::optional<DType> dtype) { return full_like(like, 1, dtype); }

Tensor placeholder(const TensorSpec& spec) {
  OpScope scope("placeholder");
  if (spec.mask_rank > spec.shape.rank() || spec.mask_rank < -1)
    throw ShapeError({.op = "placeholder",
                      .problem = "the mask rank must be -1 (no mask) or at most the tensor rank",
                      .expected = fmt::format("-1 <= mask_rank <= {}", spec.shape.rank()),
                      .found = std::to_string(spec.mask_rank),
                      .hint = "a mask covers leading axes: mask_rank 1 masks the batch axis"});
  std::int64_t known = 1;
  for (auto d : spec.shape) {
    if (d < None)
      throw ShapeError({.op = "placeholder",
                        .problem = "a dimension must be known and >= 0, or None",
                        .expected = "dimensions >= 0 or None (-1)",
                        .found = spec.shape.str(),
                        .hint = "use lm::None for a dimension known only at run time"});
    // The known dims alone must not overflow int64, or no batch could ever fill the shape.
    if (d > 0 && __builtin_mul_overflow(known, d, &known))
      throw ShapeError({.op = "placeholder",
                        .problem = "the known dimensions multiply to more than a 64-bit integer holds",
                        .expected = "a shape whose number of elements fits int64",
                        .found = spec.shape.str(),
                        .hint = "check the shape arithmetic that produced this shape"});
  }
  return detail::symbolic(spec, nullptr, 0);
}

}  // namespace lamina
