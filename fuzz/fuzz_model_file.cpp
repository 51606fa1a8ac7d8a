// Lamina's own model format: a safetensors container whose metadata holds the model config,
// read through load_model as a user's file would be (from a scratch file).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "fuzz_support.hpp"
#include "lamina/io/safetensors.hpp"
#include "lamina/model/model.hpp"

namespace {
const std::string& scratch() {
  static const std::string path = "/tmp/lamina-fuzz-model-" + std::to_string(::getpid()) + ".lamina";
  return path;
}
void load_from_file(std::string_view bytes) {
  lamina::io::decode_safetensors(bytes, "fuzz.lamina");
  {
    std::ofstream out(scratch(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  lamina::load_model(scratch());
}
}  // namespace

LAMINA_FUZZ_TARGET(load_from_file(bytes))
