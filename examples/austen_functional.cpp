// The model of docs/DESIGN.md section 1 on real data: which of Jane Austen's six novels does a
// sentence come from? Embedding(mask_zero) -> x * 0.5 + 1 -> Bidirectional(LSTM) -> Lambda(tanh)
// -> GlobalAveragePooling1D -> Dense(6, softmax), trained on data/austen/sentences.tsv.gz with
// its fixed split. The text goes through the data module: TextVectorization makes the token
// ids, BucketedBatches batches sentences of similar length, each padded only to its own longest
// one (the padding is masked). Prints the summary, the training progress and the validation
// accuracy beside the majority-class baseline, then saves the model with its vocabulary,
// loads it back and classifies a raw sentence with the loaded vocabulary.
//
//   ./build/release/examples/austen_functional                 # 2 epochs on all 22,871 training sentences
//   ./build/release/examples/austen_functional --tiny          # 200 sentences, 1 epoch (CI)
//   ./build/release/examples/austen_functional --sentences 5000 --epochs 3
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <lamina/lamina.hpp>
#include <string>

#include "austen_data.hpp"

namespace lm = lamina;
using namespace lamina::layers;

int main(int argc, char** argv) {
  auto options =
      austen::parse_options(argc, argv, "usage: austen_functional [--tiny] [--data DIR] [--sentences N] [--epochs N]");
  lm::set_seed(42);

  auto corpus = austen::read_corpus(austen::find_data_dir(options.data_dir), 42);
  std::int64_t n_train = options.sentences ? options.sentences : options.tiny ? 200 : 0;
  if (n_train > 0) corpus.train.keep_first(static_cast<std::size_t>(n_train));
  if (options.tiny) corpus.valid.keep_first(100);
  int epochs = options.epochs ? options.epochs : options.tiny ? 1 : 2;

  // Words, lowercased, punctuation stripped; id 0 is padding, 1 out-of-vocabulary.
  lm::data::TextVectorization vectorizer({.max_tokens = 20000});
  vectorizer.adapt(corpus.train.texts);
  auto novels = austen::label_ids(corpus.train.labels);
  auto labels = [&](const austen::Part& part) {
    std::vector<std::int64_t> y;
    for (const auto& l : part.labels) y.push_back(novels.at(l));
    return y;
  };
  auto y_train = labels(corpus.train), y_valid = labels(corpus.valid);
  lm::data::BucketedBatches train(vectorizer.vectorize_ragged(corpus.train.texts), lm::data::Targets::labels(y_train),
                                  {.batch_size = 64, .seed = 1});
  lm::data::BucketedBatches valid(vectorizer.vectorize_ragged(corpus.valid.texts), lm::data::Targets::labels(y_valid),
                                  {.batch_size = 256, .shuffle = false});
  std::cout << "train: " << corpus.train.size() << " sentences, valid: " << corpus.valid.size()
            << ", vocabulary: " << vectorizer.vocabulary_size() << " tokens, " << novels.size() << " novels\n";

  // A registered Lambda can be saved (a Lambda made from a bare callable cannot be rebuilt).
  register_lambda("squash", [](const lm::Tensor& t) { return lm::tanh(t); });

  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(vectorizer.vocabulary_size(), 128, {.mask_zero = true})(tokens);
  x = x * 0.5f + 1.0f;  // still masked: ops keep masks
  x = Bidirectional(LSTM(64, {.return_sequences = true}))(x);
  x = Lambda("squash", {.name = "squash"})(x);
  x = GlobalAveragePooling1D()(x);  // mean over the valid steps only
  auto probs = Dense(static_cast<std::int64_t>(novels.size()), {.activation = "softmax"})(x);
  lm::Model model(tokens, probs, "austen");
  model.compile(
      {.optimizer = lm::optimizers::Adam(1e-3), .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.summary();

  model.fit(train, {.epochs = epochs, .verbose = 2, .validation_data = lm::ValidationData{.source = &valid}});
  std::cout << fmt::format("padding in the last epoch's batches: {:.1f}%\n",
                           100 * train.padding_stats().padding_fraction());
  auto logs = model.evaluate(valid, {.verbose = 0});

  // The baseline: always the most frequent novel of the training set.
  std::vector<std::int64_t> counts(novels.size(), 0);
  for (auto y : y_train) ++counts[static_cast<std::size_t>(y)];
  auto majority = std::max_element(counts.begin(), counts.end()) - counts.begin();
  double hits = static_cast<double>(std::count(y_valid.begin(), y_valid.end(), majority));
  std::cout << fmt::format("validation accuracy: {:.4f} (majority class: {:.4f})\n", logs["accuracy"],
                           hits / static_cast<double>(y_valid.size()));

  // The vocabulary goes into the model file, so the loaded model needs nothing else.
  model->assets()["vectorizer"] = vectorizer.get_config();
  auto path =
      (std::filesystem::temp_directory_path() / ("lamina_austen_functional_" + std::to_string(getpid()) + ".lamina"))
          .string();
  model.save(path);
  auto loaded = lm::load_model(path);
  std::filesystem::remove(path);
  lm::Tensor a = model.predict(valid), b = loaded.predict(valid);
  std::cout << std::boolalpha
            << "reloaded model predicts identically: " << (a.to_vector<float>() == b.to_vector<float>()) << "\n";

  auto loaded_vectorizer = lm::data::TextVectorization::from_config(loaded->assets().at("vectorizer"));
  std::string sentence = "Mr. Darcy bowed, and Elizabeth said nothing.";
  lm::Tensor p = loaded.predict(loaded_vectorizer.vectorize({sentence}));
  auto best = lm::argmax(p, -1).to_vector<std::int64_t>()[0];
  for (const auto& [name, id] : novels)
    if (id == best)
      std::cout << "\"" << sentence << "\" -> " << name << fmt::format(" ({:.2f})\n", lm::max(p).item<double>());
  return 0;
}
