#pragma once
// The safetensors tensor-file format (https://github.com/huggingface/safetensors):
//   8 bytes    N, the header size, an unsigned 64-bit little-endian integer
//   N bytes    a UTF-8 JSON object: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
//              ..., "__metadata__": {"key": "value", ...}}, padded with spaces
//   the rest   the data buffer; each tensor's bytes, row-major and little-endian, sit at
//              [begin, end) relative to the buffer's start and the tensors cover it exactly
// Lamina reads and writes the dtypes F32, F64, I32, I64 and BOOL. docs/file-format.md has the details.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina::io {

struct NamedTensor {
  std::string name;
  Tensor value;
};

// The contents of a tensor file: string metadata and the tensors in header order.
struct TensorFile {
  std::map<std::string, std::string> metadata;
  std::vector<NamedTensor> tensors;
};

// Headers larger than this are refused (the reference implementation's limit is 100 MB).
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100ull * 1024 * 1024;

// The file's bytes. Tensors appear in the header in the given order; in the data buffer they
// are ordered by decreasing item size (stable), so every tensor starts at a multiple of its
// item size. A tensor's mask is not stored (only its values). ValueError for an undefined or
// symbolic tensor, an empty or duplicate name, the reserved name "__metadata__", or a name,
// metadata key or value that is not valid UTF-8.
std::string encode_safetensors(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata = {});
// encode_safetensors written atomically (write_file_atomic), streamed without a second copy.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Parses and validates a whole file (header, offsets, sizes, BOOL bytes) before it returns
// anything; the file is untrusted. ValueError naming `source_name` for bad content.
TensorFile decode_safetensors(std::string_view bytes, const std::string& source_name = "<memory>");
// Memory-maps the file (or reads it when mapping is refused) and decodes it into new
// tensors; the file is not used after this returns. IOError for missing/unreadable files.
TensorFile load_safetensors(const std::string& path);
// Metadata, names, dtypes and shapes without reading the data: each value is a symbolic
// tensor (lm::placeholder) of the stored shape and dtype. The header is validated as fully as
// in load_safetensors, including the offsets against the file's size.
TensorFile read_safetensors_header(const std::string& path);

}  // namespace lamina::io
