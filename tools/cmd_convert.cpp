// lamina convert IN OUT: a model file from one format to another -- Keras 3 `.keras`, legacy
// Keras `.h5`, or Lamina's own (any other extension); IN's format is read from its bytes.
#include <cstdio>

#include "cli.hpp"
#include "lamina/io/keras.hpp"

namespace lamina::tools {

void add_convert_command(CLI::App& app) {
  auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("convert", "Convert a model between .keras, .h5 and Lamina's format");
  cmd->add_option("IN", *in, "A saved model (.keras, .h5 or Lamina's)")->required();
  cmd->add_option("OUT", *out, "The file to write; its extension chooses the format")->required();
  cmd->callback([in, out] {
    io::KerasNotes notes;
    io::convert(*in, *out, &notes);
    for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    std::printf("wrote %s\n", out->c_str());
  });
}

}  // namespace lamina::tools
