// lamina demo [novels|lm|digits]
#include "cli.hpp"
#include "demos.hpp"
#include "lamina/core/config.hpp"

namespace lamina::tools {

namespace {

void add_common(CLI::App* cmd, DemoArgs& a) {
  cmd->add_option("--data", a.data, "The data folder (default: the repository's data/)");
  cmd->add_option("--out", a.out, "Where to write the model and the pictures")->capture_default_str();
  cmd->add_option("--epochs", a.epochs, "Epochs (default: the demo's own)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", a.seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", a.threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--verbose", a.verbose, "0 silent, 1 progress bar, 2 one line per epoch")->check(CLI::Range(0, 2));
  cmd->add_flag("--quick", a.quick, "A short run (one epoch), to check that everything works");
  cmd->add_flag("--no-plots", a.no_plots, "Do not draw pictures");
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto a = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand("demo", "Lamina on real data: novel attribution (default), a language model, digits");
  add_common(demo, *a);
  auto prepare = [a] {
    if (a->threads > 0) set_num_threads(a->threads);
  };
  CLI::App* novels = demo->add_subcommand("novels", "Which of Jane Austen's six novels a sentence comes from (the default)");
  CLI::App* lm = demo->add_subcommand("lm", "A character-level language model of Austen's sentences");
  CLI::App* digits = demo->add_subcommand("digits", "An MLP on 8x8 handwritten digits");
  for (CLI::App* sub : {novels, lm, digits}) add_common(sub, *a);
  novels->callback([a, prepare] { prepare(), run_demo_novels(*a); });
  lm->callback([a, prepare] { prepare(), run_demo_lm(*a); });
  digits->callback([a, prepare] { prepare(), run_demo_digits(*a); });
  demo->require_subcommand(0, 1);
  demo->final_callback([a, prepare, demo] {
    if (demo->get_subcommands().empty()) prepare(), run_demo_novels(*a);
  });
}

}  // namespace lamina::tools
