// Seed 004, example 2: Embedding -> LSTM(return_sequences) -> Dense(1), fit with sample
// weights on two padded sequences. Two things in the seed are wrong:
//   - `LSTM(..., mask_zero=True)`: mask_zero belongs to the Embedding (Keras raises a
//     TypeError; in C++ `LSTM(128, {.mask_zero = true})` does not compile);
//   - the model outputs one value per timestep, (2, 5, 1), but the targets are (2, 1).
// Lamina refuses the mismatched targets; with per-timestep targets the masked model trains
// and the loss is the mean over the valid steps only.
#include <cmath>
#include <iostream>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  lm::set_seed(4);
  lm::Sequential model({lm::Input({lm::None}, lm::Int32), Embedding(1000, 64, {.mask_zero = true}),
                        LSTM(128, {.return_sequences = true}), Dense(1)});
  auto sequences = lm::tensor({{1, 2, 3, 0, 0}, {4, 5, 6, 7, 8}});
  auto masks = lm::tensor({{1.f, 1.f, 1.f, 0.f, 0.f}, {1.f, 1.f, 1.f, 1.f, 1.f}});
  model.compile({.optimizer = "adam", .loss = "mse"});
  std::cout << "output: " << model.outputs()[0].spec().str() << "\n";

  try {
    model.fit(sequences, lm::tensor({{1.f}, {2.f}}), {.epochs = 10, .verbose = 0, .sample_weight = masks});
  } catch (const lm::ShapeError& e) {
    std::cout << e.what() << "\n";
  }

  // One target per timestep: 1 for the first sequence, 2 for the second.
  auto targets = lm::tensor(std::vector<float>{1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, lm::Shape{2, 5, 1});
  lm::Tensor before = model.predict(sequences);
  std::cout << "prediction mask: " << before.mask() << "\n";
  // The first epoch's loss, by hand: mean over the 8 valid steps of weight * (pred - target)^2.
  auto p = before.to_vector<double>();
  auto w = masks.to_vector<double>();
  auto t = targets.to_vector<double>();
  auto valid = before.mask().to_vector<bool>();
  double sum = 0, count = 0;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (valid[i]) sum += w[i] * (p[i] - t[i]) * (p[i] - t[i]), count += 1;

  auto history = model.fit(sequences, targets, {.epochs = 10, .verbose = 0, .sample_weight = masks});
  const auto& loss = history["loss"];
  std::cout << std::boolalpha << "epochs: " << loss.size() << "\n";
  std::cout << "first epoch loss = masked mean by hand: " << (std::abs(loss[0] - sum / count) < 1e-6 * (1 + sum))
            << "\n";
  std::cout << "loss went down: " << (loss.back() < loss.front()) << "\n";
  return 0;
}
