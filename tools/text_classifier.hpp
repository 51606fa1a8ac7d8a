#pragma once
// A text classifier from labelled lines: the vocabulary, the model, training with
// length-bucketed batches and early stopping, evaluation (confusion matrix, per-class
// precision and recall) and prediction on raw text. The vocabulary and the label names are
// saved inside the model file, so a saved classifier needs nothing else to run on text.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lamina/data/text_vectorization.hpp"
#include "lamina/model/model.hpp"

namespace lamina::tools {

struct ClassifierOptions {
  std::string arch = "bilstm";  // bilstm | lstm | gru | cnn | bow
  std::string level = "word";   // word | char
  int epochs = 10;
  std::int64_t batch_size = 32;
  std::int64_t max_tokens = 20000;
  std::int64_t max_length = 200;  // tokens kept per text (longer ones are cut)
  std::int64_t embedding_dim = 64;
  std::int64_t units = 64;
  double learning_rate = 3e-3;
  int patience = 2;  // early stopping on val_loss, restoring the best weights
  std::uint64_t seed = 1;
  int verbose = 1;
  std::string log_csv;  // a CSVLogger file, when not empty
  bool distributed = false;  // data parallel over the ranks of mpirun (docs/distributed.md)
};

struct LabelledTexts {
  std::vector<std::string> texts;
  std::vector<std::string> labels;
  std::vector<std::int64_t> lines;  // where each came from, for messages
  std::string source;
};

struct Evaluation {
  Logs logs;                                      // loss, accuracy
  std::vector<std::vector<std::int64_t>> confusion;  // [true][predicted]
  std::vector<double> precision, recall, f1;      // per class
  std::int64_t count = 0;
};

struct Prediction {
  std::vector<std::pair<std::string, double>> top;  // best first
};

class TextClassifier {
 public:
  // Learns the vocabulary and label set from `train`, builds the model.
  TextClassifier(const LabelledTexts& train, const ClassifierOptions& options);
  // A saved classifier (the vocabulary and labels come from the model file's assets).
  static TextClassifier load(const std::string& path);

  History fit(const LabelledTexts& train, const LabelledTexts& valid);
  Evaluation evaluate(const LabelledTexts& data);
  std::vector<Prediction> predict(const std::vector<std::string>& texts, int top_k = 1);
  void save(const std::string& path) const;

  const std::vector<std::string>& labels() const { return labels_; }
  Model& model() { return model_; }
  const data::TextVectorization& vectorizer() const { return vectorizer_; }

 private:
  TextClassifier() = default;
  std::vector<std::vector<std::int64_t>> sequences(const std::vector<std::string>& texts) const;
  std::vector<std::int64_t> label_ids(const LabelledTexts& data) const;

  ClassifierOptions options_;
  data::TextVectorization vectorizer_;
  std::vector<std::string> labels_;
  Model model_;
};

// Builds the named architecture ending in a softmax over `classes`.
Model text_model(const std::string& arch, std::int64_t vocabulary, std::int64_t classes, std::int64_t embedding_dim,
                 std::int64_t units);

// Splits off a validation set: a seeded random `fraction` of the examples.
std::pair<LabelledTexts, LabelledTexts> split_validation(const LabelledTexts& data, double fraction, std::uint64_t seed);

// Reads `label<TAB>text` lines (gzip-compressed files too); empty texts are skipped and counted.
LabelledTexts read_labelled(const std::string& path, bool skip_bad_lines, std::int64_t* skipped_empty);

// The classification report as a text table.
std::string format_report(const Evaluation& e, const std::vector<std::string>& labels);

}  // namespace lamina::tools
