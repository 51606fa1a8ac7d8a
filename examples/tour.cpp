// The README's tour, runnable: ./build/release/examples/tour
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  // Dtypes and masks (seed 000).
  auto x = lm::tensor({10.f, 20.f, 30.f, 40.f});
  auto int_mask = lm::tensor({1, 0, 1, 0});
  std::cout << x * int_mask << "\n";
  std::cout << lm::boolean_mask(x, int_mask != 0) << "\n";
  try {
    lm::boolean_mask(x, int_mask);
  } catch (const lm::DTypeError& e) {
    std::cout << e.what() << "\n";
  }

  // Masks ride along with values.
  auto seq = lm::ones({2, 4, 3}).with_mask(lm::tensor({{true, true, false, false}, {true, true, true, false}}));
  auto y = seq * 2.f + 1.f;
  std::cout << lm::mean(y, 1) << "\n";

  // Autodiff, with diagnostics.
  lm::Variable w("w", lm::tensor({0.5f, 1.5f}));
  lm::GradientTape tape;
  auto loss = lm::sum(lm::round(lm::tensor({2.f, 4.f}) * w.value()));
  std::cout << "gradient of w: " << (tape.gradient(loss, {w})[0] ? "some" : "none") << "\n";
  try {
    tape.require_gradients(loss, {w});
  } catch (const lm::GradientError& e) {
    std::cout << e.what() << "\n";
  }

  // Layers on symbolic inputs: specs, masks and errors before any data.
  auto tokens = lm::Input({lm::None}, lm::Int32);
  auto h = Embedding(20000, 128, {.mask_zero = true})(tokens);
  h = h * 0.5f + 1.0f;
  h = Bidirectional(LSTM(64, {.return_sequences = true}))(h);
  h = Lambda([](const lm::Tensor& t) { return lm::tanh(t); }, {.name = "squash"})(h);
  h = GlobalAveragePooling1D()(h);
  auto probs = Dense(6, {.activation = "softmax"})(h);
  std::cout << "probs: " << probs.spec().str() << "\n";

  auto input = lm::Input({10, 100});
  try {
    Lambda([](const lm::Tensor& t) { return lm::dot(t, lm::random_normal({100})); },
           {.output_shape = lm::Shape{100}, .name = "weighted_sum"})(input);
  } catch (const lm::ShapeError& e) {
    std::cout << e.what() << "\n";
  }
  return 0;
}
