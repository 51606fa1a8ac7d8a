#pragma once
// Writing variable-length integer rows into one padded (n, width) tensor with its mask:
// the kernel behind pad_sequences and BucketedBatches (library-internal).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "lamina/core/error.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina::data::detail {

struct PadLayout {
  std::int64_t width = 0;
  bool pad_pre = false;       // padding before the values
  bool truncate_pre = false;  // rows longer than width lose their start
  double value = 0;           // the padding value
  DType dtype = Int32;        // not Bool
  const char* op = "pad";     // names the caller in errors
};

// Row i of the result is row_at(i) (a std::vector<std::int64_t>), truncated and padded per
// `layout`; the mask is true where a value of the row was written. Values that do not fit
// an Int32 result are a ValueError naming the row and position.
template <class RowAt>
Tensor pad_rows(std::int64_t n, RowAt&& row_at, const PadLayout& layout) {
  // n * width must not overflow before the allocator can refuse it.
  if (n > 0 && layout.width > std::numeric_limits<std::int64_t>::max() / 16 / n)
    throw ValueError({.op = layout.op,
                      .problem = "the padded result needs more memory than any machine has",
                      .expected = "a width (maxlen) the rows fit in",
                      .found = fmt::format("{} rows of width {}", n, layout.width),
                      .hint = "set maxlen to the longest sequence you need, or leave it unset"});
  Shape shape{n, layout.width};
  Tensor out = lamina::detail::empty(shape, layout.dtype);  // checks the size against memory
  Tensor mask = lamina::detail::empty(shape, Bool);
  bool* m = lamina::detail::mutable_data<bool>(mask);
  std::fill(m, m + n * layout.width, false);
  visit_dtype(layout.dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>) {
      T* v = lamina::detail::mutable_data<T>(out);
      std::fill(v, v + n * layout.width, static_cast<T>(layout.value));
      for (std::int64_t i = 0; i < n; ++i) {
        const std::vector<std::int64_t>& s = row_at(i);
        const auto len = static_cast<std::int64_t>(s.size());
        const std::int64_t kept = std::min(len, layout.width);
        const std::int64_t from = layout.truncate_pre ? len - kept : 0;    // first value kept
        const std::int64_t to = layout.pad_pre ? layout.width - kept : 0;  // first column written
        T* row = v + i * layout.width + to;
        bool* row_mask = m + i * layout.width + to;
        for (std::int64_t k = 0; k < kept; ++k) {
          std::int64_t x = s[static_cast<std::size_t>(from + k)];
          if constexpr (std::is_same_v<T, std::int32_t>) {
            if (x < std::numeric_limits<std::int32_t>::min() || x > std::numeric_limits<std::int32_t>::max())
              throw ValueError({.op = layout.op,
                                .problem = fmt::format("sequence {} holds a value that does not fit int32", i),
                                .expected = "values within the int32 range",
                                .found = fmt::format("{} at position {}", x, from + k),
                                .hint = "pass dtype = lm::Int64"});
          }
          row[k] = static_cast<T>(x);
          row_mask[k] = true;
        }
      }
    }
  });
  lamina::detail::set_mask(out, mask);
  return out;
}

}  // namespace lamina::data::detail
