// Seed 001, example 3: a Lambda that gathers entries at random integer indices.
// The seed claims this cuts the gradient. It does not: gather_nd is differentiable with
// respect to the values it gathers (only the integer indices get no gradient), so a Dense
// layer before it trains. What does cut the path is an op such as round applied to the
// values themselves -- and then fit refuses to start, naming the weights, the op and the layer.
#include <cmath>
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

// For each (sample, step), the feature at a random index in [0, 99).
lm::Tensor non_diff_func(const lm::Tensor& x) {
  auto batch = x.dim(0), steps = x.dim(1), features = x.dim(2);
  auto indices = lm::cast(
      lm::round(lm::random_uniform({batch, steps}, {.minval = 0, .maxval = static_cast<double>(features - 1)})),
      lm::Int32);
  auto rows = lm::broadcast_to(lm::reshape(lm::arange(batch), {batch, 1}), {batch, steps});
  auto cols = lm::broadcast_to(lm::arange(steps), {batch, steps});
  return lm::gather_nd(x, lm::stack({rows, cols, indices}, -1));
}

lm::Model build(const LambdaFn& fn) {
  lm::clear_session();
  auto input_tensor = lm::Input({10, 100});
  auto x = Dense(100)(input_tensor);
  auto select_random = Lambda(fn, {.name = "select_random"})(x);
  return lm::Model(input_tensor, select_random);
}

int main() {
  lm::set_seed(3);
  auto x_train = lm::random_normal({10, 10, 100});
  auto y_train = lm::random_normal({10, 10});

  auto model = build(non_diff_func);
  std::cout << "output: " << model.outputs()[0].spec().str() << "\n";
  {
    lm::GradientTape tape;
    auto loss = lm::mean(lm::square(model(x_train) - y_train));
    auto grads = tape.gradient(loss, model.trainable_weights());
    for (std::size_t i = 0; i < grads.size(); ++i)
      std::cout << "gradient reaches " << model.trainable_weights()[i].name() << ": " << (grads[i] ? "yes" : "no")
                << "\n";
  }
  model.compile({.optimizer = "adam", .loss = "mse"});
  auto history = model.fit(x_train, y_train, {.epochs = 1, .verbose = 0});
  std::cout << "fit ran, loss is finite: " << std::boolalpha << std::isfinite(history["loss"][0]) << "\n";

  // Rounding the values does cut the path from the Dense weights to the loss.
  auto cut = build([](const lm::Tensor& t) { return lm::round(lm::mean(t, -1)); });
  cut.compile({.optimizer = "adam", .loss = "mse"});
  try {
    cut.fit(x_train, y_train, {.epochs = 1, .verbose = 0});
  } catch (const lm::GradientError& e) {
    std::cout << e.what() << "\n";
  }
  return 0;
}
