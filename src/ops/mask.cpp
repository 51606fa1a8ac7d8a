// Mask utilities: full_mask, fill_masked and sequence_mask.
#include "lamina/ops/mask.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/index.hpp"
#include "ops/support/dims.hpp"
#include "ops/support/elementwise_op.hpp"
#include "ops/support/indices.hpp"
#include "core/attrs.hpp"

namespace lamina {

Tensor full_mask(const Tensor& x) {
  OpScope scope("full_mask");
  detail::require_defined(x, "full_mask");
  if (x.is_symbolic())
    return symbolic_op("full_mask", {x}, TensorSpec{x.shape(), Bool, -1},
                       [](const TensorList& in) { return full_mask(in[0]); });
  Tensor m = detail::mask_to_rank(x, x.rank());
  record_cut("full_mask", {x}, {m});
  return m;
}

Tensor fill_masked(const Tensor& x, Scalar value) {
  OpScope scope("fill_masked");
  if (!x.has_mask()) return x;
  // where() ANDs the operands' masks: full_mask(x) carries none, so x's mask is kept.
  return where(full_mask(x), x, value);
}

Tensor sequence_mask(const Tensor& lengths, std::optional<std::int64_t> maxlen) {
  OpScope scope("sequence_mask");
  detail::require_defined(lengths, "sequence_mask", "lengths");
  detail::require_index_dtype(lengths, "sequence_mask", "lengths");
  if (maxlen && *maxlen < 0)
    throw ValueError({.op = "sequence_mask",
                      .problem = "maxlen must not be negative",
                      .expected = "maxlen >= 0 (the number of time steps)",
                      .found = fmt::format("maxlen = {}", *maxlen),
                      .hint = "pass the padded length, or leave maxlen out to use the longest sequence"});
  const Shape& ls = lengths.shape();
  if (lengths.is_symbolic())
    return symbolic_op("sequence_mask", {lengths},
                       TensorSpec{detail::concat_dims({ls.dims(), {maxlen.value_or(None)}}), Bool, lengths.mask_rank()},
                       [maxlen](const TensorList& in) { return sequence_mask(in[0], maxlen); },
                       nlohmann::json{{"maxlen", maxlen ? nlohmann::json(*maxlen) : nlohmann::json(nullptr)}}.dump());
  // Valid lengths are checked; masked ones are padding and read as 0.
  const std::int64_t n = lengths.numel();
  const Tensor valid = detail::mask_to_rank(lengths, lengths.rank());
  const bool* pv = valid.data<bool>();
  std::vector<std::int64_t> len(static_cast<std::size_t>(n), 0);
  detail::with_indices(lengths, [&](const auto* p) {
    for (std::int64_t i = 0; i < n; ++i) {
      if (!pv[i]) continue;
      if (p[i] < 0)
        throw ValueError({.op = "sequence_mask",
                          .problem = fmt::format("length {} is negative", static_cast<std::int64_t>(p[i])),
                          .expected = "lengths >= 0",
                          .found = fmt::format("{} at lengths{} (lengths shape {})", static_cast<std::int64_t>(p[i]),
                                               detail::position(i, ls), ls.str()),
                          .hint = "lengths count the valid steps of each sequence; check how they were computed"});
      len[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(p[i]);
    }
  });
  const std::int64_t steps = maxlen ? *maxlen : (n == 0 ? 0 : *std::max_element(len.begin(), len.end()));
  Tensor out = detail::empty(detail::concat_dims({ls.dims(), {steps}}), Bool);
  bool* po = detail::mutable_data<bool>(out);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t t = 0; t < steps; ++t) po[i * steps + t] = t < len[static_cast<std::size_t>(i)];
  detail::set_mask(out, lengths.mask());
  record_cut("sequence_mask", {lengths}, {out});
  return out;
}

}  // namespace lamina
