// lamina evaluate MODEL DATA.tsv: loss and accuracy of a saved classifier on labelled lines.
#include <cstdio>

#include "cli.hpp"
#include "lamina/core/config.hpp"
#include "lamina/model/model.hpp"
#include "text_classifier.hpp"

namespace lamina::tools {

namespace {

struct EvaluateArgs {
  std::string model, data;
  bool json = false, skip_bad_lines = false;
  int threads = 0;
};

void run_evaluate(const EvaluateArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  TextClassifier classifier = TextClassifier::load(a.model);
  std::int64_t skipped = 0;
  LabelledTexts data = read_labelled(a.data, a.skip_bad_lines, &skipped);
  if (skipped) std::fprintf(stderr, "lamina: skipped %lld empty or malformed line(s) of %s\n", (long long)skipped, a.data.c_str());
  Evaluation e = classifier.evaluate(data);
  if (!a.json) {
    std::printf("loss: %.4f - accuracy: %.4f\n", e.logs["loss"], e.logs["accuracy"]);
    return;
  }
  Json per_class = Json::object();
  for (std::size_t k = 0; k < classifier.labels().size(); ++k)
    per_class[classifier.labels()[k]] = {{"precision", e.precision[k]}, {"recall", e.recall[k]}, {"f1", e.f1[k]}};
  Json out{{"examples", e.count},
           {"metrics", e.logs},
           {"labels", classifier.labels()},
           {"confusion_matrix", e.confusion},
           {"per_class", per_class},
           {"skipped_lines", skipped}};
  std::printf("%s\n", out.dump().c_str());
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto a = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Loss and accuracy of a saved text classifier on label<TAB>text lines");
  cmd->add_option("MODEL", a->model, "A model saved by `lamina train`")->required();
  cmd->add_option("DATA", a->data, "Labelled lines: label<TAB>text (.gz too)")->required();
  cmd->add_flag("--json", a->json, "One JSON object: every metric, per-class precision/recall/F1, the confusion matrix");
  cmd->add_flag("--skip-bad-lines", a->skip_bad_lines, "Skip malformed lines (and say how many) instead of stopping");
  cmd->add_option("--threads", a->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->callback([a] { run_evaluate(*a); });
}

}  // namespace lamina::tools
