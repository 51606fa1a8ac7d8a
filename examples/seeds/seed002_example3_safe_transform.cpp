// Seed 002, example 3: every branch returns a tensor and nothing mutates in place; the
// GradientTape + apply_gradients step runs.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

lm::Tensor safe_transform(const lm::Tensor& x) {
  if (lm::sum(x) > 0) return x * 2;
  return lm::zeros_like(x);
}

lm::Tensor safe_mutation(const lm::Tensor& x) { return x * 2; }

int main() {
  auto input_tensor = lm::Input({3});
  auto lambda_layer_safe = Lambda(safe_transform)(input_tensor);
  auto lambda_layer_safe_mutation = Lambda(safe_mutation)(lambda_layer_safe);
  lm::Model model_safe(input_tensor, lambda_layer_safe_mutation);
  auto optimizer_safe = lm::optimizers::Adam(0.01);
  auto loss_function_safe = lm::losses::MeanSquaredError();

  auto X = lm::tensor({{1.f, 2.f, 3.f}, {-1.f, -2.f, -3.f}});  // sums to 0: zeros_like
  auto y = lm::tensor({{2.f, 4.f, 6.f}, {0.f, 0.f, 0.f}});

  lm::GradientTape tape;
  auto y_pred = model_safe(X);
  auto loss = (*loss_function_safe)(y, y_pred);
  auto gradients = tape.gradient(loss, model_safe.trainable_weights());
  optimizer_safe->apply_gradients(gradients, model_safe.trainable_weights());
  std::cout << "y_pred:\n" << y_pred << "\n";
  std::cout << "loss: " << loss << "\n";
  std::cout << "Training ran successfully!\n";
  return 0;
}
