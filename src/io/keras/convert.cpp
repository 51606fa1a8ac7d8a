// Which format a model file is in, and `lamina convert`'s library half.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "io/input_file.hpp"
#include "lamina/io/keras.hpp"

namespace lamina::io {

ModelFileKind sniff_model_file(const std::string& path) {
  detail::InputFile file(path);
  std::string head = file.read(0, static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), 8)));
  if (head.size() >= 4 && std::memcmp(head.data(), "PK\x03\x04", 4) == 0) return ModelFileKind::Keras;
  if (head.size() >= 4 && std::memcmp(head.data(), "PK\x05\x06", 4) == 0) return ModelFileKind::Keras;  // empty zip
  if (head.size() == 8 && std::memcmp(head.data(), "\x89HDF\r\n\x1a\n", 8) == 0) return ModelFileKind::KerasH5;
  return ModelFileKind::Lamina;
}

ModelFileKind model_file_kind_for(const std::string& path) {
  auto ends_with = [&](const char* ext) {
    std::string e = ext;
    if (path.size() < e.size()) return false;
    std::string tail = path.substr(path.size() - e.size());
    std::transform(tail.begin(), tail.end(), tail.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return tail == e;
  };
  if (ends_with(".keras")) return ModelFileKind::Keras;
  if (ends_with(".h5") || ends_with(".hdf5") || ends_with(".hdf")) return ModelFileKind::KerasH5;
  return ModelFileKind::Lamina;
}

Model load_any_model(const std::string& path, KerasNotes* notes) {
  switch (sniff_model_file(path)) {
    case ModelFileKind::Keras:
      return load_keras(path, notes);
    case ModelFileKind::KerasH5:
      return load_keras_h5(path, notes);
    case ModelFileKind::Lamina:
      break;
  }
  return load_model(path);
}

void convert(const std::string& in, const std::string& out, KerasNotes* notes) { load_any_model(in, notes).save(out); }

}  // namespace lamina::io
