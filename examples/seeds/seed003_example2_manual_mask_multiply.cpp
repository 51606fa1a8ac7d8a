// Seed 003, example 2: multiplying an embedding by a float mask built by hand.
// The product keeps the Embedding's mask (an elementwise op ANDs its operands' masks; the
// hand-made float tensor has none), so the GRU still skips the padded steps.
#include <iostream>
#include <lamina/lamina.hpp>

#include "seed003_common.hpp"

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  lm::set_seed(2);
  Embedding embedding_layer(100, 32, {.mask_zero = true});
  auto input_tensor = lm::tensor({{1, 2, 0, 0}, {3, 4, 5, 0}});
  auto embedded_tensor = embedding_layer(input_tensor);

  auto manual_mask = lm::cast(input_tensor != 0, lm::Float32);
  manual_mask = lm::expand_dims(manual_mask, -1);
  auto masked_tensor = embedded_tensor * manual_mask;

  GRU gru_layer(64);
  auto gru_output_original = gru_layer(embedded_tensor);
  auto gru_output_modified = gru_layer(masked_tensor);

  std::cout << "Shape of embedded tensor: " << embedded_tensor.shape() << "\n";
  std::cout << "Shape of masked tensor: " << masked_tensor.shape() << "\n";
  std::cout << "Shape of gru_output_original: " << gru_output_original.shape() << "\n";
  std::cout << "Shape of gru_output_modified: " << gru_output_modified.shape() << "\n";
  std::cout << "mask of masked tensor:\n" << masked_tensor.mask() << "\n";
  // Padded steps are skipped either way, and valid steps are multiplied by 1: same outputs.
  std::cout << std::boolalpha << "gru_output_modified equals gru_output_original: "
            << (lm::max(lm::abs(gru_output_modified - gru_output_original)).item<double>() < 1e-6) << "\n";
  std::cout << "gru_output_modified equals the GRU on each unpadded sequence: "
            << seed003::matches_unpadded(gru_layer, masked_tensor, gru_output_modified, {2, 3}) << "\n";
  return 0;
}
