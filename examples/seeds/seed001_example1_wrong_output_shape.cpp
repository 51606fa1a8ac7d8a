// Seed 001, example 1: a Lambda whose declared output_shape disagrees with its function.
// K.dot((batch, 10, 100), (100,)) is (batch, 10), but output_shape says (100,). Keras fails
// late, inside fit, with a message about another layer; Lamina fails when the layer is called
// on the symbolic input, before compile or any data, naming both shapes.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

lm::Tensor weighted_sum_incorrect(const lm::Tensor& x) {
  auto weights = lm::random_normal({x.dim(2)});
  return lm::dot(x, weights);
}

int main() {
  auto input_tensor = lm::Input({10, 100});
  try {
    auto weighted_sum = Lambda(weighted_sum_incorrect, {.output_shape = lm::Shape{100}})(input_tensor);
    lm::Model model(input_tensor, weighted_sum);
    model.compile({.optimizer = "adam", .loss = "mse"});
    model.fit(lm::random_normal({10, 10, 100}), lm::random_normal({10, 100}), {.epochs = 1});
  } catch (const lm::ShapeError& e) {
    std::cout << e.what() << "\n";
  }
  return 0;
}
