// Seed 004, example 3: masking by multiplication and a masked mean by hand, then the same
// mean with the mask attached to the tensor (Lamina's reductions skip masked entries).
// A mask attached with with_mask must be Bool; the float mask is refused with the fix.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;

int main() {
  auto data = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 0.f}, {6.f, 0.f, 0.f}});
  auto mask = lm::tensor({{1.f, 1.f, 1.f}, {1.f, 1.f, 0.f}, {1.f, 0.f, 0.f}});

  auto masked_data = data * mask;
  auto masked_mean = lm::sum(masked_data, 1) / lm::sum(mask, 1);
  std::cout << masked_data << "\n";
  std::cout << masked_mean << "\n";

  // The mask travelling with the data.
  auto masked = data.with_mask(mask != 0);
  std::cout << "mean with the mask attached:\n" << lm::mean(masked, 1) << "\n";

  try {
    data.with_mask(mask);
  } catch (const lm::DTypeError& e) {
    std::cout << e.what() << "\n";
  }
  return 0;
}
