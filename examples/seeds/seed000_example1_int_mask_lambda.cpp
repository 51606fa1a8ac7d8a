// Seed 000, example 1: a Lambda multiplying a float tensor by an integer 0/1 mask.
// TensorFlow raises a TypeError (float32 * int64). Lamina promotes int32 to float32, as
// NumPy and JAX do, so the product is the masked tensor. With lm::config().strict_dtypes
// the same product is refused instead, with the cast to write.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  auto mask = lm::tensor({1, 0, 1, 0});  // int32, like np.array([1, 0, 1, 0])
  auto tensor = lm::tensor({10.f, 20.f, 30.f, 40.f});

  auto masked_tensor = Lambda([&](const lm::Tensor& x) { return x * mask; })(tensor);
  std::cout << masked_tensor << "\n";

  // Strict dtypes: no implicit promotion between tensors.
  lm::config().strict_dtypes = true;
  try {
    std::cout << tensor * mask << "\n";
  } catch (const lm::DTypeError& e) {
    std::cout << e.what() << "\n";
  }
  // The fix the hint gives.
  std::cout << tensor * lm::cast(mask, lm::Float32) << "\n";
  return 0;
}
