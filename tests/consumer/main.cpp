// Builds and trains a small masked sequence model with the installed Lamina, and prints the
// loss before and after training (scripts/test_consumer.sh checks that it went down).
#include <cmath>
#include <cstdio>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  lm::set_seed(1);
  // Two padded sequences per class: the label is whether token 3 occurs.
  auto x = lm::tensor({{3, 4, 0, 0}, {5, 3, 2, 0}, {4, 5, 0, 0}, {2, 4, 5, 2}});
  auto y = lm::tensor({{1.f}, {1.f}, {0.f}, {0.f}});

  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto h = LSTM(8)(Embedding(6, 4, {.mask_zero = true})(tokens));
  lm::Model model(tokens, Dense(1, {.activation = "sigmoid"})(h));
  model.compile({.optimizer = lm::optimizers::Adam(0.05), .loss = "binary_crossentropy"});

  double before = model.evaluate(x, y, {.verbose = 0})["loss"];
  model.fit(x, y, {.batch_size = 4, .epochs = 30, .verbose = 0});
  double after = model.evaluate(x, y, {.verbose = 0})["loss"];
  std::printf("loss before: %.4f\nloss after: %.4f\n", before, after);
  if (!std::isfinite(after) || !(after < before)) {
    std::printf("training did not lower the loss\n");
    return 1;
  }
  return 0;
}
