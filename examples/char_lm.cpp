// A character-level language model on Jane Austen's sentences: Embedding(mask_zero) ->
// LSTM(256, return_sequences) -> Dense(vocabulary), trained to predict each next character
// with a per-timestep masked loss over sentences of different lengths. Batches group
// sentences of similar length and are padded only to their own longest one (a BatchSource),
// so little padding is computed and none of it is counted. Prints the held-out bits per
// character and a line sampled from the model (temperature sampling, seeded).
//
//   ./build/release/examples/char_lm                           # 4,000 sentences, 3 epochs
//   ./build/release/examples/char_lm --tiny                    # 200 sentences, 1 epoch (CI)
//   ./build/release/examples/char_lm --sentences 20000 --epochs 5
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <lamina/lamina.hpp>
#include <map>
#include <numeric>
#include <random>

#include "austen_data.hpp"

namespace lm = lamina;
using namespace lamina::layers;

namespace {

constexpr std::int32_t kPad = 0, kUnknown = 1, kBoundary = 2;  // kBoundary starts and ends a sentence
constexpr std::size_t kMaxChars = 250;

// UTF-8 -> code points (a bad byte becomes U+FFFD) and back.
std::vector<char32_t> decode(const std::string& s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    char32_t cp = extra == 0 ? c : extra == 1 ? c & 0x1F : extra == 2 ? c & 0x0F : c & 0x07;
    bool ok = extra >= 0 && i + static_cast<std::size_t>(extra) < s.size();
    for (int k = 1; ok && k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      ok = (cc >> 6) == 0x2;
      cp = (cp << 6) | (cc & 0x3F);
    }
    out.push_back(ok ? cp : U'\uFFFD');
    i += ok ? static_cast<std::size_t>(extra) + 1 : 1;
  }
  return out;
}

std::string encode(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

class Characters {
 public:
  explicit Characters(const std::vector<austen::Sentence>& train) {
    std::map<char32_t, std::int64_t> counts;
    for (const auto& s : train)
      for (char32_t c : decode(s.text)) ++counts[c];
    std::vector<std::pair<char32_t, std::int64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [c, n] : sorted) {
      ids_[c] = static_cast<std::int32_t>(chars_.size()) + 3;
      chars_.push_back(c);
    }
  }
  std::int64_t size() const { return static_cast<std::int64_t>(chars_.size()) + 3; }
  std::vector<std::int32_t> ids(const std::string& text) const {
    std::vector<std::int32_t> out;
    for (char32_t c : decode(text)) {
      if (out.size() == kMaxChars) break;
      auto it = ids_.find(c);
      out.push_back(it == ids_.end() ? kUnknown : it->second);
    }
    return out;
  }
  std::string text(std::int32_t id) const { return id >= 3 ? encode(chars_[static_cast<std::size_t>(id - 3)]) : "?"; }

 private:
  std::map<char32_t, std::int32_t> ids_;
  std::vector<char32_t> chars_;
};

// Batches of sentences of similar length: input [boundary, c1 .. cn], target [c1 .. cn,
// boundary], padded with 0 to the batch's longest sentence. The batch order is reshuffled
// every epoch (seeded); the sentences in a batch stay together.
class LengthBatches : public lm::BatchSource {
 public:
  LengthBatches(std::vector<std::vector<std::int32_t>> sentences, std::int64_t batch_size, std::uint64_t seed)
      : sentences_(std::move(sentences)), rng_(seed) {
    std::vector<std::size_t> by_length(sentences_.size());
    std::iota(by_length.begin(), by_length.end(), 0);
    std::stable_sort(by_length.begin(), by_length.end(),
                     [&](std::size_t a, std::size_t b) { return sentences_[a].size() < sentences_[b].size(); });
    for (std::size_t i = 0; i < by_length.size(); i += static_cast<std::size_t>(batch_size))
      batches_.emplace_back(by_length.begin() + static_cast<std::ptrdiff_t>(i),
                            by_length.begin() + static_cast<std::ptrdiff_t>(
                                                    std::min(by_length.size(), i + static_cast<std::size_t>(batch_size))));
    std::shuffle(batches_.begin(), batches_.end(), rng_);
  }
  std::int64_t size() const override { return static_cast<std::int64_t>(batches_.size()); }
  lm::Batch get(std::int64_t index) override {
    const auto& members = batches_.at(static_cast<std::size_t>(index));
    std::size_t len = 0;
    for (auto i : members) len = std::max(len, sentences_[i].size() + 1);
    std::vector<std::int32_t> x(members.size() * len, kPad), y(members.size() * len, kPad);
    for (std::size_t r = 0; r < members.size(); ++r) {
      const auto& s = sentences_[members[r]];
      x[r * len] = kBoundary;
      for (std::size_t t = 0; t < s.size(); ++t) x[r * len + t + 1] = s[t], y[r * len + t] = s[t];
      y[r * len + s.size()] = kBoundary;
    }
    lm::Shape shape{static_cast<std::int64_t>(members.size()), static_cast<std::int64_t>(len)};
    return {{lm::tensor(x, shape)}, {lm::tensor(y, shape)}, {}};
  }
  void on_epoch_end() override { std::shuffle(batches_.begin(), batches_.end(), rng_); }
  // Characters predicted in batch `index` (sentence lengths + 1 for the end).
  std::int64_t targets(std::int64_t index) const {
    std::int64_t n = 0;
    for (auto i : batches_.at(static_cast<std::size_t>(index))) n += static_cast<std::int64_t>(sentences_[i].size()) + 1;
    return n;
  }

