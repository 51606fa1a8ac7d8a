// Seed 002, example 2: `x *= 2` inside a Lambda. Lamina tensors are immutable values, so
// `x *= 2` rebinds x to a new tensor: the caller's input is untouched, the output is 2x, and
// the gradient is 2 everywhere.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

lm::Tensor inplace_mutation(lm::Tensor x) {
  x *= 2;
  return x;
}

int main() {
  auto input_tensor = lm::Input({3});
  auto lambda_layer = Lambda(inplace_mutation)(input_tensor);
  lm::Model model(input_tensor, lambda_layer);
  auto optimizer = lm::optimizers::Adam(0.01);
  auto loss_function = lm::losses::MeanSquaredError();

  auto X = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  auto y = lm::tensor({{2.f, 4.f, 6.f}, {8.f, 10.f, 12.f}});

  lm::GradientTape tape;
  tape.watch(X);
  auto y_pred = model(X);
  auto loss = (*loss_function)(y, y_pred);
  auto gradients = tape.gradient(loss, model.trainable_weights());
  optimizer->apply_gradients(gradients, model.trainable_weights());  // no weights: nothing to do
  std::cout << "y_pred:\n" << y_pred << "\n";
  std::cout << "loss: " << loss << "\n";
  std::cout << "X after the call:\n" << X << "\n";
  std::cout << "d sum(y_pred) / dX:\n" << *tape.gradient(lm::sum(y_pred), X) << "\n";
  return 0;
}
