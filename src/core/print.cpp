// Printing tensors NumPy-style: values (summarised when large), dtype, shape and mask.
#include <fmt/format.h>

#include <cmath>
#include <ostream>

#include "lamina/core/error.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {

namespace {

constexpr std::int64_t kSummariseAbove = 1000;  // elements; NumPy's default threshold
constexpr std::int64_t kEdgeItems = 3;

std::string format_value(double v, DType dt) {
  if (dt == Bool) return v != 0.0 ? "True" : "False";
  if (is_integer(dt)) return fmt::format("{}", static_cast<std::int64_t>(v));
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e16) return fmt::format("{}.", static_cast<std::int64_t>(v));
  return fmt::format("{:.6g}", v);
}

struct Printer {
  const std::vector<double>& values;
  const Shape& shape;
  DType dtype;
  bool summarise;
  std::size_t width = 0;
  std::vector<std::int64_t> strides;

  bool shown(std::int64_t i, std::int64_t n) const {
    return !summarise || n <= 2 * kEdgeItems || i < kEdgeItems || i >= n - kEdgeItems;
  }
  void measure(std::int64_t axis, std::int64_t offset) {
    if (axis == shape.rank()) {
      width = std::max(width, format_value(values[static_cast<std::size_t>(offset)], dtype).size());
      return;
    }
    for (std::int64_t i = 0; i < shape[axis]; ++i)
      if (shown(i, shape[axis])) measure(axis + 1, offset + i * strides[static_cast<std::size_t>(axis)]);
  }
  void print(std::string& out, std::int64_t axis, std::int64_t offset, std::size_t indent) {
    if (axis == shape.rank()) {
      std::string s = format_value(values[static_cast<std::size_t>(offset)], dtype);
      out += std::string(width - s.size(), ' ') + s;
      return;
    }
    out += '[';
    std::int64_t n = shape[axis];
    bool last_axis = axis + 1 == shape.rank();
    for (std::int64_t i = 0; i < n; ++i) {
      if (!shown(i, n)) {
        if (i == kEdgeItems) {
          out += last_axis ? "..., " : "...,\n" + std::string(indent + 1, ' ');
        }
        continue;
      }
      print(out, axis + 1, offset + i * strides[static_cast<std::size_t>(axis)], indent + 1);
      if (i + 1 < n) {
        if (last_axis)
          out += ", ";
        else
          out +=
              "," + std::string(static_cast<std::size_t>(shape.rank() - axis - 1), '\n') + std::string(indent + 1, ' ');
      }
    }
    out += ']';
  }
};

std::string format_values(const Tensor& t, std::size_t indent) {
  std::vector<double> values = t.to_vector<double>();
  if (t.rank() == 0) return format_value(values[0], t.dtype());
  Printer p{values, t.shape(), t.dtype(), t.numel() > kSummariseAbove};
  p.strides = contiguous_strides(t.shape());
  if (t.numel() == 0)
    return std::string(static_cast<std::size_t>(t.rank()), '[') + std::string(static_cast<std::size_t>(t.rank()), ']');
  p.measure(0, 0);
  std::string out;
  p.print(out, 0, 0, indent);
  return out;
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  std::string head = "tensor(";
  std::string body = is_symbolic() ? "<symbolic>" : format_values(*this, head.size());
  std::string s = head + body + fmt::format(", dtype={}, shape={}", dtype_name(dtype()), shape().str());
  if (has_mask()) {
    Tensor m = mask();
    s += ",\n       mask=" + (is_symbolic() ? m.shape().str() : format_values(m, 12));
  }
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }
std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }
std::ostream& operator<<(std::ostream& os, DType dt) { return os << dtype_name(dt); }

}  // namespace lamina