 private:
  std::vector<std::vector<std::int32_t>> sentences_;
  std::vector<std::vector<std::size_t>> batches_;
  std::mt19937_64 rng_;
};

// Held-out bits per character: the loss of each batch is the mean over its valid steps, so
// weight it by its number of characters.
double bits_per_character(const lm::Model& model, LengthBatches& data) {
  double nats = 0, count = 0;
  for (std::int64_t i = 0; i < data.size(); ++i) {
    auto b = data.get(i);
    auto n = static_cast<double>(data.targets(i));
    nats += model.test_on_batch(b.x, b.y)["loss"] * n;
    count += n;
  }
  return nats / count / std::log(2.0);
}

// Samples characters one at a time from softmax(logits / temperature) until the boundary.
std::string sample(const lm::Model& model, const Characters& chars, double temperature, std::size_t max_chars,
                   std::uint64_t seed) {
  lm::Generator gen(seed);
  std::vector<std::int32_t> prefix = {kBoundary};
  std::string out;
  while (prefix.size() <= max_chars) {
    auto n = static_cast<std::int64_t>(prefix.size());
    lm::Tensor logits = model.predict_on_batch(lm::tensor(prefix, {1, n}));
    auto last = lm::slice(logits, {lm::Range{0, 1}, lm::Range{n - 1, n}});
    auto p = lm::softmax(last / temperature).to_vector<double>();
    p[kPad] = p[kUnknown] = 0;
    double total = std::accumulate(p.begin(), p.end(), 0.0), u = gen.uniform() * total, acc = 0;
    std::int32_t next = kBoundary;
    for (std::size_t k = 0; k < p.size(); ++k)
      if (p[k] > 0 && (acc += p[k]) > u) {
        next = static_cast<std::int32_t>(k);
        break;
      }
    if (next == kBoundary) break;
    out += chars.text(next);
    prefix.push_back(next);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auto options =
      austen::parse_options(argc, argv, "usage: char_lm [--tiny] [--data DIR] [--sentences N] [--epochs N]");
  lm::set_seed(11);
  auto corpus = austen::read_corpus(austen::find_data_dir(options.data_dir), 11);
  auto n_train = static_cast<std::size_t>(options.sentences ? options.sentences : options.tiny ? 200 : 4000);
  corpus.train.resize(std::min(n_train, corpus.train.size()));
  corpus.valid.resize(std::min<std::size_t>(options.tiny ? 50 : 1000, corpus.valid.size()));
  int epochs = options.epochs ? options.epochs : options.tiny ? 1 : 3;

  Characters chars(corpus.train);
  auto ids = [&](const std::vector<austen::Sentence>& part) {
    std::vector<std::vector<std::int32_t>> out;
    for (const auto& s : part) out.push_back(chars.ids(s.text));
    return out;
  };
  LengthBatches train(ids(corpus.train), 32, 1), valid(ids(corpus.valid), 64, 2);
  std::cout << "train: " << corpus.train.size() << " sentences in " << train.size()
            << " batches, valid: " << corpus.valid.size() << ", characters: " << chars.size() - 3 << "\n";

  auto tokens = lm::Input({lm::None}, lm::Int32, "chars");
  auto x = Embedding(chars.size(), 32, {.mask_zero = true})(tokens);
  x = LSTM(256, {.return_sequences = true})(x);
  lm::Model model(tokens, Dense(chars.size())(x), "char_lm");
  model.compile({.optimizer = lm::optimizers::Adam(3e-3, {.clipnorm = 1.0}),
                 .loss = lm::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  model.summary();

  std::cout << fmt::format("held-out bits per character before training: {:.3f} (uniform: {:.3f})\n",
                           bits_per_character(model, valid), std::log2(static_cast<double>(chars.size())));
  model.fit(train, {.epochs = epochs, .verbose = 2});
  std::cout << fmt::format("held-out bits per character: {:.3f}\n", bits_per_character(model, valid));
  std::cout << "sampled (temperature 0.7): " << sample(model, chars, 0.7, options.tiny ? 40 : 160, 3) << "\n";
  return 0;
}
