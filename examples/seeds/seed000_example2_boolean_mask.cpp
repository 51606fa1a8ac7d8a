// Seed 000, example 2: the mask cast to bool, applied with boolean_mask inside a Lambda.
// Lamina's boolean_mask takes only Bool masks: an int mask is a DTypeError whose hint is
// the cast (or `mask != 0`), not a silent numeric interpretation.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  auto mask = lm::cast(lm::tensor({1, 0, 1, 0}), lm::Bool);
  auto tensor = lm::tensor({10.f, 20.f, 30.f, 40.f});

  auto masked_tensor = Lambda([&](const lm::Tensor& x) { return lm::boolean_mask(x, mask); })(tensor);
  std::cout << masked_tensor << "\n";

  // Forgetting the cast.
  auto int_mask = lm::tensor({1, 0, 1, 0});
  try {
    lm::boolean_mask(tensor, int_mask);
  } catch (const lm::DTypeError& e) {
    std::cout << e.what() << "\n";
  }
  return 0;
}
