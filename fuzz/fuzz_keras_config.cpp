// .keras's config.json, fuzzed past the zip's CRC check: the input becomes config.json of a
// well-formed archive (with metadata.json and a small valid model.weights.h5), so mutations
// reach the model builder instead of dying at the checksum.
#include <string>

#include "fuzz_support.hpp"
#include "io/keras/hdf5.hpp"
#include "io/keras/zip_archive.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/io/keras.hpp"

namespace {
const std::string& weights() {
  static const std::string bytes = [] {
    lamina::io::keras::H5Writer h5;
    h5.group("vars");
    h5.string_attr("vars", "name", "s");
    h5.group("layers/dense/vars");
    h5.dataset("layers/dense/vars/0", lamina::zeros({3, 2}));
    h5.dataset("layers/dense/vars/1", lamina::zeros({2}));
    return h5.bytes();
  }();
  return bytes;
}
void decode_config(std::string_view config) {
  std::string zip = lamina::io::keras::write_zip({{"metadata.json", R"({"keras_version": "3.6.0"})"},
                                                  {"config.json", std::string(config)},
                                                  {"model.weights.h5", weights()}});
  lamina::io::decode_keras(zip, "fuzz.keras");
}
}  // namespace

LAMINA_FUZZ_TARGET(decode_config(bytes))
