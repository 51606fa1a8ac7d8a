// The model of docs/DESIGN.md section 1 on real data: which of Jane Austen's six novels does a
// sentence come from? Embedding(mask_zero) -> x * 0.5 + 1 -> Bidirectional(LSTM) -> Lambda(tanh)
// -> GlobalAveragePooling1D -> Dense(6, softmax), trained on data/austen/sentences.tsv.gz with
// its fixed split. Prints the summary, the training progress and the validation accuracy beside
// the majority-class baseline, then saves the model, loads it back and checks its predictions.
//
//   ./build/release/examples/austen_functional                 # 2 epochs on all 22,871 training sentences
//   ./build/release/examples/austen_functional --tiny          # 200 sentences, 1 epoch (CI)
//   ./build/release/examples/austen_functional --sentences 5000 --epochs 3
#include <filesystem>
#include <iostream>
#include <lamina/lamina.hpp>
#include <map>
#include <string>
#include <unistd.h>

#include "austen_data.hpp"

namespace lm = lamina;
using namespace lamina::layers;

int main(int argc, char** argv) {
  auto options = austen::parse_options(
      argc, argv, "usage: austen_functional [--tiny] [--data DIR] [--sentences N] [--epochs N]");
  const std::int64_t maxlen = 80;  // tokens (the sentences have 3..60 words, plus punctuation)
  lm::set_seed(42);

  auto corpus = austen::read_corpus(austen::find_data_dir(options.data_dir), 42);
  std::int64_t n_train = options.sentences ? options.sentences : options.tiny ? 200 : 0;
  if (n_train > 0 && n_train < static_cast<std::int64_t>(corpus.train.size())) corpus.train.resize(n_train);
  if (options.tiny) corpus.valid.resize(100);
  int epochs = options.epochs ? options.epochs : options.tiny ? 1 : 2;

  // Labels: the novels in name order.
  std::map<std::string, std::int32_t> label_ids;
  for (const auto& s : corpus.train) label_ids.emplace(s.label, 0);
  std::int32_t next = 0;
  for (auto& [name, id] : label_ids) id = next++;
  auto encode_labels = [&](const std::vector<austen::Sentence>& part) {
    std::vector<std::int32_t> y;
    for (const auto& s : part) y.push_back(label_ids.count(s.label) ? label_ids.at(s.label) : 0);
    return lm::tensor(y);
  };
  austen::Vocabulary vocab(corpus.train, 20000);
  auto x_train = lm::tensor(vocab.encode(corpus.train, maxlen), {static_cast<std::int64_t>(corpus.train.size()), maxlen});
  auto x_valid = lm::tensor(vocab.encode(corpus.valid, maxlen), {static_cast<std::int64_t>(corpus.valid.size()), maxlen});
  auto y_train = encode_labels(corpus.train), y_valid = encode_labels(corpus.valid);
  std::cout << "train: " << corpus.train.size() << " sentences, valid: " << corpus.valid.size()
            << ", vocabulary: " << vocab.size() << " tokens, " << label_ids.size() << " novels\n";

  // A registered Lambda can be saved (a Lambda made from a callable cannot be rebuilt).
  register_lambda("squash", [](const lm::Tensor& t) { return lm::tanh(t); });

  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(20000, 128, {.mask_zero = true})(tokens);
  x = x * 0.5f + 1.0f;  // still masked: ops keep masks
  x = Bidirectional(LSTM(64, {.return_sequences = true}))(x);
  x = Lambda("squash", {.name = "squash"})(x);
  x = GlobalAveragePooling1D()(x);  // mean over the valid steps only
  auto probs = Dense(static_cast<std::int64_t>(label_ids.size()), {.activation = "softmax"})(x);
  lm::Model model(tokens, probs, "austen");
  model.compile({.optimizer = lm::optimizers::Adam(1e-3),
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  model.summary();

  model.fit(x_train, y_train,
            {.batch_size = 64, .epochs = epochs, .verbose = 2, .validation_data = lm::ValidationData{x_valid, y_valid}});
  auto logs = model.evaluate(x_valid, y_valid, {.batch_size = 256, .verbose = 0});

  // The baseline: always the most frequent novel of the training set.
  std::vector<std::int64_t> counts(label_ids.size(), 0);
  for (auto y : y_train.to_vector<std::int32_t>()) ++counts[static_cast<std::size_t>(y)];
  auto majority = static_cast<std::int32_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  double hits = 0;
  for (auto y : y_valid.to_vector<std::int32_t>()) hits += y == majority;
  std::cout << fmt::format("validation accuracy: {:.4f} (majority class: {:.4f})\n", logs["accuracy"],
                           hits / static_cast<double>(corpus.valid.size()));

  auto path = (std::filesystem::temp_directory_path() / ("lamina_austen_functional_" + std::to_string(getpid()) + ".lamina")).string();
  model.save(path);
  auto loaded = lm::load_model(path);
  lm::Tensor a = model.predict(x_valid), b = loaded.predict(x_valid);
  std::cout << std::boolalpha
            << "reloaded model predicts identically: " << (a.to_vector<float>() == b.to_vector<float>()) << "\n";
  std::filesystem::remove(path);
  return 0;
}
