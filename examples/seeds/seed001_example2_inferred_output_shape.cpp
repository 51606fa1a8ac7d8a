// Seed 001, example 2: without output_shape, Lamina infers the Lambda's output shape
// (batch, 10) by running the function, and the model fits for an epoch.
// As in the seed, the "weights" are drawn anew at every call (K.random_normal inside the
// function), so the model has nothing to learn; a custom layer with add_weight would.
#include <cmath>
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

lm::Tensor weighted_sum_correct(const lm::Tensor& x) {
  auto weights = lm::random_normal({x.dim(2)});
  return lm::sum(x * weights, 2);
}

int main() {
  lm::set_seed(1);
  auto input_tensor = lm::Input({10, 100});
  auto weighted_sum = Lambda(weighted_sum_correct)(input_tensor);
  std::cout << "inferred output: " << weighted_sum.spec().str() << "\n";
  lm::Model model(input_tensor, weighted_sum);
  std::cout << "trainable weights: " << model.trainable_weights().size() << "\n";

  model.compile({.optimizer = "adam", .loss = "mse"});
  auto history = model.fit(lm::random_normal({10, 10, 100}), lm::random_normal({10, 10}), {.epochs = 1, .verbose = 0});
  std::cout << "epochs run: " << history["loss"].size() << "\n";
  std::cout << "loss is finite: " << std::boolalpha << std::isfinite(history["loss"][0]) << "\n";
  return 0;
}
