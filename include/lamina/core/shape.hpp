#pragma once
// Shapes with possibly unknown dimensions (None), printed like Python tuples.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace lamina {

// An unknown dimension (the batch axis of a model input, a variable time axis).
inline constexpr std::int64_t None = -1;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}
  explicit Shape(std::span<const std::int64_t> dims) : dims_(dims.begin(), dims.end()) {}

  std::int64_t rank() const { return static_cast<std::int64_t>(dims_.size()); }
  std::int64_t operator[](std::int64_t axis) const { return dims_[static_cast<std::size_t>(axis)]; }
  std::int64_t& operator[](std::int64_t axis) { return dims_[static_cast<std::size_t>(axis)]; }
  // Dimension with Python-style negative indexing; throws ShapeError when out of range.
  std::int64_t dim(std::int64_t axis) const;
  const std::vector<std::int64_t>& dims() const { return dims_; }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }

  bool is_fully_known() const;
  // Number of elements; throws ValueError if a dimension is unknown.
  std::int64_t numel() const;
  // Leading `n` dimensions (the shape of a prefix mask).
  Shape prefix(std::int64_t n) const;

  std::string str() const;  // "(None, 10)", "(3,)", "()"
  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<std::int64_t> dims_;
};

// Normalises a possibly negative axis for a tensor of `rank`; throws ShapeError naming `op`.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const char* op);

// Contiguous row-major strides (in elements) of known dims.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

}  // namespace lamina
