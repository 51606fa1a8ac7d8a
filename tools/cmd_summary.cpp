// lamina summary MODEL: the model's summary (and, for text classifiers, their vocabulary and labels).
#include <cstdio>

#include "cli.hpp"
#include "lamina/model/model.hpp"

namespace lamina::tools {

void add_summary_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("summary", "Print a saved model's summary");
  cmd->add_option("MODEL", *path, "A saved model")->required();
  cmd->callback([path] {
    Model model = load_model(*path);
    model.summary();
    const auto& assets = model->assets();
    if (auto it = assets.find("labels"); it != assets.end() && it->second.is_array())
      std::printf(" Labels (%zu): %s\n", it->second.size(), it->second.dump().c_str());
    if (auto it = assets.find("text_vectorization"); it != assets.end() && it->second.contains("vocabulary"))
      std::printf(" Vocabulary: %zu tokens\n", it->second["vocabulary"].size());
  });
}

}  // namespace lamina::tools
