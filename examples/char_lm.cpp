// A character-level language model on Jane Austen's sentences: Embedding(mask_zero) ->
// LSTM(256, return_sequences) -> Dense(characters), trained to predict each next character
// with a per-timestep masked loss over sentences of different lengths. TextVectorization at
// character level (a character is a code point) gives the ids; BucketedBatches groups
// sentences of similar length and pads each batch only to its own longest one, so little
// padding is computed and none of it is counted. Prints the held-out bits per character and
// a line sampled from the model (temperature sampling, seeded).
//
//   ./build/release/examples/char_lm                           # 4,000 sentences, 3 epochs
//   ./build/release/examples/char_lm --tiny                    # 96 sentences, 1 epoch (CI)
//   ./build/release/examples/char_lm --sentences 20000 --epochs 5
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <lamina/lamina.hpp>
#include <numeric>

#include "austen_data.hpp"

namespace lm = lamina;
using namespace lamina::layers;

namespace {

constexpr std::int64_t kMaxChars = 250;  // longer sentences are cut (their first 250 characters kept)

// Inputs [start, c1 .. cn] and targets [c1 .. cn, end] for each sentence, where `boundary`
// (an id after the vocabulary) is both the start and the end mark.
struct Shifted {
  lm::data::Sequences inputs, targets;
};
Shifted shift(const lm::data::Sequences& sentences, std::int64_t boundary) {
  Shifted s;
  for (const auto& ids : sentences) {
    std::vector<std::int64_t> in{boundary};
    in.insert(in.end(), ids.begin(), ids.end());
    std::vector<std::int64_t> out(ids.begin(), ids.end());
    out.push_back(boundary);
    s.inputs.push_back(std::move(in));
    s.targets.push_back(std::move(out));
  }
  return s;
}

// Held-out bits per character: each batch's loss is the mean over its valid steps, so weight
// it by its number of valid steps (the true entries of the input's mask).
double bits_per_character(const lm::Model& model, lm::data::BucketedBatches& data) {
  double nats = 0, count = 0;
  for (std::int64_t i = 0; i < data.size(); ++i) {
    auto b = data.get(i);
    auto n = lm::sum(lm::cast(b.x[0].mask(), lm::Float64)).item<double>();
    nats += model.test_on_batch(b.x, b.y)["loss"] * n;
    count += n;
  }
  return nats / count / std::log(2.0);
}

// Samples characters one at a time from softmax(logits / temperature) until the end mark.
std::string sample(const lm::Model& model, const lm::data::TextVectorization& chars, std::int64_t boundary,
                   double temperature, std::size_t max_chars, std::uint64_t seed) {
  lm::Generator gen(seed);
  std::vector<std::int32_t> prefix = {static_cast<std::int32_t>(boundary)};
  std::string out;
  while (prefix.size() <= max_chars) {
    auto n = static_cast<std::int64_t>(prefix.size());
    lm::Tensor logits = model.predict_on_batch(lm::tensor(prefix, {1, n}));
    auto last = lm::slice(logits, {lm::Range{0, 1}, lm::Range{n - 1, n}});
    auto p = lm::softmax(last / temperature).to_vector<double>();
    p[0] = p[1] = 0;  // never padding or [UNK]
    double total = std::accumulate(p.begin(), p.end(), 0.0), u = gen.uniform() * total, acc = 0;
    auto next = boundary;
    for (std::size_t k = 0; k < p.size(); ++k)
      if (p[k] > 0 && (acc += p[k]) > u) {
        next = static_cast<std::int64_t>(k);
        break;
      }
    if (next == boundary) break;
    out += chars.vocabulary()[static_cast<std::size_t>(next)];
    prefix.push_back(static_cast<std::int32_t>(next));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = austen::parse_options(argc, argv, "usage: char_lm [--tiny] [--data DIR] [--sentences N] [--epochs N]");
  lm::set_seed(11);
  auto corpus = austen::read_corpus(austen::find_data_dir(options.data_dir), 11);
  corpus.train.keep_first(static_cast<std::size_t>(options.sentences ? options.sentences : options.tiny ? 96 : 4000));
  corpus.valid.keep_first(options.tiny ? 32 : 1000);
  int epochs = options.epochs ? options.epochs : options.tiny ? 1 : 3;

  // Every code point is a token, case and punctuation kept.
  lm::data::TextVectorization chars({.standardize = "none", .split = "character"});
  chars.adapt(corpus.train.texts);
  const std::int64_t boundary = chars.vocabulary_size(), classes = boundary + 1;
  auto train_data = shift(chars.vectorize_ragged(corpus.train.texts), boundary);
  auto valid_data = shift(chars.vectorize_ragged(corpus.valid.texts), boundary);
  lm::data::BucketedBatches train(train_data.inputs, lm::data::Targets::per_timestep(train_data.targets),
                                  {.batch_size = 32, .seed = 1, .max_length = kMaxChars});
  lm::data::BucketedBatches valid(valid_data.inputs, lm::data::Targets::per_timestep(valid_data.targets),
                                  {.batch_size = 64, .shuffle = false, .max_length = kMaxChars});
  std::cout << "train: " << corpus.train.size() << " sentences in " << train.size()
            << " batches, valid: " << corpus.valid.size() << ", characters: " << chars.vocabulary_size() - 2 << "\n";

  auto tokens = lm::Input({lm::None}, lm::Int32, "chars");
  auto x = Embedding(classes, 32, {.mask_zero = true})(tokens);
  x = LSTM(256, {.return_sequences = true})(x);
  lm::Model model(tokens, Dense(classes)(x), "char_lm");
  model.compile({.optimizer = lm::optimizers::Adam(3e-3, {.clipnorm = 1.0}),
                 .loss = lm::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  model.summary();

  std::cout << fmt::format("held-out bits per character before training: {:.3f} (uniform: {:.3f})\n",
                           bits_per_character(model, valid), std::log2(static_cast<double>(classes)));
  model.fit(train, {.epochs = epochs, .verbose = 2});
  std::cout << fmt::format("padding in the last epoch's batches: {:.1f}%\n",
                           100 * train.padding_stats().padding_fraction());
  std::cout << fmt::format("held-out bits per character: {:.3f}\n", bits_per_character(model, valid));
  std::cout << "sampled (temperature 0.7): " << sample(model, chars, boundary, 0.7, options.tiny ? 40 : 160, 3) << "\n";
  return 0;
}
