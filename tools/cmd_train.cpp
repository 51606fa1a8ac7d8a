// lamina train DATA.tsv: a text classifier on the user's labelled lines.
#include <fmt/format.h>

#include <cstdio>

#include "cli.hpp"
#include "lamina/core/config.hpp"
#include "lamina/distributed/data_parallel.hpp"
#include "plots.hpp"
#include "text_classifier.hpp"

namespace lamina::tools {

namespace {

struct TrainArgs {
  std::string data, valid, out = "model.lamina", log, plot;
  double validation_split = 0.1;
  bool skip_bad_lines = false;
  bool distributed = false;
  int threads = 0;
  ClassifierOptions o;
};

void run_train(const TrainArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  std::int64_t skipped = 0;
  LabelledTexts all = read_labelled(a.data, a.skip_bad_lines, &skipped);
  if (skipped) std::fprintf(stderr, "lamina: skipped %lld empty or malformed line(s) of %s\n", (long long)skipped, a.data.c_str());
  LabelledTexts train, valid;
  if (!a.valid.empty()) {
    train = all;
    std::int64_t vs = 0;
    valid = read_labelled(a.valid, a.skip_bad_lines, &vs);
    if (vs) std::fprintf(stderr, "lamina: skipped %lld empty or malformed line(s) of %s\n", (long long)vs, a.valid.c_str());
  } else {
    std::tie(train, valid) = split_validation(all, a.validation_split, a.o.seed);
  }
  ClassifierOptions o = a.o;
  o.log_csv = a.log;
  o.distributed = a.distributed;
  // Under mpirun --distributed, every rank trains; rank 0 alone prints, logs and saves.
  const bool chief = !a.distributed || distributed::world()->rank() == 0;
  if (!chief) o.log_csv.clear(), o.verbose = 0;
  TextClassifier classifier(train, o);
  if (chief) std::printf("%zu training and %zu validation examples, %zu labels, vocabulary of %lld %s\n", train.texts.size(),
              valid.texts.size(), classifier.labels().size(), (long long)classifier.vectorizer().vocabulary_size(),
              o.level == "char" ? "characters" : "words");
  History h = classifier.fit(train, valid);
  if (!chief) return;
  Evaluation e = classifier.evaluate(valid);
  std::printf("validation: loss: %.4f - accuracy: %.4f\n", e.logs["loss"], e.logs["accuracy"]);
  classifier.save(a.out);
  std::printf("saved %s\n", a.out.c_str());
  if (!a.plot.empty()) {
    std::string stem = a.plot.size() > 4 && a.plot.substr(a.plot.size() - 4) == ".png" ? a.plot.substr(0, a.plot.size() - 4) : a.plot;
    plot_history(h, stem, "training curves: " + a.data);
    std::printf("wrote %s.png and %s.svg\n", stem.c_str(), stem.c_str());
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a text classifier on label<TAB>text lines");
  cmd->add_option("DATA", a->data, "Training data: one label<TAB>text per line (.gz too)")->required();
  auto* valid = cmd->add_option("--valid", a->valid, "Validation data (same format)");
  cmd->add_option("--validation-split", a->validation_split, "Fraction of DATA held out when --valid is not given")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(valid);
  cmd->add_option("--arch", a->o.arch, "Architecture")->check(CLI::IsMember({"bilstm", "lstm", "gru", "cnn", "bow"}));
  cmd->add_option("--level", a->o.level, "Tokens: words or characters")->check(CLI::IsMember({"word", "char"}));
  cmd->add_option("--epochs", a->o.epochs, "Epochs (early stopping on validation loss may end sooner)")->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", a->o.batch_size, "Batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--max-tokens", a->o.max_tokens, "Vocabulary size, padding and unknown token included")->check(CLI::Range(3, 1 << 24));
  cmd->add_option("--max-length", a->o.max_length, "Tokens kept per text")->check(CLI::PositiveNumber);
  cmd->add_option("--embedding-dim", a->o.embedding_dim, "Embedding size")->check(CLI::PositiveNumber);
  cmd->add_option("--units", a->o.units, "Recurrent or convolution units")->check(CLI::PositiveNumber);
  cmd->add_option("--learning-rate", a->o.learning_rate, "Adam's learning rate")->check(CLI::PositiveNumber);
  cmd->add_option("--patience", a->o.patience, "Epochs without improvement before stopping")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", a->o.seed, "Random seed (initial weights, batches, split)");
  cmd->add_option("--threads", a->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--out", a->out, "Where to save the model")->capture_default_str();
  cmd->add_option("--log", a->log, "Write the per-epoch metrics as CSV");
  cmd->add_option("--plot", a->plot, "Draw the training curves (PNG and SVG)");
  cmd->add_flag("--distributed", a->distributed, "Data-parallel training: start as mpirun -np N lamina train --distributed ...");
  cmd->add_flag("--skip-bad-lines", a->skip_bad_lines, "Skip malformed lines (and say how many) instead of stopping");
  cmd->add_option("--verbose", a->o.verbose, "0 silent, 1 progress bar, 2 one line per epoch")->check(CLI::Range(0, 2));
  cmd->callback([a] { run_train(*a); });
}

}  // namespace lamina::tools
