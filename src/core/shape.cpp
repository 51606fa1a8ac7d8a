#include "lamina/core/shape.hpp"

#include <fmt/format.h>

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
  std::int64_t n = 1;
  for (auto d : dims_) {
    if (d < 0)
      throw ValueError({.problem = "the number of elements of a shape with unknown dimensions is not known",
                        .expected = "a fully known shape",
                        .found = str(),
                        .hint = "this happens on symbolic tensors; run the model on data to get values"});
    n *= d;
  }
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
    acc *= std::max<std::int64_t>(shape[i], 1);
  }
  return st;
}

}  // namespace lamina
