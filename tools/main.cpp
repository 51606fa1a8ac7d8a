// lamina: train, evaluate and use text models from the command line, and the demos.
//
//   lamina demo [novels|lm|digits]     the main job: Lamina on real data, in minutes
//   lamina train DATA.tsv [...]        a text classifier on your own labelled lines
//   lamina evaluate MODEL DATA.tsv     loss and accuracy (--json: every metric, the confusion matrix)
//   lamina predict MODEL [FILE|-]      label and probability per line, streaming
//   lamina summary MODEL               the model's summary
#include <cstdio>

#include "cli.hpp"
#include "lamina/core/error.hpp"

int main(int argc, char** argv) {
  using namespace lamina::tools;
  CLI::App app{"Lamina: Keras-style deep learning in C++ where masks travel with tensors", "lamina"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lamina 0.1.0");
  add_demo_command(app);
  add_train_command(app);
  add_evaluate_command(app);
  add_predict_command(app);
  add_summary_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, the version, or the usage error
    return code == 0 ? 0 : kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "lamina: usage error: %s\n", e.what());
    return kExitUsage;
  } catch (const lamina::Error& e) {
    std::fprintf(stderr, "lamina: %s\n", one_line(e).c_str());
    return kExitData;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lamina: error: %s\n", one_line(e).c_str());
    return kExitData;
  }
  return 0;
}
