// Seed 002, example 1: a Lambda whose function returns nothing on one branch.
// In Keras the None surfaces later as "'NoneType' object has no attribute 'dtype'" in the
// gradient code. In Lamina an undefined tensor (the analogue of None) returned by the function
// is a ValueError at the call, naming the layer and the input shape.
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

lm::Tensor conditional_transform(const lm::Tensor& x) {
  if (lm::sum(x) > 0) return x * 2;
  return {};  // returning "None": should be lm::zeros_like(x)
}

int main() {
  auto input_tensor = lm::Input({3});
  auto lambda_layer = Lambda(conditional_transform)(input_tensor);
  lm::Model model(input_tensor, lambda_layer);
  auto optimizer = lm::optimizers::Adam(0.01);
  auto loss_function = lm::losses::MeanSquaredError();

  auto X = lm::tensor({{1.f, 2.f, 3.f}, {-1.f, -2.f, -3.f}});  // sums to 0: the "None" branch
  auto y = lm::tensor({{2.f, 4.f, 6.f}, {0.f, 0.f, 0.f}});
  try {
    lm::GradientTape tape;
    auto y_pred = model(X);
    auto loss = (*loss_function)(y, y_pred);
    auto gradients = tape.gradient(loss, model.trainable_weights());
    optimizer->apply_gradients(gradients, model.trainable_weights());
  } catch (const lm::ValueError& e) {
    std::cout << "Error: " << e.what() << "\n";
  }
  return 0;
}
