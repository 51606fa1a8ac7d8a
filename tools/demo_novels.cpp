// lamina demo (novels): which of Jane Austen's six novels does a sentence come from?
// A masked bidirectional LSTM classifier against two baselines on the same held-out split.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "cli.hpp"
#include "demos.hpp"
#include "lamina/core/error.hpp"
#include "lamina/io/gzip.hpp"
#include "plots.hpp"
#include "text_classifier.hpp"

namespace lamina::tools {

namespace {

struct AustenSplits {
  LabelledTexts train, valid, test;
};

AustenSplits load_austen(const std::string& dir) {
  std::string tsv_path = dir + "/austen/sentences.tsv.gz", split_path = dir + "/austen/split.txt.gz";
  LabelledTexts all = read_labelled(tsv_path, false, nullptr);
  std::string split = io::read_maybe_gzip(split_path);
  AustenSplits s;
  s.train.source = s.valid.source = s.test.source = tsv_path;
  std::size_t i = 0, pos = 0;
  while (pos < split.size()) {
    std::size_t end = split.find('\n', pos);
    if (end == std::string::npos) end = split.size();
    std::string which = split.substr(pos, end - pos);
    pos = end + 1;
    if (i >= all.texts.size()) break;
    LabelledTexts* to = which == "train" ? &s.train : which == "valid" ? &s.valid : which == "test" ? &s.test : nullptr;
    if (!to)
      throw ValueError({.problem = fmt::format("{}:{}: unknown split '{}'", split_path, i + 1, which),
                        .expected = "train, valid or test",
                        .found = which,
                        .hint = "regenerate the data with bash scripts/extract_data.sh"});
    to->texts.push_back(all.texts[i]);
    to->labels.push_back(all.labels[i]);
    to->lines.push_back(all.lines[i]);
    ++i;
  }
  if (i != all.texts.size())
    throw ValueError({.problem = "the split file does not match the sentences",
                      .expected = fmt::format("{} lines in {}", all.texts.size(), split_path),
                      .found = fmt::format("{} lines", i),
                      .hint = "check the data with bash scripts/check_data.sh"});
  return s;
}

double majority_accuracy(const LabelledTexts& train, const LabelledTexts& eval, std::string* label) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& l : train.labels) counts[l]++;
  auto best = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.second < b.second; });
  *label = best->first;
  std::int64_t hits = 0;
  for (const auto& l : eval.labels) hits += l == best->first;
  return static_cast<double>(hits) / static_cast<double>(eval.labels.size());
}

}  // namespace

void run_demo_novels(const DemoArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  std::filesystem::create_directories(a.out);
  AustenSplits s = load_austen(data_dir(a.data));
  std::printf("Jane Austen's six novels: which one does a sentence come from?\n");
  std::printf("%zu training, %zu validation and %zu test sentences (data/austen, split by a fixed hash)\n\n",
              s.train.texts.size(), s.valid.texts.size(), s.test.texts.size());

  std::string majority_label;
  double majority = majority_accuracy(s.train, s.valid, &majority_label);

  std::printf("Baseline: bag-of-words logistic regression (order ignored)\n");
  ClassifierOptions bow_options{.arch = "bow", .epochs = a.quick ? 1 : 5, .batch_size = 64, .learning_rate = 0.01,
                                .patience = 1, .seed = a.seed, .verbose = a.verbose};
  TextClassifier bow(s.train, bow_options);
  bow.fit(s.train, s.valid);
  double bow_accuracy = bow.evaluate(s.valid).logs["accuracy"];

  std::printf("\nMasked bidirectional LSTM: Embedding(mask_zero) -> Bidirectional(LSTM) -> masked max pooling -> Dense\n");
  ClassifierOptions options{.arch = "bilstm", .epochs = a.quick ? 1 : (a.epochs > 0 ? a.epochs : 4), .batch_size = 64,
                            .embedding_dim = 64, .units = 64, .learning_rate = 3e-3, .patience = 1,
                            .seed = a.seed, .verbose = a.verbose};
  TextClassifier bilstm(s.train, options);
  bilstm.model().summary();
  History history = bilstm.fit(s.train, s.valid);
  Evaluation valid = bilstm.evaluate(s.valid);
  Evaluation test = bilstm.evaluate(s.test);

  std::printf("\nValidation accuracy on the same %zu held-out sentences:\n", s.valid.texts.size());
  std::printf("  majority class (always '%s')      %.4f\n", majority_label.c_str(), majority);
  std::printf("  bag-of-words logistic regression  %.4f\n", bow_accuracy);
  std::printf("  masked bidirectional LSTM         %.4f   (test: %.4f)\n\n", valid.logs["accuracy"],
              test.logs["accuracy"]);
  std::printf("Test set, masked bidirectional LSTM:\n%s\n", format_report(test, bilstm.labels()).c_str());

  std::printf("A few held-out sentences:\n");
  std::vector<std::string> samples;
  std::vector<std::string> truth;
  for (std::size_t i = 0; i < s.test.texts.size() && samples.size() < 6; i += s.test.texts.size() / 6 + 1) {
    samples.push_back(s.test.texts[i]);
    truth.push_back(s.test.labels[i]);
  }
  auto predictions = bilstm.predict(samples, 1);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    std::string text = samples[i].size() > 90 ? samples[i].substr(0, 87) + "..." : samples[i];
    std::printf("  [%s] predicted %s (%.2f), true %s\n    \"%s\"\n", predictions[i].top[0].first == truth[i] ? "ok" : "x",
                predictions[i].top[0].first.c_str(), predictions[i].top[0].second, truth[i].c_str(), text.c_str());
  }

  std::string model_path = a.out + "/austen.lamina";
  bilstm.save(model_path);
  std::printf("\nSaved the model to %s (try: lamina predict %s -)\n", model_path.c_str(), model_path.c_str());
  if (!a.no_plots) {
    plot_history(history, a.out + "/curves", "Austen novel attribution: masked BiLSTM");
    plot_confusion(test.confusion, bilstm.labels(), a.out + "/confusion", "Austen novels, test set");
    std::printf("Pictures: %s/curves.png, %s/confusion.png (and .svg)\n", a.out.c_str(), a.out.c_str());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("Done in %.0f s.\n", seconds);
}

}  // namespace lamina::tools
