#include "lamina/data/pad_sequences.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "data/padding.hpp"
#include "lamina/core/error.hpp"

namespace lamina::data {

namespace detail {

void check_side_option(const std::string& value, const char* option, const char* what) {
  if (value == "pre" || value == "post") return;
  throw ValueError({.op = what,
                    .problem = fmt::format("unknown {} option", option),
                    .expected = fmt::format("{} = \"pre\" or \"post\"", option),
                    .found = fmt::format("{} = \"{}\"", option, value),
                    .hint = std::string(option) == "padding"
                                ? "\"pre\" pads before the values (Keras's default), \"post\" after them"
                                : "\"pre\" drops values from the start (Keras's default), \"post\" from the end"});
}

}  // namespace detail

namespace {

bool integer_dtype_holds(DType dtype, double v) {
  if (!std::isfinite(v) || v != std::floor(v)) return false;
  if (dtype == Int32)
    return v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max();
  return v >= -9.2233720368547758e18 && v < 9.2233720368547758e18;
}

void check_options(const PadOptions& o) {
  if (o.maxlen && *o.maxlen < 0)
    throw ValueError({.op = "pad_sequences",
                      .problem = "maxlen must not be negative",
                      .expected = "maxlen >= 0, or unset for the longest sequence",
                      .found = fmt::format("maxlen = {}", *o.maxlen)});
  detail::check_side_option(o.padding, "padding", "pad_sequences");
  detail::check_side_option(o.truncating, "truncating", "pad_sequences");
  if (o.dtype == Bool)
    throw ValueError({.op = "pad_sequences",
                      .problem = "dtype bool cannot hold token ids",
                      .expected = "dtype lm::Int32 (the default), lm::Int64, lm::Float32 or lm::Float64",
                      .found = "dtype = lm::Bool",
                      .hint = "the mask of the result is the Bool tensor: x.mask()"});
  if (is_integer(o.dtype) && !integer_dtype_holds(o.dtype, o.value))
    throw ValueError({.op = "pad_sequences",
                      .problem = fmt::format("the padding value is not exact in {}", dtype_name(o.dtype)),
                      .expected = fmt::format("an integer value within the range of {}", dtype_name(o.dtype)),
                      .found = fmt::format("value = {}", o.value),
                      .hint = "use an integer padding value, or a float dtype"});
}

}  // namespace

Tensor pad_sequences(const std::vector<std::vector<std::int64_t>>& sequences, const PadOptions& options) {
  check_options(options);
  std::int64_t width = 0;
  if (options.maxlen) {
    width = *options.maxlen;
  } else {
    for (const auto& s : sequences) width = std::max(width, static_cast<std::int64_t>(s.size()));
  }
  return detail::pad_rows(
      static_cast<std::int64_t>(sequences.size()),
      [&](std::int64_t i) -> const std::vector<std::int64_t>& { return sequences[static_cast<std::size_t>(i)]; },
      {.width = width,
       .pad_pre = options.padding == "pre",
       .truncate_pre = options.truncating == "pre",
       .value = options.value,
       .dtype = options.dtype,
       .op = "pad_sequences"});
}

}  // namespace lamina::data
