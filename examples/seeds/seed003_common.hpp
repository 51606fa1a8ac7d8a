#pragma once
// Shared by the seed 003 programs: does a recurrent layer's output on a padded, masked batch
// equal its output on each sequence cut to its real length (no padding, no mask)?
#include <lamina/lamina.hpp>

namespace seed003 {

inline bool matches_unpadded(const lamina::LayerRef& rnn, const lamina::Tensor& x, const lamina::Tensor& batched,
                             const std::vector<std::int64_t>& lengths) {
  namespace lm = lamina;
  for (std::int64_t r = 0; r < static_cast<std::int64_t>(lengths.size()); ++r) {
    auto row = lm::slice(x.without_mask(), {lm::Range{r, r + 1}, lm::Range{0, lengths[r]}});
    auto alone = rnn(row);
    auto got = lm::slice(batched, 0, lm::Range{r, r + 1});
    if (lm::max(lm::abs(got - alone)).item<double>() > 1e-5) return false;
  }
  return true;
}

}  // namespace seed003
