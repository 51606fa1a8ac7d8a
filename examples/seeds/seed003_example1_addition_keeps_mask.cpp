// Seed 003, example 1: adding a constant to an embedding between layers.
// In Lamina the Embedding's mask rides on the tensor through `+ 1.0`, so the LSTM still skips
// the padded steps: its output on the padded batch equals its output on each sequence alone.
#include <iostream>
#include <lamina/lamina.hpp>

#include "seed003_common.hpp"

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  lm::set_seed(1);
  Embedding embedding_layer(100, 32, {.mask_zero = true});
  auto input_tensor = lm::tensor({{1, 2, 0, 0}, {3, 4, 5, 0}});
  auto embedded_tensor = embedding_layer(input_tensor);
  auto modified_tensor = embedded_tensor + 1.0;

  LSTM lstm_layer(64);
  auto lstm_output_original = lstm_layer(embedded_tensor);
  auto lstm_output_modified = lstm_layer(modified_tensor);

  std::cout << "Shape of embedded tensor: " << embedded_tensor.shape() << "\n";
  std::cout << "Shape of modified tensor: " << modified_tensor.shape() << "\n";
  std::cout << "Shape of lstm_output_original: " << lstm_output_original.shape() << "\n";
  std::cout << "Shape of lstm_output_modified: " << lstm_output_modified.shape() << "\n";
  std::cout << "mask of modified tensor:\n" << modified_tensor.mask() << "\n";
  std::cout << std::boolalpha << "lstm_output_modified equals the LSTM on each unpadded sequence: "
            << seed003::matches_unpadded(lstm_layer, modified_tensor, lstm_output_modified, {2, 3}) << "\n";
  std::cout << "lstm_output_original equals the LSTM on each unpadded sequence: "
            << seed003::matches_unpadded(lstm_layer, embedded_tensor, lstm_output_original, {2, 3}) << "\n";
  return 0;
}
