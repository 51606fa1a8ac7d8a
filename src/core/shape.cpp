#include "lamina/core/shape.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "lamina/core/error.hpp"

namespace lamina {

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const char* op) {
  std::int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw ShapeError({.op = op,
                      .problem = "axis out of range",
                      .expected = fmt::format("an axis in [{}, {}) for a rank-{} tensor", -rank, rank, rank),
                      .found = fmt::format("axis {}", axis),
                      .hint = "negative axes count from the end: -1 is the last axis"});
  return a;
}

std::int64_t Shape::dim(std::int64_t axis) const {
  return dims_[static_cast<std::size_t>(normalize_axis(axis, rank(), "dim"))];
}

bool Shape::is_fully_known() const {
  for (auto d : dims_)
    if (d < 0) return false;
  return true;
}

std::int64_t Shape::numel() const {
  for (auto d : dims_)
    if (d < 0)
      throw ValueError({.problem = "the number of elements of a shape with unknown dimensions is not known",
                        .expected = "a fully known shape",
                        .found = str(),
                        .hint = "this happens on symbolic tensors; run the model on data to get values"});
  // A zero dim makes the count 0 whatever the others are (as in NumPy); otherwise the
  // product must fit int64 -- a wrapped count would allocate too little and overrun it.
  for (auto d : dims_)
    if (d == 0) return 0;
  std::int64_t n = 1;
  for (auto d : dims_)
    if (__builtin_mul_overflow(n, d, &n))
      throw ShapeError({.problem = "the number of elements overflows a 64-bit integer",
                        .expected = fmt::format("a shape with at most {} elements", INT64_MAX),
                        .found = str(),
                        .hint = "check the shape arithmetic that produced this shape"});
  return n;
}

Shape Shape::prefix(std::int64_t n) const {
  if (n <= 0) return Shape();
  return Shape(std::vector<std::int64_t>(dims_.begin(), dims_.begin() + std::min<std::int64_t>(n, rank())));
}

std::string Shape::str() const {
  std::string s = "(";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i] == None ? std::string("None") : std::to_string(dims_[i]);
  }
  if (dims_.size() == 1) s += ",";
  return s + ")";
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> st(static_cast<std::size_t>(shape.rank()));
  std::int64_t acc = 1;
  for (std::int64_t i = shape.rank() - 1; i >= 0; --i) {
    st[static_cast<std::size_t>(i)] = acc;
    // Only a zero-size shape (which addresses nothing) can overflow here, e.g. (2^40, 0, 2^40):
    // its strides are never used to read, so stop growing them instead of overflowing.
    if (__builtin_mul_overflow(acc, std::max<std::int64_t>(shape[i], 1), &acc)) acc = 0;
  }
  return st;
}

}  // namespace lamina
