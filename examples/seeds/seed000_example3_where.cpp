// Seed 000, example 3: masking with where(mask, x, zeros_like(x)) inside a Lambda.
// A where condition must be Bool; an int condition is a DTypeError with the fix.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  auto tensor = lm::tensor({10.f, 20.f, 30.f, 40.f});
  auto mask = lm::tensor({true, false, true, false});

  auto masked_tensor = Lambda([&](const lm::Tensor& x) { return lm::where(mask, x, lm::zeros_like(x)); })(tensor);
  std::cout << masked_tensor << "\n";

  try {
    lm::where(lm::tensor({1, 0, 1, 0}), tensor, lm::zeros_like(tensor));
  } catch (const lm::DTypeError& e) {
    std::cout << e.what() << "\n";
  }
  return 0;
}
