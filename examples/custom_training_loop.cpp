// A training loop written by hand: GradientTape records the forward pass, tape.gradient gives
// the gradients of the masked loss, optimizer->apply_gradients updates the weights.
// The task: sequences of 2..16 tokens, padded with 0; at each step predict the token one step
// back (class 0 at the first step). The Embedding's mask rides through the LSTM to the logits,
// so the loss and the accuracy count the valid steps only.
//
//   ./build/release/examples/custom_training_loop           # 200 steps
//   ./build/release/examples/custom_training_loop --tiny    # 10 steps (CI)
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <lamina/lamina.hpp>
#include <random>
#include <string>

namespace lm = lamina;
using namespace lamina::layers;

constexpr std::int64_t kVocab = 20, kMaxLen = 16;

struct Batch {
  lm::Tensor x, y;
};

Batch make_batch(std::int64_t n, std::mt19937_64& rng) {
  std::vector<std::int32_t> x(static_cast<std::size_t>(n * kMaxLen), 0), y(x.size(), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    auto len = static_cast<std::int64_t>(2 + rng() % (kMaxLen - 1));
    for (std::int64_t t = 0; t < len; ++t) {
      auto at = static_cast<std::size_t>(i * kMaxLen + t);
      x[at] = static_cast<std::int32_t>(2 + rng() % (kVocab - 2));
      y[at] = t == 0 ? 0 : x[at - 1];
    }
  }
  return {lm::tensor(x, {n, kMaxLen}), lm::tensor(y, {n, kMaxLen})};
}

// Share of valid steps where the most likely class is the target (padded steps ignored:
// argmax, equal and cast keep the mask, and mean skips masked entries).
double accuracy(const lm::Model& model, const Batch& b) {
  auto logits = model(b.x);
  auto hits = lm::cast(lm::equal(lm::argmax(logits, -1), lm::cast(b.y, lm::Int64)), lm::Float32);
  return lm::mean(hits).item<double>();
}

int main(int argc, char** argv) {
  bool tiny = argc > 1 && std::string(argv[1]) == "--tiny";
  const int steps = tiny ? 10 : 200;
  lm::set_seed(5);
  std::mt19937_64 rng(5);

  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(kVocab, 16, {.mask_zero = true})(tokens);
  x = LSTM(32, {.return_sequences = true})(x);
  lm::Model model(tokens, Dense(kVocab)(x), "delay_by_one");
  auto vars = model.trainable_weights();
  auto loss_fn = lm::losses::SparseCategoricalCrossentropy({.from_logits = true});
  auto optimizer = lm::optimizers::Adam(1e-2);

  auto held_out = make_batch(256, rng);
  std::cout << fmt::format("held-out accuracy before training: {:.4f}\n", accuracy(model, held_out));
  for (int step = 1; step <= steps; ++step) {
    auto batch = make_batch(32, rng);
    lm::GradientTape tape;
    auto logits = model(batch.x, {.training = true});   // (32, 16, 20), mask (32, 16)
    auto loss = (*loss_fn)(batch.y, logits);            // mean over the valid steps
    if (step == 1) tape.require_gradients(loss, vars);  // GradientError if a weight were cut off
    auto grads = tape.gradient(loss, vars);
    optimizer->apply_gradients(grads, vars);
    std::cout << fmt::format("step {:3d}  loss {:.4f}\n", step, loss.item<double>());
  }
  std::cout << fmt::format("held-out accuracy after {} steps: {:.4f}\n", steps, accuracy(model, held_out));
  return 0;
}
