// Seed 003, example 3: replacing an embedding by zeros_like of it.
// zeros_like keeps the mask of its argument, so the replaced tensor is still marked padded
// where the ids were 0; the SimpleRNN skips those steps. (A tensor made from nothing, such as
// lm::zeros({2, 4, 32}), has no mask: pass `.mask` or call with_mask to give it one.)
#include <iostream>
#include <lamina/lamina.hpp>

#include "seed003_common.hpp"

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  lm::set_seed(3);
  Embedding embedding_layer(100, 32, {.mask_zero = true});
  auto input_tensor = lm::tensor({{1, 2, 0, 0}, {3, 4, 5, 0}});
  auto embedded_tensor = embedding_layer(input_tensor);

  auto replacement_tensor = lm::zeros_like(embedded_tensor);
  auto replaced_tensor = replacement_tensor;

  SimpleRNN rnn_layer(64, {.bias_initializer = "random_normal"});  // a bias, so padded steps would show
  auto rnn_output_original = rnn_layer(embedded_tensor);
  auto rnn_output_modified = rnn_layer(replaced_tensor);

  std::cout << "Shape of embedded tensor: " << embedded_tensor.shape() << "\n";
  std::cout << "Shape of replaced tensor: " << replaced_tensor.shape() << "\n";
  std::cout << "Shape of rnn_output_original: " << rnn_output_original.shape() << "\n";
  std::cout << "Shape of rnn_output_modified: " << rnn_output_modified.shape() << "\n";
  std::cout << "mask of replaced tensor:\n" << replaced_tensor.mask() << "\n";
  std::cout << "sum of |replaced tensor|: " << lm::sum(lm::abs(replaced_tensor)).item<double>() << "\n";
  std::cout << std::boolalpha << "rnn_output_modified equals the SimpleRNN on each unpadded sequence: "
            << seed003::matches_unpadded(rnn_layer, replaced_tensor, rnn_output_modified, {2, 3}) << "\n";
  auto unmasked = rnn_layer(replaced_tensor.without_mask());
  std::cout << "without the mask the padded steps change it: "
            << (lm::max(lm::abs(unmasked - rnn_output_modified)).item<double>() > 1e-4) << "\n";
  return 0;
}
